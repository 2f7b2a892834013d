//! `pacto search`: the node's full-text search, with the console's filters
//! (`pacto_node::browse::search`, the function the console calls).

use anyhow::Context;

use super::EXIT_OK;
use crate::cli::{Global, OutputFormat, SearchArgs};
use crate::config;

fn instant(flag: &str, t: Option<&str>) -> anyhow::Result<Option<i64>> {
    t.map(|t| pacto_stix::Timestamp::parse(t).map(|t| t.as_micros()).map_err(|e| anyhow::anyhow!("{flag} {t:?}: {e}")))
        .transpose()
}

pub fn run(g: &Global, a: SearchArgs) -> anyhow::Result<i32> {
    let store = config::open_store(g)?;
    let user = match &a.as_user {
        Some(name) => store.user(name)?.with_context(|| format!("no account {name:?}"))?,
        None => pacto_store::User {
            name: "operator".into(),
            password_hash: String::new(),
            can_read: vec!["*".into()],
            can_write: vec![],
        },
    };
    let caller = pacto_node::Caller { user, agreement: None, dropboxes: Default::default() };
    let q = pacto_node::browse::Search {
        text: a.query.clone(),
        types: a.types,
        tlp: a.tlp,
        labels: a.labels,
        collections: a.collections,
        partner: a.partner,
        since: instant("--since", a.since.as_deref())?,
        before: instant("--before", a.before.as_deref())?,
        limit: a.limit,
    };
    let found = pacto_node::browse::search(&*store, &caller, &q)?;
    match a.format {
        OutputFormat::Json => {
            for h in &found.hits {
                println!("{}", serde_json::to_string(h)?);
            }
        }
        OutputFormat::Text => {
            for h in &found.hits {
                let tlp = h.tlp.map(|t| format!("TLP:{}", t.to_uppercase())).unwrap_or_default();
                println!("{:<16} {} {:<16} {}", h.collection, h.id, tlp, h.title);
            }
        }
    }
    eprintln!(
        "{} {} shown, newest first{}",
        found.hits.len(),
        if found.hits.len() == 1 { "object" } else { "objects" },
        if found.more { format!("; more match (--limit {})", a.limit) } else { String::new() }
    );
    Ok(EXIT_OK)
}
