//! Collections and object versions in PostgreSQL, with partners' views kept beside them.
//! A write works a batch at a time: one read of what is stored for the batch's ids, the
//! decisions in memory ([`crate::rules`]), then the flag changes and a binary `COPY` of the
//! new rows.

use std::collections::HashMap;

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use postgres::{GenericClient, Row, Transaction};
use serde_json::Value;

use pacto_stix::{Facts, Filter};

use super::PostgresStore;
use crate::prelude::*;
use crate::rules::{self, Known, Plan, now_us, valid_name, view_clock};
use crate::{
    AddOutcome, Collection, CollectionStats, Incoming, Query, Result, StoreError, StoredObject, Versions, ViewId,
};

pub(super) fn row_collection(r: &Row) -> Collection {
    Collection { id: r.get(0), name: r.get(1), title: r.get(2), description: r.get(3), created_us: r.get(4) }
}

pub(super) fn coll_pk(c: &mut impl GenericClient, collection: &Collection) -> Result<i64> {
    c.query_opt("SELECT pk FROM collections WHERE id = $1", &[&collection.id])?
        .map(|r| r.get(0))
        .ok_or_else(|| StoreError::NoSuchCollection(collection.name.clone()))
}

/// A version about to be written.
struct Fresh<'a> {
    seq: i64,
    obj: &'a Incoming,
    date_added: i64,
    is_latest: bool,
    is_first: bool,
}

/// What is known of an id during a batch: its stored versions, and those of this batch
/// (`Some(index into the fresh rows)`).
type KnownVersions = Vec<(Known, Option<usize>)>;

