//! Collections and object versions in SQLite, with partners' views kept beside them.

use rusqlite::{OptionalExtension, Transaction, params, params_from_iter};
use serde_json::Value;

use pacto_stix::Filter;

use super::*;
use crate::rules::{self, Known, Plan, now_us, valid_name, view_clock};

pub(super) fn row_collection(r: &rusqlite::Row<'_>) -> rusqlite::Result<Collection> {
    Ok(Collection { id: r.get(0)?, name: r.get(1)?, title: r.get(2)?, description: r.get(3)?, created_us: r.get(4)? })
}

/// Add objects inside a write transaction, handing out date_added values after the
/// collection's last one.
pub(super) fn add_all(tx: &Transaction<'_>, pk: i64, objects: &[Incoming]) -> Result<Vec<AddOutcome>> {
    let last: i64 = tx.query_row("SELECT last_added FROM collections WHERE pk = ?1", [pk], |r| r.get(0))?;
    let mut views = live_views(tx, pk)?;
    let clock = view_clock();
    let mut next_added = last + 1;
    let mut outcomes = Vec::with_capacity(objects.len());
    for obj in objects {
        let outcome = add_one(tx, pk, obj, &mut next_added)?;
        if matches!(outcome, AddOutcome::Added { .. }) && !views.is_empty() {
            let seq = tx.last_insert_rowid();
            for v in views.iter_mut().filter(|v| v.filter.admits(&obj.facts).is_ok()) {
                view_insert(tx, v, clock, seq, &obj.id, &obj.version)?;
            }
        }
        outcomes.push(outcome);
    }
    if next_added > last + 1 {
        // The count kept moves in the same statement.
        let added = outcomes.iter().filter(|o| matches!(o, AddOutcome::Added { .. })).count() as i64;
        tx.execute(
            "UPDATE collections SET last_added = ?1, versions = versions + ?3 WHERE pk = ?2",
            params![next_added - 1, pk, added],
        )?;
    }
    save_view_clocks(tx, &views)?;
    Ok(outcomes)
}

/// A view being written to: its filter, and the last date_added it handed out.
pub(super) struct LiveView {
    pk: i64,
    filter: Filter,
    last: i64,
    start: i64,
}

pub(super) fn live_views(tx: &Transaction<'_>, coll: i64) -> Result<Vec<LiveView>> {
    let mut stmt = tx.prepare_cached("SELECT pk, filter, last_added FROM views WHERE coll = ?1")?;
    let rows = stmt.query_map([coll], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (pk, text, last) = row?;
        let filter: Filter =
            serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("view {pk}'s filter: {e}")))?;
        out.push(LiveView { pk, filter, last, start: last });
    }
    Ok(out)
}

pub(super) fn save_view_clocks(tx: &Transaction<'_>, views: &[LiveView]) -> Result<()> {
    for v in views.iter().filter(|v| v.last != v.start) {
        tx.prepare_cached("UPDATE views SET last_added = ?1 WHERE pk = ?2")?.execute(params![v.last, v.pk])?;
    }
    Ok(())
}

