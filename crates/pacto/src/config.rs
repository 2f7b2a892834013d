//! Where the node keeps its data. The binary owns configuration; libraries take paths.

use std::path::PathBuf;

use anyhow::Context;
use pacto_store::{Connection, Database};

use crate::cli::Global;

/// The data directory: the flag or `PACTO_DATA_DIR`, else `$XDG_DATA_HOME/pacto`, else
/// `~/.local/share/pacto`, else `./pacto-data`.
pub fn data_dir(g: &Global) -> PathBuf {
    if let Some(d) = &g.data_dir {
        return d.clone();
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("pacto");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h).join(".local/share/pacto");
    }
    PathBuf::from("pacto-data")
}

/// The node's database: `--database` (or `PACTO_DATABASE`), else `fallback` (serve's
/// configuration file), else `pacto.db` in the data directory.
pub fn database(g: &Global, fallback: Option<&str>) -> anyhow::Result<Database> {
    match g.database.as_deref().or(fallback) {
        Some(url) => Ok(Database::parse(url)?),
        None => Ok(Database::in_data_dir(&data_dir(g))),
    }
}

/// Open the node's database as this process's writer (schema migrations are applied on open,
/// and passwords an earlier pacto kept in clear are sealed).
pub fn open_store(g: &Global) -> anyhow::Result<Connection> {
    let mut store = open_database(&database(g, None)?, true)?;
    seal_clear_passwords(g, &mut *store)?;
    Ok(store)
}

/// Open a connection to `db`: a SQLite file is made private to its owner first (see
/// [`private_db`]).
pub fn open_database(db: &Database, writer: bool) -> anyhow::Result<Connection> {
    tracing::debug!(database = %db.display(), "opening store");
    if let Some(path) = db.sqlite_path() {
        private_db(path)?;
    }
    let s = if writer { db.open_writer() } else { db.open() };
    let s = s.with_context(|| format!("cannot open the store at {}", db.display()))?;
    if let Some(path) = db.sqlite_path() {
        private_db(path)?;
    }
    Ok(s)
}

/// The data directory readable by the owner only (0700), and the database with its WAL and
/// shared-memory files 0600: the database is created empty with that mode before SQLite opens
/// it (SQLite gives the -wal and -shm files the database's mode), and existing files are set
/// to it.
pub fn private_db(db: &std::path::Path) -> anyhow::Result<()> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        pacto_node::psi::create_private_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    match pacto_node::psi::private_file(db) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", db.display())),
    }
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        if p.exists() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("cannot make {} private", p.display()))?;
        }
    }
    Ok(())
}

/// Where private sets' secrets live: `psi-keys/NAME.key` in the data directory (0600 files in
/// a 0700 directory), never in the database.
pub fn psi_keys(g: &Global) -> pacto_node::PsiKeys {
    pacto_node::PsiKeys::new(data_dir(g).join("psi-keys"))
}

/// Why local writing into collection `name` is refused, if it is: an inbound collection is
/// written by sync alone, and a partner's drop box by that partner alone (so that whatever the
/// partner finds already stored there is its own).
pub fn local_write_refusal(g: &Global, name: &str) -> Option<String> {
    if let Some(why) = pacto_store::inbound_write_refusal(name) {
        return Some(why);
    }
    let owner = load_agreements(&agreements_dir(g)).into_iter().find(|a| a.dropbox.as_deref() == Some(name))?;
    Some(pacto_federation::agreement::dropbox_refusal(name, &owner.partner))
}

/// Where sharing agreements live: one TOML file per partner.
pub fn agreements_dir(g: &Global) -> PathBuf {
    data_dir(g).join("agreements")
}

/// Load every agreement file; a file that does not parse is reported and left out (its partner
/// then has no rights at all, since partner accounts hold none of their own).
pub fn load_agreements(dir: &std::path::Path) -> Vec<pacto_federation::agreement::Agreement> {
    let Ok(read) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut paths: Vec<PathBuf> =
        read.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        match std::fs::read_to_string(&p)
            .map_err(|e| e.to_string())
            .and_then(|t| pacto_federation::agreement::Agreement::parse(&t).map_err(|e| e.to_string()))
        {
            Ok(a) => out.push(a),
            Err(e) => tracing::error!(file = %p.display(), error = e, "agreement left out"),
        }
    }
    out
}

/// Where `pacto ledger rotate-key` keeps the new key until the handover is committed.
pub fn next_key_path(g: &Global) -> PathBuf {
    data_dir(g).join("node-key.next")
}

/// Finish or undo a key rotation cut short: if the ledger's newest head is signed by the key
/// waiting in `node-key.next`, the handover was committed and it becomes the node key;
/// otherwise it is discarded.
fn finish_rotation(g: &Global) -> anyhow::Result<()> {
    let next = next_key_path(g);
    let Ok(text) = std::fs::read(&next) else { return Ok(()) };
    let new = pacto_federation::ledger::signing_key_from_hex(&String::from_utf8_lossy(&text))
        .with_context(|| format!("{}: not a node key (64 hex digits)", next.display()))?;
    let store = open_store(g)?;
    let verifier = pacto_federation::ledger::log::log_verifier(&new.verifying_key());
    if store.ledger_last_head()?.is_some_and(|(_, t)| verifier.open(&t).is_ok()) {
        std::fs::rename(&next, data_dir(g).join("node-key"))
            .with_context(|| format!("cannot finish the key rotation: {}", next.display()))?;
        tracing::warn!("finished a ledger key rotation that was cut short: node-key is now the new key");
    } else {
        std::fs::remove_file(&next).with_context(|| format!("cannot remove {}", next.display()))?;
        tracing::warn!("undid a ledger key rotation that was cut short before its handover was committed");
    }
    Ok(())
}