/// Add objects in a transaction, handing out date_added values after the collection's last
/// one. The collection's row stays locked until the transaction ends.
pub(super) fn add_all(tx: &mut Transaction<'_>, pk: i64, objects: &[Incoming]) -> Result<Vec<AddOutcome>> {
    let last: i64 = tx.query_one("SELECT last_added FROM collections WHERE pk = $1 FOR UPDATE", &[&pk])?.get(0);
    if objects.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<&str> = objects.iter().map(|o| o.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut known: HashMap<String, KnownVersions> = HashMap::new();
    for r in tx.query(
        "SELECT id, version, revoked, is_latest, is_first FROM objects WHERE coll = $1 AND id = ANY($2)",
        &[&pk, &ids],
    )? {
        let k = Known { version: r.get(1), revoked: r.get(2), is_latest: r.get(3), is_first: r.get(4) };
        known.entry(r.get(0)).or_default().push((k, None));
    }
    // The stored text of versions arriving again (a re-import), read in one go.
    let mut again: HashMap<(String, String), (String, i64)> = HashMap::new();
    let (rid, rver): (Vec<&str>, Vec<&str>) = objects
        .iter()
        .filter(|o| known.get(&o.id).is_some_and(|v| v.iter().any(|(k, _)| k.version == o.version)))
        .map(|o| (o.id.as_str(), o.version.as_str()))
        .unzip();
    if !rid.is_empty() {
        for r in tx.query(
            "SELECT o.id, o.version, o.raw, o.date_added FROM objects o
             JOIN unnest($2::text[], $3::text[]) AS w(id, version) ON o.id = w.id AND o.version = w.version
             WHERE o.coll = $1",
            &[&pk, &rid, &rver],
        )? {
            again.insert((r.get(0), r.get(1)), (r.get(2), r.get(3)));
        }
    }

    let mut fresh: Vec<Fresh<'_>> = Vec::new();
    let (mut demote_latest, mut demote_first) = (Vec::<&str>::new(), Vec::<&str>::new());
    let mut next = last + 1;
    let mut outcomes = Vec::with_capacity(objects.len());
    for obj in objects {
        let versions = known.entry(obj.id.clone()).or_default();
        let plain: Vec<Known> = versions.iter().map(|(k, _)| k.clone()).collect();
        let outcome = match rules::plan(&plain, &obj.id, &obj.version) {
            Plan::Repeat => {
                let pending = versions.iter().find(|(k, _)| k.version == obj.version).and_then(|(_, f)| *f);
                match pending {
                    Some(i) => {
                        let f = &fresh[i];
                        rules::repeat(&obj.id, &obj.version, f.obj.raw.get(), f.date_added, obj.raw.get())?
                    }
                    None => {
                        let (raw, date_added) = again
                            .get(&(obj.id.clone(), obj.version.clone()))
                            .ok_or_else(|| StoreError::Corrupt(format!("{} {} vanished", obj.id, obj.version)))?;
                        rules::repeat(&obj.id, &obj.version, raw, *date_added, obj.raw.get())?
                    }
                }
            }
            Plan::Refuse(reason) => AddOutcome::Refused { reason },
            Plan::Insert { is_latest, is_first, demote_latest: dl, demote_first: df } => {
                for (k, f) in versions.iter_mut() {
                    if dl && k.is_latest {
                        k.is_latest = false;
                        match f {
                            Some(i) => fresh[*i].is_latest = false,
                            None => demote_latest.push(&obj.id),
                        }
                    }
                    if df && k.is_first {
                        k.is_first = false;
                        match f {
                            Some(i) => fresh[*i].is_first = false,
                            None => demote_first.push(&obj.id),
                        }
                    }
                }
                let date_added = rules::next_added(&mut next);
                let known = Known { version: obj.version.clone(), revoked: obj.revoked, is_latest, is_first };
                versions.push((known, Some(fresh.len())));
                fresh.push(Fresh { seq: 0, obj, date_added, is_latest, is_first });
                AddOutcome::Added { date_added }
            }
        };
        outcomes.push(outcome);
    }
    if fresh.is_empty() {
        return Ok(outcomes);
    }
    // Stored versions that stop being latest or first, before the new ones go in.
    if !demote_latest.is_empty() {
        tx.execute(
            "UPDATE objects SET is_latest = false WHERE coll = $1 AND id = ANY($2) AND is_latest",
            &[&pk, &demote_latest],
        )?;
    }
    if !demote_first.is_empty() {
        tx.execute(
            "UPDATE objects SET is_first = false WHERE coll = $1 AND id = ANY($2) AND is_first",
            &[&pk, &demote_first],
        )?;
    }
    let seqs = tx.query(
        "SELECT nextval(pg_get_serial_sequence('objects', 'seq')) FROM generate_series(1, $1::bigint)",
        &[&(fresh.len() as i64)],
    )?;
    for (f, r) in fresh.iter_mut().zip(seqs) {
        f.seq = r.get(0);
    }
    copy_objects(tx, pk, &fresh)?;
    tx.execute(
        "UPDATE collections SET last_added = $1, versions = versions + $3 WHERE pk = $2",
        &[&(next - 1), &pk, &(fresh.len() as i64)],
    )?;
    update_views(tx, pk, &fresh)?;
    Ok(outcomes)
}

/// How many versions a batch added.
fn added(outcomes: &[AddOutcome]) -> u64 {
    outcomes.iter().filter(|o| matches!(o, AddOutcome::Added { .. })).count() as u64
}

fn copy_objects(tx: &mut Transaction<'_>, pk: i64, fresh: &[Fresh<'_>]) -> Result<()> {
    let sink = tx.copy_in(
        "COPY objects (seq, coll, id, version, type, spec_version, date_added, revoked, is_latest, is_first, raw)
         FROM STDIN BINARY",
    )?;
    let types = [
        Type::INT8,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::BOOL,
        Type::BOOL,
        Type::BOOL,
        Type::TEXT,
    ];
    let mut w = BinaryCopyInWriter::new(sink, &types);
    for f in fresh {
        let o = f.obj;
        w.write(&[
            &f.seq,
            &pk,
            &o.id,
            &o.version,
            &o.type_name,
            &o.spec_version.as_str(),
            &f.date_added,
            &o.revoked,
            &f.is_latest,
            &f.is_first,
            &o.raw.get(),
        ])?;
    }
    w.finish()?;
    Ok(())
}

