//! Private matching against this node's sets, within a partner's `[[psi]]` grant.
//!
//! `GET /{root}/psi/{set}/` hands out the set blinded under its secret (size-only step 1);
//! `POST /{root}/psi/{set}/` takes an intersection query (`PSIQ`) or a count query (`PSIC`).
//! Everything about a query is checked (media type, grant, mode, sizes, every point, rule, set
//! version) before it is admitted: only an admitted query is counted against `per_day` and
//! written to the ledger; a refusal is logged and costs the partner nothing.
//!
//! Set secrets are read from key files ([`PsiKeys`]), never from the database; a secret an
//! earlier version left in the database is moved to its file on first use.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pacto_federation::agreement::PsiGrant;
use pacto_psi::{HolderSet, Mode, Normalizer, TAG_BYTES, wire};
use pacto_store::{PsiSet, prelude::*};

use crate::{AppState, TaxiiError};

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
    pub fn secret(&self, store: &mut dyn Store, set: &PsiSet) -> Result<[u8; 32], String> {
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

/// Log a refusal (structured) and pass it on.
fn refused(partner: &str, set: &str, e: TaxiiError) -> TaxiiError {
    tracing::warn!(partner, set, status = e.status.as_u16(), reason = %e.description, "psi query refused");
    e
}

fn grant_for(caller: &crate::Caller, set: &str) -> Result<PsiGrant, TaxiiError> {
    caller
        .agreement
        .as_ref()
        .and_then(|a| a.psi.iter().find(|g| g.set == set))
        .cloned()
        .ok_or_else(|| TaxiiError::not_found("no such private set"))
}

/// The stored set and its secret (moved out of the database first if an earlier version left
/// it there).
async fn load(state: &Arc<AppState>, set: &str) -> Result<(PsiSet, HolderSet), TaxiiError> {
    let name = set.to_string();
    let stored = state
        .stores
        .read(move |s| Ok(s.psi_set(&name)?))
        .await?
        .ok_or_else(|| TaxiiError::not_found("no such private set"))?;
    let keys = state.psi_keys.clone();
    let stored2 = stored.clone();
    let secret = state
        .stores
        .write(move |s| {
            // Read again under the writer: another request may have moved the secret already.
            let now = s.psi_set(&stored2.name)?.unwrap_or(stored2);
            keys.secret(s, &now).map_err(|e| TaxiiError::internal(&e))
        })
        .await?;
    let normalizer = Normalizer::parse(&stored.normalizer)
        .ok_or_else(|| TaxiiError::internal(&format!("set {set:?} has an unknown rule {:?}", stored.normalizer)))?;
    let tags = stored.tags.chunks_exact(TAG_BYTES).map(|c| c.try_into().unwrap_or([0; TAG_BYTES])).collect();
    let points = stored.points.chunks_exact(32).map(|c| c.try_into().unwrap_or([0; 32])).collect();
    let holder = HolderSet::from_parts(secret, normalizer, tags, points)
        .ok_or_else(|| TaxiiError::internal(&format!("set {set:?}: the key file holds no valid secret")))?;
    Ok((stored, holder))
}

fn octets(body: Vec<u8>) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PSI_MEDIA_TYPE));
    resp
}

