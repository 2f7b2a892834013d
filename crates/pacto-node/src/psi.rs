//! Private matching, both sides.
//!
//! The holder answers partners' queries against this node's sets within each partner's
//! `[[psi]]` grant (sizes, daily rate, mode, noise): everything about a query is checked
//! ([`parse_query`], [`ParsedQuery::check`], [`HolderAnswer::admit`]) before it is admitted,
//! and only an admitted query is counted against `per_day` and written to the ledger
//! ([`crate::ledger::admit_psi_query`]). The querier side is [`query`] (`pacto match`) and
//! [`trace`] (`pacto trace`: labelled matching, the payloads of the matching items).
//!
//! A labelled set keeps one record per item (tag, item key, whole payload; [`import_set`]);
//! each answer seals the payloads afresh, reduced to the fields the partner's grant lists, so
//! a field the agreement withholds is in no byte that leaves.
//!
//! Set secrets are read from key files ([`PsiKeys`]), never from the database; a secret an
//! earlier version left in the database is moved to its file on first use.

use std::io::Write;
use std::path::{Path, PathBuf};

use pacto_federation::agreement::{Agreement, PsiGrant};
use pacto_psi::{
    HolderSet, LabelledQuerier, LabelledRecords, Mode, Normalizer, Outcome, Querier, TAG_BYTES, Trace, count_query,
    wire,
};
use pacto_store::{PsiLabels, PsiSet, PsiStore, Remote};

use crate::NodeError;
use crate::client::{ClientError, ClientLimits, HttpClient};
use crate::receipts::PartnerLog;

/// The media type of every PSI message (requests and answers).
pub const PSI_MEDIA_TYPE: &str = "application/octet-stream";

/// Where set secrets live: one file per set, `NAME.key` (0600) in a 0700 directory, holding the
/// secret (64 hex digits) and the set version it belongs to (its creation time).
#[derive(Debug, Clone, Default)]
pub struct PsiKeys {
    /// None: no key directory was given (a server without private sets).
    dir: Option<PathBuf>,
}

