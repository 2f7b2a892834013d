//! Accounts, partners, private sets, the ledger and settings in PostgreSQL.

use postgres::Row;
use postgres::fallible_iterator::FallibleIterator;

use super::PostgresStore;
use super::objects::{add_all, coll_pk};
use crate::prelude::*;
use crate::{
    AddOutcome, ApiToken, Collection, Decision, Incoming, Provenance, PsiLabels, PsiSet, Remote, Result, Review,
    StoreError, StoredObject, User,
};

/// A rights column (a JSON list of collection names) of the row named in column 0.
fn rights(r: &Row, i: usize) -> Result<Vec<String>> {
    serde_json::from_str(r.get(i)).map_err(|e| StoreError::Corrupt(format!("{}: {e}", r.get::<_, &str>(0))))
}

fn rights_json(l: &[String]) -> String {
    serde_json::to_string(l).unwrap_or_else(|_| "[]".into())
}

fn user_row(r: &Row) -> Result<User> {
    Ok(User { name: r.get(0), password_hash: r.get(1), can_read: rights(r, 2)?, can_write: rights(r, 3)? })
}

const TOKEN_COLUMNS: &str = "name, hash, can_read, can_write, created_us, expires_us, last_used_us, revoked_us";

fn token_row(r: &Row) -> Result<ApiToken> {
    Ok(ApiToken {
        name: r.get(0),
        hash: r.get(1),
        can_read: rights(r, 2)?,
        can_write: rights(r, 3)?,
        created_us: r.get(4),
        expires_us: r.get(5),
        last_used_us: r.get(6),
        revoked_us: r.get(7),
    })
}

fn remote_row(r: &Row) -> Remote {
    Remote {
        partner: r.get(0),
        api_root: r.get(1),
        username: r.get(2),
        password: r.get(3),
        ca_file: r.get(4),
        fingerprint: r.get(5),
    }
}

fn psi_row(r: &Row) -> Result<PsiSet> {
    let secret: Vec<u8> = r.get(2);
    let labels = match (r.get::<_, Option<String>>(7), r.get::<_, Option<Vec<u8>>>(8)) {
        (Some(fields), Some(records)) => Some(PsiLabels {
            fields: serde_json::from_str(&fields)
                .map_err(|e| StoreError::Other(format!("psi_labels.fields of {:?}: {e}", r.get::<_, String>(0))))?,
            records,
        }),
        _ => None,
    };
    Ok(PsiSet {
        name: r.get(0),
        normalizer: r.get(1),
        secret: secret.try_into().ok(),
        tags: r.get(3),
        points: r.get(4),
        items: r.get::<_, i64>(5) as u64,
        created_us: r.get(6),
        labels,
    })
}

const PSI_COLUMNS: &str =
    "SELECT s.name, s.normalizer, s.secret, s.tags, s.points, s.items, s.created_us, l.fields, l.records
     FROM psi_sets s LEFT JOIN psi_labels l ON l.name = s.name";

fn insert_provenance(tx: &mut postgres::Transaction<'_>, pk: i64, p: &Provenance) -> Result<()> {
    tx.execute(
        "INSERT INTO provenance (coll, id, version, partner, remote_collection, remote_date_added, fetched_us, receipt_seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &pk,
            &p.id,
            &p.version,
            &p.partner,
            &p.remote_collection,
            &p.remote_date_added,
            &p.fetched_us,
            &p.receipt.map(|r| r.min(i64::MAX as u64) as i64),
        ],
    )?;
    Ok(())
}

impl AccountStore for PostgresStore {
    fn put_user(&mut self, user: &User) -> Result<()> {
        self.client()?.execute(
            "INSERT INTO users (name, password_hash, can_read, can_write) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET password_hash = $2, can_read = $3, can_write = $4",
            &[&user.name, &user.password_hash, &rights_json(&user.can_read), &rights_json(&user.can_write)],
        )?;
        Ok(())
    }

    fn remove_user(&mut self, name: &str) -> Result<bool> {
        // Its console sessions end with it, in the same transaction.
        let mut c = self.client()?;
        let mut tx = c.transaction()?;
        tx.execute("DELETE FROM console_sessions WHERE username = $1", &[&name])?;
        let removed = tx.execute("DELETE FROM users WHERE name = $1", &[&name])? > 0;
        tx.commit()?;
        Ok(removed)
    }

