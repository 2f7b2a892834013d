//! Full-text search on SQLite: FTS5 (`objects_fts`, kept by triggers on `objects`).

use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params_from_iter};

use super::SqliteStore;
use crate::search::query_words;
use crate::{Result, SearchHit, SearchQuery, SearchStore};

impl SearchStore for SqliteStore {
    fn search(&self, q: &SearchQuery, f: &mut dyn FnMut(SearchHit) -> Result<bool>) -> Result<()> {
        if q.collections.is_empty() {
            return Ok(());
        }
        let words = query_words(q)?;
        // The collections by key: the scan below names them by `+o.coll` (no index), so that
        // SQLite walks the newest rows first and stops as soon as the caller has enough,
        // rather than collecting every match of a collection and sorting it.
        let mut names = std::collections::HashMap::new();
        for name in &q.collections {
            if let Some(pk) = self
                .conn
                .query_row("SELECT pk FROM collections WHERE name = ?1", [name], |r| r.get::<_, i64>(0))
                .optional()?
            {
                names.insert(pk, name.clone());
            }
        }
        if names.is_empty() {
            return Ok(());
        }
        let pks: Vec<String> = names.keys().map(i64::to_string).collect();
        let mut args: Vec<Value> = Vec::new();
        let mut sql = if words.is_empty() {
            String::from("SELECT o.coll, o.id, o.type, o.date_added, o.raw FROM objects o WHERE o.is_latest = 1")
        } else {
            // Each word as a quoted prefix (words are letters and digits only: nothing to
            // escape); the index's newest matches first, each looked up by its key.
            let expr: Vec<String> = words.iter().map(|w| format!("\"{w}\"*")).collect();
            args.push(Value::Text(expr.join(" ")));
            String::from(
                "SELECT o.coll, o.id, o.type, o.date_added, o.raw FROM objects_fts f CROSS JOIN objects o ON o.seq = f.rowid
                 WHERE objects_fts MATCH ? AND o.is_latest = 1",
            )
        };
        // What is new since an instant (the dashboard's question) is a range of the date index,
        // however old the collection; anything else walks the newest rows first.
        // So is a walk of one collection (newest first along that index, by one type's when one
        // type is asked for), however small it is beside the others.
        let by_date = words.is_empty() && (q.added_since.is_some() || names.len() == 1);
        let plus = if by_date { "" } else { "+" };
        let type_plus = if by_date && names.len() == 1 && q.types.len() == 1 { "" } else { "+" };
        sql.push_str(&format!(" AND {plus}o.coll IN ({})", pks.join(",")));
        if !q.types.is_empty() {
            sql.push_str(&format!(" AND {type_plus}o.type IN ({})", vec!["?"; q.types.len()].join(",")));
            args.extend(q.types.iter().map(|v| Value::Text(v.clone())));
        }
        if let Some(p) = &q.partner {
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM provenance p WHERE p.coll = o.coll AND p.idh = o.idh AND p.id = o.id AND p.partner = ?)",
            );
            args.push(Value::Text(p.clone()));
        }
        if let Some(t) = q.added_since {
            sql.push_str(&format!(" AND {plus}o.date_added >= ?"));
            args.push(Value::Integer(t));
        }
        if let Some(t) = q.added_before {
            sql.push_str(" AND +o.date_added < ?");
            args.push(Value::Integer(t));
        }
        sql.push_str(match (words.is_empty(), by_date) {
            (false, _) => " ORDER BY f.rowid DESC",
            (true, true) => " ORDER BY o.date_added DESC, o.seq DESC",
            (true, false) => " ORDER BY o.seq DESC",
        });
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(args))?;
        while let Some(r) = rows.next()? {
            let pk: i64 = r.get(0)?;
            let hit = SearchHit {
                collection: names.get(&pk).cloned().unwrap_or_default(),
                id: r.get(1)?,
                type_name: r.get(2)?,
                date_added: r.get(3)?,
                raw: r.get(4)?,
            };
            if !f(hit)? {
                break;
            }
        }
        Ok(())
    }

    fn count_versions(&self, collection: &str) -> Result<u64> {
        // Kept by every write (schema 8): one row read, whatever the size.
        Ok(self
            .conn
            .query_row("SELECT versions FROM collections WHERE name = ?1", [collection], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }
}
