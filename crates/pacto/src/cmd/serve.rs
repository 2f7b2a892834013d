//! `pacto serve`: configuration (TOML file, flags, environment), the listener (plain or TLS),
//! and graceful shutdown. The API itself is `pacto_taxii::router`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use pacto_store::{Database, User};
use pacto_taxii::{ApiRoot, AppState, ServerConfig, SharedStore, Stores};
use serde::Deserialize;

use super::EXIT_OK;
use crate::cli::{Global, ServeArgs};
use crate::config;

/// The TOML configuration file. Every field is optional; flags override it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The database URL (`--database` and `PACTO_DATABASE` take precedence).
    pub database: Option<String>,
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub contact: Option<String>,
    pub max_content_length: Option<usize>,
    pub max_page_size: Option<usize>,
    pub tls: Option<TlsConfig>,
    #[serde(default)]
    pub api_roots: Vec<ApiRoot>,
    /// Collections created at start-up when missing.
    #[serde(default)]
    pub collections: Vec<CollectionConfig>,
    /// Users created or updated at start-up (with argon2id hashes, never passwords).
    #[serde(default)]
    pub users: Vec<User>,
    /// Seconds between syncs with partners (0: never).
    pub sync_interval: Option<u64>,
    /// Objects one POST may carry (413 beyond).
    pub max_objects_per_request: Option<usize>,
    /// A token that may read /metrics (`Authorization: Bearer …`); see also
    /// `--metrics-token-file`.
    pub metrics_token: Option<String>,
    /// Connection limits.
    pub limits: Option<LimitsConfig>,
}

/// `[limits]`: timeouts in seconds, and connection caps.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    pub header_timeout: Option<u64>,
    pub idle_timeout: Option<u64>,
    pub handshake_timeout: Option<u64>,
    pub body_timeout: Option<u64>,
    pub max_connections: Option<usize>,
    pub max_connections_per_address: Option<usize>,
}

impl LimitsConfig {
    fn resolve(&self) -> anyhow::Result<pacto_taxii::server::Limits> {
        let d = pacto_taxii::server::Limits::default();
        let secs = |v: Option<u64>, name: &str, default: std::time::Duration| -> anyhow::Result<std::time::Duration> {
            match v {
                Some(0) => anyhow::bail!("[limits] {name} must be at least 1 second"),
                Some(s) => Ok(std::time::Duration::from_secs(s)),
                None => Ok(default),
            }
        };
        let count = |v: Option<usize>, name: &str, default: usize| -> anyhow::Result<usize> {
            match v {
                Some(0) => anyhow::bail!("[limits] {name} must be at least 1"),
                Some(n) => Ok(n),
                None => Ok(default),
            }
        };
        Ok(pacto_taxii::server::Limits {
            header_timeout: secs(self.header_timeout, "header_timeout", d.header_timeout)?,
            idle_timeout: secs(self.idle_timeout, "idle_timeout", d.idle_timeout)?,
            handshake_timeout: secs(self.handshake_timeout, "handshake_timeout", d.handshake_timeout)?,
            body_timeout: secs(self.body_timeout, "body_timeout", d.body_timeout)?,
            max_connections: count(self.max_connections, "max_connections", d.max_connections)?,
            max_connections_per_address: count(
                self.max_connections_per_address,
                "max_connections_per_address",
                d.max_connections_per_address,
            )?,
            shutdown_grace: d.shutdown_grace,
        })
    }
}