/// Add one stored version to a view, keeping its first and latest flags.
pub(super) fn view_insert(
    tx: &Transaction<'_>,
    v: &mut LiveView,
    clock: i64,
    seq: i64,
    id: &str,
    version: &str,
) -> Result<()> {
    let date_added = (v.last + 1).max(clock);
    v.last = date_added;
    let idh = id_hash(id);
    let (latest, first): (Option<String>, Option<String>) = tx
        .prepare_cached("SELECT max(version), min(version) FROM view_rows WHERE view = ?1 AND idh = ?2 AND id = ?3")?
        .query_row(params![v.pk, idh, id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let (is_latest, is_first) = rules::order(latest.as_deref(), first.as_deref(), version);
    if is_latest && latest.is_some() {
        tx.prepare_cached(
            "UPDATE view_rows SET is_latest = 0 WHERE view = ?1 AND idh = ?2 AND id = ?3 AND is_latest = 1",
        )?
        .execute(params![v.pk, idh, id])?;
    }
    if is_first && first.is_some() {
        tx.prepare_cached(
            "UPDATE view_rows SET is_first = 0 WHERE view = ?1 AND idh = ?2 AND id = ?3 AND is_first = 1",
        )?
        .execute(params![v.pk, idh, id])?;
    }
    tx.prepare_cached(
        "INSERT INTO view_rows (view, date_added, seq, idh, id, version, is_latest, is_first)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![v.pk, date_added, seq, idh, id, version, is_latest, is_first])?;
    Ok(())
}

pub(super) fn add_one(tx: &Transaction<'_>, pk: i64, incoming: &Incoming, next: &mut i64) -> Result<AddOutcome> {
    let id = incoming.id.as_str();
    let idh = id_hash(id);
    let version = incoming.version.as_str();
    let mut known = Vec::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT version, revoked, is_latest, is_first FROM objects WHERE coll = ?1 AND idh = ?2 AND id = ?3",
        )?;
        let rows = stmt.query_map(params![pk, idh, id], |r| {
            Ok(Known { version: r.get(0)?, revoked: r.get(1)?, is_latest: r.get(2)?, is_first: r.get(3)? })
        })?;
        for row in rows {
            known.push(row?);
        }
    }
    let (is_latest, is_first) = match rules::plan(&known, id, version) {
        Plan::Repeat => {
            let (raw, date_added): (String, i64) = tx
                .prepare_cached(
                    "SELECT raw, date_added FROM objects WHERE coll = ?1 AND idh = ?2 AND id = ?3 AND version = ?4",
                )?
                .query_row(params![pk, idh, id, version], |r| Ok((r.get(0)?, r.get(1)?)))?;
            return rules::repeat(id, version, &raw, date_added, incoming.raw.get());
        }
        Plan::Refuse(reason) => return Ok(AddOutcome::Refused { reason }),
        Plan::Insert { is_latest, is_first, demote_latest, demote_first } => {
            if demote_latest {
                tx.prepare_cached(
                    "UPDATE objects SET is_latest = 0 WHERE coll = ?1 AND idh = ?2 AND id = ?3 AND is_latest = 1",
                )?
                .execute(params![pk, idh, id])?;
            }
            if demote_first {
                tx.prepare_cached(
                    "UPDATE objects SET is_first = 0 WHERE coll = ?1 AND idh = ?2 AND id = ?3 AND is_first = 1",
                )?
                .execute(params![pk, idh, id])?;
            }
            (is_latest, is_first)
        }
    };
    let date_added = rules::next_added(next);
    tx.prepare_cached(
        "INSERT INTO objects (coll, idh, id, version, type, spec_version, date_added, revoked, is_latest, is_first, raw)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        pk,
        idh,
        id,
        version,
        incoming.type_name,
        incoming.spec_version.as_str(),
        date_added,
        incoming.revoked,
        is_latest,
        is_first,
        incoming.raw.get()
    ])?;
    Ok(AddOutcome::Added { date_added })
}

impl ObjectStore for SqliteStore {
    fn create_collection(&mut self, name: &str, title: &str, description: Option<&str>) -> Result<Collection> {
        if !valid_name(name) {
            return Err(StoreError::BadName(name.to_string()));
        }
        if self.collection(name)?.is_some() {
            return Err(StoreError::CollectionExists(name.to_string()));
        }
        let c = Collection {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_string(),
            title: title.to_string(),
            description: description.map(str::to_string),
            created_us: now_us(),
        };
        self.conn.execute(
            "INSERT INTO collections (id, name, title, description, created_us) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![c.id, c.name, c.title, c.description, c.created_us],
        )?;
        Ok(c)
    }

