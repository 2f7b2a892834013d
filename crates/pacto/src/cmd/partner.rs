//! `pacto partner`: a partner is an account with no rights of its own, and an agreement file
//! that says what it may read and where it may write.

use anyhow::Context;
use pacto_federation::agreement::Agreement;
use pacto_store::{User, prelude::*};

use super::EXIT_OK;
use crate::cli::{Global, PartnerCmd};
use crate::config;

/// The password hash of a partner account that has no password (mutual TLS): not a PHC
/// string, so no password ever verifies against it.
const NO_PASSWORD: &str = "!mutual-tls";

pub fn run(g: &Global, cmd: PartnerCmd) -> anyhow::Result<i32> {
    let dir = config::agreements_dir(g);
    let mut store = config::open_store(g)?;
    match cmd {
        PartnerCmd::Add { name, agreement, cert, basic } => {
            // Like account names: no ':' (Basic splits there, and `token:NAME` is what API
            // tokens act as).
            if name.is_empty() || name.contains(':') {
                anyhow::bail!("a partner name must be non-empty and contain no ':'");
            }
            let cert =
                cert.map(|c| pacto_node::identity::parse_fingerprint(&c)).transpose().map_err(anyhow::Error::msg)?;
            if cert.is_none() && !basic {
                anyhow::bail!(
                    "say how {name}'s node authenticates: --cert FINGERPRINT (its `pacto node id`; mutual TLS, no \
                     password) or, for a partner that can only send a password, --basic"
                );
            }
            if let Some(fp) = &cert
                && let Some(other) = store.partner_by_cert(fp)?.filter(|o| *o != name)
            {
                anyhow::bail!("the certificate {fp} is partner {other:?}'s already: one node, one partner");
            }
            let text =
                std::fs::read_to_string(&agreement).with_context(|| format!("cannot read {}", agreement.display()))?;
            let a =
                Agreement::parse(&text).with_context(|| format!("{}: not a valid agreement", agreement.display()))?;
            if a.partner != name {
                anyhow::bail!("{}: the agreement is for {:?}, not {name:?}", agreement.display(), a.partner);
            }
            for c in a.share.iter().map(|s| &s.collection).chain(a.dropbox.iter()) {
                if store.collection(c)?.is_none() {
                    eprintln!("note: no collection {c:?} yet; the agreement applies once it exists");
                }
            }
            // A drop box holds its partner's writing alone: one that already holds objects
            // (local data, or another partner's) would let this partner probe them by POSTing
            // ids and versions; one that another agreement names would be shared.
            if let Some(d) = &a.dropbox {
                if let Some(c) = store.collection(d)?
                    && store.stats(&c)?.versions > 0
                {
                    anyhow::bail!("{d:?} already holds objects: a drop box must start empty (create a new collection)");
                }
                let mut all: Vec<Agreement> =
                    config::load_agreements(&dir).into_iter().filter(|o| o.partner != name).collect();
                all.push(a.clone());
                pacto_federation::agreement::check_all(&all)?;
            }
            if store.user(&name)?.is_some_and(|u| !u.can_read.is_empty() || !u.can_write.is_empty()) {
                anyhow::bail!("{name:?} is a local account with its own rights; partners must be separate accounts");
            }
            std::fs::create_dir_all(&dir)?;
            let dest = dir.join(format!("{name}.toml"));
            std::fs::write(&dest, text)?;
            let password = basic.then(pacto_node::random_password);
            // Under mutual TLS the account has no password at all: its hash field holds no
            // PHC string, so no Basic login can ever match it.
            let password_hash = match &password {
                Some(p) => pacto_node::hash_password(p).map_err(|e| anyhow::anyhow!(e))?,
                None => NO_PASSWORD.to_string(),
            };
            store.put_user(&User { name: name.clone(), password_hash, can_read: vec![], can_write: vec![] })?;
            match &cert {
                Some(fp) => store.put_partner_cert(&name, fp)?,
                None => {
                    store.remove_partner_cert(&name)?;
                }
            }
            println!("partner {name} added; agreement at {}", dest.display());
            match (&cert, password) {
                (Some(fp), _) => println!("its node authenticates by its certificate {fp} (mutual TLS)"),
                (None, Some(p)) => println!("its password, shown only now: {p}"),
                (None, None) => {}
            }
            if cert.is_some() {
                println!(
                    "give it this node's fingerprint, {}, and serve HTTPS (`pacto serve --node-tls`)",
                    config::node_identity(g)?.fingerprint()
                );
            }
        }
        PartnerCmd::Cert { name, fingerprint } => {
            let fp = pacto_node::identity::parse_fingerprint(&fingerprint).map_err(anyhow::Error::msg)?;
            let Some(user) = store.user(&name)? else {
                anyhow::bail!("no partner {name:?} here: `pacto partner add {name} --agreement FILE --cert {fp}`");
            };
            store.put_partner_cert(&name, &fp).map_err(|e| match e {
                pacto_store::StoreError::Conflict(why) => anyhow::anyhow!("{why}: one node, one partner"),
                e => e.into(),
            })?;
            // Bound to a certificate, the account keeps no password.
            store.put_user(&User { password_hash: NO_PASSWORD.to_string(), ..user })?;
            println!("partner {name} now authenticates by its certificate {fp} (mutual TLS); the old one is refused");
        }
        PartnerCmd::List => {
            let agreements = config::load_agreements(&dir);
            let remotes = store.remotes()?;
            let mut names: Vec<&str> = agreements
                .iter()
                .map(|a| a.partner.as_str())
                .chain(remotes.iter().map(|r| r.partner.as_str()))
                .collect();
            names.sort();
            names.dedup();
            if names.is_empty() {
                println!("no partners yet: `pacto partner add NAME --agreement FILE` (what it may read here),");
                println!("`pacto partner connect NAME --url URL --fingerprint F` (what this node reads there)");
            }
            for name in names {
                println!("{name}");
                let a = agreements.iter().find(|a| a.partner == name);
                let r = remotes.iter().find(|r| r.partner == name);
                print_partner(&*store, name, a, r)?;
            }
        }
        PartnerCmd::Show { name } => {
            let path = dir.join(format!("{name}.toml"));
            let agreements = config::load_agreements(&dir);
            let a = agreements.iter().find(|a| a.partner == name);
            let r = store.remote(&name)?;
            if a.is_none() && r.is_none() {
                anyhow::bail!(
                    "no partner {name:?}: neither an agreement (partner add) nor a connection (partner connect)"
                );
            }
            println!("{name}");
            print_partner(&*store, &name, a, r.as_ref())?;
            if let Ok(text) = std::fs::read_to_string(&path) {
                println!("\n# {}", path.display());
                print!("{text}");
            }
        }
        PartnerCmd::Connect { name, url, fingerprint, user, ca, no_check } => {
            let fingerprint = fingerprint
                .map(|f| pacto_node::identity::parse_fingerprint(&f))
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let password = match &user {
                Some(_) => {
                    let mut password = String::new();
                    std::io::stdin()
                        .read_line(&mut password)
                        .context("reading the partner password from standard input")?;
                    let password = password.trim_end_matches(['\n', '\r']).to_string();
                    if password.is_empty() {
                        anyhow::bail!("give the password this node uses at {name} on standard input");
                    }
                    password
                }
                None => String::new(),
            };
            let remote = pacto_store::Remote {
                partner: name.clone(),
                api_root: url.clone(),
                username: user.clone().unwrap_or_default(),
                password,
                ca_file: ca.map(|p| p.display().to_string()),
                fingerprint,
            };
            let identity = remote.fingerprint.is_some().then(|| config::node_identity(g)).transpose()?;
            // Checked before it is saved: the URL leads to an API root (following discovery),
            // the partner's server is the pinned one, and it accepts this node.
            let (api_root, grants) = if no_check {
                (if url.ends_with('/') { url } else { format!("{url}/") }, None)
            } else {
                let access = pacto_node::client::Access::of_remote(&remote, identity.as_ref());
                let (root, collections) =
                    pacto_node::client::find_api_root(&url, &access, &name).map_err(|e| match e {
                        pacto_node::client::ClientError::Status { status: 401, url, .. } => match &user {
                            Some(user) => anyhow::anyhow!(
                                "{name} refused the credentials of {user:?} (401 at {url}): check --user and the password; nothing saved"
                            ),
                            None => anyhow::anyhow!(
                                "{name} does not know this node's certificate (401 at {url}): ask them to run \
                                 `pacto partner add NAME --agreement FILE --cert {}`; nothing saved",
                                identity.as_ref().map(|i| i.fingerprint()).unwrap_or_default()
                            ),
                        },
                        e => anyhow::anyhow!("{e}; nothing saved"),
                    })?;
                (root, Some(collections))
            };
            let remote = pacto_store::Remote { api_root: api_root.clone(), ..remote };
            store.put_remote(&config::secret_box(g)?.seal_remote(&remote))?;
            println!("{name} will be synced from {api_root} into {}", pacto_node::sync::inbound_collection(&name));
            match grants {
                Some(c) if c.is_empty() => println!("{name} grants this node no collection yet"),
                Some(c) => {
                    println!("{name} grants this node:");
                    for rc in c {
                        println!("  {}  {}", rc.id, rc.title);
                    }
                }
                None => println!("not checked (--no-check): the first sync will say whether it works"),
            }
        }
        PartnerCmd::Remove { name } => {
            let path = dir.join(format!("{name}.toml"));
            let had_file = std::fs::remove_file(&path).is_ok();
            let had_cert = store.remove_partner_cert(&name)?;
            let had_user = store.remove_user(&name)? || had_cert;
            let had_remote = store.remove_remote(&name)?;
            if !had_file && !had_user && !had_remote {
                anyhow::bail!("no partner {name:?}");
            }
            println!("partner {name} removed");
        }
    }
    Ok(EXIT_OK)
}

