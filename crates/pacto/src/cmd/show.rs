//! `pacto show ID` (one object: every version, where each came from) and `pacto sightings`.

use anyhow::Context;
use pacto_stix::Timestamp;
use pacto_store::{Query, Versions};
use serde_json::{Value, json};

use super::EXIT_OK;
use crate::cli::{Global, OutputFormat};
use crate::config;

fn time(us: i64) -> String {
    Timestamp::from_micros(us).format(3)
}

pub fn show(g: &Global, id: &str, format: OutputFormat) -> anyhow::Result<i32> {
    let store = config::open_store(g)?;
    let mut found = Vec::new();
    for c in store.collections()? {
        let q = Query { ids: vec![id.to_string()], versions: Versions::all(), ..Query::default() };
        let mut versions = store.page(&c, &q)?.objects;
        if versions.is_empty() {
            continue;
        }
        versions.sort_by(|a, b| b.version.cmp(&a.version).then(b.date_added.cmp(&a.date_added)));
        let provenance = store.provenance(&c, id)?;
        found.push((c, versions, provenance));
    }
    if found.is_empty() {
        anyhow::bail!("no collection holds {id:?}");
    }
    match format {
        OutputFormat::Json => {
            let out: Vec<Value> = found
                .iter()
                .map(|(c, versions, prov)| {
                    json!({"collection": c.name,
                        "versions": versions.iter().map(|v| json!({"date_added": time(v.date_added), "revoked": v.revoked,
                            "object": serde_json::from_str::<Value>(&v.raw).unwrap_or(Value::Null)})).collect::<Vec<_>>(),
                        "provenance": prov.iter().map(|p| json!({"version": p.version, "partner": p.partner,
                            "remote_collection": p.remote_collection, "remote_date_added": p.remote_date_added,
                            "fetched": time(p.fetched_us), "receipt": p.receipt})).collect::<Vec<_>>()})
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&json!({"id": id, "collections": out}))?);
        }
        OutputFormat::Text => {
            for (c, versions, prov) in &found {
                println!("{id} in {} ({} versions)", c.name, versions.len());
                for v in versions {
                    let label = if v.version.is_empty() { "(no version)".to_string() } else { v.version.clone() };
                    let from = prov.iter().find(|p| p.version == v.version).map_or_else(
                        || "local".to_string(),
                        |p| {
                            let receipt = p.receipt.map_or_else(
                                || "no receipt".to_string(),
                                |seq| format!("receipt: its ledger entry {seq}"),
                            );
                            format!(
                                "from partner {} (its collection {}, added there {}; fetched {}; {receipt})",
                                p.partner,
                                p.remote_collection,
                                p.remote_date_added,
                                time(p.fetched_us)
                            )
                        },
                    );
                    let revoked = if v.revoked { ", revoked" } else { "" };
                    println!("  version {label}: added {}{revoked}, {from}", time(v.date_added));
                }
                if let Some(latest) = versions.first() {
                    let v: Value = serde_json::from_str(&latest.raw).unwrap_or(Value::Null);
                    for line in serde_json::to_string_pretty(&v)?.lines() {
                        println!("    {line}");
                    }
                }
            }
        }
    }
    Ok(EXIT_OK)
}

pub fn sightings(
    g: &Global,
    since: Option<&str>,
    collection: Option<String>,
    limit: usize,
    format: OutputFormat,
) -> anyhow::Result<i32> {
    let store = config::open_store(g)?;
    let name = match collection {
        Some(c) => c,
        None => pacto_detect::Setup::load(&*store)?.map_or_else(|| "sightings".to_string(), |s| s.sightings),
    };
    let c = store.collection(&name)?.with_context(|| format!("no collection {name:?}"))?;
    let after = since
        .map(|t| {
            Timestamp::parse(t)
                .map(|t| t.as_micros() - 1)
                .map_err(|e| anyhow::anyhow!("--since {t:?} is not a timestamp (e.g. 2026-12-01T00:00:00Z): {e}"))
        })
        .transpose()?;
    let mut rows = Vec::new();
    let q =
        Query { added_after: after, types: vec!["sighting".into()], versions: Versions::last(), ..Query::default() };
    store.scan(&c, &q, &mut |o| {
        rows.push(o);
        Ok(())
    })?;
    let total = rows.len();
    rows.sort_by_key(|o| std::cmp::Reverse(o.date_added));
    rows.truncate(limit);
    for o in &rows {
        let v: Value = serde_json::from_str(&o.raw).unwrap_or(Value::Null);
        match format {
            OutputFormat::Json => println!("{}", json!({"date_added": time(o.date_added), "sighting": v})),
            OutputFormat::Text => {
                let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("-").to_string();
                let count = v.get("count").and_then(Value::as_u64).map_or("-".into(), |n| n.to_string());
                println!(
                    "{}  {}  of {}  count {count}, seen {} .. {}",
                    time(o.date_added),
                    o.id,
                    s("sighting_of_ref"),
                    s("first_seen"),
                    s("last_seen")
                );
            }
        }
    }
    eprintln!(
        "{} of {total} sightings in {}{}",
        rows.len(),
        c.name,
        since.map(|t| format!(" since {t}")).unwrap_or_default()
    );
    Ok(EXIT_OK)
}