/// A view being written to: its filter, and the last date_added it handed out.
struct LiveView {
    pk: i64,
    filter: Filter,
    last: i64,
}

/// A row about to go into a view.
struct ViewRow {
    view: i64,
    date_added: i64,
    seq: i64,
    id: String,
    version: String,
    is_latest: bool,
    is_first: bool,
}

/// Add the new versions each view of the collection admits, on the view's own clock.
fn update_views(tx: &mut Transaction<'_>, pk: i64, fresh: &[Fresh<'_>]) -> Result<()> {
    let mut views = Vec::new();
    for r in tx.query("SELECT pk, filter, last_added FROM views WHERE coll = $1 ORDER BY pk", &[&pk])? {
        let (view, text): (i64, String) = (r.get(0), r.get(1));
        let filter: Filter =
            serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("view {view}'s filter: {e}")))?;
        views.push(LiveView { pk: view, filter, last: r.get(2) });
    }
    let clock = view_clock();
    let mut rows = Vec::new();
    for v in &mut views {
        let admitted: Vec<&Fresh<'_>> = fresh.iter().filter(|f| v.filter.admits(&f.obj.facts).is_ok()).collect();
        if admitted.is_empty() {
            continue;
        }
        let before = rows.len();
        add_view_rows(
            tx,
            v,
            clock,
            admitted.iter().map(|f| (f.seq, f.obj.id.as_str(), f.obj.version.as_str())),
            &mut rows,
        )?;
        debug_assert!(rows.len() > before);
        tx.execute("UPDATE views SET last_added = $1 WHERE pk = $2", &[&v.last, &v.pk])?;
    }
    copy_view_rows(tx, &rows)
}

/// The latest or first version of an id in a view, and its index among the rows of this
/// write (None: stored before).
type End = (String, Option<usize>);

/// The rows a view gains for some new versions `(seq, id, version)`, given what it holds:
/// first/last among the view's own versions, demoting stored rows as needed.
fn add_view_rows<'a>(
    tx: &mut Transaction<'_>,
    v: &mut LiveView,
    clock: i64,
    added: impl Iterator<Item = (i64, &'a str, &'a str)> + Clone,
    rows: &mut Vec<ViewRow>,
) -> Result<()> {
    let mut ids: Vec<&str> = added.clone().map(|a| a.1).collect();
    ids.sort_unstable();
    ids.dedup();
    // id → (latest, first) versions in the view, and whether each is a row of this write.
    let mut ends: HashMap<String, (Option<End>, Option<End>)> = HashMap::new();
    for r in tx.query(
        "SELECT id, max(version), min(version) FROM view_rows WHERE view = $1 AND id = ANY($2) GROUP BY id",
        &[&v.pk, &ids],
    )? {
        let (l, f): (String, String) = (r.get(1), r.get(2));
        ends.insert(r.get(0), (Some((l, None)), Some((f, None))));
    }
    let (mut demote_latest, mut demote_first) = (Vec::<String>::new(), Vec::<String>::new());
    for (seq, id, version) in added {
        let e = ends.entry(id.to_string()).or_default();
        let (is_latest, is_first) =
            rules::order(e.0.as_ref().map(|l| l.0.as_str()), e.1.as_ref().map(|f| f.0.as_str()), version);
        let index = rows.len();
        if is_latest {
            match e.0.replace((version.to_string(), Some(index))) {
                Some((_, Some(i))) => rows[i].is_latest = false,
                Some((_, None)) => demote_latest.push(id.to_string()),
                None => {}
            }
        }
        if is_first {
            match e.1.replace((version.to_string(), Some(index))) {
                Some((_, Some(i))) => rows[i].is_first = false,
                Some((_, None)) => demote_first.push(id.to_string()),
                None => {}
            }
        }
        let date_added = (v.last + 1).max(clock);
        v.last = date_added;
        rows.push(ViewRow {
            view: v.pk,
            date_added,
            seq,
            id: id.to_string(),
            version: version.to_string(),
            is_latest,
            is_first,
        });
    }
    if !demote_latest.is_empty() {
        tx.execute(
            "UPDATE view_rows SET is_latest = false WHERE view = $1 AND id = ANY($2) AND is_latest",
            &[&v.pk, &demote_latest],
        )?;
    }
    if !demote_first.is_empty() {
        tx.execute(
            "UPDATE view_rows SET is_first = false WHERE view = $1 AND id = ANY($2) AND is_first",
            &[&v.pk, &demote_first],
        )?;
    }
    Ok(())
}

