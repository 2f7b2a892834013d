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
    }
    Ok(EXIT_OK)
}