    fn user(&self, name: &str) -> Result<Option<User>> {
        self.client()?
            .query_opt("SELECT name, password_hash, can_read, can_write FROM users WHERE name = $1", &[&name])?
            .map(|r| user_row(&r))
            .transpose()
    }

    fn users(&self) -> Result<Vec<User>> {
        let rows = self
            .client()?
            .query("SELECT name, password_hash, can_read, can_write FROM users ORDER BY name COLLATE \"C\"", &[])?;
        rows.iter().map(user_row).collect()
    }
}

impl CredentialStore for PostgresStore {
    fn add_token(&mut self, t: &ApiToken) -> Result<()> {
        let n = self.client()?.execute(
            &format!(
                "INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (name) DO NOTHING"
            ),
            &[
                &t.name,
                &t.hash,
                &rights_json(&t.can_read),
                &rights_json(&t.can_write),
                &t.created_us,
                &t.expires_us,
                &t.last_used_us,
                &t.revoked_us,
            ],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(format!("a token named {:?} exists", t.name)));
        }
        Ok(())
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>> {
        self.client()?
            .query_opt(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE hash = $1"), &[&hash])?
            .map(|r| token_row(&r))
            .transpose()
    }

    fn tokens(&self) -> Result<Vec<ApiToken>> {
        let rows = self
            .client()?
            .query(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY name COLLATE \"C\""), &[])?;
        rows.iter().map(token_row).collect()
    }

    fn revoke_token(&mut self, name: &str, at_us: i64) -> Result<bool> {
        Ok(self.client()?.execute(
            "UPDATE api_tokens SET revoked_us = $2 WHERE name = $1 AND revoked_us IS NULL",
            &[&name, &at_us],
        )? > 0)
    }

    fn touch_token(&mut self, name: &str, at_us: i64) -> Result<()> {
        self.client()?.execute("UPDATE api_tokens SET last_used_us = $2 WHERE name = $1", &[&name, &at_us])?;
        Ok(())
    }

    fn put_partner_cert(&mut self, partner: &str, fingerprint: &str) -> Result<()> {
        let mut c = self.client()?;
        let mut tx = c.transaction()?;
        tx.execute("LOCK TABLE partner_certs IN EXCLUSIVE MODE", &[])?;
        let holder: Option<String> = tx
            .query_opt("SELECT partner FROM partner_certs WHERE fingerprint = $1", &[&fingerprint])?
            .map(|r| r.get(0));
        if let Some(other) = holder.filter(|h| h != partner) {
            return Err(StoreError::Conflict(format!("the certificate {fingerprint} is partner {other:?}'s")));
        }
        tx.execute("DELETE FROM partner_certs WHERE partner = $1", &[&partner])?;
        tx.execute("INSERT INTO partner_certs (fingerprint, partner) VALUES ($1, $2)", &[&fingerprint, &partner])?;
        tx.commit()?;
        Ok(())
    }

    fn partner_by_cert(&self, fingerprint: &str) -> Result<Option<String>> {
        Ok(self
            .client()?
            .query_opt("SELECT partner FROM partner_certs WHERE fingerprint = $1", &[&fingerprint])?
            .map(|r| r.get(0)))
    }

    fn partner_cert(&self, partner: &str) -> Result<Option<String>> {
        Ok(self
            .client()?
            .query_opt("SELECT fingerprint FROM partner_certs WHERE partner = $1", &[&partner])?
            .map(|r| r.get(0)))
    }

    fn remove_partner_cert(&mut self, partner: &str) -> Result<bool> {
        Ok(self.client()?.execute("DELETE FROM partner_certs WHERE partner = $1", &[&partner])? > 0)
    }
}

impl PartnerStore for PostgresStore {
    fn put_remote(&mut self, r: &Remote) -> Result<()> {
        self.client()?.execute(
            "INSERT INTO remotes (partner, api_root, username, password, ca_file, fingerprint)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (partner) DO UPDATE
             SET api_root = $2, username = $3, password = $4, ca_file = $5, fingerprint = $6",
            &[&r.partner, &r.api_root, &r.username, &r.password, &r.ca_file, &r.fingerprint],
        )?;
        Ok(())
    }

    fn remote(&self, partner: &str) -> Result<Option<Remote>> {
        Ok(self
            .client()?
            .query_opt(
                "SELECT partner, api_root, username, password, ca_file, fingerprint FROM remotes WHERE partner = $1",
                &[&partner],
            )?
            .map(|r| remote_row(&r)))
    }

