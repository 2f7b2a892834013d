//! Full-text search on SQLite: FTS5 (`objects_fts`, kept by triggers on `objects`).

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::SqliteStore;
use crate::search::query_words;
use crate::{Result, SearchHit, SearchQuery, SearchStore};

impl SearchStore for SqliteStore {
    fn search(&self, q: &SearchQuery, f: &mut dyn FnMut(SearchHit) -> Result<bool>) -> Result<()> {
        if q.collections.is_empty() {
            return Ok(());
        }
        let words = query_words(q)?;
        let mut args: Vec<Value> = Vec::new();
        let mut sql = String::from(
            "SELECT c.name, o.id, o.type, o.date_added, o.raw FROM objects o JOIN collections c ON c.pk = o.coll
             WHERE o.is_latest = 1",
        );
        if !words.is_empty() {
            // Each word as a quoted prefix (words are letters and digits only: nothing to escape).
            let expr: Vec<String> = words.iter().map(|w| format!("\"{w}\"*")).collect();
            sql.push_str(" AND o.seq IN (SELECT rowid FROM objects_fts WHERE objects_fts MATCH ?)");
            args.push(Value::Text(expr.join(" ")));
        }
        let mut any_of = |col: &str, values: &[String], sql: &mut String| {
            sql.push_str(&format!(" AND {col} IN ({})", vec!["?"; values.len()].join(",")));
            args.extend(values.iter().map(|v| Value::Text(v.clone())));
        };
        any_of("c.name", &q.collections, &mut sql);
        if !q.types.is_empty() {
            any_of("o.type", &q.types, &mut sql);
        }
        if let Some(p) = &q.partner {
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM provenance p WHERE p.coll = o.coll AND p.idh = o.idh AND p.id = o.id AND p.partner = ?)",
            );
            args.push(Value::Text(p.clone()));
        }
        if let Some(t) = q.added_since {
            sql.push_str(" AND o.date_added >= ?");
            args.push(Value::Integer(t));
        }
        if let Some(t) = q.added_before {
            sql.push_str(" AND o.date_added < ?");
            args.push(Value::Integer(t));
        }
        sql.push_str(" ORDER BY o.seq DESC");
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(args))?;
        while let Some(r) = rows.next()? {
            let hit = SearchHit {
                collection: r.get(0)?,
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
}