impl PsiKeys {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        PsiKeys { dir: Some(dir.into()) }
    }

    fn dir(&self) -> std::io::Result<&Path> {
        self.dir.as_deref().ok_or_else(|| std::io::Error::other("no directory for set keys was configured"))
    }

    /// The key file of a set: its name when that is a plain file name, else its bytes in hex.
    pub fn path(&self, set: &str) -> std::io::Result<PathBuf> {
        let plain = !set.is_empty()
            && !set.starts_with('.')
            && set.len() <= 100
            && set.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        let file = if plain {
            format!("{set}.key")
        } else {
            format!("x-{}.key", set.bytes().map(|b| format!("{b:02x}")).collect::<String>())
        };
        Ok(self.dir()?.join(file))
    }

    /// A set version's secret, if its file exists. An unreadable or malformed file is an error.
    pub fn read(&self, set: &str, version: i64) -> Result<Option<[u8; 32]>, String> {
        let path = self.path(set).map_err(|e| e.to_string())?;
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let mut parts = text.split_whitespace();
        let (Some(hex), Some(v), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("{}: not a set key (64 hex digits and a version)", path.display()));
        };
        if v.parse::<i64>().ok() != Some(version) {
            return Err(format!(
                "{}: the key belongs to another version of set {set:?} (import the set again)",
                path.display()
            ));
        }
        let mut secret = [0u8; 32];
        if hex.len() != 64 {
            return Err(format!("{}: the secret must be 64 hex digits", path.display()));
        }
        for (i, b) in secret.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .map_err(|_| format!("{}: the secret must be 64 hex digits", path.display()))?;
        }
        Ok(Some(secret))
    }

    /// Write a set version's secret: a new 0600 file in a 0700 directory, synced, then
    /// renamed over any earlier one.
    pub fn write(&self, set: &str, version: i64, secret: &[u8; 32]) -> std::io::Result<()> {
        create_private_dir(self.dir()?)?;
        let path = self.path(set)?;
        let tmp = path.with_extension(format!("key.tmp{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let mut f = private_file(&tmp)?;
        let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        f.write_all(format!("{hex} {version}\n").as_bytes())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &path)?;
        if let Ok(d) = std::fs::File::open(self.dir()?) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Remove a set's key file (absent is fine).
    pub fn remove(&self, set: &str) -> std::io::Result<()> {
        if self.dir.is_none() {
            return Ok(());
        }
        match std::fs::remove_file(self.path(set)?) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// The secret of a stored set: from its key file; a secret still in the database (an
    /// earlier version's) is first moved to its file and the column blanked.
    pub fn secret<S: PsiStore + ?Sized>(&self, store: &mut S, set: &PsiSet) -> Result<[u8; 32], String> {
        if let Some(in_db) = set.secret {
            match self.read(&set.name, set.created_us)? {
                Some(f) if f != in_db => {
                    return Err(format!("set {:?}: its key file and the database disagree", set.name));
                }
                Some(_) => {}
                None => self
                    .write(&set.name, set.created_us, &in_db)
                    .map_err(|e| format!("set {:?}: cannot write its key file: {e}", set.name))?,
            }
            store.put_psi_set(&PsiSet { secret: None, ..set.clone() }).map_err(|e| e.to_string())?;
            tracing::info!(set = %set.name, "set secret moved out of the database into its key file");
            return Ok(in_db);
        }
        let path = self.path(&set.name).map_err(|e| e.to_string())?;
        self.read(&set.name, set.created_us)?
            .ok_or_else(|| format!("set {:?}: no key file at {}", set.name, path.display()))
    }
}

/// Create a directory (and its parents) readable by the owner only.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Create a new file readable and writable by the owner only.
pub fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// The grant `agreement` gives for `set`; "no such private set" without one (a set a partner
/// may not query answers exactly as one that does not exist).
pub fn grant(agreement: Option<&Agreement>, set: &str) -> Result<PsiGrant, NodeError> {
    agreement
        .and_then(|a| a.psi.iter().find(|g| g.set == set))
        .cloned()
        .ok_or_else(|| NodeError::NotFound("no such private set".into()))
}

/// A stored set ready to answer: the plain set (tags and blinded points) with its secret, and a
/// labelled set's records as stored (decoded only when a labelled query is answered).
pub struct Holder {
    pub set: HolderSet,
    pub labels: Option<PsiLabels>,
}

/// Items to keep as a private set: plain, or each with its payload (a JSON object of the
/// fields named in `fields`).
pub enum SetItems {
    Plain(Vec<Vec<u8>>),
    Labelled { fields: Vec<String>, items: Vec<(Vec<u8>, Vec<u8>)> },
}

/// Why a set could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// An item or payload the rule or the format refuses (its index among the items).
    #[error(transparent)]
    Items(pacto_psi::PsiError),
    #[error("cannot write the key of set {set:?}: {source}")]
    Key { set: String, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] pacto_store::StoreError),
}

/// Encode `items` under a fresh secret and keep them as set `name` (a new version replaces
/// the old): the secret goes to its key file first, the database keeps only the encoding (tags,
/// blinded points, and a labelled set's records), never the items. Returns the stored set.
pub fn import_set<S: PsiStore + ?Sized>(
    store: &mut S,
    keys: &PsiKeys,
    name: &str,
    rule: Normalizer,
    items: &SetItems,
) -> Result<PsiSet, ImportError> {
    let (holder, labels) = match items {
        SetItems::Plain(items) => (HolderSet::encode(items, rule).map_err(ImportError::Items)?, None),
        SetItems::Labelled { fields, items } => {
            let (records, plain) = LabelledRecords::encode(items, rule).map_err(ImportError::Items)?;
            (plain, Some(PsiLabels { fields: fields.clone(), records: records.to_bytes() }))
        }
    };
    let created_us = pacto_stix::Timestamp::now().as_micros();
    keys.write(name, created_us, &holder.secret_bytes())
        .map_err(|source| ImportError::Key { set: name.to_string(), source })?;
    let set = PsiSet {
        name: name.to_string(),
        normalizer: rule.id().to_string(),
        secret: None,
        tags: holder.tags.iter().flatten().copied().collect(),
        points: holder.points.iter().flatten().copied().collect(),
        items: holder.tags.len() as u64,
        created_us,
        labels,
    };
    store.put_psi_set(&set)?;
    Ok(set)
}