    fn collection(&self, name_or_id: &str) -> Result<Option<Collection>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, name, title, description, created_us FROM collections WHERE name = ?1 OR id = ?1",
                [name_or_id],
                row_collection,
            )
            .optional()?)
    }

    fn collections(&self) -> Result<Vec<Collection>> {
        let mut stmt =
            self.conn.prepare("SELECT id, name, title, description, created_us FROM collections ORDER BY name")?;
        let rows = stmt.query_map([], row_collection)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn stats(&self, collection: &Collection) -> Result<CollectionStats> {
        let pk = self.coll_pk(collection)?;
        let (versions, objects, revoked, first, last): (u64, u64, u64, Option<i64>, Option<i64>) = self.conn.query_row(
            "SELECT count(*), coalesce(sum(is_latest), 0), coalesce(sum(is_latest AND revoked), 0), min(date_added), max(date_added)
             FROM objects WHERE coll = ?1",
            [pk],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        let mut stmt = self.conn.prepare(
            "SELECT type, count(*) FROM objects WHERE coll = ?1 AND is_latest = 1 GROUP BY type ORDER BY count(*) DESC, type",
        )?;
        let by_type = stmt.query_map([pk], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        Ok(CollectionStats {
            collection: collection.clone(),
            objects,
            versions,
            revoked,
            by_type,
            date_added_first: first,
            date_added_last: last,
        })
    }

    fn add_batch(&mut self, collection: &Collection, objects: &[Incoming]) -> Result<Vec<AddOutcome>> {
        let pk = self.coll_pk(collection)?;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let outcomes = add_all(&tx, pk, objects)?;
        tx.commit()?;
        Ok(outcomes)
    }

    fn add_batches(&mut self, batches: &[(&Collection, &[Incoming])]) -> Result<Vec<Vec<AddOutcome>>> {
        let pks = batches.iter().map(|(c, _)| self.coll_pk(c)).collect::<Result<Vec<_>>>()?;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(batches.len());
        for (pk, (_, objects)) in pks.into_iter().zip(batches) {
            out.push(add_all(&tx, pk, objects)?);
        }
        tx.commit()?;
        Ok(out)
    }

    fn delete_collection(&mut self, collection: &Collection) -> Result<u64> {
        let pk = self.coll_pk(collection)?;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM view_rows WHERE view IN (SELECT pk FROM views WHERE coll = ?1)", [pk])?;
        tx.execute("DELETE FROM views WHERE coll = ?1", [pk])?;
        tx.execute("DELETE FROM provenance WHERE coll = ?1", [pk])?;
        tx.execute("DELETE FROM reviews WHERE coll = ?1", [pk])?;
        let deleted = tx.execute("DELETE FROM objects WHERE coll = ?1", [pk])? as u64;
        tx.execute("DELETE FROM collections WHERE pk = ?1", [pk])?;
        tx.commit()?;
        Ok(deleted)
    }

    fn delete_object(&mut self, collection: &Collection, id: &str, versions: &Versions) -> Result<u64> {
        let pk = self.coll_pk(collection)?;
        let idh = id_hash(id);
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut args: Vec<rusqlite::types::Value> = vec![pk.into(), idh.into(), id.to_string().into()];
        let mut sql = String::from("DELETE FROM objects WHERE coll = ? AND idh = ? AND id = ?");
        if let Some(cond) = versions_condition(versions, &mut args, "") {
            sql.push_str(" AND ");
            sql.push_str(&cond);
        }
        // The versions going, so that views drop them too.
        let seqs: Vec<i64> = {
            let mut stmt = tx.prepare(&sql.replacen("DELETE FROM objects", "SELECT seq FROM objects", 1))?;
            let rows = stmt.query_map(params_from_iter(args.iter()), |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let deleted = tx.execute(&sql, params_from_iter(args))? as u64;
        tx.execute("UPDATE collections SET versions = versions - ?2 WHERE pk = ?1", params![pk, deleted as i64])?;
        for seq in &seqs {
            tx.prepare_cached("DELETE FROM view_rows WHERE seq = ?1")?.execute([seq])?;
        }
        if deleted > 0 {
            tx.execute(
                "UPDATE view_rows SET
                    is_latest = (version = (SELECT max(version) FROM view_rows o WHERE o.view = view_rows.view AND o.idh = ?2 AND o.id = ?3)),
                    is_first  = (version = (SELECT min(version) FROM view_rows o WHERE o.view = view_rows.view AND o.idh = ?2 AND o.id = ?3))
                 WHERE view IN (SELECT pk FROM views WHERE coll = ?1) AND idh = ?2 AND id = ?3",
                params![pk, idh, id],
            )?;
            // The remaining versions' first/last flags follow what is left.
            tx.execute(
                "UPDATE objects SET
                    is_latest = (version = (SELECT max(version) FROM objects o WHERE o.coll = ?1 AND o.idh = ?2 AND o.id = ?3)),
                    is_first  = (version = (SELECT min(version) FROM objects o WHERE o.coll = ?1 AND o.idh = ?2 AND o.id = ?3))
                 WHERE coll = ?1 AND idh = ?2 AND id = ?3",
                params![pk, idh, id],
            )?;
        }
        tx.commit()?;
        Ok(deleted)
    }

    fn total_versions(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT count(*) FROM objects", [], |r| r.get(0))?)
    }

    fn view(&mut self, collection: &Collection, filter: &Filter) -> Result<ViewId> {
        let pk = self.coll_pk(collection)?;
        let key = filter.key();
        let find = "SELECT pk FROM views WHERE coll = ?1 AND filter = ?2";
        if let Some(view) = self.conn.query_row(find, params![pk, key], |r| r.get(0)).optional()? {
            return Ok(view);
        }
        let started = std::time::Instant::now();
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have made it meanwhile: look again, under the write lock.
        if let Some(view) = tx.query_row(find, params![pk, key], |r| r.get(0)).optional()? {
            return Ok(view);
        }
        tx.execute("INSERT INTO views (coll, filter) VALUES (?1, ?2)", params![pk, key])?;
        let view_pk = tx.last_insert_rowid();
        let mut live = LiveView { pk: view_pk, filter: filter.clone(), last: 0, start: 0 };
        let clock = view_clock();
        let (mut seen, mut admitted) = (0u64, 0u64);
        {
            let mut stmt =
                tx.prepare("SELECT seq, id, version, raw FROM objects WHERE coll = ?1 ORDER BY date_added")?;
            let mut rows = stmt.query([pk])?;
            while let Some(r) = rows.next()? {
                let (seq, id, version, raw): (i64, String, String, String) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                seen += 1;
                let value: Value =
                    serde_json::from_str(&raw).map_err(|e| StoreError::Corrupt(format!("{id} {version}: {e}")))?;
                let facts = value.as_object().map(Facts::of).unwrap_or_default();
                if live.filter.admits(&facts).is_ok() {
                    admitted += 1;
                    view_insert(&tx, &mut live, clock, seq, &id, &version)?;
                }
            }
        }
        save_view_clocks(&tx, std::slice::from_ref(&live))?;
        tx.commit()?;
        tracing::info!(
            collection = collection.name,
            versions = seen,
            admitted,
            millis = started.elapsed().as_millis() as u64,
            "partner view built"
        );
        Ok(view_pk)
    }

    fn retain_views(&mut self, keep: &[ViewId]) -> Result<()> {
        let list = keep.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(&format!("DELETE FROM view_rows WHERE view NOT IN ({list})"), [])?;
        tx.execute(&format!("DELETE FROM views WHERE pk NOT IN ({list})"), [])?;
        tx.commit()?;
        Ok(())
    }

    fn in_view(&self, view: ViewId, collection: &Collection, id: &str) -> Result<bool> {
        let pk = self.coll_pk(collection)?;
        Ok(self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM view_rows v JOIN objects o ON o.seq = v.seq
                 WHERE v.view = ?1 AND v.idh = ?2 AND v.id = ?3 AND o.coll = ?4)",
            )?
            .query_row(params![view, id_hash(id), id, pk], |r| r.get(0))?)
    }

    fn scan(
        &self,
        collection: &Collection,
        query: &Query,
        f: &mut dyn FnMut(StoredObject) -> Result<()>,
    ) -> Result<()> {
        let pk = self.coll_pk(collection)?;
        // `k` holds the listing's keys (date_added, id, version, first/last): the objects
        // themselves, or a view's rows joined to them.
        let mut args: Vec<rusqlite::types::Value> = vec![pk.into()];
        let k = if query.view.is_some() { "v" } else { "o" };
        let mut sql = format!("SELECT o.id, o.type, o.version, o.spec_version, {k}.date_added, o.revoked, o.raw ");
        match query.view {
            None => sql.push_str("FROM objects o WHERE o.coll = ?"),
            Some(view) => {
                sql.push_str("FROM view_rows v JOIN objects o ON o.seq = v.seq WHERE o.coll = ? AND v.view = ?");
                args.push(view.into());
            }
        }
        if let Some(after) = query.added_after {
            sql.push_str(&format!(" AND {k}.date_added > ?"));
            args.push(after.into());
        }
        let mut any_of = |col: &str, values: &[String], sql: &mut String| {
            if !values.is_empty() {
                sql.push_str(&format!(" AND {col} IN ({})", vec!["?"; values.len()].join(",")));
                args.extend(values.iter().map(|v| rusqlite::types::Value::Text(v.clone())));
            }
        };
        if !query.ids.is_empty() {
            let hashes: Vec<String> = query.ids.iter().map(|i| id_hash(i).to_string()).collect();
            sql.push_str(&format!(" AND {k}.idh IN ({})", hashes.join(",")));
        }
        any_of(&format!("{k}.id"), &query.ids, &mut sql);
        any_of("o.type", &query.types, &mut sql);
        any_of("o.spec_version", &query.spec_versions, &mut sql);
        if let Some(cond) = versions_condition(&query.versions, &mut args, &format!("{k}.")) {
            sql.push_str(" AND ");
            sql.push_str(&cond);
        }
        if query.exclude_revoked {
            sql.push_str(" AND NOT EXISTS (SELECT 1 FROM objects l WHERE l.coll = o.coll AND l.idh = o.idh AND l.id = o.id AND l.is_latest = 1 AND l.revoked = 1)");
        }
        // With ids given, look them up by the id index and sort the few rows found; otherwise
        // SQLite may walk the whole date_added index to keep the order.
        let order = if query.ids.is_empty() { "" } else { "+" };
        sql.push_str(&format!(" ORDER BY {order}{k}.date_added"));
        // SQLite's LIMIT is a signed 64-bit integer ("no limit" may arrive as usize::MAX).
        if let Some(limit) = query.limit.filter(|&l| l < i64::MAX as usize) {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(args))?;
        while let Some(r) = rows.next()? {
            f(stored_object(r)?)?;
        }
        drop(rows);
        let steps = stmt.get_status(rusqlite::StatementStatus::VmStep);
        self.scan_steps.set(self.scan_steps.get() + u64::try_from(steps).unwrap_or(0));
        Ok(())
    }
}

/// A version read from the columns `id, type, version, spec_version, date_added, revoked, raw`.
pub(super) fn stored_object(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredObject> {
    Ok(StoredObject {
        id: r.get(0)?,
        type_name: r.get(1)?,
        version: r.get(2)?,
        spec_version: r.get(3)?,
        date_added: r.get(4)?,
        revoked: r.get(5)?,
        raw: r.get(6)?,
    })
}
