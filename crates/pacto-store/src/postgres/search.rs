//! Full-text search on PostgreSQL: `objects.search`, a `tsvector` generated from the object's
//! string values split into words as [`crate::search::words`] does, under a GIN index.

use postgres::fallible_iterator::FallibleIterator;

use super::PostgresStore;
use super::objects::Sql;
use crate::search::query_words;
use crate::{Result, SearchHit, SearchQuery, SearchStore};

impl SearchStore for PostgresStore {
    fn search(&self, q: &SearchQuery, f: &mut dyn FnMut(SearchHit) -> Result<bool>) -> Result<()> {
        if q.collections.is_empty() {
            return Ok(());
        }
        let words = query_words(q)?;
        let mut c = self.client()?;
        let mut sql = Sql::default();
        sql.push(
            "SELECT c.name, o.id, o.type, o.date_added, o.raw FROM objects o JOIN collections c ON c.pk = o.coll
             WHERE o.is_latest",
        );
        if !words.is_empty() {
            // Each word as a prefix (words are letters and digits only: nothing to escape).
            let expr: Vec<String> = words.iter().map(|w| format!("{w}:*")).collect();
            sql.push(" AND o.search @@ to_tsquery('simple', ").arg(expr.join(" & ")).push(")");
        }
        sql.push(" AND c.name = ANY(").arg(q.collections.clone()).push(")");
        if !q.types.is_empty() {
            sql.push(" AND o.type = ANY(").arg(q.types.clone()).push(")");
        }
        if let Some(p) = &q.partner {
            sql.push(" AND EXISTS (SELECT 1 FROM provenance p WHERE p.coll = o.coll AND p.id = o.id AND p.partner = ")
                .arg(p.clone())
                .push(")");
        }
        if let Some(t) = q.added_since {
            sql.push(" AND o.date_added >= ").arg(t);
        }
        if let Some(t) = q.added_before {
            sql.push(" AND o.date_added < ").arg(t);
        }
        sql.push(" ORDER BY o.seq DESC");
        let params = sql.params();
        let mut rows = c.query_raw(&sql.text, params)?;
        while let Some(r) = rows.next()? {
            let hit = SearchHit {
                collection: r.get(0),
                id: r.get(1),
                type_name: r.get(2),
                date_added: r.get(3),
                raw: r.get(4),
            };
            if !f(hit)? {
                break;
            }
        }
        Ok(())
    }

    fn count_versions(&self, collection: &str) -> Result<u64> {
        // Kept by every write (migration 7): one row read.
        let n: Option<i64> = self
            .client()?
            .query_opt("SELECT versions FROM collections WHERE name = $1", &[&collection])?
            .map(|r| r.get(0));
        Ok(n.unwrap_or(0).max(0) as u64)
    }
}
