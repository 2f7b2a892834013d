//! `pacto agreement check`: what a partner would receive, object by object, and why not.

use anyhow::Context;
use serde_json::{Value, json};

use super::EXIT_OK;
use crate::cli::{AgreementCmd, Global, OutputFormat};
use crate::config;

pub fn run(g: &Global, cmd: AgreementCmd) -> anyhow::Result<i32> {
    let AgreementCmd::Check { partner, collection, format, summary } = cmd;
    let agreements = config::load_agreements(&config::agreements_dir(g));
    let a = agreements
        .into_iter()
        .find(|a| a.partner == partner)
        .with_context(|| format!("no agreement for {partner:?}"))?;
    let mut store = config::open_store(g)?;
    let mut report = Vec::new();
    // What a partner's default read receives (the server's own decision), and why the rest
    // stays: the console's preview runs the same function.
    for p in pacto_node::partner::preview(&mut *store, &a, collection.as_deref())? {
        let Some(check) = p.check else {
            report.push(json!({"collection": p.collection, "missing": true}));
            continue;
        };
        let disclosed: Vec<Value> =
            check.disclosed.iter().map(|(id, removed)| json!({"id": id, "removed": removed})).collect();
        report.push(json!({"collection": p.collection, "max_tlp": p.max_tlp, "objects": check.objects,
            "disclosed": disclosed, "withheld": check.withheld}));
    }
    if summary {
        return print_summary(&partner, &report, format);
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

/// `--summary`: per collection, how many objects would go and how many stay, by reason.
fn print_summary(partner: &str, report: &[Value], format: OutputFormat) -> anyhow::Result<i32> {
    let counts: Vec<Value> = report
        .iter()
        .map(|r| {
            if r.get("missing").is_some() {
                return r.clone();
            }
            let withheld: serde_json::Map<String, Value> = r["withheld"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(why, ids)| (why.clone(), json!(ids.as_array().map_or(0, Vec::len))))
                .collect();
            json!({"collection": r["collection"], "max_tlp": r["max_tlp"], "objects": r["objects"],
                   "disclosed": r["disclosed"].as_array().map_or(0, Vec::len), "withheld": withheld})
        })
        .collect();
    match format {
        OutputFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&json!({"partner": partner, "collections": counts}))?)
        }
        OutputFormat::Text => {
            println!("partner {partner}");
            for r in &counts {
                let name = r["collection"].as_str().unwrap_or_default();
                if r.get("missing").is_some() {
                    println!("  {name}: no such collection yet");
                    continue;
                }
                println!("  {name}: {} of {} objects would go", r["disclosed"], r["objects"]);
                for (why, n) in r["withheld"].as_object().into_iter().flatten() {
                    println!("    {n} withheld: {why}");
                }
            }
        }
    }
    Ok(EXIT_OK)
}
