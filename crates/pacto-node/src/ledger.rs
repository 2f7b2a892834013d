//! Recording in the disclosure ledger: what was served to a partner, and the private-matching
//! queries it made. The ledger is a Merkle tree log (`pacto_federation::ledger::log`): the
//! node keeps the tree in memory ([`Log`]), appends each answer's entries and signs the new
//! head in one store write, and hands the partner a receipt
//! (`pacto_federation::ledger::receipt`).
//!
//! Invariant: the node never signs a head that does not extend the last one it signed. The
//! log is checked when it is first loaded (the entries' chain, the version 1 checkpoints, and
//! that the tree extends both the newest head in the store and the one this process kept in
//! its data directory), and every later head is signed over that tree, so a database edited
//! without the key is refused, not blessed.

use std::path::PathBuf;
use std::sync::Mutex;

use pacto_federation::ledger::log::{self as tlog, ExportError};
use pacto_federation::ledger::receipt::{self, Receipt};
use pacto_federation::ledger::rotation::{self, Handover, KeyHistory, KeyRing};
use pacto_federation::ledger::{Chain, Checkpoint, Entry, Event, SigningKey, sha256_hex};
use pacto_log::checkpoint::SignedCheckpoint;
use pacto_log::merkle::Tree;
use pacto_store::{Collection, LedgerStore, SettingStore, StoreError, StoredObject};

use crate::NodeError;

/// What a read told a partner, for its ledger entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// Objects (objects and object endpoints): the entry's digest is of the object as served.
    Objects,
    /// Manifest records: which ids and versions exist, and when they were added.
    Manifest,
    /// An object's version list.
    Versions,
}

impl Served {
    /// The answer's name in its response entry.
    pub fn name(self) -> &'static str {
        match self {
            Served::Objects => "objects",
            Served::Manifest => "manifest",
            Served::Versions => "versions",
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Served::Objects => "disclosure",
            Served::Manifest => "manifest",
            Served::Versions => "versions",
        }
    }
}

/// One ledger event per object version a read told `partner` of (`what` says how: its
/// content, or its manifest record or version), at `now`. `digests` are of exactly what was
/// sent for each version (the object, or its record). Appended with [`append_signed`] before
/// the answer is sent: what is not recorded is not served.
pub fn served_events(
    partner: &str,
    c: &Collection,
    what: Served,
    served: &[StoredObject],
    digests: Vec<String>,
    now: &str,
) -> Vec<Event> {
    served
        .iter()
        .zip(digests)
        .map(|(o, digest)| Event {
            time: now.to_string(),
            partner: partner.to_string(),
            kind: what.kind().into(),
            collection: c.name.clone(),
            object_id: Some(o.id.clone()),
            object_version: Some(pacto_store::taxii_version(o)),
            digest,
        })
        .collect()
}

/// Count a private-matching query against the partner's daily allowance (`per_day` against
/// `set`) and, if it is within, record it in the ledger — both in one write (call it under
/// the writer), so concurrent queries cannot overrun the limit.
pub fn admit_psi_query<S: LedgerStore + ?Sized>(
    s: &mut S,
    log: &Log,
    partner: &str,
    set: &str,
    per_day: u64,
    description: String,
    digest: String,
) -> Result<(), NodeError> {
    let now = pacto_stix::Timestamp::now();
    let day_start =
        pacto_stix::Timestamp { secs: now.secs - now.secs.rem_euclid(86_400), nanos: 0, frac_digits: 3 }.format(3);
    let time = now.format(3);
    let used = s.ledger_count_since(partner, "psi-query", set, &day_start)?;
    if used >= per_day {
        return Err(NodeError::TooMany(format!("the agreement allows {per_day} queries a day against {set:?}")));
    }
    let event = psi_event(partner, set, "psi-query", description, digest, &time);
    log.append(s, vec![event], None)?;
    Ok(())
}

/// A private-matching event (a query, or the blinded set handed out for a size-only query).
pub fn psi_event(partner: &str, set: &str, kind: &str, description: String, digest: String, time: &str) -> Event {
    Event {
        time: time.to_string(),
        partner: partner.to_string(),
        kind: kind.to_string(),
        collection: set.to_string(),
        object_id: None,
        object_version: Some(description),
        digest,
    }
}