    fn remotes(&self) -> Result<Vec<Remote>> {
        let rows = self.client()?.query(
            "SELECT partner, api_root, username, password, ca_file, fingerprint FROM remotes ORDER BY partner COLLATE \"C\"",
            &[],
        )?;
        Ok(rows.iter().map(remote_row).collect())
    }

    fn remove_remote(&mut self, partner: &str) -> Result<bool> {
        Ok(self.client()?.execute("DELETE FROM remotes WHERE partner = $1", &[&partner])? > 0)
    }

    fn sync_cursor(&self, partner: &str, remote_collection: &str) -> Result<Option<String>> {
        Ok(self
            .client()?
            .query_opt(
                "SELECT cursor FROM sync_cursors WHERE partner = $1 AND remote_collection = $2",
                &[&partner, &remote_collection],
            )?
            .map(|r| r.get(0)))
    }

    fn add_synced(
        &mut self,
        collection: &Collection,
        objects: &[Incoming],
        provenance: &[Provenance],
        receipts: &[(u64, String)],
        cursor: (&str, &str, &str),
    ) -> Result<Vec<AddOutcome>> {
        let mut c = self.client()?;
        let pk = coll_pk(&mut *c, collection)?;
        let mut tx = c.transaction()?;
        let outcomes = add_all(&mut tx, pk, objects)?;
        for (p, outcome) in provenance.iter().zip(&outcomes) {
            if matches!(outcome, AddOutcome::Added { .. }) {
                insert_provenance(&mut tx, pk, p)?;
            }
        }
        for (seq, receipt) in receipts {
            tx.execute(
                "INSERT INTO receipts (partner, seq, receipt) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&cursor.0, &((*seq).min(i64::MAX as u64) as i64), receipt],
            )?;
        }
        tx.execute(
            "INSERT INTO sync_cursors (partner, remote_collection, cursor) VALUES ($1, $2, $3)
             ON CONFLICT (partner, remote_collection) DO UPDATE SET cursor = $3",
            &[&cursor.0, &cursor.1, &cursor.2],
        )?;
        tx.commit()?;
        Ok(outcomes)
    }

    fn provenance(&self, collection: &Collection, id: &str) -> Result<Vec<Provenance>> {
        let mut c = self.client()?;
        let pk = coll_pk(&mut *c, collection)?;
        let rows = c.query(
            "SELECT id, version, partner, remote_collection, remote_date_added, fetched_us, receipt_seq FROM provenance
             WHERE coll = $1 AND id = $2 ORDER BY version COLLATE \"C\"",
            &[&pk, &id],
        )?;
        Ok(rows
            .iter()
            .map(|r| Provenance {
                id: r.get(0),
                version: r.get(1),
                partner: r.get(2),
                remote_collection: r.get(3),
                remote_date_added: r.get(4),
                fetched_us: r.get(5),
                receipt: r.get::<_, Option<i64>>(6).map(|s| s.max(0) as u64),
            })
            .collect())
    }

    fn adopt(&mut self, from: &Collection, to: &Collection, ids: &[String], by: &str) -> Result<Vec<AddOutcome>> {
        let (incoming, prov) = crate::rules::adoption(&*self, from, ids)?;
        let mut c = self.client()?;
        let src = coll_pk(&mut *c, from)?;
        let pk = coll_pk(&mut *c, to)?;
        let mut tx = c.transaction()?;
        let outcomes = add_all(&mut tx, pk, &incoming)?;
        for p in &prov {
            insert_provenance(&mut tx, pk, p)?;
        }
        let now = crate::rules::now_us();
        let stmt = tx.prepare(
            "INSERT INTO reviews (coll, id, version, decision, by_user, at_us) VALUES ($1, $2, $3, 'adopted', $4, $5)
             ON CONFLICT (coll, id, version) DO UPDATE SET decision = 'adopted', by_user = $4, at_us = $5",
        )?;
        for o in &incoming {
            tx.execute(&stmt, &[&src, &o.id, &o.version, &by, &now])?;
        }
        tx.commit()?;
        Ok(outcomes)
    }

    fn dismiss(&mut self, collection: &Collection, ids: &[String], by: &str) -> Result<u64> {
        let mut c = self.client()?;
        let pk = coll_pk(&mut *c, collection)?;
        let n = c.execute(
            "INSERT INTO reviews (coll, id, version, decision, by_user, at_us)
             SELECT coll, id, version, 'dismissed', $3, $4 FROM objects WHERE coll = $1 AND id = ANY($2)
             ON CONFLICT DO NOTHING",
            &[&pk, &ids, &by, &crate::rules::now_us()],
        )?;
        Ok(n)
    }

