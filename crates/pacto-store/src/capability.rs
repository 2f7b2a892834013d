//! What a backend stores, split by capability. A caller names the capability it needs
//! (`&dyn ObjectStore`, `S: LedgerStore`); [`Store`] is all of them, and every backend
//! implements every one (the conformance suite in `tests/conformance` checks that they
//! behave alike).

use pacto_stix::Filter;

use crate::*;

/// Collections and the object versions they hold, with partners' views of them.
pub trait ObjectStore {
    /// Create a collection; `name` is its short name.
    fn create_collection(&mut self, name: &str, title: &str, description: Option<&str>) -> Result<Collection>;
    /// Look a collection up by name or id.
    fn collection(&self, name_or_id: &str) -> Result<Option<Collection>>;
    /// All collections, by name.
    fn collections(&self) -> Result<Vec<Collection>>;
    /// Counts for one collection.
    fn stats(&self, collection: &Collection) -> Result<CollectionStats>;
    /// Add objects in one transaction: all outcomes are durable together, or none is.
    fn add_batch(&mut self, collection: &Collection, objects: &[Incoming]) -> Result<Vec<AddOutcome>>;
    /// Several batches, perhaps into different collections, in one transaction (group commit:
    /// one durable write for many requests).
    fn add_batches(&mut self, batches: &[(&Collection, &[Incoming])]) -> Result<Vec<Vec<AddOutcome>>>;
    /// Stream the versions a query selects to `f`, in date_added order.
    fn scan(&self, collection: &Collection, query: &Query, f: &mut dyn FnMut(StoredObject) -> Result<()>)
    -> Result<()>;
    /// One page of a query (`query.limit` versions at most) and whether more follow.
    fn page(&self, collection: &Collection, query: &Query) -> Result<Page> {
        let limit = query.limit.unwrap_or(usize::MAX);
        let mut objects = Vec::new();
        let probe = Query { limit: Some(limit.saturating_add(1)), ..query.clone() };
        self.scan(collection, &probe, &mut |o| {
            objects.push(o);
            Ok(())
        })?;
        let more = objects.len() > limit;
        objects.truncate(limit);
        Ok(Page { objects, more })
    }
    /// Delete the selected versions of one object; returns how many were deleted.
    fn delete_object(&mut self, collection: &Collection, id: &str, versions: &Versions) -> Result<u64>;
    /// Delete a collection with every version it holds, its views and its provenance records,
    /// in one transaction; returns how many versions went.
    fn delete_collection(&mut self, collection: &Collection) -> Result<u64>;
    /// Versions stored across all collections.
    fn total_versions(&self) -> Result<u64>;
    /// The view of `collection` through `filter`, made (and filled from what the collection
    /// holds) if it does not exist yet. Every later write to the collection keeps it up to
    /// date in the same transaction. A view's `date_added` values are its own: strictly
    /// increasing, consecutive within one transaction and never earlier than the start of the
    /// second in which it was written, so their spacing says nothing of the versions the
    /// view leaves out.
    fn view(&mut self, collection: &Collection, filter: &Filter) -> Result<ViewId>;
    /// Drop every view but these (views of filters no longer in force).
    fn retain_views(&mut self, keep: &[ViewId]) -> Result<()>;
    /// Whether the view holds some version of `id` (so that a reference to it may stay).
    fn in_view(&self, view: ViewId, collection: &Collection, id: &str) -> Result<bool>;
}

/// The node's accounts: who may call its API, and what each may read and write.
pub trait AccountStore {
    /// Create or replace a user.
    fn put_user(&mut self, user: &User) -> Result<()>;
    /// Remove a user; false when there was none.
    fn remove_user(&mut self, name: &str) -> Result<bool>;
    fn user(&self, name: &str) -> Result<Option<User>>;
    fn users(&self) -> Result<Vec<User>>;
}