/// A stored set with its secret, ready to answer (the secret moved out of the database first
/// if an earlier version left it there). Call it under the writer, which moving the secret
/// needs; a set that does not exist answers "no such private set".
pub fn holder<S: PsiStore + ?Sized>(s: &mut S, keys: &PsiKeys, set: &str) -> Result<Holder, NodeError> {
    let now = s.psi_set(set)?.ok_or_else(|| NodeError::NotFound("no such private set".into()))?;
    let secret = keys.secret(s, &now).map_err(NodeError::Internal)?;
    let normalizer = Normalizer::parse(&now.normalizer)
        .ok_or_else(|| NodeError::Internal(format!("set {set:?} has an unknown rule {:?}", now.normalizer)))?;
    let tags = now.tags.chunks_exact(TAG_BYTES).map(|c| c.try_into().unwrap_or([0; TAG_BYTES])).collect();
    let points = now.points.chunks_exact(32).map(|c| c.try_into().unwrap_or([0; 32])).collect();
    let plain = HolderSet::from_parts(secret, normalizer, tags, points)
        .ok_or_else(|| NodeError::Internal(format!("set {set:?}: the key file holds no valid secret")))?;
    Ok(Holder { set: plain, labels: now.labels })
}

/// Size-only step 1: the set blinded under its secret (`PSIW`), and the digest the ledger
/// records of it. The same bytes for every querier of one set version.
pub fn blinded_set(holder: &HolderSet) -> Result<(Vec<u8>, String), NodeError> {
    if holder.points.is_empty() && !holder.tags.is_empty() {
        return Err(NodeError::Conflict {
            title: "Set must be imported again",
            description:
                "this set was stored before size-only queries used the count exchange; the holder must import it again"
                    .into(),
        });
    }
    let digest: String = holder.digest().iter().map(|b| format!("{b:02x}")).collect();
    Ok((wire::encode_blinded_set(&holder.blinded_set()), digest))
}

/// A query decoded and within its grant's mode and sizes; its points are not checked yet
/// ([`ParsedQuery::check`], the costly part).
pub enum ParsedQuery {
    /// `PSIQ`, answered `PSIA`.
    Intersection(pacto_psi::Query),
    /// `PSIC`, answered `PSIN` (size only).
    Count(pacto_psi::CountQuery),
    /// `PSLQ`, answered `PSLA` (the matching items' payloads).
    Labelled(pacto_psi::LabelledQuery),
}

/// A decoded, fully checked query, ready to be admitted.
pub enum CheckedQuery {
    Intersection(pacto_psi::CheckedQuery),
    Count(pacto_psi::CheckedCount),
    Labelled(pacto_psi::labelled::CheckedLabelledQuery),
}

fn bad(e: &dyn std::fmt::Display) -> NodeError {
    NodeError::BadRequest(e.to_string())
}

/// Decode a query by its magic and check it against `grant`'s mode and sizes (cheap checks
/// only).
pub fn parse_query(bytes: &[u8], grant: &PsiGrant) -> Result<ParsedQuery, NodeError> {
    match bytes.get(..4) {
        Some(b"PSIQ") => {
            let q = wire::decode_query(bytes).map_err(|e| bad(&e))?;
            if q.mode == Mode::Cardinality {
                return Err(bad(&pacto_psi::PsiError::SizeOnlyIsTwoStep));
            }
            if grant.mode == "cardinality" {
                return Err(NodeError::Forbidden(
                    "the agreement allows only size-only queries against this set".into(),
                ));
            }
            check_size(grant, q.points.len())?;
            Ok(ParsedQuery::Intersection(q))
        }
        Some(b"PSIC") => {
            let c = wire::decode_count_query(bytes).map_err(|e| bad(&e))?;
            check_size(grant, c.points.len())?;
            Ok(ParsedQuery::Count(c))
        }
        Some(b"PSLQ") => {
            let q = wire::decode_labelled_query(bytes).map_err(|e| bad(&e))?;
            if grant.mode != "labelled" {
                return Err(NodeError::Forbidden(format!(
                    "the agreement allows {} queries against this set, not labelled ones (payloads)",
                    grant.mode
                )));
            }
            check_size(grant, q.points.len())?;
            Ok(ParsedQuery::Labelled(q))
        }
        _ => Err(bad(
            &"PSI message, byte 0: not a query (PSIQ, intersection), a count query (PSIC, size only) or a labelled query (PSLQ)",
        )),
    }
}