/// The node's Ed25519 key (it signs the disclosure ledger), created on first use.
pub fn node_key(g: &Global) -> anyhow::Result<pacto_federation::ledger::SigningKey> {
    finish_rotation(g)?;
    let path = data_dir(g).join("node-key");
    let text = pacto_node::secrets::key_file(&path, || {
        pacto_federation::ledger::signing_key_to_hex(&pacto_federation::ledger::generate_key()).into_bytes()
    })
    .with_context(|| format!("cannot read or create {}", path.display()))?;
    pacto_federation::ledger::signing_key_from_hex(&String::from_utf8_lossy(&text))
        .with_context(|| format!("{}: not a node key (64 hex digits)", path.display()))
}

/// The key that seals the passwords this node uses at partners (`secret-key`, 0600, made on
/// first use; never in the database).
pub fn secret_box(g: &Global) -> anyhow::Result<pacto_node::secrets::SecretBox> {
    pacto_node::secrets::SecretBox::open_or_create(&data_dir(g).join("secret-key")).map_err(anyhow::Error::msg)
}

/// Seal any password an earlier pacto stored in clear in `store`'s connections to partners.
pub fn seal_clear_passwords(g: &Global, store: &mut dyn pacto_store::Store) -> anyhow::Result<()> {
    let clear =
        |r: &pacto_store::Remote| !r.password.is_empty() && !r.password.starts_with(pacto_node::secrets::SEALED);
    if store.remotes()?.iter().any(clear) {
        let n = secret_box(g)?.migrate_remotes(store)?;
        tracing::info!(count = n, "sealed partner passwords stored in clear by an earlier pacto");
    }
    Ok(())
}

/// The connections to partners, with their passwords in clear (for the client only). A
/// password that does not open (the database without its data directory's `secret-key`) leaves
/// that partner out, said in the log; the others, mutual TLS ones included, are still given.
pub fn remotes(g: &Global, store: &dyn pacto_store::Store) -> anyhow::Result<Vec<pacto_store::Remote>> {
    let remotes = store.remotes()?;
    if remotes.iter().all(|r| r.password.is_empty()) {
        return Ok(remotes);
    }
    let sealed = secret_box(g)?;
    Ok(remotes
        .iter()
        .filter_map(|r| {
            sealed.open_remote(r).map_err(|e| tracing::error!(partner = r.partner, error = e, "partner left out")).ok()
        })
        .collect())
}

/// The node's certificate and its key (`node-cert.pem`, `node-tls-key.pem`: 0600), made on
/// first use: a self-signed certificate for an ECDSA P-256 key, named by its SHA-256
/// fingerprint, which partners pin (`pacto node id`).
pub fn node_identity(g: &Global) -> anyhow::Result<pacto_node::identity::NodeIdentity> {
    let (cert_path, key_path) = (data_dir(g).join("node-cert.pem"), data_dir(g).join("node-tls-key.pem"));
    if !cert_path.exists() {
        // rcgen writes the certificate (X.509 by hand is easy to get subtly wrong); the key is
        // written first, so a crash in between leaves a key and no certificate, made again.
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = rcgen::CertificateParams::new(vec!["pacto-node".to_string()])?;
        params.distinguished_name.push(rcgen::DnType::CommonName, "pacto node");
        // Pinned by fingerprint, not trusted through a CA: its dates only need to cover the
        // node's life.
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2099, 12, 31);
        let cert = params.self_signed(&key)?;
        std::fs::remove_file(&key_path).ok();
        pacto_node::secrets::key_file(&key_path, || key.serialize_pem().into_bytes())
            .with_context(|| format!("cannot create {}", key_path.display()))?;
        pacto_node::secrets::key_file(&cert_path, || cert.pem().into_bytes())
            .with_context(|| format!("cannot create {}", cert_path.display()))?;
    }
    let read = |p: &std::path::Path| std::fs::read(p).with_context(|| format!("cannot read {}", p.display()));
    pacto_node::identity::NodeIdentity::from_pem(&read(&cert_path)?, &read(&key_path)?)
        .map_err(|e| anyhow::anyhow!("{} and {}: {e}", cert_path.display(), key_path.display()))
}

/// The connection to `partner` (its password, if any, opened), or how to make one.
pub fn remote(g: &Global, store: &dyn pacto_store::Store, partner: &str) -> anyhow::Result<pacto_store::Remote> {
    remotes(g, store)?
        .into_iter()
        .find(|r| r.partner == partner)
        .ok_or_else(|| anyhow::anyhow!("no connection to {partner:?}: `pacto partner connect {partner} --url …` first"))
}
