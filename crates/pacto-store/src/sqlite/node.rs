//! Accounts, partners, private sets, the ledger and settings in SQLite.

use rusqlite::{OptionalExtension, params};

use super::objects::add_all;
use super::*;

impl AccountStore for SqliteStore {
    fn put_user(&mut self, user: &User) -> Result<()> {
        let list = |l: &Vec<String>| serde_json::to_string(l).unwrap_or_else(|_| "[]".into());
        self.conn.execute(
            "INSERT INTO users (name, password_hash, can_read, can_write) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET password_hash = ?2, can_read = ?3, can_write = ?4",
            params![user.name, user.password_hash, list(&user.can_read), list(&user.can_write)],
        )?;
        Ok(())
    }

    fn remove_user(&mut self, name: &str) -> Result<bool> {
        Ok(self.conn.execute("DELETE FROM users WHERE name = ?1", [name])? > 0)
    }

    fn user(&self, name: &str) -> Result<Option<User>> {
        Ok(self
            .conn
            .query_row("SELECT name, password_hash, can_read, can_write FROM users WHERE name = ?1", [name], user_row)
            .optional()?)
    }

    fn users(&self) -> Result<Vec<User>> {
        let mut stmt = self.conn.prepare("SELECT name, password_hash, can_read, can_write FROM users ORDER BY name")?;
        let rows = stmt.query_map([], user_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl PartnerStore for SqliteStore {
    fn put_remote(&mut self, r: &Remote) -> Result<()> {
        self.conn.execute(
            "INSERT INTO remotes (partner, api_root, username, password, ca_file) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (partner) DO UPDATE SET api_root = ?2, username = ?3, password = ?4, ca_file = ?5",
            params![r.partner, r.api_root, r.username, r.password, r.ca_file],
        )?;
        Ok(())
    }

    fn remote(&self, partner: &str) -> Result<Option<Remote>> {
        Ok(self
            .conn
            .query_row(
                "SELECT partner, api_root, username, password, ca_file FROM remotes WHERE partner = ?1",
                [partner],
                remote_row,
            )
            .optional()?)
    }

    fn remotes(&self) -> Result<Vec<Remote>> {
        let mut stmt =
            self.conn.prepare("SELECT partner, api_root, username, password, ca_file FROM remotes ORDER BY partner")?;
        let rows = stmt.query_map([], remote_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn remove_remote(&mut self, partner: &str) -> Result<bool> {
        Ok(self.conn.execute("DELETE FROM remotes WHERE partner = ?1", [partner])? > 0)
    }

    fn sync_cursor(&self, partner: &str, remote_collection: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT cursor FROM sync_cursors WHERE partner = ?1 AND remote_collection = ?2",
                params![partner, remote_collection],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn add_synced(
        &mut self,
        collection: &Collection,
        objects: &[Incoming],
        provenance: &[Provenance],
        cursor: (&str, &str, &str),
    ) -> Result<Vec<AddOutcome>> {
        let pk = self.coll_pk(collection)?;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let outcomes = add_all(&tx, pk, objects)?;
        for (p, outcome) in provenance.iter().zip(&outcomes) {
            if matches!(outcome, AddOutcome::Added { .. }) {
                insert_provenance(&tx, pk, p)?;
            }
        }
        tx.execute(
            "INSERT INTO sync_cursors (partner, remote_collection, cursor) VALUES (?1, ?2, ?3)
             ON CONFLICT (partner, remote_collection) DO UPDATE SET cursor = ?3",
            params![cursor.0, cursor.1, cursor.2],
        )?;
        tx.commit()?;
        Ok(outcomes)
    }

    fn provenance(&self, collection: &Collection, id: &str) -> Result<Vec<Provenance>> {
        let pk = self.coll_pk(collection)?;
        let mut stmt = self.conn.prepare(
            "SELECT id, version, partner, remote_collection, remote_date_added, fetched_us FROM provenance
             WHERE coll = ?1 AND idh = ?2 AND id = ?3 ORDER BY version",
        )?;
        let rows = stmt.query_map(params![pk, id_hash(id), id], |r| {
            Ok(Provenance {
                id: r.get(0)?,
                version: r.get(1)?,
                partner: r.get(2)?,
                remote_collection: r.get(3)?,
                remote_date_added: r.get(4)?,
                fetched_us: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn adopt(&mut self, from: &Collection, to: &Collection, ids: &[String]) -> Result<Vec<AddOutcome>> {
        let (incoming, prov) = crate::rules::adoption(&*self, from, ids)?;
        // The copies and their provenance land together: an adopted object is never left
        // without the record of where it came from.
        let pk = self.coll_pk(to)?;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let outcomes = add_all(&tx, pk, &incoming)?;
        for p in &prov {
            insert_provenance(&tx, pk, p)?;
        }
        tx.commit()?;
        Ok(outcomes)
    }
}

impl PsiStore for SqliteStore {
    fn put_psi_set(&mut self, p: &PsiSet) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let secret = p.secret.map(|s| s.to_vec()).unwrap_or_default();
        tx.execute(
            "INSERT INTO psi_sets (name, normalizer, secret, tags, items, created_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (name) DO UPDATE SET normalizer = ?2, secret = ?3, tags = ?4, items = ?5, created_us = ?6",
            params![p.name, p.normalizer, secret, p.tags, p.items, p.created_us],
        )?;
        tx.execute(
            "INSERT INTO psi_points (name, points) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET points = ?2",
            params![p.name, p.points],
        )?;
        tx.execute("DELETE FROM psi_labels WHERE name = ?1", [&p.name])?;
        if let Some(l) = &p.labels {
            let fields = serde_json::to_string(&l.fields).map_err(|e| StoreError::Other(e.to_string()))?;
            tx.execute(
                "INSERT INTO psi_labels (name, fields, records) VALUES (?1, ?2, ?3)",
                params![p.name, fields, l.records],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn psi_set(&self, name: &str) -> Result<Option<PsiSet>> {
        Ok(self
            .conn
            .query_row(
                "SELECT s.name, s.normalizer, s.secret, s.tags, s.items, s.created_us, p.points, l.fields, l.records
                 FROM psi_sets s LEFT JOIN psi_points p ON p.name = s.name LEFT JOIN psi_labels l ON l.name = s.name
                 WHERE s.name = ?1",
                [name],
                psi_row,
            )
            .optional()?)
    }

    fn psi_sets(&self) -> Result<Vec<PsiSet>> {
        let mut stmt = self.conn.prepare(
            "SELECT s.name, s.normalizer, s.secret, s.tags, s.items, s.created_us, p.points, l.fields, l.records
             FROM psi_sets s LEFT JOIN psi_points p ON p.name = s.name LEFT JOIN psi_labels l ON l.name = s.name
             ORDER BY s.name",
        )?;
        let rows = stmt.query_map([], psi_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn remove_psi_set(&mut self, name: &str) -> Result<bool> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM psi_points WHERE name = ?1", [name])?;
        tx.execute("DELETE FROM psi_labels WHERE name = ?1", [name])?;
        let n = tx.execute("DELETE FROM psi_sets WHERE name = ?1", [name])?;
        tx.commit()?;
        Ok(n > 0)
    }
}

impl LedgerStore for SqliteStore {
    fn ledger_count_since(&self, partner: &str, kind: &str, collection: &str, since: &str) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM ledger WHERE partner = ?1 AND json_extract(entry, '$.kind') = ?2
             AND json_extract(entry, '$.collection') = ?3 AND json_extract(entry, '$.time') >= ?4",
            params![partner, kind, collection, since],
            |r| r.get(0),
        )?)
    }

    fn ledger_append_after(
        &mut self,
        build: &mut dyn FnMut(Option<(u64, String)>) -> Result<crate::LedgerAppend>,
    ) -> Result<()> {
        // IMMEDIATE: the write lock is held from here, so the head cannot move under `build`.
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let head: Option<(u64, String)> = tx
            .query_row("SELECT seq, entry FROM ledger ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let last = head.as_ref().map_or(0, |h| h.0);
        let (entries, checkpoint) = build(head)?;
        for (expect, (seq, partner, entry)) in (last + 1..).zip(&entries) {
            if *seq != expect {
                return Err(StoreError::Conflict(format!("ledger entry {seq} does not follow entry {}", expect - 1)));
            }
            tx.prepare_cached("INSERT INTO ledger (seq, partner, entry) VALUES (?1, ?2, ?3)")?
                .execute(params![seq, partner, entry])?;
        }
        if let Some((seq, text)) = checkpoint {
            tx.execute("INSERT INTO ledger_checkpoints (seq, checkpoint) VALUES (?1, ?2)", params![seq, text])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn ledger_head(&self) -> Result<Option<(u64, String)>> {
        Ok(self
            .conn
            .query_row("SELECT seq, entry FROM ledger ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn ledger_entries(&self, after: u64, partner: Option<&str>, limit: usize) -> Result<Vec<(u64, String)>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare(
            "SELECT seq, entry FROM ledger WHERE seq > ?1 AND (?2 IS NULL OR partner = ?2) ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![after, partner, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn ledger_checkpoints(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("SELECT checkpoint FROM ledger_checkpoints ORDER BY seq")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl SettingStore for SqliteStore {
    fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [format!("setting.{key}")], |r| r.get(0))
            .optional()?)
    }

    fn add_with_settings(
        &mut self,
        collection: Option<&Collection>,
        objects: &[Incoming],
        settings: &[(String, String)],
        expect: &[(String, Option<String>)],
    ) -> Result<Vec<AddOutcome>> {
        let pk = collection.map(|c| self.coll_pk(c)).transpose()?;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for (k, want) in expect {
            let now: Option<String> = tx
                .query_row("SELECT value FROM meta WHERE key = ?1", [format!("setting.{k}")], |r| r.get(0))
                .optional()?;
            if &now != want {
                return Err(StoreError::Conflict(k.clone()));
            }
        }
        let outcomes = match pk {
            Some(pk) => add_all(&tx, pk, objects)?,
            None => Vec::new(),
        };
        for (k, v) in settings {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
                params![format!("setting.{k}"), v],
            )?;
        }
        tx.commit()?;
        Ok(outcomes)
    }
}

impl CoordinationStore for SqliteStore {
    fn put_status(&mut self, id: &str, owner: &str, body: &str, keep: usize, max_bytes: usize) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let bytes = (id.len() + owner.len() + body.len()) as i64;
        tx.execute(
            "INSERT INTO statuses (id, owner, body, bytes) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET owner = ?2, body = ?3, bytes = ?4",
            params![id, owner, body, bytes],
        )?;
        let [by_count, by_bytes] = crate::rules::prune_statuses("?1", "?1");
        tx.execute(&by_count, params![keep as i64])?;
        let seq = tx.last_insert_rowid();
        if seq % crate::rules::PRUNE_BYTES_EVERY == 0 || bytes > max_bytes as i64 / crate::rules::PRUNE_BYTES_EVERY {
            tx.execute(&by_bytes, params![max_bytes as i64])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn status(&self, id: &str, owner: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT body FROM statuses WHERE id = ?1 AND owner = ?2", params![id, owner], |r| r.get(0))
            .optional()?)
    }

    fn try_lead(&mut self, _role: &str) -> Result<bool> {
        Ok(true)
    }
}