    fn awaiting(
        &self,
        collection: &Collection,
        after: i64,
        f: &mut dyn FnMut(StoredObject) -> Result<bool>,
    ) -> Result<()> {
        let mut c = self.client()?;
        let pk = coll_pk(&mut *c, collection)?;
        let mut rows = c.query_raw(
            "SELECT o.id, o.type, o.version, o.spec_version, o.date_added, o.revoked, o.raw FROM objects o
             WHERE o.coll = $1 AND o.is_latest AND o.date_added > $2
               AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.coll = o.coll AND r.id = o.id AND r.version = o.version)
             ORDER BY o.date_added DESC",
            [&pk as &(dyn postgres::types::ToSql + Sync), &after],
        )?;
        while let Some(r) = rows.next()? {
            if !f(super::objects::stored_object(&r))? {
                break;
            }
        }
        Ok(())
    }

    fn reviews(&self, collection: &Collection, id: &str) -> Result<Vec<Review>> {
        let mut c = self.client()?;
        let pk = coll_pk(&mut *c, collection)?;
        let rows = c.query(
            "SELECT id, version, decision, by_user, at_us FROM reviews WHERE coll = $1 AND id = $2 ORDER BY at_us, version",
            &[&pk, &id],
        )?;
        rows.iter()
            .map(|r| {
                Ok(Review {
                    id: r.get(0),
                    version: r.get(1),
                    decision: Decision::parse(r.get(2))?,
                    by: r.get(3),
                    at_us: r.get(4),
                })
            })
            .collect()
    }
}

