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
    for r in &remotes {
        match pacto_node::sync::sync_partner(&mut *store, r, 1000, Some(&identity), Some(&key)) {
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

pub fn adopt(g: &Global, from: &str, to: &str, ids: &[String]) -> anyhow::Result<i32> {
    let mut store = config::open_store(g)?;
    let src = store.collection(from)?.with_context(|| format!("no collection {from:?}"))?;
    let dst = store.collection(to)?.with_context(|| format!("no collection {to:?}"))?;
    if let Some(why) = config::local_write_refusal(g, &dst.name) {
        anyhow::bail!("{why}");
    }
    let by = format!("command line ({})", std::env::var("USER").unwrap_or_else(|_| "unknown user".into()));
    let outcomes = store.adopt(&src, &dst, ids, &by)?;
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
