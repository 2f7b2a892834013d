//! Where rstix's pattern engine (parser with type checks, and evaluator) disagrees with the
//! differential corpus, which agrees with stix2-patterns and stix2-matcher except where they are
//! documented to be wrong. pacto evaluated rstix first and wrote its own engine because of these
//! departures; this test keeps the list exact (tests/interop/corpus/patterns/rstix-differences.tsv,
//! regenerate with PACTO_BLESS=1 after checking), and prints a summary by feature.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use rstix::model::sdo::{ObservedData, ObservedDataForm};
use rstix::model::{Bundle, ParseOptions, StixObject};
use rstix::pattern::{ObservationContext, Pattern, TimestampedObservation};
use serde_json::Value;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/corpus/patterns")
}

fn lines(name: &str) -> Vec<Value> {
    std::fs::read_to_string(corpus().join(name))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// rstix's verdict on a match case: match, nomatch, error, or unreadable (its model cannot load
/// the observations: STIX 2.0 sets, custom object types it does not treat as observables).
fn rstix_match(pattern: &str, set: &Value) -> &'static str {
    if set["spec_version"] != "2.1" {
        return "unreadable";
    }
    let bundle_json = serde_json::json!({"type": "bundle", "id": "bundle--6b0e1b66-3b1c-4d3e-9a55-0c5e7f1d2a10", "objects": set["objects"]});
    let opts = ParseOptions { allow_custom: true, ..ParseOptions::default() };
    let Ok(bundle) = Bundle::parse_with_options(&bundle_json.to_string(), &opts) else { return "unreadable" };
    let mut observations = Vec::new();
    for od in bundle.objects_of_type::<ObservedData>() {
        let ObservedDataForm::ObjectRefs(refs) = &od.form else { return "unreadable" };
        for r in refs {
            match bundle.get(r) {
                Some(StixObject::Sco(sco)) => {
                    observations.push(TimestampedObservation { sco, at: Some(od.first_observed.clone()) })
                }
                _ => return "unreadable",
            }
        }
    }
    let Ok(p) = Pattern::parse(pattern) else { return "error" };
    let ctx = ObservationContext { observations: &observations, bundle: Some(&bundle) };
    match p.evaluate(&ctx) {
        Ok(true) => "match",
        Ok(false) => "nomatch",
        Err(_) => "error",
    }
}

fn feature(pattern: &str) -> &'static str {
    let p = pattern;
    if p.contains("REPEATS") {
        "REPEATS"
    } else if p.contains("WITHIN") || p.contains("START") {
        "WITHIN / START-STOP"
    } else if p.contains("FOLLOWEDBY") || p.contains("] AND [") || p.contains("] OR [") || p.contains(") AND (") {
        "several observation expressions"
    } else if p.contains("LIKE") || p.contains("MATCHES") {
        "LIKE / MATCHES"
    } else if p.contains("ISSUBSET") || p.contains("ISSUPERSET") {
        "ISSUBSET / ISSUPERSET"
    } else if p.contains(" OR ") {
        "OR inside an observation"
    } else if p.contains("EXISTS") {
        "EXISTS"
    } else if p.contains(" IN ") {
        "IN"
    } else {
        "comparison"
    }
}

#[test]
fn rstix_departures_are_the_documented_ones() {
    let mut found: BTreeMap<String, (String, String, String)> = BTreeMap::new();
    for c in lines("parse.jsonl") {
        let pattern = c["pattern"].as_str().unwrap();
        let want = if c["valid"].as_bool().unwrap() { "valid" } else { "invalid" };
        let got = if Pattern::parse(pattern).is_ok() { "valid" } else { "invalid" };
        if want != got {
            found.insert(c["id"].as_str().unwrap().into(), (want.into(), got.into(), pattern.into()));
        }
    }
    let mut sets: HashMap<String, Value> = HashMap::new();
    let mut unreadable = 0;
    for c in lines("match.jsonl") {
        let name = c["observations"].as_str().unwrap();
        let set = sets.entry(name.into()).or_insert_with(|| {
            serde_json::from_str(
                &std::fs::read_to_string(corpus().join("observations").join(format!("{name}.json"))).unwrap(),
            )
            .unwrap()
        });
        let pattern = c["pattern"].as_str().unwrap();
        let got = rstix_match(pattern, set);
        if got == "unreadable" {
            unreadable += 1;
            continue;
        }
        let want = c["expect"].as_str().unwrap();
        if want != got {
            found.insert(c["id"].as_str().unwrap().into(), (want.into(), got.into(), pattern.into()));
        }
    }
    let mut by_feature: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (id, (_, _, p)) in &found {
        *by_feature.entry((if id.starts_with('p') { "parse" } else { "match" }, feature(p))).or_default() += 1;
    }
    eprintln!("rstix departs from the corpus on {} cases ({unreadable} match cases it cannot load):", found.len());
    for ((kind, f), n) in &by_feature {
        eprintln!("  {kind:5} {f}: {n}");
    }
    let path = corpus().join("rstix-differences.tsv");
    if std::env::var_os("PACTO_BLESS").is_some() {
        let mut out = String::from("id\tcorpus\trstix\tpattern\n");
        for (id, (want, got, p)) in &found {
            out.push_str(&format!("{id}\t{want}\t{got}\t{}\n", p.replace(['\t', '\n', '\r'], " ")));
        }
        std::fs::write(&path, out).unwrap();
    }
    let listed: BTreeMap<String, (String, String)> = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c.len() >= 3).then(|| (c[0].to_string(), (c[1].to_string(), c[2].to_string())))
        })
        .collect();
    let now: BTreeMap<String, (String, String)> =
        found.iter().map(|(k, (w, g, _))| (k.clone(), (w.clone(), g.clone()))).collect();
    assert!(now == listed, "rstix-differences.tsv is out of date (check, then rerun with PACTO_BLESS=1)");
}