fn copy_view_rows(tx: &mut Transaction<'_>, rows: &[ViewRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let sink =
        tx.copy_in("COPY view_rows (view, date_added, seq, id, version, is_latest, is_first) FROM STDIN BINARY")?;
    let types = [Type::INT8, Type::INT8, Type::INT8, Type::TEXT, Type::TEXT, Type::BOOL, Type::BOOL];
    let mut w = BinaryCopyInWriter::new(sink, &types);
    for r in rows {
        w.write(&[&r.view, &r.date_added, &r.seq, &r.id, &r.version, &r.is_latest, &r.is_first])?;
    }
    w.finish()?;
    Ok(())
}

/// SQL with numbered parameters, built as it is written.
#[derive(Default)]
pub(super) struct Sql {
    pub text: String,
    pub args: Vec<Box<dyn ToSql + Sync>>,
}

impl Sql {
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }
    /// Append a placeholder for `v`.
    pub fn arg(&mut self, v: impl ToSql + Sync + 'static) -> &mut Self {
        self.args.push(Box::new(v));
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }
    pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.args.iter().map(|a| a.as_ref()).collect()
    }
}

/// The condition of a version selection over a table aliased `t` (`t.version`, …).
fn versions_condition(v: &Versions, sql: &mut Sql, t: &str) {
    if v.all {
        return;
    }
    sql.push(" AND (false");
    if v.first {
        sql.push(&format!(" OR {t}is_first"));
    }
    if v.last {
        sql.push(&format!(" OR {t}is_latest"));
    }
    if !v.at.is_empty() {
        sql.push(&format!(" OR {t}version = ANY(")).arg(v.at.clone()).push(")");
    }
    if !v.at_added.is_empty() {
        sql.push(&format!(" OR ({t}version = '' AND {t}date_added = ANY(")).arg(v.at_added.clone()).push("))");
    }
    sql.push(")");
}

impl ObjectStore for PostgresStore {
    fn create_collection(&mut self, name: &str, title: &str, description: Option<&str>) -> Result<Collection> {
        if !valid_name(name) {
            return Err(StoreError::BadName(name.to_string()));
        }
        let c = Collection {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_string(),
            title: title.to_string(),
            description: description.map(str::to_string),
            created_us: now_us(),
        };
        let made = self.client()?.execute(
            "INSERT INTO collections (id, name, title, description, created_us) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (name) DO NOTHING",
            &[&c.id, &c.name, &c.title, &c.description, &c.created_us],
        )?;
        if made == 0 {
            return Err(StoreError::CollectionExists(name.to_string()));
        }
        Ok(c)
    }

    fn collection(&self, name_or_id: &str) -> Result<Option<Collection>> {
        Ok(self
            .client()?
            .query_opt(
                "SELECT id, name, title, description, created_us FROM collections WHERE name = $1 OR id = $1",
                &[&name_or_id],
            )?
            .map(|r| row_collection(&r)))
    }

    fn collections(&self) -> Result<Vec<Collection>> {
        let rows = self
            .client()?
            .query("SELECT id, name, title, description, created_us FROM collections ORDER BY name", &[])?;
        Ok(rows.iter().map(row_collection).collect())
    }

