//! `pacto collections`: list, create, describe.

use anyhow::Context;
use pacto_stix::Timestamp;

use serde_json::json;

use super::EXIT_OK;
use crate::cli::{CollectionsCmd, Global, OutputFormat};
use crate::config;

pub fn run(g: &Global, cmd: CollectionsCmd) -> anyhow::Result<i32> {
    let mut store = config::open_store(g)?;
    match cmd {
        CollectionsCmd::List { format } => {
            let mut rows = Vec::new();
            for c in store.collections()? {
                rows.push(store.stats(&c)?);
            }
            match format {
                OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
                OutputFormat::Text => {
                    if rows.is_empty() {
                        println!(
                            "no collections yet: `pacto collections create NAME` or `pacto import FILE --collection NAME`"
                        );
                    }
                    println!("{:<24} {:>10} {:>10}  {:<36}  title", "name", "objects", "versions", "id");
                    for s in rows {
                        println!(
                            "{:<24} {:>10} {:>10}  {:<36}  {}",
                            s.collection.name, s.objects, s.versions, s.collection.id, s.collection.title
                        );
                    }
                }
            }
        }
        CollectionsCmd::Create { name, title, description } => {
            if let Some(why) = pacto_store::inbound_write_refusal(&name) {
                anyhow::bail!("{why}");
            }
            let c = store.create_collection(&name, title.as_deref().unwrap_or(&name), description.as_deref())?;
            println!("created collection {} ({})", c.name, c.id);
        }
        CollectionsCmd::Describe { name, format } => {
            let c = store.collection(&name)?.with_context(|| format!("no collection {name:?}"))?;
            let s = store.stats(&c)?;
            match format {
                OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&json!(s))?),
                OutputFormat::Text => {
                    let ts = |us: Option<i64>| us.map_or("-".to_string(), |u| Timestamp::from_micros(u).format(6));
                    println!("name:        {}", c.name);
                    println!("id:          {}", c.id);
                    println!("title:       {}", c.title);
                    if let Some(d) = &c.description {
                        println!("description: {d}");
                    }
                    println!("created:     {}", ts(Some(c.created_us)));
                    println!("objects:     {} ({} versions, {} revoked)", s.objects, s.versions, s.revoked);
                    println!("date_added:  {} .. {}", ts(s.date_added_first), ts(s.date_added_last));
                    for (t, n) in &s.by_type {
                        println!("  {t:<28} {n:>10}");
                    }
                }
            }
        }
        CollectionsCmd::Delete { name, force, yes } => return delete(g, &mut *store, &name, force, yes),
    }
    Ok(EXIT_OK)
}

/// `collections delete`: refuses a partner's inbound collection (sync would only make it
/// again, and what the partner sent is kept with its provenance until the partner is removed),
/// and one that holds objects without `--force`; on a terminal, asks for the name first.
fn delete(g: &Global, store: &mut dyn pacto_store::Store, name: &str, force: bool, yes: bool) -> anyhow::Result<i32> {
    let c = store.collection(name)?.with_context(|| format!("no collection {name:?}"))?;
    if let Some(partner) = c.name.strip_prefix(pacto_store::INBOUND_PREFIX) {
        anyhow::bail!(
            "{} holds what partner {partner} sent (sync writes it, with provenance); it goes with the partner: \
             `pacto partner remove {partner}`",
            c.name
        );
    }
    if let Some(why) = config::local_write_refusal(g, &c.name) {
        anyhow::bail!("{why}: it is not deleted");
    }
    let s = store.stats(&c)?;
    if s.objects > 0 && !force {
        anyhow::bail!(
            "{} holds {} objects ({} versions): add --force to delete them with it (`pacto export -c {}` keeps a copy)",
            c.name,
            s.objects,
            s.versions,
            c.name
        );
    }
    if !yes && std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        eprint!("Delete collection {} and its {} versions? Type its name to confirm: ", c.name, s.versions);
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if answer.trim() != c.name {
            eprintln!("not deleted");
            return Ok(super::EXIT_INVALID);
        }
    }
    let versions = store.delete_collection(&c)?;
    tracing::info!(collection = c.name, versions, "collection deleted");
    println!("deleted collection {} ({versions} versions)", c.name);
    Ok(EXIT_OK)
}