impl PsiStore for PostgresStore {
    fn put_psi_set(&mut self, p: &PsiSet) -> Result<()> {
        let secret = p.secret.map(|s| s.to_vec()).unwrap_or_default();
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        tx.execute(
            "INSERT INTO psi_sets (name, normalizer, secret, tags, points, items, created_us)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (name) DO UPDATE SET normalizer = $2, secret = $3, tags = $4, points = $5, items = $6,
                                              created_us = $7",
            &[&p.name, &p.normalizer, &secret, &p.tags, &p.points, &(p.items as i64), &p.created_us],
        )?;
        tx.execute("DELETE FROM psi_labels WHERE name = $1", &[&p.name])?;
        if let Some(l) = &p.labels {
            let fields = serde_json::to_string(&l.fields).map_err(|e| StoreError::Other(e.to_string()))?;
            tx.execute(
                "INSERT INTO psi_labels (name, fields, records) VALUES ($1, $2, $3)",
                &[&p.name, &fields, &l.records],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn psi_set(&self, name: &str) -> Result<Option<PsiSet>> {
        self.client()?
            .query_opt(&format!("{PSI_COLUMNS} WHERE s.name = $1"), &[&name])?
            .map(|r| psi_row(&r))
            .transpose()
    }

    fn psi_sets(&self) -> Result<Vec<PsiSet>> {
        let rows = self.client()?.query(&format!("{PSI_COLUMNS} ORDER BY s.name COLLATE \"C\""), &[])?;
        rows.iter().map(psi_row).collect()
    }

    fn remove_psi_set(&mut self, name: &str) -> Result<bool> {
        Ok(self.client()?.execute("DELETE FROM psi_sets WHERE name = $1", &[&name])? > 0)
    }
}

impl LedgerStore for PostgresStore {
    fn ledger_count_since(&self, partner: &str, kind: &str, collection: &str, since: &str) -> Result<u64> {
        let n: i64 = self
            .client()?
            .query_one(
                "SELECT count(*) FROM ledger WHERE partner = $1 AND entry::jsonb ->> 'kind' = $2
                 AND entry::jsonb ->> 'collection' = $3 AND (entry::jsonb ->> 'time') COLLATE \"C\" >= $4",
                &[&partner, &kind, &collection, &since],
            )?
            .get(0);
        Ok(n as u64)
    }

    fn ledger_append_after(&mut self, known: u64, build: &mut crate::LedgerBuild<'_>) -> Result<()> {
        let mut c = self.client()?;
        let mut tx = c.transaction()?;
        // One appender at a time, whichever process: the ledger has one linear order, and the
        // head read here stays the head until this transaction ends.
        tx.batch_execute("LOCK TABLE ledger IN EXCLUSIVE MODE")?;
        let last = tx.query_one("SELECT coalesce(max(seq), 0) FROM ledger", &[])?.get::<_, i64>(0) as u64;
        let newer: Vec<(u64, String)> = if known < last {
            tx.query("SELECT seq, entry FROM ledger WHERE seq > $1 ORDER BY seq", &[&(known as i64)])?
                .iter()
                .map(|r| (r.get::<_, i64>(0) as u64, r.get(1)))
                .collect()
        } else {
            Vec::new()
        };
        let head = if newer.is_empty() {
            None
        } else {
            tx.query_opt("SELECT size, checkpoint FROM ledger_heads ORDER BY size DESC LIMIT 1", &[])?
                .map(|r| (r.get::<_, i64>(0) as u64, r.get(1)))
        };
        let (entries, checkpoint) = build(newer, head)?;
        for (expect, (seq, partner, entry)) in (last + 1..).zip(&entries) {
            if *seq != expect {
                return Err(StoreError::Conflict(format!("ledger entry {seq} does not follow entry {}", expect - 1)));
            }
            tx.execute(
                "INSERT INTO ledger (seq, partner, entry) VALUES ($1, $2, $3)",
                &[&(*seq as i64), partner, entry],
            )?;
        }
        if let Some((seq, text)) = checkpoint {
            tx.execute("INSERT INTO ledger_heads (size, checkpoint) VALUES ($1, $2)", &[&(seq as i64), &text])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn ledger_head(&self) -> Result<Option<(u64, String)>> {
        Ok(self
            .client()?
            .query_opt("SELECT seq, entry FROM ledger ORDER BY seq DESC LIMIT 1", &[])?
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1))))
    }

    fn ledger_entries(&self, after: u64, partner: Option<&str>, limit: usize) -> Result<Vec<(u64, String)>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.client()?.query(
            "SELECT seq, entry FROM ledger WHERE seq > $1 AND ($2::text IS NULL OR partner = $2)
             ORDER BY seq LIMIT $3",
            &[&(after.min(i64::MAX as u64) as i64), &partner, &limit],
        )?;
        Ok(rows.iter().map(|r| (r.get::<_, i64>(0) as u64, r.get(1))).collect())
    }

    fn ledger_entries_before(&self, before: u64, partner: Option<&str>, limit: usize) -> Result<Vec<(u64, String)>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.client()?.query(
            "SELECT seq, entry FROM ledger WHERE seq < $1 AND ($2::text IS NULL OR partner = $2)
             ORDER BY seq DESC LIMIT $3",
            &[&(before.min(i64::MAX as u64) as i64), &partner, &limit],
        )?;
        Ok(rows.iter().map(|r| (r.get::<_, i64>(0) as u64, r.get(1))).collect())
    }

    fn ledger_checkpoints(&self) -> Result<Vec<String>> {
        let rows = self.client()?.query("SELECT checkpoint FROM ledger_checkpoints ORDER BY seq", &[])?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn ledger_heads(&self, after: u64, limit: usize) -> Result<Vec<(u64, String)>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.client()?.query(
            "SELECT size, checkpoint FROM ledger_heads WHERE size > $1 ORDER BY size LIMIT $2",
            &[&(after.min(i64::MAX as u64) as i64), &limit],
        )?;
        Ok(rows.iter().map(|r| (r.get::<_, i64>(0) as u64, r.get(1))).collect())
    }