/// Credentials other than passwords: API tokens (their hashes) and the certificate fingerprints
/// partners' nodes authenticate with (mutual TLS).
pub trait CredentialStore {
    /// Add a token; [`StoreError::Conflict`](crate::StoreError::Conflict) when one of that name
    /// exists (revoked or not: names are never reused, so a log line names one token).
    fn add_token(&mut self, token: &ApiToken) -> Result<()>;
    /// The token whose hash this is (revoked and expired ones too: the caller decides).
    fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>>;
    /// Every token, by name.
    fn tokens(&self) -> Result<Vec<ApiToken>>;
    /// Mark a token revoked at `at_us`; false when there is no such token, or it was revoked already.
    fn revoke_token(&mut self, name: &str, at_us: i64) -> Result<bool>;
    /// Record that a token was used at `at_us`.
    fn touch_token(&mut self, name: &str, at_us: i64) -> Result<()>;
    /// Bind a partner to the fingerprint of its node's certificate (replacing its earlier one).
    /// [`StoreError::Conflict`](crate::StoreError::Conflict) when another partner holds it.
    fn put_partner_cert(&mut self, partner: &str, fingerprint: &str) -> Result<()>;
    /// The partner whose certificate has this fingerprint.
    fn partner_by_cert(&self, fingerprint: &str) -> Result<Option<String>>;
    /// The fingerprint a partner is bound to.
    fn partner_cert(&self, partner: &str) -> Result<Option<String>>;
    /// Unbind a partner's certificate; false when it had none.
    fn remove_partner_cert(&mut self, partner: &str) -> Result<bool>;
}

/// Partners this node reads from: how to reach them, where sync stands, and where received objects came from.
pub trait PartnerStore {
    /// Partners' TAXII servers, for sync.
    fn put_remote(&mut self, remote: &Remote) -> Result<()>;
    fn remote(&self, partner: &str) -> Result<Option<Remote>>;
    fn remotes(&self) -> Result<Vec<Remote>>;
    fn remove_remote(&mut self, partner: &str) -> Result<bool>;
    /// The sync cursor for one remote collection of one partner.
    fn sync_cursor(&self, partner: &str, remote_collection: &str) -> Result<Option<String>>;
    /// Add objects received from a partner, their provenance, the partner's receipts for the
    /// answers they came in (entry sequence number, receipt), and the new sync cursor, in one
    /// transaction: after a crash, either all of a page is stored with its receipts and the
    /// cursor moved past it, or none of it.
    fn add_synced(
        &mut self,
        collection: &Collection,
        objects: &[Incoming],
        provenance: &[Provenance],
        receipts: &[(u64, String)],
        cursor: (&str, &str, &str),
    ) -> Result<Vec<AddOutcome>>;
    /// Where the versions of an object in a collection came from (empty for local objects).
    fn provenance(&self, collection: &Collection, id: &str) -> Result<Vec<Provenance>>;
    /// Copy every version of the given objects from one collection into another, keeping their
    /// provenance (an analyst adopting received intelligence), and record the versions copied
    /// as adopted by `by`, in one transaction.
    fn adopt(&mut self, from: &Collection, to: &Collection, ids: &[String], by: &str) -> Result<Vec<AddOutcome>>;
    /// Record that `by` dismissed the versions of `ids` that `collection` holds now (a later
    /// version awaits review again); a version already decided keeps its decision. The number
    /// of versions newly dismissed.
    fn dismiss(&mut self, collection: &Collection, ids: &[String], by: &str) -> Result<u64>;
    /// The latest versions in `collection` added after `after` (a date_added: where everything
    /// before was dismissed at once) that no one has adopted or dismissed, newest first, handed
    /// to `f` until it answers false or none are left.
    fn awaiting(
        &self,
        collection: &Collection,
        after: i64,
        f: &mut dyn FnMut(StoredObject) -> Result<bool>,
    ) -> Result<()>;
    /// The decisions taken on the versions of `id` in `collection`, oldest first.
    fn reviews(&self, collection: &Collection, id: &str) -> Result<Vec<Review>>;
}

/// Private sets for matching (their blinded form; secrets live outside the database).
pub trait PsiStore {
    /// Private sets for matching.
    fn put_psi_set(&mut self, set: &PsiSet) -> Result<()>;
    fn psi_set(&self, name: &str) -> Result<Option<PsiSet>>;
    fn psi_sets(&self) -> Result<Vec<PsiSet>>;
    fn remove_psi_set(&mut self, name: &str) -> Result<bool>;
}