impl ParsedQuery {
    /// The rule the querier normalised its items with.
    pub fn rule(&self) -> Normalizer {
        match self {
            ParsedQuery::Intersection(q) => q.normalizer,
            ParsedQuery::Count(c) => c.normalizer,
            ParsedQuery::Labelled(q) => q.normalizer,
        }
    }
    /// Items queried.
    pub fn items(&self) -> usize {
        match self {
            ParsedQuery::Intersection(q) => q.points.len(),
            ParsedQuery::Count(c) => c.points.len(),
            ParsedQuery::Labelled(q) => q.points.len(),
        }
    }
    /// Check every point (each one decompressed: CPU work, to run off any event loop).
    pub fn check(self) -> Result<CheckedQuery, NodeError> {
        match self {
            ParsedQuery::Intersection(q) => q.check().map(CheckedQuery::Intersection).map_err(|e| bad(&e)),
            ParsedQuery::Count(c) => c.check().map(CheckedQuery::Count).map_err(|e| bad(&e)),
            ParsedQuery::Labelled(q) => q.check().map(CheckedQuery::Labelled).map_err(|e| bad(&e)),
        }
    }
}

fn check_size(grant: &PsiGrant, items: usize) -> Result<(), NodeError> {
    if items == 0 {
        return Err(bad(&pacto_psi::PsiError::Empty));
    }
    if items > grant.max_query {
        return Err(NodeError::Forbidden(format!("the agreement allows queries of at most {} items", grant.max_query)));
    }
    if items < grant.min_query {
        return Err(NodeError::Forbidden(format!(
            "the agreement allows queries of at least {} items (this one has {items})",
            grant.min_query
        )));
    }
    Ok(())
}

/// A checked query against a set, ready to be admitted and answered.
pub struct HolderAnswer {
    pub holder: Holder,
    pub query: CheckedQuery,
}

impl HolderAnswer {
    /// The last checks before the query is admitted (the rule matches the set's; a count query
    /// was built on this set version); then what the ledger records of it: a description and
    /// the digest of the query as received.
    /// A labelled query is admitted only against a labelled set, and the ledger names the
    /// fields that will leave (`fields`, the grant's).
    pub fn admit(
        &self,
        rule: Normalizer,
        items: usize,
        bytes: &[u8],
        fields: Option<&[String]>,
    ) -> Result<(String, String), NodeError> {
        if self.holder.set.normalizer != rule {
            return Err(NodeError::BadRequest(format!(
                "the set is normalised with {:?}, the query with {:?}: equal items would not match",
                self.holder.set.normalizer.id(),
                rule.id()
            )));
        }
        if let CheckedQuery::Labelled(_) = &self.query {
            if self.holder.labels.is_none() {
                return Err(NodeError::Conflict {
                    title: "Not a labelled set",
                    description: "this set carries no payloads: it answers intersection and size-only queries".into(),
                });
            }
            let fields = fields.unwrap_or_default().join(", ");
            return Ok((format!("labelled ({fields}), {items} items"), pacto_federation::ledger::sha256_hex(bytes)));
        }
        if let CheckedQuery::Count(c) = &self.query {
            match self.holder.set.check_count(c) {
                Ok(()) => {}
                Err(pacto_psi::PsiError::StaleSet) => {
                    return Err(NodeError::Conflict {
                        title: "Set changed",
                        description:
                            "the count query was built on another version of the set: fetch the blinded set again"
                                .into(),
                    });
                }
                Err(e) => return Err(bad(&e)),
            }
        }
        let mode = match &self.query {
            CheckedQuery::Count(_) => "cardinality",
            _ => "intersection",
        };
        Ok((format!("{mode}, {items} items"), pacto_federation::ledger::sha256_hex(bytes)))
    }