/// Both directions of a partnership: what it may read here (the agreement given), and what
/// this node reads there (the connection held, its last sync).
fn print_partner(
    store: &dyn Store,
    name: &str,
    a: Option<&Agreement>,
    r: Option<&pacto_store::Remote>,
) -> anyhow::Result<()> {
    match a {
        Some(a) => {
            let shares: Vec<String> = a
                .share
                .iter()
                .map(|s| format!("{} (≤ TLP:{})", s.collection, s.max_tlp.as_str().to_uppercase()))
                .collect();
            println!("  gives:    reads {}", if shares.is_empty() { "nothing".into() } else { shares.join(", ") });
            println!("            drop box: {}", a.dropbox.as_deref().unwrap_or("none"));
            if !a.psi.is_empty() {
                let sets: Vec<&str> = a.psi.iter().map(|g| g.set.as_str()).collect();
                println!("            private sets: {}", sets.join(", "));
            }
            match store.partner_cert(name)? {
                Some(fp) => println!("            its node's certificate: {fp} (mutual TLS)"),
                None if store.user(name)?.is_some() => println!("            by password (HTTP Basic)"),
                None => println!("            note: there is no account {name:?}: the partner cannot connect"),
            }
        }
        None => println!("  gives:    nothing (no agreement: `pacto partner add {name} --agreement FILE`)"),
    }
    match r {
        Some(r) => {
            let how = match (&r.fingerprint, r.username.as_str()) {
                (Some(fp), "") => format!("mutual TLS, pinned {fp}"),
                (Some(fp), user) => format!("as {user}, pinned {fp}"),
                (None, user) => format!("as {user} (password, sealed)"),
            };
            println!("  holds:    {} {how} → {}", r.api_root, pacto_node::sync::inbound_collection(name));
            match pacto_node::sync::last_outcome(store, name)? {
                Some(o) if o.ok => println!("            last sync {}: {}", o.time, o.message),
                Some(o) => {
                    println!("            last sync {} FAILED: {}", o.time, o.message);
                    println!("            last success: {}", o.last_success.as_deref().unwrap_or("never"));
                }
                None => println!("            never synced"),
            }
        }
        None => println!("  holds:    no connection (`pacto partner connect {name} --url URL --fingerprint F`)"),
    }
    Ok(())
}
