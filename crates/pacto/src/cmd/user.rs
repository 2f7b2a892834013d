//! `pacto user`: accounts for the TAXII API, stored in the node's database with argon2id hashes.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;
use pacto_store::User;
use serde_json::json;

use super::EXIT_OK;
use crate::cli::{Global, OutputFormat, UserCmd};
use crate::config;

/// The shortest password accepted (also said in `pacto user add --help`).
const MIN_PASSWORD: usize = 8;

/// Collection names as given on the command line, without blanks.
pub(super) fn clean(list: Vec<String>) -> Vec<String> {
    list.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// Say which named collections do not exist yet (rights on them apply once they do).
pub(super) fn note_missing_collections(
    store: &dyn pacto_store::Store,
    read: &[String],
    write: &[String],
) -> anyhow::Result<()> {
    for c in read.iter().chain(write).filter(|c| *c != "*") {
        if store.collection(c)?.is_none() {
            eprintln!("note: no collection {c:?} yet; the right applies once it exists");
        }
    }
    Ok(())
}

pub fn run(g: &Global, cmd: UserCmd) -> anyhow::Result<i32> {
    let mut store = config::open_store(g)?;
    match cmd {
        UserCmd::Add { name, password, read, write } => {
            if name.is_empty() || name.contains(':') {
                anyhow::bail!("a user name must be non-empty and contain no ':'");
            }
            let password = match password {
                Some(p) => p,
                None if std::io::stdin().is_terminal() => {
                    let first = rpassword::prompt_password(format!("password for {name}: "))
                        .context("reading the password from the terminal")?;
                    let again =
                        rpassword::prompt_password("again: ").context("reading the password from the terminal")?;
                    if first != again {
                        anyhow::bail!("the two passwords differ; nothing was saved");
                    }
                    first
                }
                None => {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
                    line.trim_end_matches(['\n', '\r']).to_string()
                }
            };
            if password.chars().count() < MIN_PASSWORD {
                anyhow::bail!("the password must have at least {MIN_PASSWORD} characters");
            }
            let (can_read, can_write) = (clean(read), clean(write));
            note_missing_collections(&*store, &can_read, &can_write)?;
            let password_hash = pacto_node::hash_password(&password).map_err(|e| anyhow::anyhow!(e))?;
            store.put_user(&User { name: name.clone(), password_hash, can_read, can_write })?;
            println!("user {name} saved");
        }
        UserCmd::Remove { name } => {
            if !store.remove_user(&name)? {
                anyhow::bail!("no user {name:?}");
            }
            println!("user {name} removed");
        }
        UserCmd::List { format } => {
            let users = store.users()?;
            match format {
                OutputFormat::Json => {
                    let v: Vec<_> = users
                        .iter()
                        .map(|u| json!({"name": u.name, "can_read": u.can_read, "can_write": u.can_write}))
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
                OutputFormat::Text => {
                    if users.is_empty() {
                        println!("no users yet: `pacto user add NAME --read '*'` (password on standard input)");
                    }
                    for u in users {
                        println!("{:<20} read: {:<30} write: {}", u.name, u.can_read.join(","), u.can_write.join(","));
                    }
                }
            }
        }
    }
    Ok(EXIT_OK)
}