    fn stats(&self, collection: &Collection) -> Result<CollectionStats> {
        let mut c = self.client()?;
        let pk = coll_pk(&mut *c, collection)?;
        let r = c.query_one(
            "SELECT count(*), count(*) FILTER (WHERE is_latest), count(*) FILTER (WHERE is_latest AND revoked),
                    min(date_added), max(date_added)
             FROM objects WHERE coll = $1",
            &[&pk],
        )?;
        let n = |i: usize| r.get::<_, i64>(i) as u64;
        let by_type = c
            .query(
                "SELECT type, count(*) FROM objects WHERE coll = $1 AND is_latest
                 GROUP BY type ORDER BY count(*) DESC, type COLLATE \"C\"",
                &[&pk],
            )?
            .iter()
            .map(|t| (t.get::<_, String>(0), t.get::<_, i64>(1) as u64))
            .collect();
        Ok(CollectionStats {
            collection: collection.clone(),
            versions: n(0),
            objects: n(1),
            revoked: n(2),
            by_type,
            date_added_first: r.get(3),
            date_added_last: r.get(4),
        })
    }

    fn add_batch(&mut self, collection: &Collection, objects: &[Incoming]) -> Result<Vec<AddOutcome>> {
        let mut c = self.client()?;
        let pk = coll_pk(&mut *c, collection)?;
        let mut tx = c.transaction()?;
        let outcomes = add_all(&mut tx, pk, objects)?;
        tx.commit()?;
        drop(c);
        self.wrote(added(&outcomes));
        Ok(outcomes)
    }

    fn add_batches(&mut self, batches: &[(&Collection, &[Incoming])]) -> Result<Vec<Vec<AddOutcome>>> {
        let mut c = self.client()?;
        let pks = batches.iter().map(|(coll, _)| coll_pk(&mut *c, coll)).collect::<Result<Vec<_>>>()?;
        let mut tx = c.transaction()?;
        // Collections' locks in one order (by key), so that two group commits never deadlock.
        let mut order: Vec<i64> = pks.clone();
        order.sort_unstable();
        order.dedup();
        for pk in &order {
            tx.execute("SELECT 1 FROM collections WHERE pk = $1 FOR UPDATE", &[pk])?;
        }
        let mut out = Vec::with_capacity(batches.len());
        for (pk, (_, objects)) in pks.into_iter().zip(batches) {
            out.push(add_all(&mut tx, pk, objects)?);
        }
        tx.commit()?;
        drop(c);
        self.wrote(out.iter().map(|o| added(o)).sum());
        Ok(out)
    }

    fn scan(
        &self,
        collection: &Collection,
        query: &Query,
        f: &mut dyn FnMut(StoredObject) -> Result<()>,
    ) -> Result<()> {
        let mut c = self.client()?;
        let pk = coll_pk(&mut *c, collection)?;
        let k = if query.view.is_some() { "v" } else { "o" };
        let mut sql = Sql::default();
        sql.push(&format!("SELECT o.id, o.type, o.version, o.spec_version, {k}.date_added, o.revoked, o.raw "));
        match query.view {
            None => sql.push("FROM objects o WHERE o.coll = ").arg(pk),
            Some(view) => sql
                .push("FROM view_rows v JOIN objects o ON o.seq = v.seq WHERE o.coll = ")
                .arg(pk)
                .push(" AND v.view = ")
                .arg(view),
        };
        if let Some(after) = query.added_after {
            sql.push(&format!(" AND {k}.date_added > ")).arg(after);
        }
        if !query.ids.is_empty() {
            sql.push(&format!(" AND {k}.id = ANY(")).arg(query.ids.clone()).push(")");
        }
        if !query.types.is_empty() {
            sql.push(" AND o.type = ANY(").arg(query.types.clone()).push(")");
        }
        if !query.spec_versions.is_empty() {
            sql.push(" AND o.spec_version = ANY(").arg(query.spec_versions.clone()).push(")");
        }
        versions_condition(&query.versions, &mut sql, &format!("{k}."));
        if query.exclude_revoked {
            sql.push(
                " AND NOT EXISTS (SELECT 1 FROM objects l WHERE l.coll = o.coll AND l.id = o.id AND l.is_latest AND l.revoked)",
            );
        }
        sql.push(&format!(" ORDER BY {k}.date_added"));
        if let Some(limit) = query.limit.filter(|&l| l < i64::MAX as usize) {
            sql.push(&format!(" LIMIT {limit}"));
        }
        let params = sql.params();
        let mut rows = c.query_raw(&sql.text, params)?;
        while let Some(r) = rows.next()? {
            f(stored_object(&r))?;
        }
        Ok(())
    }