    /// The answer (`PSIA`; `PSIN` with the count, noised when the grant says so: `epsilon`;
    /// `PSLA`, every payload reduced to the grant's `fields` and sealed under a fresh salt).
    pub fn answer(self, grant: &PsiGrant) -> Result<Vec<u8>, NodeError> {
        let holder = self.holder.set;
        match self.query {
            CheckedQuery::Intersection(q) => holder.answer(&q).map(|a| wire::encode_answer(&a)).map_err(|e| bad(&e)),
            CheckedQuery::Count(c) => {
                let exact = holder.count(&c).map_err(|e| bad(&e))? as u64;
                let count = match grant.noise_epsilon() {
                    Some(eps) => pacto_psi::noise::noisy_count(exact, c.len() as u64, eps),
                    None => exact,
                };
                Ok(wire::encode_count_answer(&pacto_psi::CountAnswer { normalizer: holder.normalizer, count }))
            }
            CheckedQuery::Labelled(q) => {
                let labels = self.holder.labels.ok_or_else(|| NodeError::Internal("not a labelled set".into()))?;
                let records = LabelledRecords::from_parts(holder.secret_bytes(), holder.normalizer, &labels.records)
                    .map_err(|e| NodeError::Internal(format!("the stored labelled set: {e}")))?;
                let fields = grant.fields.as_deref().unwrap_or_default();
                let sealed = records
                    .seal(Some(fields))
                    .map_err(|e| NodeError::Internal(format!("the stored labelled set: {e}")))?;
                sealed.answer(&q).map(|a| wire::encode_labelled_answer(&a)).map_err(|e| bad(&e))
            }
        }
    }
}