/// The answer a batch of entries ends with: its response entry, and the receipt asked for.
pub struct Response<'a> {
    /// The partner's account.
    pub partner: &'a str,
    /// The collection or private set answered from.
    pub collection: &'a str,
    /// What the answer is, in a few words (`objects 1000`, `manifest 12`, `psi-answer`).
    pub what: String,
    /// The exact body sent.
    pub body: &'a [u8],
    /// The size of this log the partner says it holds (for the consistency proof).
    pub held: Option<u64>,
}

/// The node's ledger as a Merkle tree log: the tree, the chain's head and the last head this
/// process signed, loaded from the store on first use and kept in step with it.
pub struct Log {
    key: SigningKey,
    /// Where this process keeps the last head it signed (outside the database).
    held_file: Option<PathBuf>,
    state: Mutex<Option<LogState>>,
}

struct LogState {
    tree: Tree,
    chain: Chain,
    signed: Option<SignedCheckpoint>,
    /// The keys that signed the log, first to this node's.
    keys: KeyRing,
    /// The entries that handed the log from one key to the next.
    rotations: Vec<u64>,
}

/// The keys that signed the log of `entries` (from its rotation entries), which must end with
/// `key`, this node's; and the rotation entries.
fn ring_of(entries: &[Entry], key: &pacto_federation::ledger::VerifyingKey) -> Result<(KeyRing, Vec<u64>), NodeError> {
    let mut ring: Option<KeyRing> = None;
    let mut rotations = Vec::new();
    for e in entries {
        let Some(keys) = rotation::entry_keys(e) else { continue };
        let (old, new) = keys.map_err(|why| corrupt(e.seq, why))?;
        let r = ring.get_or_insert_with(|| KeyRing::single(old));
        if *r.current() != old {
            return Err(corrupt(e.seq, "hands the ledger over from a key that was not signing it"));
        }
        r.push(new);
        rotations.push(e.seq);
    }
    let ring = ring.unwrap_or_else(|| KeyRing::single(*key));
    if ring.current() != key {
        return Err(NodeError::Internal(format!(
            "the disclosure ledger was handed over to key {} at entry {}, but this node's key is {}: start \
             the node with the key the ledger was handed to (the data directory's node-key)",
            tlog::fingerprint(ring.current()),
            rotations.last().copied().unwrap_or_default(),
            tlog::fingerprint(key)
        )));
    }
    Ok((ring, rotations))
}

/// Why the log cannot be appended to or signed: it was changed behind the node's back, or the
/// store failed.
fn refused(e: ExportError) -> NodeError {
    NodeError::Internal(format!(
        "the disclosure ledger does not verify, so this node signs nothing more and serves no partner: {e}"
    ))
}

fn corrupt(seq: u64, why: impl std::fmt::Display) -> NodeError {
    NodeError::Store(StoreError::Corrupt(format!("ledger entry {seq}: {why}")))
}

/// Every entry of the ledger, in order.
pub fn load_entries<S: LedgerStore + ?Sized>(s: &S, after: u64) -> Result<Vec<Entry>, NodeError> {
    let mut entries = Vec::new();
    let mut after = after;
    loop {
        let rows = s.ledger_entries(after, None, 10_000)?;
        if rows.is_empty() {
            return Ok(entries);
        }
        for (seq, text) in rows {
            entries.push(serde_json::from_str(&text).map_err(|e| corrupt(seq, format!("not readable: {e}")))?);
            after = seq;
        }
    }
}

/// Every version 1 checkpoint of the ledger.
pub fn load_v1_checkpoints<S: LedgerStore + ?Sized>(s: &S) -> Result<Vec<Checkpoint>, NodeError> {
    s.ledger_checkpoints()?
        .iter()
        .map(|t| {
            serde_json::from_str(t)
                .map_err(|e| NodeError::Store(StoreError::Corrupt(format!("a ledger checkpoint is not readable: {e}"))))
        })
        .collect()
}

