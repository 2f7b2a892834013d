//! `pacto token`: API tokens for people and tools (see `pacto_node::tokens`).

use pacto_node::tokens;
use pacto_stix::Timestamp;
use pacto_store::ApiToken;
use serde_json::json;

use super::EXIT_OK;
use crate::cli::{Global, OutputFormat, TokenCmd};
use crate::config;

pub fn run(g: &Global, cmd: TokenCmd) -> anyhow::Result<i32> {
    let mut store = config::open_store(g)?;
    let now = Timestamp::now().as_micros();
    match cmd {
        TokenCmd::Create { name, read, write, expires } => {
            if !tokens::valid_name(&name) {
                anyhow::bail!("{name:?} cannot name a token: use letters, digits, '.', '_' and '-' (at most 64)");
            }
            let expires_us = expires
                .map(|e| tokens::parse_lifetime(&e).map(|l| now.saturating_add(l)))
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let (can_read, can_write) = (super::user::clean(read), super::user::clean(write));
            if can_read.is_empty() && can_write.is_empty() {
                anyhow::bail!("a token needs some right: --read C1,C2 and/or --write C (`*` for all collections)");
            }
            super::user::note_missing_collections(&*store, &can_read, &can_write)?;
            let (token, hash) = tokens::generate();
            let t = ApiToken {
                name: name.clone(),
                hash,
                can_read,
                can_write,
                created_us: now,
                expires_us,
                last_used_us: None,
                revoked_us: None,
            };
            store.add_token(&t).map_err(|e| match e {
                pacto_store::StoreError::Conflict(_) => {
                    anyhow::anyhow!("a token named {name:?} exists (names are never reused: pick another)")
                }
                e => e.into(),
            })?;
            eprintln!("token {name} created{}; it is shown only now:", until(expires_us));
            println!("{token}");
        }
        TokenCmd::List { format } => {
            let all = store.tokens()?;
            match format {
                OutputFormat::Json => {
                    let v: Vec<_> = all
                        .iter()
                        .map(|t| {
                            json!({"name": t.name, "can_read": t.can_read, "can_write": t.can_write,
                                "created": time(Some(t.created_us)), "expires": time(t.expires_us),
                                "last_used": time(t.last_used_us), "revoked": time(t.revoked_us),
                                "state": state(t, now)})
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
                OutputFormat::Text => {
                    if all.is_empty() {
                        println!("no tokens yet: `pacto token create --name NAME --read C [--expires 90d]`");
                    }
                    for t in all {
                        println!(
                            "{:<20} {:<8} read: {:<20} write: {:<12} last used: {}{}",
                            t.name,
                            state(&t, now),
                            t.can_read.join(","),
                            t.can_write.join(","),
                            time(t.last_used_us).unwrap_or_else(|| "never".into()),
                            until(t.expires_us)
                        );
                    }
                }
            }
        }
        TokenCmd::Revoke { name } => {
            if !store.revoke_token(&name, now)? {
                if store.tokens()?.iter().any(|t| t.name == name) {
                    anyhow::bail!("token {name:?} was revoked already");
                }
                anyhow::bail!("no token {name:?} (`pacto token list`)");
            }
            println!("token {name} revoked");
        }
    }
    Ok(EXIT_OK)
}

fn time(us: Option<i64>) -> Option<String> {
    us.map(|us| Timestamp::from_micros(us).format(0))
}

fn until(expires_us: Option<i64>) -> String {
    time(expires_us).map(|t| format!(", expires {t}")).unwrap_or_default()
}

fn state(t: &ApiToken, now: i64) -> &'static str {
    match (t.revoked_us, t.expires_us) {
        (Some(_), _) => "revoked",
        (None, Some(e)) if e <= now => "expired",
        _ => "active",
    }
}