/// Size-only step 1: the set blinded under its secret (`PSIW`). The same bytes for every
/// querier of one set version; recorded in the ledger, not counted against `per_day`.
pub async fn blinded_set(
    State(state): State<Arc<AppState>>,
    UrlPath((name, set)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, TaxiiError> {
    let who = crate::handlers::caller(&state, &headers).await?;
    crate::handlers::root(&state, &name)?;
    let partner = who.user.name.clone();
    let grant = grant_for(&who, &set).map_err(|e| refused(&partner, &set, e))?;
    let (_, holder) = load(&state, &grant.set).await.map_err(|e| refused(&partner, &set, e))?;
    if holder.points.is_empty() && !holder.tags.is_empty() {
        return Err(refused(
            &partner,
            &set,
            TaxiiError::new(
                StatusCode::CONFLICT,
                "Set must be imported again",
                "this set was stored before size-only queries used the count exchange; the holder must import it again",
            ),
        ));
    }
    let body = wire::encode_blinded_set(&holder.blinded_set());
    let digest: String = holder.digest().iter().map(|b| format!("{b:02x}")).collect();
    crate::partner::record_psi_event(
        &state,
        &partner,
        &set,
        "psi-blinded-set",
        format!("blinded set, {} points", holder.points.len()),
        digest,
    )
    .await?;
    tracing::info!(partner, set, points = holder.points.len(), "psi blinded set served");
    Ok(octets(body))
}

/// A decoded, fully checked query, ready to be admitted.
enum Checked {
    Intersection(pacto_psi::CheckedQuery),
    Count(pacto_psi::CheckedCount),
}

/// An intersection query (`PSIQ`, answered `PSIA`) or a size-only count query (`PSIC`,
/// answered `PSIN`).
pub async fn query(
    State(state): State<Arc<AppState>>,
    UrlPath((name, set)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, TaxiiError> {
    let who = crate::handlers::caller(&state, &headers).await?;
    crate::handlers::root(&state, &name)?;
    let partner = who.user.name.clone();
    query_checked(&state, &who, &set, &headers, body).await.map_err(|e| refused(&partner, &set, e))
}

async fn query_checked(
    state: &Arc<AppState>,
    who: &crate::Caller,
    set: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, TaxiiError> {
    let grant = grant_for(who, set)?;
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case(PSI_MEDIA_TYPE) {
        return Err(TaxiiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            format!("a private-matching query is {PSI_MEDIA_TYPE}, not {ct:?}"),
        ));
    }
    let bytes: Bytes = crate::handlers::read_body(state, body).await?;
    let bad = |e: &dyn std::fmt::Display| TaxiiError::bad_request(e.to_string());
    // Decode by the message's magic, then check everything before the query is admitted.
    let (checked, rule, items) = match bytes.get(..4) {
        Some(b"PSIQ") => {
            let q = wire::decode_query(&bytes).map_err(|e| bad(&e))?;
            if q.mode == Mode::Cardinality {
                return Err(bad(&pacto_psi::PsiError::SizeOnlyIsTwoStep));
            }
            if grant.mode == "cardinality" {
                return Err(TaxiiError::forbidden("the agreement allows only size-only queries against this set"));
            }
            // Sizes first (cheap); the points' check decompresses each one, off the runtime.
            check_size(&grant, q.points.len())?;
            let (rule, items) = (q.normalizer, q.points.len());
            let checked = off_runtime(state, move || q.check()).await?.map_err(|e| bad(&e))?;
            (Checked::Intersection(checked), rule, items)
        }
        Some(b"PSIC") => {
            let c = wire::decode_count_query(&bytes).map_err(|e| bad(&e))?;
            check_size(&grant, c.points.len())?;
            let (rule, items) = (c.normalizer, c.points.len());
            let checked = off_runtime(state, move || c.check()).await?.map_err(|e| bad(&e))?;
            (Checked::Count(checked), rule, items)
        }
        _ => {
            return Err(bad(
                &"PSI message, byte 0: not a query (PSIQ, intersection) or a count query (PSIC, size only)",
            ));
        }
    };
    finish(state, who, &grant, set, &bytes, checked, rule, items).await
}

/// Run CPU-heavy work on a blocking thread, one validation at a time per spare core (the same
/// permits TAXII POST validation takes), so a partner's queries cannot hold the runtime.
async fn off_runtime<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, TaxiiError> {
    let _permit = state.stores.validations.acquire().await.map_err(|_| TaxiiError::internal("validation closed"))?;
    tokio::task::spawn_blocking(f).await.map_err(|e| TaxiiError::internal(&format!("query check failed: {e}")))
}

fn check_size(grant: &PsiGrant, items: usize) -> Result<(), TaxiiError> {
    if items == 0 {
        return Err(TaxiiError::bad_request(pacto_psi::PsiError::Empty.to_string()));
    }
    if items > grant.max_query {
        return Err(TaxiiError::forbidden(format!(
            "the agreement allows queries of at most {} items",
            grant.max_query
        )));
    }
    if items < grant.min_query {
        return Err(TaxiiError::forbidden(format!(
            "the agreement allows queries of at least {} items (this one has {items})",
            grant.min_query
        )));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    state: &Arc<AppState>,
    who: &crate::Caller,
    grant: &PsiGrant,
    set: &str,
    bytes: &[u8],
    checked: Checked,
    rule: Normalizer,
    items: usize,
) -> Result<Response, TaxiiError> {
    let (_, holder) = load(state, set).await?;
    if holder.normalizer != rule {
        return Err(TaxiiError::bad_request(format!(
            "the set is normalised with {:?}, the query with {:?}: equal items would not match",
            holder.normalizer.id(),
            rule.id()
        )));
    }
    if let Checked::Count(c) = &checked {
        match holder.check_count(c) {
            Ok(()) => {}
            Err(pacto_psi::PsiError::StaleSet) => {
                return Err(TaxiiError::new(
                    StatusCode::CONFLICT,
                    "Set changed",
                    "the count query was built on another version of the set: fetch the blinded set again",
                ));
            }
            Err(e) => return Err(TaxiiError::bad_request(e.to_string())),
        }
    }
    let mode = match &checked {
        Checked::Intersection(_) => "intersection",
        Checked::Count(_) => "cardinality",
    };
    let description = format!("{mode}, {items} items");
    let digest = pacto_federation::ledger::sha256_hex(bytes);
    crate::partner::admit_psi_query(state, &who.user.name, set, grant.per_day, description, digest).await?;
    let epsilon = grant.noise_epsilon();
    let answer = tokio::task::spawn_blocking(move || match checked {
        Checked::Intersection(q) => {
            holder.answer(&q).map(|a| wire::encode_answer(&a)).map_err(|e| TaxiiError::bad_request(e.to_string()))
        }
        Checked::Count(c) => {
            let exact = holder.count(&c).map_err(|e| TaxiiError::bad_request(e.to_string()))? as u64;
            let count = match epsilon {
                Some(eps) => pacto_psi::noise::noisy_count(exact, c.len() as u64, eps),
                None => exact,
            };
            Ok(wire::encode_count_answer(&pacto_psi::CountAnswer { normalizer: holder.normalizer, count }))
        }
    })
    .await
    .map_err(|e| TaxiiError::internal(&e.to_string()))??;
    Ok(octets(answer))
}