impl Log {
    /// The log of the node whose key is `key`; `held_file` keeps the last head this process
    /// signed (e.g. `<data dir>/ledger-checkpoint`).
    pub fn new(key: SigningKey, held_file: Option<PathBuf>) -> Log {
        Log { key, held_file, state: Mutex::new(None) }
    }

    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    fn held(&self) -> Result<Option<String>, NodeError> {
        let Some(path) = &self.held_file else { return Ok(None) };
        match std::fs::read_to_string(path) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(NodeError::Internal(format!("cannot read {}: {e}", path.display()))),
        }
    }

    fn keep(&self, cp: &SignedCheckpoint) {
        let Some(path) = &self.held_file else { return };
        let tmp = path.with_extension("tmp");
        let written = std::fs::write(&tmp, cp.to_text()).and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            tracing::error!(file = %path.display(), error = %e, "the last signed ledger head was not kept");
        }
    }

    /// Load and check the whole log from the store (at start, and on first use).
    fn load<S: LedgerStore + ?Sized>(&self, s: &S) -> Result<LogState, NodeError> {
        // The head first: entries land with their head in one transaction, so the entries
        // read after it cover it even while other processes append.
        // A ledger with no signed head yet may get its first while being read: read again
        // until the head read before the entries is still the newest after them.
        let (stored, mut entries) = {
            let mut attempt = 0;
            loop {
                let before = s.ledger_last_head()?;
                let entries = load_entries(s, 0)?;
                if before.is_some() || attempt == 8 || s.ledger_last_head()?.is_none() {
                    break (before, entries);
                }
                attempt += 1;
            }
        };
        if let Some((size, _)) = &stored {
            // Entries beyond it were appended since (they are followed on first use, with the
            // head that covers them) — or written by someone without the key.
            entries.truncate(*size as usize);
        }
        let stored = stored.map(|h| h.1);
        let v1 = load_v1_checkpoints(s)?;
        let vk = self.key.verifying_key();
        let (keys, rotations) = ring_of(&entries, &vk)?;
        let mut signed: Vec<SignedCheckpoint> = Vec::new();
        for (what, text) in
            [("the newest signed head in the store", stored), ("the head kept in the data directory", self.held()?)]
        {
            if let Some(t) = text {
                let cp = keys.open(&t).map_err(|e| refused(ExportError::Held(format!("{what}: {e}"))))?;
                signed.push(cp);
            }
        }
        if entries.is_empty() {
            if let Some(cp) = signed.iter().find(|c| c.checkpoint.size > 0) {
                return Err(refused(ExportError::Truncated { held: cp.checkpoint.size, have: 0 }));
            }
            return Ok(LogState { tree: Tree::new(), chain: Chain::default(), signed: None, keys, rotations });
        }
        let newest = signed.iter().max_by_key(|c| c.checkpoint.size).map(SignedCheckpoint::to_text);
        let (_, tree) = tlog::verify_node(&entries, &v1, &keys, newest.as_deref()).map_err(refused)?;
        for cp in &signed {
            pacto_log::consistency::check_extends(&tree, &cp.checkpoint)
                .map_err(|e| refused(ExportError::Refused(e)))?;
        }
        let last = entries.last().map(|e| Chain { seq: e.seq, hash: e.hash.clone() }).unwrap_or_default();
        Ok(LogState {
            tree,
            chain: last,
            signed: signed.into_iter().max_by_key(|c| c.checkpoint.size),
            keys,
            rotations,
        })
    }

    /// Check the log now (at start): a ledger edited without the key stops the node here.
    /// Returns the number of entries.
    pub fn open<S: LedgerStore + ?Sized>(&self, s: &S) -> Result<u64, NodeError> {
        let st = self.load(s)?;
        let n = st.tree.len();
        // Entries past the newest head: every process appends its entries with their head, so
        // unless one was being appended just now, someone without the key wrote them.
        if let Some((seq, _)) = s.ledger_head()?
            && seq > n
            && s.ledger_last_head()?.map_or(0, |h| h.0) < seq
        {
            return Err(refused(ExportError::Uncovered { from: n + 1, to: seq }));
        }
        *self.state.lock().map_err(|_| NodeError::Internal("the ledger's lock is poisoned".into()))? = Some(st);
        Ok(n)
    }

    /// Follow entries other processes appended (read after the ones this process holds),
    /// checking that each follows the chain and that the newest signed head (`head`) covers
    /// them all: every process appends its entries with their signed head, so entries beyond
    /// it were written by someone without the key.
    fn follow(&self, st: &mut LogState, rows: Vec<(u64, String)>, head: Option<&str>) -> Result<(), ExportError> {
        if rows.is_empty() {
            return Ok(());
        }
        let base = st.tree.len();
        for (seq, text) in rows {
            let edited = |reason: &str| ExportError::Entry { seq, line: 0, reason: reason.to_string() };
            let e: Entry = serde_json::from_str(&text).map_err(|_| edited("is not readable"))?;
            if e.kind == rotation::KIND {
                st.tree.truncate(base);
                return Err(edited(
                    "hands the ledger over to a new key (another process rotated it): restart this server with the new key",
                ));
            }
            if e.seq != st.chain.seq + 1 || e.prev != st.chain.hash || e.compute_hash() != e.hash {
                st.tree.truncate(base);
                return Err(edited("does not follow the entries this node holds (the store was edited)"));
            }
            st.tree.push_hash(e.leaf_hash());
            st.chain = Chain { seq: e.seq, hash: e.hash };
        }
        let vk = self.key.verifying_key();
        let signed = head.map(|t| tlog::log_verifier(&vk).open(t));
        match signed {
            Some(Ok(cp)) if cp.checkpoint.size == st.tree.len() && cp.checkpoint.root == st.tree.root() => {
                st.signed = Some(cp);
                Ok(())
            }
            _ => {
                let to = st.tree.len();
                st.tree.truncate(base);
                Err(ExportError::Uncovered { from: base + 1, to })
            }
        }
    }

    /// Bring the in-memory tree up to the store's head, and check it extends the newest head
    /// signed (by any process on the database).
    fn catch_up<S: LedgerStore + ?Sized>(&self, s: &S, st: &mut LogState) -> Result<(), NodeError> {
        // The head first (see `load`).
        let head = s.ledger_last_head()?;
        let mut rows = s.ledger_entries(st.chain.seq, None, usize::MAX)?;
        if let Some((size, _)) = &head {
            rows.retain(|(seq, _)| seq <= size);
        }
        self.follow(st, rows, head.as_ref().map(|h| h.1.as_str())).map_err(refused)?;
        if let Some((_, text)) = head {
            let vk = self.key.verifying_key();
            let cp = tlog::log_verifier(&vk).open(&text).map_err(|e| refused(ExportError::Held(e.to_string())))?;
            pacto_log::consistency::check_extends(&st.tree, &cp.checkpoint)
                .map_err(|e| refused(ExportError::Refused(e)))?;
        }
        Ok(())
    }

    /// Append `events` (and, for an answer, its response entry) after the ledger's head and
    /// sign the new head, in one store write under the ledger's lock (several processes on
    /// one database chain one after the other). Returns the receipt of the answer.
    pub fn append<S: LedgerStore + ?Sized>(
        &self,
        s: &mut S,
        events: Vec<Event>,
        response: Option<Response<'_>>,
    ) -> Result<Option<Receipt>, NodeError> {
        let mut guard = self.state.lock().map_err(|_| NodeError::Internal("the ledger's lock is poisoned".into()))?;
        if guard.is_none() {
            *guard = Some(self.load(s)?);
        }
        let Some(st) = guard.as_mut() else { return Err(NodeError::Internal("the ledger is not loaded".into())) };
        let signer = tlog::log_signer(&self.key);
        let vk = self.key.verifying_key();
        let mut events = events;
        if let Some(r) = &response {
            events.push(Event {
                time: events.last().map_or_else(|| pacto_stix::Timestamp::now().format(3), |e| e.time.clone()),
                partner: r.partner.to_string(),
                kind: receipt::RESPONSE.into(),
                collection: r.collection.to_string(),
                object_id: None,
                object_version: Some(r.what.clone()),
                digest: sha256_hex(r.body),
            });
        }
        if events.is_empty() {
            return Ok(None);
        }
        let mut kept = st.tree.len();
        let mut done: Option<(Chain, SignedCheckpoint, Option<Receipt>)> = None;
        let written = s.ledger_append_after(st.chain.seq, &mut |newer, head| {
            self.follow(st, newer, head.as_ref().map(|h| h.1.as_str()))
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            kept = st.tree.len();
            let first = st.chain.seq + 1;
            let mut chain = st.chain.clone();
            let entries: Vec<Entry> = events.iter().cloned().map(|e| chain.append(e)).collect();
            for e in &entries {
                st.tree.push_hash(e.leaf_hash());
            }
            let prev = st.signed.as_ref().map(|c| &c.checkpoint);
            let cp = pacto_log::consistency::sign_next(&signer, prev, &st.tree)
                .map_err(|e| StoreError::Corrupt(format!("the node refuses to sign the ledger's head: {e}")))?;
            let receipt = match (&response, entries.last()) {
                (Some(r), Some(last)) => {
                    Some(Receipt::build(&vk, first, last.clone(), &st.tree, &cp, r.held).map_err(StoreError::Other)?)
                }
                _ => None,
            };
            let rows = entries
                .iter()
                .map(|e| (e.seq, e.partner.clone(), serde_json::to_string(e).unwrap_or_default()))
                .collect();
            let head = (cp.checkpoint.size, cp.to_text());
            done = Some((chain, cp, receipt));
            Ok((rows, Some(head)))
        });
        match (written, done) {
            (Ok(()), Some((chain, cp, receipt))) => {
                st.chain = chain;
                self.keep(&cp);
                st.signed = Some(cp);
                Ok(receipt)
            }
            (Err(StoreError::Corrupt(why)), _) => {
                st.tree.truncate(kept);
                Err(NodeError::Internal(format!(
                    "the disclosure ledger does not verify, so this node signs nothing more and serves no partner: {why}"
                )))
            }
            (Err(e), _) => {
                // The transaction did not commit: what was followed stays (other processes
                // wrote it), what was built goes.
                st.tree.truncate(kept);
                Err(e.into())
            }
            (Ok(()), None) => Err(NodeError::Internal("the ledger write returned without appending".into())),
        }
    }

    /// Hand the log over to `new`: append the rotation entry and sign its head with both keys,
    /// in one store write under the ledger's lock. Returns the log under the new key (this one
    /// must not sign again) and the handover head. Every other process on the database must be
    /// restarted with the new key: one that follows the rotation stops serving partners.
    pub fn rotate<S: LedgerStore + ?Sized>(
        self,
        s: &mut S,
        new: SigningKey,
    ) -> Result<(Log, SignedCheckpoint), NodeError> {
        let handed = {
            let mut guard =
                self.state.lock().map_err(|_| NodeError::Internal("the ledger's lock is poisoned".into()))?;
            if guard.is_none() {
                *guard = Some(self.load(s)?);
            }
            let Some(st) = guard.as_mut() else { return Err(NodeError::Internal("the ledger is not loaded".into())) };
            let (old_vk, new_vk) = (self.key.verifying_key(), new.verifying_key());
            if st.keys.contains(&new_vk) {
                return Err(NodeError::BadRequest(
                    "the ledger was signed by this key before: rotate to a new one".into(),
                ));
            }
            let mut kept = st.tree.len();
            let mut done: Option<(Chain, SignedCheckpoint)> = None;
            let written = s.ledger_append_after(st.chain.seq, &mut |newer, head| {
                self.follow(st, newer, head.as_ref().map(|h| h.1.as_str()))
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                kept = st.tree.len();
                let mut chain = st.chain.clone();
                let e = chain.append(rotation::event(&old_vk, &new_vk, &pacto_stix::Timestamp::now().format(3)));
                st.tree.push_hash(e.leaf_hash());
                let cp = rotation::sign(&self.key, &new, &st.tree, st.signed.as_ref().map(|c| &c.checkpoint))
                    .map_err(|e| StoreError::Corrupt(format!("the node refuses to sign the ledger's head: {e}")))?;
                let rows = vec![(e.seq, e.partner.clone(), serde_json::to_string(&e).unwrap_or_default())];
                let head = (cp.checkpoint.size, cp.to_text());
                done = Some((chain, cp));
                Ok((rows, Some(head)))
            });
            match (written, done) {
                (Ok(()), Some((chain, cp))) => {
                    st.rotations.push(chain.seq);
                    st.chain = chain;
                    st.keys.push(new_vk);
                    self.keep(&cp);
                    st.signed = Some(cp.clone());
                    cp
                }
                (Err(e), _) => {
                    st.tree.truncate(kept);
                    return Err(match e {
                        StoreError::Corrupt(why) => refused(ExportError::Held(why)),
                        e => e.into(),
                    });
                }
                (Ok(()), None) => {
                    return Err(NodeError::Internal("the ledger write returned without appending".into()));
                }
            }
        };
        let state = self.state.into_inner().map_err(|_| NodeError::Internal("the ledger's lock is poisoned".into()))?;
        Ok((Log { key: new, held_file: self.held_file, state: Mutex::new(state) }, handed))
    }

    /// The keys that signed the log, first to this node's, and each handover between them
    /// (what `GET {api root}/ledger/keys/` answers and an export carries).
    /// The history is tied to the newest signed head: each handover carries its consistency
    /// proof to it.
    pub fn key_history<S: LedgerStore + ?Sized>(&self, s: &mut S) -> Result<(KeyRing, KeyHistory), NodeError> {
        self.key_history_at(s, None)
    }

    /// The key history as of the signed head of size `size` (the newest when `None`): the
    /// rotations up to it, each with its consistency proof to that head, which the history
    /// carries (a partner following a receipt's key asks for the receipt's head).
    pub fn key_history_at<S: LedgerStore + ?Sized>(
        &self,
        s: &mut S,
        size: Option<u64>,
    ) -> Result<(KeyRing, KeyHistory), NodeError> {
        let mut guard = self.state.lock().map_err(|_| NodeError::Internal("the ledger's lock is poisoned".into()))?;
        if guard.is_none() {
            *guard = Some(self.load(s)?);
        }
        let Some(st) = guard.as_mut() else { return Err(NodeError::Internal("the ledger is not loaded".into())) };
        self.catch_up(s, st)?;
        let mut history = KeyHistory::default();
        for &seq in &st.rotations {
            let missing = || corrupt(seq, "the head signed by both keys of this rotation is missing");
            let head = s.ledger_heads(seq - 1, 1)?.into_iter().find(|h| h.0 == seq).ok_or_else(missing)?;
            let (_, text) = s.ledger_entries(seq - 1, None, 1)?.into_iter().next().ok_or_else(missing)?;
            let entry: Entry = serde_json::from_str(&text).map_err(|e| corrupt(seq, format!("not readable: {e}")))?;
            let cp = st.keys.open(&head.1).map_err(|e| corrupt(seq, e))?;
            let h = Handover::build(entry, &st.tree, &cp).map_err(|e| corrupt(seq, e))?;
            let from = history.rotations.len();
            h.verify(&st.keys.keys()[from]).map_err(|e| corrupt(seq, e))?;
            history.rotations.push(h);
        }
        let head = match size {
            None => match &st.signed {
                Some(cp) => cp.clone(),
                None if history.is_empty() => return Ok((st.keys.clone(), history)),
                None => return Err(NodeError::Internal("the rotated ledger has no signed head".into())),
            },
            Some(n) => {
                let text = s.ledger_heads(n.saturating_sub(1), 1)?.into_iter().find(|h| h.0 == n).map(|h| h.1);
                let text =
                    text.ok_or_else(|| NodeError::BadRequest(format!("this node signed no head of size {n}")))?;
                st.keys.open(&text).map_err(|e| corrupt(n, e))?
            }
        };
        let n = head.checkpoint.size;
        history.rotations.retain(|h| h.entry.seq <= n);
        let history = history.to_head(&st.tree, &head).map_err(|e| corrupt(n, e))?;
        Ok((st.keys.clone(), history))
    }

    /// The log as it stands (loaded and caught up): its entries' count and the last head
    /// signed, signing the current head first if it is not (a ledger from before version 2).
    pub fn signed_head<S: LedgerStore + ?Sized>(&self, s: &mut S) -> Result<(Tree, SignedCheckpoint), NodeError> {
        self.with_head(s, |t, c| (t.clone(), c.clone()))
    }

    /// Answer a partner's audit (`pacto ledger audit` on its side): its entries in the current
    /// log, proved, and the log's consistency with the sizes it holds.
    pub fn audit_answer<S: LedgerStore + ?Sized>(
        &self,
        s: &mut S,
        partner: &str,
        req: &receipt::AuditRequest,
    ) -> Result<receipt::AuditAnswer, NodeError> {
        if req.entries.len() > receipt::AUDIT_MAX {
            return Err(NodeError::BadRequest(format!("an audit names at most {} entries", receipt::AUDIT_MAX)));
        }
        let mut entries = std::collections::HashMap::new();
        for &seq in &req.entries {
            if let Some((n, text)) = s.ledger_entries(seq.saturating_sub(1), None, 1)?.into_iter().next()
                && n == seq
                && let Ok(e) = serde_json::from_str::<Entry>(&text)
            {
                entries.insert(seq, e);
            }
        }
        self.with_head(s, |tree, head| {
            receipt::AuditAnswer::build(req, tree, head, partner, |seq| entries.remove(&seq))
                .map_err(NodeError::BadRequest)
        })?
    }

    /// Keep a partner's cosignature of one of this node's heads (it witnessed the log): the
    /// head must be one this node signed, and the witness key the one pinned for the partner
    /// (the first cosignature pins it) or one the witness handed its key over to from it, as
    /// the key history it sent shows (each handover signed by both keys: the witness keys are
    /// then pinned first to newest, as `receipts::PartnerLog` pins a partner's ledger keys).
    /// Returns the size cosigned.
    pub fn accept_cosignature<S: LedgerStore + SettingStore + ?Sized>(
        &self,
        s: &mut S,
        partner: &str,
        c: &receipt::Cosignature,
    ) -> Result<u64, NodeError> {
        let vk = self.key.verifying_key();
        let size = tlog::log_verifier(&vk)
            .open(&c.checkpoint)
            .map_err(|e| NodeError::BadRequest(format!("the checkpoint: {e}")))?
            .checkpoint
            .size;
        let own = s.ledger_heads(size.saturating_sub(1), 1)?.into_iter().find(|h| h.0 == size).map(|h| h.1);
        let setting = format!("partner.{partner}.witness_key");
        let kept = s.setting(&setting)?;
        let pinned = kept
            .as_deref()
            .map(|k| {
                receipt::witness_ring_from_setting(k).map_err(|e| {
                    NodeError::Store(StoreError::Corrupt(format!("the witness key pinned for {partner}: {e}")))
                })
            })
            .transpose()?;
        let (_, _, ring) = c.verify(&vk, own.as_deref(), pinned.as_ref()).map_err(NodeError::BadRequest)?;
        if pinned.as_ref() != Some(&ring) {
            let value = receipt::witness_ring_to_setting(&ring);
            s.add_with_settings(None, &[], &[(setting.clone(), value)], &[(setting, kept)])?;
            if pinned.is_some() {
                tracing::info!(partner, witness = c.witness, "followed the partner's witness key rotation");
            }
        }
        s.put_cosignature(partner, size, &c.checkpoint)?;
        Ok(size)
    }

    /// Run `f` over the log as it stands and its signed head (signing the current head first
    /// if it is not: a ledger from before version 2).
    pub fn with_head<S: LedgerStore + ?Sized, R>(
        &self,
        s: &mut S,
        f: impl FnOnce(&Tree, &SignedCheckpoint) -> R,
    ) -> Result<R, NodeError> {
        let mut guard = self.state.lock().map_err(|_| NodeError::Internal("the ledger's lock is poisoned".into()))?;
        if guard.is_none() {
            *guard = Some(self.load(s)?);
        }
        let Some(st) = guard.as_mut() else { return Err(NodeError::Internal("the ledger is not loaded".into())) };
        self.catch_up(s, st)?;
        if st.tree.is_empty() {
            return Err(NodeError::NotFound(
                "the ledger is empty: nothing has been disclosed, so there is nothing signed to export or prove".into(),
            ));
        }
        if let Some(cp) = st.signed.as_ref().filter(|c| c.checkpoint.size == st.tree.len()) {
            return Ok(f(&st.tree, cp));
        }
        let signer = tlog::log_signer(&self.key);
        let cp = pacto_log::consistency::sign_next(&signer, st.signed.as_ref().map(|c| &c.checkpoint), &st.tree)
            .map_err(|e| refused(ExportError::Refused(e)))?;
        let head = (cp.checkpoint.size, cp.to_text());
        let base = st.tree.len();
        s.ledger_append_after(base, &mut |newer, _| {
            if !newer.is_empty() {
                return Err(StoreError::Conflict("another process appended to the ledger; try again".into()));
            }
            Ok((Vec::new(), Some(head.clone())))
        })?;
        self.keep(&cp);
        let out = f(&st.tree, &cp);
        st.signed = Some(cp);
        Ok(out)
    }
}