    fn ledger_last_head(&self) -> Result<Option<(u64, String)>> {
        Ok(self
            .client()?
            .query_opt("SELECT size, checkpoint FROM ledger_heads ORDER BY size DESC LIMIT 1", &[])?
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1))))
    }

    fn put_receipt(&mut self, partner: &str, seq: u64, receipt: &str) -> Result<()> {
        self.client()?.execute(
            "INSERT INTO receipts (partner, seq, receipt) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&partner, &(seq.min(i64::MAX as u64) as i64), &receipt],
        )?;
        Ok(())
    }

    fn receipts(&self, partner: &str, after: u64, limit: usize) -> Result<Vec<(u64, String)>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.client()?.query(
            "SELECT seq, receipt FROM receipts WHERE partner = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[&partner, &(after.min(i64::MAX as u64) as i64), &limit],
        )?;
        Ok(rows.iter().map(|r| (r.get::<_, i64>(0) as u64, r.get(1))).collect())
    }

    fn put_cosignature(&mut self, partner: &str, size: u64, note: &str) -> Result<()> {
        self.client()?.execute(
            "INSERT INTO cosignatures (partner, size, note) VALUES ($1, $2, $3)
             ON CONFLICT (partner, size) DO UPDATE SET note = excluded.note",
            &[&partner, &(size.min(i64::MAX as u64) as i64), &note],
        )?;
        Ok(())
    }

    fn cosignatures(&self, partner: Option<&str>) -> Result<Vec<(String, u64, String)>> {
        let rows = self.client()?.query(
            "SELECT partner, size, note FROM cosignatures WHERE $1::text IS NULL OR partner = $1 ORDER BY size, partner",
            &[&partner],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get::<_, i64>(1) as u64, r.get(2))).collect())
    }

    fn last_receipt(&self, partner: &str) -> Result<Option<(u64, String)>> {
        Ok(self
            .client()?
            .query_opt("SELECT seq, receipt FROM receipts WHERE partner = $1 ORDER BY seq DESC LIMIT 1", &[&partner])?
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1))))
    }
}

impl SettingStore for PostgresStore {
    fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .client()?
            .query_opt("SELECT value FROM meta WHERE key = $1", &[&format!("setting.{key}")])?
            .map(|r| r.get(0)))
    }

    fn add_with_settings(
        &mut self,
        collection: Option<&Collection>,
        objects: &[Incoming],
        settings: &[(String, String)],
        expect: &[(String, Option<String>)],
    ) -> Result<Vec<AddOutcome>> {
        let mut c = self.client()?;
        let pk = collection.map(|coll| coll_pk(&mut *c, coll)).transpose()?;
        let mut tx = c.transaction()?;
        // A compare-and-set holds each key's advisory lock (in one order) to the commit, also
        // for a key not set yet, which no row lock could cover.
        let mut keys: Vec<String> = expect.iter().map(|(k, _)| format!("setting.{k}")).collect();
        keys.sort();
        keys.dedup();
        for k in &keys {
            tx.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[k])?;
        }
        for (k, want) in expect {
            let now: Option<String> =
                tx.query_opt("SELECT value FROM meta WHERE key = $1", &[&format!("setting.{k}")])?.map(|r| r.get(0));
            if &now != want {
                return Err(StoreError::Conflict(k.clone()));
            }
        }
        let outcomes = match pk {
            Some(pk) => add_all(&mut tx, pk, objects)?,
            None => Vec::new(),
        };
        for (k, v) in settings {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2",
                &[&format!("setting.{k}"), v],
            )?;
        }
        tx.commit()?;
        Ok(outcomes)
    }
}

impl CoordinationStore for PostgresStore {
    fn put_status(&mut self, id: &str, owner: &str, body: &str, keep: usize, max_bytes: usize) -> Result<()> {
        let bytes = (id.len() + owner.len() + body.len()) as i64;
        let mut c = self.client()?;
        let mut tx = c.transaction()?;
        let seq: i64 = tx
            .query_one(
                "INSERT INTO statuses (id, owner, body, bytes) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET owner = $2, body = $3, bytes = $4 RETURNING seq",
                &[&id, &owner, &body, &bytes],
            )?
            .get(0);
        let [by_count, by_bytes] = crate::rules::prune_statuses("$1", "$1");
        tx.execute(&by_count, &[&(keep as i64)])?;
        if seq % crate::rules::PRUNE_BYTES_EVERY == 0 || bytes > max_bytes as i64 / crate::rules::PRUNE_BYTES_EVERY {
            // One pruner at a time: two at once could each keep what the other removes.
            tx.execute("SELECT pg_advisory_xact_lock(hashtextextended('pacto.statuses', 0))", &[])?;
            tx.execute(&by_bytes, &[&(max_bytes as i64)])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn status(&self, id: &str, owner: &str) -> Result<Option<String>> {
        Ok(self
            .client()?
            .query_opt("SELECT body FROM statuses WHERE id = $1 AND owner = $2", &[&id, &owner])?
            .map(|r| r.get(0)))
    }

    fn try_lead(&mut self, role: &str) -> Result<bool> {
        if self.leading.contains(role) {
            return Ok(true);
        }
        // A session-level advisory lock: held until this connection ends, however it ends.
        let got: bool = self
            .client()?
            .query_one("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", &[&format!("pacto.lead.{role}")])?
            .get(0);
        if got {
            self.leading.insert(role.to_string());
        }
        Ok(got)
    }
}
