//! `pacto sync` and `pacto adopt`.

use anyhow::Context;
use pacto_store::AddOutcome;
use serde_json::json;

use super::{EXIT_INVALID, EXIT_OK};
use crate::cli::{Global, OutputFormat};
use crate::config;

pub fn run(g: &Global, partner: Option<String>, format: OutputFormat) -> anyhow::Result<i32> {
    let mut store = config::open_store(g)?;
    let remotes: Vec<_> =
        config::remotes(g, &*store)?.into_iter().filter(|r| partner.as_ref().is_none_or(|p| *p == r.partner)).collect();
    if remotes.is_empty() {
        anyhow::bail!("no partner to sync: `pacto partner connect NAME --url URL --fingerprint F`");
    }
    let identity = config::node_identity(g)?;
    let mut worst = EXIT_OK;
    let key = config::node_key(g)?;
    let history = super::ledger::witness_history(g, &mut *store);
    for r in &remotes {
        match pacto_node::sync::sync_partner(&mut *store, r, 1000, Some(&identity), Some((&key, &history))) {
            Ok(rep) => {
                match format {
                    OutputFormat::Json => println!("{}", json!(rep)),
                    OutputFormat::Text => {
                        for why in rep.rejections.iter().take(20) {
                            eprintln!("{}: rejected: {why}", rep.partner);
                        }
                        println!(
                            "{}: {} collections, {} pages, received {}, added {}, unchanged {}, rejected {}{}",
                            rep.partner,
                            rep.collections,
                            rep.pages,
                            rep.received,
                            rep.added,
                            rep.unchanged,
                            rep.rejected,
                            rep.cosigned.map(|n| format!("; cosigned its log at {n} entries")).unwrap_or_default()
                        );
                    }
                }
                if rep.rejected > 0 {
                    worst = worst.max(EXIT_INVALID);
                }
            }
            Err(e) => {
                eprintln!("pacto: sync: {e}");
                worst = super::EXIT_UNUSABLE;
            }
        }
    }
    super::after_write(g, &mut *store)?;
    // Then what detection sighted of partners' indicators goes back to them, where agreed.
    let log = super::ledger::log(g)?;
    for outcome in super::send::report_sightings(g, &mut *store, &log, &remotes) {
        match outcome {
            Ok(o) if o.reported > 0 => match format {
                OutputFormat::Json => println!("{}", json!({"reported": o})),
                OutputFormat::Text => println!("{}: reported {} sightings of its indicators", o.partner, o.reported),
            },
            Ok(_) => {}
            Err(e) => {
                eprintln!("pacto: sync: sightings not reported: {e}");
                worst = super::EXIT_UNUSABLE;
            }
        }
    }
    Ok(worst)
}

/// The operator at the command line, as the one who decides (read and write everywhere).
fn operator() -> pacto_node::Caller {
    let user = pacto_store::User {
        name: format!("command line ({})", std::env::var("USER").unwrap_or_else(|_| "unknown user".into())),
        password_hash: String::new(),
        can_read: vec!["*".into()],
        can_write: vec!["*".into()],
    };
    pacto_node::Caller { user, agreement: None, dropboxes: Default::default() }
}

/// `pacto review`: the queue of what partners sent (the console's Review page), or dismissing.
pub fn review(
    g: &Global,
    partner: Option<&str>,
    dismiss: &[String],
    dismiss_all: bool,
    limit: usize,
    format: OutputFormat,
) -> anyhow::Result<i32> {
    let mut store = config::open_store(g)?;
    let who = operator();
    let inbound = partner.map(pacto_node::sync::inbound_collection);
    if let Some(from) = inbound.as_deref()
        && (dismiss_all || !dismiss.is_empty())
    {
        if dismiss_all {
            // Up to the newest awaiting now: what arrives meanwhile still awaits.
            let newest = pacto_node::browse::awaiting(&*store, &who, Some(from), 1)?;
            match newest.hits.first() {
                Some(h) => {
                    pacto_node::browse::dismiss_through(&mut *store, &who, from, h.date_added)?;
                    let at = pacto_stix::Timestamp::from_micros(h.date_added).format(3);
                    println!("dismissed everything in {from} received up to {at}");
                }
                None => println!("nothing in {from} awaits review"),
            }
        } else {
            let n = pacto_node::browse::dismiss(&mut *store, &who, from, dismiss)?;
            println!("dismissed {n} versions in {from} (already decided ones keep their decision)");
        }
        return Ok(EXIT_OK);
    }
    let found = pacto_node::browse::awaiting(&*store, &who, inbound.as_deref(), limit)?;
    for h in &found.hits {
        match format {
            OutputFormat::Json => println!("{}", serde_json::to_string(h)?),
            OutputFormat::Text => {
                let tlp = h.tlp.map(|t| format!("TLP:{}", t.to_uppercase())).unwrap_or_default();
                println!("{:<16} {} {:<16} {}", h.collection, h.id, tlp, h.title);
            }
        }
    }
    eprintln!(
        "{} awaiting review shown, newest first{}; adopt with `pacto adopt`, dismiss with `pacto review --partner P --dismiss ID`",
        found.hits.len(),
        if found.more { format!("; more await (--limit {limit})") } else { String::new() }
    );
    Ok(EXIT_OK)
}

pub fn adopt(g: &Global, from: &str, to: &str, ids: &[String]) -> anyhow::Result<i32> {
    let mut store = config::open_store(g)?;
    let src = store.collection(from)?.with_context(|| format!("no collection {from:?}"))?;
    let dst = store.collection(to)?.with_context(|| format!("no collection {to:?}"))?;
    if let Some(why) = config::local_write_refusal(g, &dst.name) {
        anyhow::bail!("{why}");
    }
    let outcomes = store.adopt(&src, &dst, ids, &operator().user.name)?;
    let (mut added, mut same, mut refused) = (0, 0, 0);
    for o in outcomes {
        match o {
            AddOutcome::Added { .. } => added += 1,
            AddOutcome::Unchanged { .. } => same += 1,
            AddOutcome::Refused { reason } => {
                refused += 1;
                eprintln!("refused: {reason}");
            }
        }
    }
    println!("adopted into {to}: {added} versions added, {same} already there, {refused} refused (provenance kept)");
    Ok(if refused > 0 { EXIT_INVALID } else { EXIT_OK })
}
