//! Accounts, partners, private sets, the ledger and settings in SQLite.

use rusqlite::{OptionalExtension, params};

use super::objects::add_all;
use super::*;

impl AccountStore for SqliteStore {
    fn put_user(&mut self, user: &User) -> Result<()> {
        self.conn.execute(
            "INSERT INTO users (name, password_hash, can_read, can_write) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET password_hash = ?2, can_read = ?3, can_write = ?4",
            params![user.name, user.password_hash, rights_json(&user.can_read), rights_json(&user.can_write)],
        )?;
        Ok(())
    }

    fn remove_user(&mut self, name: &str) -> Result<bool> {
        // Its console sessions end with it, in the same transaction.
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM console_sessions WHERE username = ?1", [name])?;
        let removed = tx.execute("DELETE FROM users WHERE name = ?1", [name])? > 0;
        tx.commit()?;
        Ok(removed)
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

impl CredentialStore for SqliteStore {
    fn add_token(&mut self, t: &crate::ApiToken) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let taken: bool =
            tx.query_row("SELECT count(*) FROM api_tokens WHERE name = ?1", [&t.name], |r| r.get::<_, i64>(0))? > 0;
        if taken {
            return Err(StoreError::Conflict(format!("a token named {:?} exists", t.name)));
        }
        tx.execute(
            &format!("INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
            params![
                t.name,
                t.hash,
                rights_json(&t.can_read),
                rights_json(&t.can_write),
                t.created_us,
                t.expires_us,
                t.last_used_us,
                t.revoked_us
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<crate::ApiToken>> {
        Ok(self
            .conn
            .query_row(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE hash = ?1"), [hash], token_row)
            .optional()?)
    }

    fn tokens(&self) -> Result<Vec<crate::ApiToken>> {
        let mut stmt = self.conn.prepare(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY name"))?;
        let rows = stmt.query_map([], token_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn revoke_token(&mut self, name: &str, at_us: i64) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE api_tokens SET revoked_us = ?2 WHERE name = ?1 AND revoked_us IS NULL",
            params![name, at_us],
        )? > 0)
    }

    fn touch_token(&mut self, name: &str, at_us: i64) -> Result<()> {
        self.conn.execute("UPDATE api_tokens SET last_used_us = ?2 WHERE name = ?1", params![name, at_us])?;
        Ok(())
    }

    fn put_partner_cert(&mut self, partner: &str, fingerprint: &str) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let holder: Option<String> = tx
            .query_row("SELECT partner FROM partner_certs WHERE fingerprint = ?1", [fingerprint], |r| r.get(0))
            .optional()?;
        if let Some(other) = holder.filter(|h| h != partner) {
            return Err(StoreError::Conflict(format!("the certificate {fingerprint} is partner {other:?}'s")));
        }
        tx.execute("DELETE FROM partner_certs WHERE partner = ?1", [partner])?;
        tx.execute("INSERT INTO partner_certs (fingerprint, partner) VALUES (?1, ?2)", [fingerprint, partner])?;
        tx.commit()?;
        Ok(())
    }

    fn partner_by_cert(&self, fingerprint: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT partner FROM partner_certs WHERE fingerprint = ?1", [fingerprint], |r| r.get(0))
            .optional()?)
    }

    fn partner_cert(&self, partner: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT fingerprint FROM partner_certs WHERE partner = ?1", [partner], |r| r.get(0))
            .optional()?)
    }

    fn remove_partner_cert(&mut self, partner: &str) -> Result<bool> {
        Ok(self.conn.execute("DELETE FROM partner_certs WHERE partner = ?1", [partner])? > 0)
    }
}

impl PartnerStore for SqliteStore {
    fn put_remote(&mut self, r: &Remote) -> Result<()> {
        self.conn.execute(
            "INSERT INTO remotes (partner, api_root, username, password, ca_file, fingerprint)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (partner) DO UPDATE
             SET api_root = ?2, username = ?3, password = ?4, ca_file = ?5, fingerprint = ?6",
            params![r.partner, r.api_root, r.username, r.password, r.ca_file, r.fingerprint],
        )?;
        Ok(())
    }

    fn remote(&self, partner: &str) -> Result<Option<Remote>> {
        Ok(self
            .conn
            .query_row(
                "SELECT partner, api_root, username, password, ca_file, fingerprint FROM remotes WHERE partner = ?1",
                [partner],
                remote_row,
            )
            .optional()?)
    }

    fn remotes(&self) -> Result<Vec<Remote>> {
        let mut stmt = self.conn.prepare(
            "SELECT partner, api_root, username, password, ca_file, fingerprint FROM remotes ORDER BY partner",
        )?;
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
        receipts: &[(u64, String)],
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
        for (seq, receipt) in receipts {
            tx.execute(
                "INSERT INTO receipts (partner, seq, receipt) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                params![cursor.0, seq, receipt],
            )?;
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
            "SELECT id, version, partner, remote_collection, remote_date_added, fetched_us, receipt_seq FROM provenance
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
                receipt: r.get::<_, Option<i64>>(6)?.map(|s| s.max(0) as u64),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn adopt(&mut self, from: &Collection, to: &Collection, ids: &[String], by: &str) -> Result<Vec<AddOutcome>> {
        let (incoming, prov) = crate::rules::adoption(&*self, from, ids)?;
        // The copies, their provenance and the decision land together: an adopted object is
        // never left without the record of where it came from, nor still awaiting review.
        let (src, pk) = (self.coll_pk(from)?, self.coll_pk(to)?);
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let outcomes = add_all(&tx, pk, &incoming)?;
        for p in &prov {
            insert_provenance(&tx, pk, p)?;
        }
        let now = crate::rules::now_us();
        for o in &incoming {
            tx.prepare_cached(
                "INSERT INTO reviews (coll, idh, id, version, decision, by_user, at_us) VALUES (?1, ?2, ?3, ?4, 'adopted', ?5, ?6)
                 ON CONFLICT DO UPDATE SET decision = 'adopted', by_user = ?5, at_us = ?6",
            )?
            .execute(params![src, id_hash(&o.id), o.id, o.version, by, now])?;
        }
        tx.commit()?;
        Ok(outcomes)
    }

    fn dismiss(&mut self, collection: &Collection, ids: &[String], by: &str) -> Result<u64> {
        let pk = self.coll_pk(collection)?;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let now = crate::rules::now_us();
        let mut dismissed = 0;
        for id in ids {
            dismissed += tx
                .prepare_cached(
                    "INSERT INTO reviews (coll, idh, id, version, decision, by_user, at_us)
                     SELECT coll, idh, id, version, 'dismissed', ?4, ?5 FROM objects WHERE coll = ?1 AND idh = ?2 AND id = ?3
                     ON CONFLICT DO NOTHING",
                )?
                .execute(params![pk, id_hash(id), id, by, now])? as u64;
        }
        tx.commit()?;
        Ok(dismissed)
    }

    fn awaiting(
        &self,
        collection: &Collection,
        after: i64,
        f: &mut dyn FnMut(StoredObject) -> Result<bool>,
    ) -> Result<()> {
        let pk = self.coll_pk(collection)?;
        // Newest first down the (coll, date_added) index, skipping what was decided.
        let mut stmt = self.conn.prepare(
            "SELECT o.id, o.type, o.version, o.spec_version, o.date_added, o.revoked, o.raw FROM objects o
             WHERE o.coll = ?1 AND o.is_latest = 1 AND o.date_added > ?2
               AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.coll = o.coll AND r.idh = o.idh AND r.id = o.id AND r.version = o.version)
             ORDER BY o.date_added DESC",
        )?;
        let mut rows = stmt.query(params![pk, after])?;
        while let Some(r) = rows.next()? {
            if !f(super::objects::stored_object(r)?)? {
                break;
            }
        }
        Ok(())
    }

    fn reviews(&self, collection: &Collection, id: &str) -> Result<Vec<Review>> {
        let pk = self.coll_pk(collection)?;
        let mut stmt = self.conn.prepare(
            "SELECT id, version, decision, by_user, at_us FROM reviews WHERE coll = ?1 AND idh = ?2 AND id = ?3 ORDER BY at_us, version",
        )?;
        let rows = stmt.query_map(params![pk, id_hash(id), id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, version, decision, by, at_us) = row?;
            out.push(Review { id, version, decision: Decision::parse(&decision)?, by, at_us });
        }
        Ok(out)
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

    fn ledger_append_after(&mut self, known: u64, build: &mut crate::LedgerBuild<'_>) -> Result<()> {
        // IMMEDIATE: the write lock is held from here, so the head cannot move under `build`.
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let last: u64 = tx.query_row("SELECT coalesce(max(seq), 0) FROM ledger", [], |r| r.get(0))?;
        let newer: Vec<(u64, String)> = if known < last {
            let mut stmt = tx.prepare_cached("SELECT seq, entry FROM ledger WHERE seq > ?1 ORDER BY seq")?;
            let rows = stmt.query_map([known], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        } else {
            Vec::new()
        };
        let head = if newer.is_empty() {
            None
        } else {
            tx.query_row("SELECT size, checkpoint FROM ledger_heads ORDER BY size DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
        };
        let (entries, checkpoint) = build(newer, head)?;
        for (expect, (seq, partner, entry)) in (last + 1..).zip(&entries) {
            if *seq != expect {
                return Err(StoreError::Conflict(format!("ledger entry {seq} does not follow entry {}", expect - 1)));
            }
            tx.prepare_cached("INSERT INTO ledger (seq, partner, entry) VALUES (?1, ?2, ?3)")?
                .execute(params![seq, partner, entry])?;
        }
        if let Some((seq, text)) = checkpoint {
            tx.execute("INSERT INTO ledger_heads (size, checkpoint) VALUES (?1, ?2)", params![seq, text])?;
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

    fn ledger_entries_before(&self, before: u64, partner: Option<&str>, limit: usize) -> Result<Vec<(u64, String)>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let before = i64::try_from(before).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare(
            "SELECT seq, entry FROM ledger WHERE seq < ?1 AND (?2 IS NULL OR partner = ?2) ORDER BY seq DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![before, partner, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn ledger_checkpoints(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("SELECT checkpoint FROM ledger_checkpoints ORDER BY seq")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn ledger_heads(&self, after: u64, limit: usize) -> Result<Vec<(u64, String)>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT size, checkpoint FROM ledger_heads WHERE size > ?1 ORDER BY size LIMIT ?2")?;
        let rows = stmt.query_map(params![after, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn ledger_last_head(&self) -> Result<Option<(u64, String)>> {
        Ok(self
            .conn
            .query_row("SELECT size, checkpoint FROM ledger_heads ORDER BY size DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    fn put_receipt(&mut self, partner: &str, seq: u64, receipt: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO receipts (partner, seq, receipt) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![partner, seq, receipt],
        )?;
        Ok(())
    }

    fn receipts(&self, partner: &str, after: u64, limit: usize) -> Result<Vec<(u64, String)>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare("SELECT seq, receipt FROM receipts WHERE partner = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3")?;
        let rows = stmt.query_map(params![partner, after, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn put_cosignature(&mut self, partner: &str, size: u64, note: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO cosignatures (partner, size, note) VALUES (?1, ?2, ?3)
             ON CONFLICT (partner, size) DO UPDATE SET note = excluded.note",
            params![partner, size, note],
        )?;
        Ok(())
    }

    fn cosignatures(&self, partner: Option<&str>) -> Result<Vec<(String, u64, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT partner, size, note FROM cosignatures WHERE ?1 IS NULL OR partner = ?1 ORDER BY size, partner",
        )?;
        let rows = stmt.query_map([partner], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn last_receipt(&self, partner: &str) -> Result<Option<(u64, String)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT seq, receipt FROM receipts WHERE partner = ?1 ORDER BY seq DESC LIMIT 1",
                [partner],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
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