/// The metrics token from `--metrics-token-file` (first line) or the file's `metrics_token`;
/// a short one is refused, as it could be guessed.
fn metrics_token(args: &ServeArgs, file: &FileConfig) -> anyhow::Result<Option<String>> {
    let token = match &args.metrics_token_file {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("cannot read the metrics token {}", p.display()))?;
            Some(text.lines().next().unwrap_or("").trim().to_string())
        }
        None => file.metrics_token.clone(),
    };
    if let Some(t) = &token
        && (t.chars().count() < 32 || t.chars().any(char::is_whitespace))
    {
        anyhow::bail!("the metrics token must be at least 32 characters without spaces (e.g. `openssl rand -hex 32`)");
    }
    Ok(token)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_unspecified_address_is_not_advertised() {
        let any: std::net::SocketAddr = "0.0.0.0:8443".parse().unwrap();
        let line = super::announce("http", any, None);
        assert!(!line.contains("0.0.0.0") && line.contains("http://HOST:8443/taxii2/"), "{line}");
        let line = super::announce("https", any, Some("https://taxii.mx.example/"));
        assert!(line.contains("https://taxii.mx.example/taxii2/"), "{line}");
        let lo: std::net::SocketAddr = "127.0.0.1:8443".parse().unwrap();
        assert!(super::announce("http", lo, None).contains("TAXII 2.1 at http://127.0.0.1:8443/taxii2/"));
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionConfig {
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8443";

fn load(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("{}: invalid configuration", path.display()))
}

pub fn run(g: &Global, args: ServeArgs) -> anyhow::Result<i32> {
    let file = match &args.config {
        Some(p) => load(p)?,
        None => FileConfig::default(),
    };
    let listen = args.listen.clone().or(file.listen.clone()).unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    let addr: SocketAddr = listen.parse().with_context(|| format!("--listen {listen:?} is not an address:port"))?;
    let tls = match (&args.tls_cert, &args.tls_key, &file.tls) {
        _ if args.node_tls => Some(Tls::Node(config::node_identity(g)?)),
        (Some(c), Some(k), _) => Some(Tls::Files(c.clone(), k.clone())),
        (_, _, Some(t)) => Some(Tls::Files(t.cert.clone(), t.key.clone())),
        _ => None,
    };
    // Passwords and tokens travel in every request: never in clear beyond this machine unless
    // the operator says a TLS proxy in front takes care of it.
    if tls.is_none() && !addr.ip().is_loopback() && !args.insecure_http {
        anyhow::bail!(
            "refusing to serve plain HTTP on {addr}: passwords and tokens would cross the network in clear. \
             Give --node-tls (the node's own certificate, which partners pin), or --tls-cert and --tls-key \
             (or [tls] in the configuration), listen on 127.0.0.1 behind a \
             TLS proxy, or pass --insecure-http if a proxy in front already terminates TLS"
        );
    }
    let defaults = ServerConfig::default();
    let server = ServerConfig {
        title: file.title.clone().unwrap_or(defaults.title),
        description: file.description.clone(),
        contact: file.contact.clone(),
        api_roots: if file.api_roots.is_empty() { defaults.api_roots } else { file.api_roots.clone() },
        max_content_length: file.max_content_length.unwrap_or(defaults.max_content_length),
        max_page_size: file.max_page_size.unwrap_or(defaults.max_page_size).max(1),
        public_url: args.public_url.clone().or(file.public_url.clone()),
        max_objects_per_request: file.max_objects_per_request.unwrap_or(defaults.max_objects_per_request).max(1),
        metrics_token: metrics_token(&args, &file)?,
        limits: file.limits.as_ref().map(LimitsConfig::resolve).transpose()?.unwrap_or(defaults.limits),
        statuses_in_store: false,
        ledger_head_file: Some(super::ledger::head_file(g)),
        https: tls.is_some(),
        sync_every: None,
    };

    // One writer and a few readers on the same database.
    let db = config::database(g, file.database.as_deref())?;
    // Several servers may share a PostgreSQL database: a status must be found by any of them.
    let interval = args.sync_interval.or(file.sync_interval).unwrap_or(300);
    let server = ServerConfig {
        statuses_in_store: matches!(db, Database::Postgres(_)),
        sync_every: (interval > 0).then(|| std::time::Duration::from_secs(interval)),
        ..server
    };
    let mut writer = config::open_database(&db, true)?;
    config::seal_clear_passwords(g, &mut *writer)?;
    for c in &file.collections {
        if writer.collection(&c.name)?.is_none() {
            let made =
                writer.create_collection(&c.name, c.title.as_deref().unwrap_or(&c.name), c.description.as_deref())?;
            tracing::info!(collection = made.name, id = made.id, "created collection from configuration");
        }
    }
    for u in &file.users {
        writer.put_user(u)?;
    }
    // A fresh node: one collection and one administrator, so that `pacto serve` alone works.
    if writer.collections()?.is_empty() {
        writer.create_collection("default", "Default collection", Some("Created on first start"))?;
    }
    // Partner accounts (no rights of their own) may exist already: what matters is whether
    // anyone can administer the node.
    let administered =
        writer.users()?.iter().any(|u| u.can_read.contains(&"*".into()) && u.can_write.contains(&"*".into()));
    if !administered {
        if writer.user("admin")?.is_some() {
            anyhow::bail!(
                "no account has read and write rights on every collection, and the name admin is taken: \
                 create one with `pacto user add NAME --read '*' --write '*'`"
            );
        }
        let password = pacto_node::random_password();
        let password_hash = pacto_node::hash_password(&password).map_err(|e| anyhow::anyhow!(e))?;
        writer.put_user(&User {
            name: "admin".into(),
            password_hash,
            can_read: vec!["*".into()],
            can_write: vec!["*".into()],
        })?;
        eprintln!("pacto: first start: created the account admin (read and write on every collection)");
        eprintln!("pacto: its password, shown only now: {password}");
        eprintln!("pacto: add partner accounts with `pacto user add NAME --read C --write C` (password on stdin)");
    }
    let readers = (0..4).map(|_| config::open_database(&db, false)).collect::<anyhow::Result<Vec<SharedStore>>>()?;
    // The ledger is checked before anything is served: one edited without the node's key
    // stops the node here, with the entry that does not hold.
    let log = pacto_node::ledger::Log::new(config::node_key(g)?, server.ledger_head_file.clone());
    let entries = log.open(&*writer).context("the disclosure ledger")?;
    tracing::info!(entries, "disclosure ledger verified");
    let state = AppState::with_log(server, Stores::new(writer, readers), log, config::psi_keys(g));
    let agreements_dir = config::agreements_dir(g);
    state
        .set_agreements(config::load_agreements(&agreements_dir))
        .with_context(|| format!("the agreements in {} do not fit together", agreements_dir.display()))?;
    if interval > 0 {
        start_sync(g, db.clone(), std::time::Duration::from_secs(interval), state.clone())?;
    }
    start_detection(db.clone(), state.clone())?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.spawn(reload_agreements(state.clone(), agreements_dir));
    runtime.block_on(serve(addr, tls, state))?;
    Ok(EXIT_OK)
}

/// Where serving HTTPS takes its certificate from.
enum Tls {
    /// `--tls-cert` and `--tls-key` (or `[tls]`).
    Files(PathBuf, PathBuf),
    /// The node's own certificate (`--node-tls`).
    Node(pacto_node::identity::NodeIdentity),
}

async fn serve(addr: SocketAddr, tls: Option<Tls>, state: Arc<AppState>) -> anyhow::Result<()> {
    let limits = state.config.limits.clone();
    match &state.config.public_url {
        Some(u) => eprintln!("pacto: advertised as {}/taxii2/ (public_url)", u.trim_end_matches('/')),
        None if !addr.ip().is_loopback() => {
            tracing::warn!(
                %addr,
                "public_url is not set: discovery names API roots after each request's Host header, which a client chooses"
            );
            eprintln!("pacto: warning: public_url is not set; discovery answers with each request's Host header");
        }
        None => {}
    }
    let state_url = state.config.public_url.clone();
    let app = pacto_taxii::router(state);
    // Under TLS, browsers and clients that honour it keep to HTTPS for a year.
    let app = if tls.is_some() {
        app.layer(axum::middleware::map_response(|mut r: axum::response::Response| async move {
            r.headers_mut().insert(
                axum::http::header::STRICT_TRANSPORT_SECURITY,
                axum::http::HeaderValue::from_static("max-age=31536000"),
            );
            r
        }))
    } else {
        app
    };
    // Signal handlers first: a stop requested right after the ready line is still graceful.
    let stop = shutdown()?;
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    match tls {
        None => {
            eprintln!("pacto: {}", announce("http", local, state_url.as_deref()));
            tracing::info!(%local, tls = false, "serving");
            pacto_taxii::server::serve(listener, app, limits, stop).await?;
        }
        Some(tls) => {
            let acceptor = match &tls {
                Tls::Files(cert, key) => crate::tls::acceptor(cert, key)?,
                Tls::Node(identity) => {
                    eprintln!("pacto: serving with the node's certificate {}", identity.fingerprint());
                    crate::tls::node_acceptor(identity)?
                }
            };
            eprintln!("pacto: {}", announce("https", local, state_url.as_deref()));
            tracing::info!(%local, tls = true, "serving");
            // The handshake runs in the connection's slot, under the caps and its timeout.
            let handshake = move |tcp| crate::tls::accept(acceptor.clone(), tcp);
            pacto_taxii::server::serve_with(listener, app, limits, stop, handshake).await?;
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// The line that says where the server listens. An unspecified address (`0.0.0.0`, `::`) is no
/// address a client can use: it is named as what it is, with the URL clients are given.
fn announce(scheme: &str, local: SocketAddr, public_url: Option<&str>) -> String {
    let tail = "(health: /healthz, metrics: /metrics)";
    if !local.ip().is_unspecified() {
        return format!("TAXII 2.1 at {scheme}://{local}/taxii2/ {tail}");
    }
    let url = public_url.map_or_else(
        || format!("{scheme}://HOST:{}/taxii2/ (HOST: this machine's name or address)", local.port()),
        |u| format!("{}/taxii2/", u.trim_end_matches('/')),
    );
    format!("TAXII 2.1 on every address of this machine, port {}: {url} {tail}", local.port())
}

/// A future that completes on Ctrl-C or SIGTERM; the handlers are in place when it returns.
fn shutdown() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    Ok(async move {
        #[cfg(unix)]
        let term = term.recv();
        #[cfg(not(unix))]
        let term = std::future::pending::<Option<()>>();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term => {},
        }
        eprintln!("pacto: shutting down");
    })
}

/// Re-read the agreement files when any of them changes (checked every 2 seconds).
async fn reload_agreements(state: Arc<AppState>, dir: PathBuf) {
    let stamp = |dir: &Path| -> Vec<(PathBuf, std::time::SystemTime, u64)> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter_map(|e| {
                        e.metadata().ok().map(|m| (e.path(), m.modified().unwrap_or(std::time::UNIX_EPOCH), m.len()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let mut last = stamp(&dir);
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let now = stamp(&dir);
        if now != last {
            last = now;
            let agreements = config::load_agreements(&dir);
            let count = agreements.len();
            // Partners' views of new filters are filled here: off the runtime's threads.
            let st = state.clone();
            match tokio::task::spawn_blocking(move || st.set_agreements(agreements)).await {
                Ok(Ok(())) => tracing::info!(count, "agreements reloaded"),
                Ok(Err(e)) => tracing::error!(error = %e, "agreements not reloaded; the previous ones stay in force"),
                Err(e) => tracing::error!(error = %e, "agreements not reloaded"),
            }
        }
    }
}

/// Match new observations against the indicators, on a thread of its own with its own store
/// connection: objects that arrive by POST, import or sync are seen within about a second.
/// The setup is reread every pass, so `pacto detect setup` takes effect without a restart.
fn start_detection(db: Database, state: Arc<AppState>) -> anyhow::Result<()> {
    let mut store = db.open()?;
    std::thread::Builder::new().name("detect".into()).spawn(move || {
        let mut hunter: Option<pacto_detect::Hunter> = None;
        loop {
            // One process of those sharing the database matches; the others stand by and take
            // over when its connection ends.
            match store.try_lead("detect") {
                Ok(true) => {}
                Ok(false) => {
                    hunter = None;
                    std::thread::sleep(std::time::Duration::from_secs(1));
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot tell whether this server leads detection; will retry");
                    std::thread::sleep(std::time::Duration::from_secs(1));
                    continue;
                }
            }
            match pacto_detect::Setup::load(&*store) {
                Ok(Some(setup)) => {
                    let h = match hunter.take() {
                        Some(h) if h.setup == setup => h,
                        _ => pacto_detect::Hunter::new(setup),
                    };
                    let h = hunter.insert(h);
                    match h.catch_up(&mut *store, super::detect::PAGE) {
                        Ok(r) => {
                            state.metrics.detection(h.detector.indicators() as u64, r.observations, r.sightings);
                            if r.observations > 0 || r.sightings > 0 {
                                tracing::info!(
                                    observations = r.observations,
                                    sightings = r.sightings,
                                    indicators = h.detector.indicators(),
                                    "matched"
                                );
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "detection step failed; will retry");
                            hunter = None;
                        }
                    }
                }
                Ok(None) => hunter = None,
                Err(e) => tracing::error!(error = %e, "cannot read the detection setup"),
            }
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    })?;
    Ok(())
}

/// Sync every connected partner on a thread of its own, with its own store connection, so that
/// a slow partner never holds up the server's writes.
/// Sync every partner each `every`, presenting the node's certificate, and cosigning (as a
/// witness, with the node's key) the partners' checkpoints each run checked; then report back
/// the sightings of partners' indicators their agreements ask for (`report_sightings`), in the
/// same leader, so one process reports and its cursor is the only one.
fn start_sync(g: &Global, db: Database, every: std::time::Duration, state: Arc<AppState>) -> anyhow::Result<()> {
    let key = config::node_key(g)?;
    let mut store = db.open()?;
    let identity = config::node_identity(g)?;
    let g = g.clone();
    std::thread::Builder::new().name("sync".into()).spawn(move || {
        loop {
            // One process of those sharing the database syncs; the others stand by.
            match store.try_lead("sync") {
                Ok(true) => {}
                Ok(false) => {
                    std::thread::sleep(every.min(std::time::Duration::from_secs(2)));
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot tell whether this server leads sync; will retry");
                    std::thread::sleep(every.min(std::time::Duration::from_secs(2)));
                    continue;
                }
            }
            match config::remotes(&g, &*store) {
                Ok(remotes) => {
                    let history = match state.node.ledger.key_history(&mut *store) {
                        Ok((_, h)) => h,
                        Err(e) => {
                            tracing::warn!(error = %e, "the ledger key history could not be read: cosignatures go without it");
                            Default::default()
                        }
                    };
                    for r in &remotes {
                        let witness = Some((&key, &history));
                        match pacto_node::sync::sync_partner(&mut *store, r, 1000, Some(&identity), witness) {
                            Ok(rep) => tracing::info!(
                                partner = rep.partner,
                                added = rep.added,
                                unchanged = rep.unchanged,
                                rejected = rep.rejected,
                                "synced"
                            ),
                            Err(e) => tracing::warn!(error = %e, "sync failed; will retry"),
                        }
                    }
                    super::send::report_sightings(&g, &mut *store, &state.node.ledger, &remotes);
                }
                Err(e) => tracing::error!(error = %e, "cannot read partners"),
            }
            std::thread::sleep(every);
        }
    })?;
    Ok(())
}