    fn delete_collection(&mut self, collection: &Collection) -> Result<u64> {
        let mut c = self.client()?;
        let pk = coll_pk(&mut *c, collection)?;
        let mut tx = c.transaction()?;
        tx.execute("SELECT 1 FROM collections WHERE pk = $1 FOR UPDATE", &[&pk])?;
        tx.execute("DELETE FROM view_rows WHERE view IN (SELECT pk FROM views WHERE coll = $1)", &[&pk])?;
        tx.execute("DELETE FROM views WHERE coll = $1", &[&pk])?;
        tx.execute("DELETE FROM provenance WHERE coll = $1", &[&pk])?;
        tx.execute("DELETE FROM reviews WHERE coll = $1", &[&pk])?;
        let deleted = tx.execute("DELETE FROM objects WHERE coll = $1", &[&pk])?;
        tx.execute("DELETE FROM collections WHERE pk = $1", &[&pk])?;
        tx.commit()?;
        Ok(deleted)
    }

    fn delete_object(&mut self, collection: &Collection, id: &str, versions: &Versions) -> Result<u64> {
        let mut c = self.client()?;
        let pk = coll_pk(&mut *c, collection)?;
        let mut tx = c.transaction()?;
        tx.execute("SELECT 1 FROM collections WHERE pk = $1 FOR UPDATE", &[&pk])?;
        let mut sql = Sql::default();
        sql.push("DELETE FROM objects o WHERE o.coll = ").arg(pk).push(" AND o.id = ").arg(id.to_string());
        versions_condition(versions, &mut sql, "o.");
        sql.push(" RETURNING o.seq");
        let seqs: Vec<i64> = tx.query(&sql.text, &sql.params())?.iter().map(|r| r.get(0)).collect();
        if !seqs.is_empty() {
            tx.execute("UPDATE collections SET versions = versions - $2 WHERE pk = $1", &[&pk, &(seqs.len() as i64)])?;
            tx.execute("DELETE FROM view_rows WHERE seq = ANY($1)", &[&seqs])?;
            tx.execute(
                "UPDATE view_rows r SET
                    is_latest = (r.version = (SELECT max(version) FROM view_rows o WHERE o.view = r.view AND o.id = $2)),
                    is_first  = (r.version = (SELECT min(version) FROM view_rows o WHERE o.view = r.view AND o.id = $2))
                 WHERE r.view IN (SELECT pk FROM views WHERE coll = $1) AND r.id = $2",
                &[&pk, &id],
            )?;
            tx.execute(
                "UPDATE objects r SET
                    is_latest = (r.version = (SELECT max(version) FROM objects o WHERE o.coll = $1 AND o.id = $2)),
                    is_first  = (r.version = (SELECT min(version) FROM objects o WHERE o.coll = $1 AND o.id = $2))
                 WHERE r.coll = $1 AND r.id = $2",
                &[&pk, &id],
            )?;
        }
        tx.commit()?;
        Ok(seqs.len() as u64)
    }

    fn total_versions(&self) -> Result<u64> {
        Ok(self.client()?.query_one("SELECT count(*) FROM objects", &[])?.get::<_, i64>(0) as u64)
    }

