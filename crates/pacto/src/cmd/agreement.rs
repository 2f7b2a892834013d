//! `pacto agreement check`: what a partner would receive, object by object, and why not.

use std::collections::BTreeMap;

use anyhow::Context;
use pacto_federation::agreement::Decision;
use pacto_store::{Query, Versions};
use serde_json::{Value, json};

use super::EXIT_OK;
use crate::cli::{AgreementCmd, Global, OutputFormat};
use crate::config;

pub fn run(g: &Global, cmd: AgreementCmd) -> anyhow::Result<i32> {
    let AgreementCmd::Check { partner, collection, format } = cmd;
    let agreements = config::load_agreements(&config::agreements_dir(g));
    let a = agreements
        .into_iter()
        .find(|a| a.partner == partner)
        .with_context(|| format!("no agreement for {partner:?}"))?;
    let store = config::open_store(g)?;
    let mut report = Vec::new();
    for share in a.share.iter().filter(|s| collection.as_ref().is_none_or(|c| *c == s.collection)) {
        let Some(c) = store.collection(&share.collection)? else {
            report.push(json!({"collection": share.collection, "missing": true}));
            continue;
        };
        // The latest version of each object, as a partner's default read sees them.
        let mut latest: BTreeMap<String, Value> = BTreeMap::new();
        store.scan(&c, &Query { versions: Versions::last(), ..Query::default() }, &mut |o| {
            if let Ok(v) = serde_json::from_str(&o.raw) {
                latest.insert(o.id, v);
            }
            Ok(())
        })?;
        let disclosable = |id: &str| latest.get(id).and_then(Value::as_object).is_some_and(|m| share.admits(m).is_ok());
        let mut disclosed = Vec::new();
        let mut withheld: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        for (id, v) in &latest {
            match share.decide(v, &disclosable) {
                Decision::Disclose(shown) => {
                    let removed: Vec<&String> = v
                        .as_object()
                        .map_or(vec![], |m| m.keys().filter(|k| shown.get(k.as_str()).is_none()).collect());
                    disclosed.push(json!({"id": id, "removed": removed}));
                }
                Decision::Withhold(why) => withheld.entry(why).or_default().push(id.clone()),
            }
        }
        report.push(json!({"collection": share.collection, "max_tlp": share.max_tlp.as_str(), "objects": latest.len(),
            "disclosed": disclosed, "withheld": withheld}));
    }
    match format {
        OutputFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&json!({"partner": partner, "collections": report}))?)
        }
        OutputFormat::Text => {
            println!("partner {partner}");
            for r in &report {
                if r.get("missing").is_some() {
                    println!("  {}: no such collection yet", r["collection"].as_str().unwrap_or_default());
                    continue;
                }
                let d = r["disclosed"].as_array().map_or(0, Vec::len);
                println!(
                    "  {} (up to TLP:{}): {} of {} objects would go",
                    r["collection"].as_str().unwrap_or_default(),
                    r["max_tlp"].as_str().unwrap_or_default().to_uppercase(),
                    d,
                    r["objects"]
                );
                for o in r["disclosed"].as_array().into_iter().flatten() {
                    let removed: Vec<&str> =
                        o["removed"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                    if removed.is_empty() {
                        println!("    + {}", o["id"].as_str().unwrap_or_default());
                    } else {
                        println!("    + {} (without {})", o["id"].as_str().unwrap_or_default(), removed.join(", "));
                    }
                }
                for (why, ids) in r["withheld"].as_object().into_iter().flatten() {
                    for id in ids.as_array().into_iter().flatten() {
                        println!("    - {} ({why})", id.as_str().unwrap_or_default());
                    }
                }
            }
        }
    }
    Ok(EXIT_OK)
}