/// Why a private query to a partner failed.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("{partner} refused the query ({status}): {reason}")]
    Refused { partner: String, status: u16, reason: String },
    /// The querier's own items could not be encoded (the rule refuses one).
    #[error(transparent)]
    Items(pacto_psi::PsiError),
    /// What the partner answered is not a well-formed answer.
    #[error("{what}: {why}")]
    Answer { what: String, why: String },
    #[error(transparent)]
    Wire(#[from] wire::WireError),
    /// The answer's receipt is missing or does not verify: nothing of it is used.
    #[error("{partner}'s answer is not taken: {why}")]
    Receipt { partner: String, why: String },
    #[error(transparent)]
    Store(#[from] pacto_store::StoreError),
    /// The answer does not fit the query.
    #[error(transparent)]
    Protocol(pacto_psi::PsiError),
}

/// What a private query learned.
pub type MatchOutcome = Outcome;

/// A client for private queries to `remote`, accepting answers up to `max_response_bytes`.
fn psi_client(
    remote: &Remote,
    identity: Option<&crate::identity::NodeIdentity>,
    max_response_bytes: u64,
) -> Result<HttpClient, MatchError> {
    // The partner computes over its whole set before it answers: wait longer than for a page.
    let limits = ClientLimits {
        read_timeout: std::time::Duration::from_secs(120),
        request_timeout: std::time::Duration::from_secs(300),
        max_response_bytes,
        ..Default::default()
    };
    let access = crate::client::Access::of_remote(remote, identity);
    Ok(HttpClient::with_access(&remote.api_root, &access, Some(&remote.partner), limits)?)
}

/// The partner's refusal (its TAXII error message's description).
fn refused(partner: &str, status: u16, body: &[u8]) -> MatchError {
    let why: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    MatchError::Refused {
        partner: partner.to_string(),
        status,
        reason: why["description"].as_str().unwrap_or("no reason given").to_string(),
    }
}

/// The partner's answer (status 200), its receipt checked against the exact body and kept
/// (`partner.NAME.receipts = not-required` for a partner that is not a pacto node).
fn receipted(
    store: &mut dyn pacto_store::Store,
    plog: &mut PartnerLog,
    client: &mut HttpClient,
    r: crate::client::Response,
    partner: &str,
) -> Result<crate::client::Response, MatchError> {
    if r.status != 200 {
        return Err(refused(partner, r.status, &r.body));
    }
    let answer = crate::client::Answer::of(r);
    let fail = |why| MatchError::Receipt { partner: partner.to_string(), why };
    let checked = plog.check(store, client, &answer, true).map_err(fail)?;
    plog.keep(store, checked).map_err(fail)?;
    Ok(crate::client::Response { status: 200, headers: Vec::new(), body: answer.body })
}

/// Query `set` at the partner `remote` points to with `items` (normalised by `rule`): which of
/// them it holds (indexes into `items`), or, `size_only`, how many (two steps: the partner's
/// set blinded under its secret, then the count of what we send). Each answer's receipt is
/// checked and kept in `store`, as sync does.
pub fn query(
    store: &mut dyn pacto_store::Store,
    remote: &Remote,
    identity: Option<&crate::identity::NodeIdentity>,
    set: &str,
    items: &[Vec<u8>],
    rule: Normalizer,
    size_only: bool,
) -> Result<MatchOutcome, MatchError> {
    let partner = remote.partner.as_str();
    let mut client = psi_client(remote, identity, ClientLimits::default().max_response_bytes)?;
    let mut plog = PartnerLog::load(store, remote, true)?;
    plog.ask_from_held(&mut client);
    let answer = |what: String| move |e: wire::WireError| MatchError::Answer { what, why: e.to_string() };
    let path = format!("psi/{set}/");
    if size_only {
        // Size-only: fetch the set blinded under the holder's secret, send our items and its
        // points blinded under ours, and receive a number.
        let r = client.get(&path)?;
        let r = receipted(store, &mut plog, &mut client, r, partner)?;
        let blinded = wire::decode_blinded_set(&r.body).map_err(answer(format!("{partner}'s blinded set")))?;
        let q = count_query(items, rule, &blinded).map_err(MatchError::Items)?;
        plog.ask_from_held(&mut client);
        let r = client.post_bytes(&path, &wire::encode_count_query(&q), PSI_MEDIA_TYPE)?;
        let r = receipted(store, &mut plog, &mut client, r, partner)?;
        let a = wire::decode_count_answer(&r.body).map_err(answer(format!("{partner}'s answer")))?;
        return Ok(Outcome::Count(a.count as usize));
    }
    let (querier, q) = Querier::start(items, rule, Mode::Intersection).map_err(MatchError::Items)?;
    let r = client.post_bytes(&path, &wire::encode_query(&q), PSI_MEDIA_TYPE)?;
    let r = receipted(store, &mut plog, &mut client, r, partner)?;
    let a = wire::decode_answer(&r.body)?;
    querier.finish(&a).map_err(MatchError::Protocol)
}

/// The largest labelled answer accepted: 32 bytes per query item and, per holder item, its tag
/// and sealed payload (a set of a million items with 100-byte payloads answers about 130 MB).
pub const MAX_LABELLED_ANSWER: u64 = 1 << 30;

/// Labelled matching (`pacto trace`): query `set` at `remote` with `items` (normalised by
/// `rule`) and open the payloads of the matching ones, in the order of `items`, each as a JSON
/// object of the fields received. The partner learns how many items were asked about, and
/// nothing else.
pub fn trace(
    store: &mut dyn pacto_store::Store,
    remote: &Remote,
    identity: Option<&crate::identity::NodeIdentity>,
    set: &str,
    items: &[Vec<u8>],
    rule: Normalizer,
) -> Result<Vec<Trace>, MatchError> {
    let partner = remote.partner.as_str();
    let mut client = psi_client(remote, identity, MAX_LABELLED_ANSWER)?;
    let mut plog = PartnerLog::load(store, remote, true)?;
    plog.ask_from_held(&mut client);
    let (querier, q) = LabelledQuerier::start(items, rule).map_err(MatchError::Items)?;
    let r = client.post_bytes(&format!("psi/{set}/"), &wire::encode_labelled_query(&q), PSI_MEDIA_TYPE)?;
    let r = receipted(store, &mut plog, &mut client, r, partner)?;
    let a = wire::decode_labelled_answer(&r.body)
        .map_err(|e| MatchError::Answer { what: format!("{partner}'s answer"), why: e.to_string() })?;
    tracing::info!(
        partner,
        set,
        bytes = r.body.len(),
        entries = a.entries.len(),
        slot = a.slot,
        "labelled answer received"
    );
    let traces = querier.finish(&a).map_err(MatchError::Protocol)?;
    traces
        .into_iter()
        .map(|t| {
            let fields = pacto_psi::payload::expand(&a.fields, &t.payload).map_err(|e| MatchError::Answer {
                what: format!("{partner}'s payload for item {}", t.index),
                why: e.to_string(),
            })?;
            Ok(Trace { index: t.index, payload: serde_json::Value::Object(fields).to_string().into_bytes() })
        })
        .collect()
}