/// The disclosure ledger, appended in one linear order whichever process writes.
pub trait LedgerStore {
    /// How many ledger entries of `kind` a partner has for `collection` since `since` (a
    /// timestamp): the basis of per-day query limits.
    fn ledger_count_since(&self, partner: &str, kind: &str, collection: &str, since: &str) -> Result<u64>;
    /// The disclosure ledger: append entries (sequence number, partner, JSON text) and a
    /// signed head, in one transaction, under the ledger's lock: `build` is given the entries
    /// after `known` as they stand under that lock (those other processes appended since the
    /// caller last looked) with the newest signed head, and returns what to append, so that writers in several processes
    /// chain one after the other, never past each other. Sequence numbers must follow the last
    /// one without a gap, or nothing is written and the answer is
    /// [`StoreError::Conflict`](crate::StoreError::Conflict).
    fn ledger_append_after(&mut self, known: u64, build: &mut LedgerBuild<'_>) -> Result<()>;
    /// Append entries that must follow the head without a gap (see [`LedgerStore::ledger_append_after`]).
    fn ledger_append(&mut self, entries: &[(u64, String, String)], checkpoint: Option<(u64, String)>) -> Result<()> {
        self.ledger_append_after(u64::MAX, &mut |_, _| Ok((entries.to_vec(), checkpoint.clone())))
    }
    /// The last entry's sequence number and text.
    fn ledger_head(&self) -> Result<Option<(u64, String)>>;
    /// Entries after `after`, in order, optionally for one partner only; at most `limit`.
    fn ledger_entries(&self, after: u64, partner: Option<&str>, limit: usize) -> Result<Vec<(u64, String)>>;
    /// Entries (of one partner, when given) before `before`, newest first; at most `limit`:
    /// the newest of a long ledger, read without reading the rest.
    fn ledger_entries_before(&self, before: u64, partner: Option<&str>, limit: usize) -> Result<Vec<(u64, String)>>;
    /// Every version 1 checkpoint's text, in order (ledgers written before version 2; none
    /// are added any more).
    fn ledger_checkpoints(&self) -> Result<Vec<String>>;
    /// The signed heads of the ledger's Merkle tree log (size, signed note), of sizes above
    /// `after`, in order; at most `limit`. [`LedgerStore::ledger_append_after`] adds one with
    /// each batch.
    fn ledger_heads(&self, after: u64, limit: usize) -> Result<Vec<(u64, String)>>;
    /// The largest signed head.
    fn ledger_last_head(&self) -> Result<Option<(u64, String)>>;
    /// Keep a receipt a partner's node gave for an answer (see
    /// `pacto_federation::ledger::receipt`): `seq` is its response entry's place in the
    /// partner's log. Keeping one twice is a no-op.
    fn put_receipt(&mut self, partner: &str, seq: u64, receipt: &str) -> Result<()>;
    /// The receipts kept from `partner`, of entries after `after`, in order; at most `limit`.
    fn receipts(&self, partner: &str, after: u64, limit: usize) -> Result<Vec<(u64, String)>>;
    /// The receipt of `partner` with the largest entry.
    fn last_receipt(&self, partner: &str) -> Result<Option<(u64, String)>>;
    /// Keep a partner's cosignature (as a witness) of this node's signed head of `size` (the
    /// cosigned note). Keeping one for the same size again replaces it (a later cosignature).
    fn put_cosignature(&mut self, partner: &str, size: u64, note: &str) -> Result<()>;
    /// The cosignatures kept, (partner, size, note), optionally of one partner, by size.
    fn cosignatures(&self, partner: Option<&str>) -> Result<Vec<(String, u64, String)>>;
}

/// Node settings kept in the database, and writes that move them together with objects.
pub trait SettingStore {
    /// A node setting kept in the database (None when unset).
    fn setting(&self, key: &str) -> Result<Option<String>>;
    /// Add objects to a collection (when given) and set node settings, in one transaction: a
    /// consumer's output and its cursor land together or not at all. `expect` is a compare and
    /// set: each named setting must still hold the value given (None: unset), or nothing is
    /// written and the answer is [`StoreError::Conflict`] (another consumer got there first).
    fn add_with_settings(
        &mut self,
        collection: Option<&Collection>,
        objects: &[Incoming],
        settings: &[(String, String)],
        expect: &[(String, Option<String>)],
    ) -> Result<Vec<AddOutcome>>;
}

/// What several servers on one database share beyond the data: the status of each request
/// (so that a client may ask any server), and which process runs the node's background work.
pub trait CoordinationStore {
    /// Keep a request's status body for its owner. The store keeps the newest statuses, at most
    /// `keep` of them and `max_bytes` of bodies (the newest always).
    fn put_status(&mut self, id: &str, owner: &str, body: &str, keep: usize, max_bytes: usize) -> Result<()>;
    /// A status body, if `owner` posted it and it is still kept.
    fn status(&self, id: &str, owner: &str) -> Result<Option<String>>;
    /// Whether this connection leads `role` (`sync`, `detect`): true for the one connection
    /// that holds it, until that connection closes (its process ends or dies); then another
    /// may take it. An embedded database has one process per node, which always leads.
    fn try_lead(&mut self, role: &str) -> Result<bool>;
}

/// What a ledger append writes: entries (sequence number, partner, JSON text), and a
/// checkpoint (the sequence number it covers, its text).
pub type LedgerAppend = (Vec<(u64, String, String)>, Option<(u64, String)>);

/// What a ledger append is built from, read under the ledger's lock: the entries after the
/// ones the writer knows (sequence number, JSON text), and the newest signed head (size, text).
pub type LedgerBuild<'a> = dyn FnMut(Vec<(u64, String)>, Option<(u64, String)>) -> Result<LedgerAppend> + 'a;

/// Full-text search over the latest versions of objects (see [`crate::search`]).
pub trait SearchStore {
    /// The latest versions `query` selects, newest first, handed to `f` until it answers
    /// false or none are left. Only the collections the query names are looked at.
    fn search(&self, query: &SearchQuery, f: &mut dyn FnMut(SearchHit) -> Result<bool>) -> Result<()>;
    /// The versions a collection holds (0 when there is no such collection), counted from an
    /// index: what the dashboard shows, cheap at millions of objects.
    fn count_versions(&self, collection: &str) -> Result<u64>;
}

/// The web console's login sessions, kept in the database so that every server on it shares
/// them and a restart logs no one out. A session is named by the SHA-256 of its id only.
/// Instants and limits are arguments (the store reads no clock).
pub trait SessionStore {
    /// Begin a session and move its account's visit to `session.started_us`, in one
    /// transaction. The session stored (and returned) has as `last_visit_us` the account's
    /// previous visit, or `session.last_visit_us` when it has none. The account keeps its
    /// `keep` newest sessions at most (by start): older ones end.
    fn start_session(&mut self, session: &ConsoleSession, keep: usize) -> Result<ConsoleSession>;
    /// The session whose id has this hash, if it is live at `now_us` under `limits`.
    fn session(&self, id_hash: &str, now_us: i64, limits: &SessionLimits) -> Result<Option<ConsoleSession>>;
    /// Record that a session was used at `now_us`, if it is still live then; false when it is
    /// not (or there is no such session).
    fn touch_session(&mut self, id_hash: &str, now_us: i64, limits: &SessionLimits) -> Result<bool>;
    /// End a session; false when there was none.
    fn end_session(&mut self, id_hash: &str) -> Result<bool>;
    /// End every session of an account (it was removed, or became a partner); how many ended.
    fn end_user_sessions(&mut self, user: &str) -> Result<u64>;
    /// Remove sessions no longer live at `now_us`, at most `max` of them; how many went.
    fn purge_sessions(&mut self, now_us: i64, limits: &SessionLimits, max: usize) -> Result<u64>;
}

/// Every capability: what a node's process holds one connection of.
pub trait Store:
    ObjectStore
    + SearchStore
    + AccountStore
    + CredentialStore
    + PartnerStore
    + PsiStore
    + LedgerStore
    + SettingStore
    + CoordinationStore
    + SessionStore
{
}

impl<T> Store for T where
    T: ObjectStore
        + SearchStore
        + AccountStore
        + CredentialStore
        + PartnerStore
        + PsiStore
        + LedgerStore
        + SettingStore
        + CoordinationStore
        + SessionStore
        + ?Sized
{
}