    fn view(&mut self, collection: &Collection, filter: &Filter) -> Result<ViewId> {
        let mut c = self.client()?;
        let pk = coll_pk(&mut *c, collection)?;
        let key = filter.key();
        let find = "SELECT pk FROM views WHERE coll = $1 AND filter = $2";
        if let Some(r) = c.query_opt(find, &[&pk, &key])? {
            return Ok(r.get(0));
        }
        let started = std::time::Instant::now();
        let mut tx = c.transaction()?;
        // Writers to the collection wait while the view fills, so it misses none of their
        // versions; another process may have made the view meanwhile: look again.
        tx.execute("SELECT 1 FROM collections WHERE pk = $1 FOR UPDATE", &[&pk])?;
        if let Some(r) = tx.query_opt(find, &[&pk, &key])? {
            return Ok(r.get(0));
        }
        let view: i64 =
            tx.query_one("INSERT INTO views (coll, filter) VALUES ($1, $2) RETURNING pk", &[&pk, &key])?.get(0);
        let mut live = LiveView { pk: view, filter: filter.clone(), last: 0 };
        let (mut seen, mut admitted) = (0u64, 0u64);
        let mut picked: Vec<(i64, String, String)> = Vec::new();
        {
            let mut rows = tx.query_raw(
                "SELECT seq, id, version, raw FROM objects WHERE coll = $1 ORDER BY date_added",
                [&pk as &(dyn ToSql + Sync)],
            )?;
            while let Some(r) = rows.next()? {
                seen += 1;
                let (seq, id, version, raw): (i64, String, String, &str) = (r.get(0), r.get(1), r.get(2), r.get(3));
                let value: Value =
                    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("{id} {version}: {e}")))?;
                let facts = value.as_object().map(Facts::of).unwrap_or_default();
                if live.filter.admits(&facts).is_ok() {
                    admitted += 1;
                    picked.push((seq, id, version));
                }
            }
        }
        let mut rows = Vec::new();
        for chunk in picked.chunks(10_000) {
            let added = chunk.iter().map(|(s, i, v)| (*s, i.as_str(), v.as_str()));
            add_view_rows(&mut tx, &mut live, view_clock(), added, &mut rows)?;
            copy_view_rows(&mut tx, &rows)?;
            rows.clear();
        }
        tx.execute("UPDATE views SET last_added = $1 WHERE pk = $2", &[&live.last, &view])?;
        tx.commit()?;
        drop(c);
        self.wrote(admitted);
        tracing::info!(
            collection = collection.name,
            versions = seen,
            admitted,
            millis = started.elapsed().as_millis() as u64,
            "partner view built"
        );
        Ok(view)
    }

    fn retain_views(&mut self, keep: &[ViewId]) -> Result<()> {
        let keep = keep.to_vec();
        let mut c = self.client()?;
        let mut tx = c.transaction()?;
        tx.execute("DELETE FROM view_rows WHERE NOT (view = ANY($1))", &[&keep])?;
        tx.execute("DELETE FROM views WHERE NOT (pk = ANY($1))", &[&keep])?;
        tx.commit()?;
        Ok(())
    }

    fn in_view(&self, view: ViewId, collection: &Collection, id: &str) -> Result<bool> {
        let mut c = self.client()?;
        let pk = coll_pk(&mut *c, collection)?;
        Ok(c.query_one(
            "SELECT EXISTS (SELECT 1 FROM view_rows v JOIN objects o ON o.seq = v.seq
             WHERE v.view = $1 AND v.id = $2 AND o.coll = $3)",
            &[&view, &id, &pk],
        )?
        .get(0))
    }
}

/// A version read from the columns `id, type, version, spec_version, date_added, revoked, raw`.
pub(super) fn stored_object(r: &postgres::Row) -> StoredObject {
    StoredObject {
        id: r.get(0),
        type_name: r.get(1),
        version: r.get(2),
        spec_version: r.get(3),
        date_added: r.get(4),
        revoked: r.get(5),
        raw: r.get(6),
    }
}
