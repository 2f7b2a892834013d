//! The differential corpus (tests/interop/corpus/patterns, built by gen_patterns.py and checked
//! against stix2-patterns and stix2-matcher by pattern_diff.py): pacto must give the corpus
//! verdict on every case, except the cases reference-differences.tsv lists for tool `pacto`,
//! where it must still differ (so the list cannot go stale).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use pacto_pattern::{Pattern, Syntax};
use serde_json::Value;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/corpus/patterns")
}

fn lines(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(corpus().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("JSON line")).collect()
}

/// Case ids where pacto is known not to give the corpus verdict, with the reason.
fn pacto_differences() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(corpus().join("reference-differences.tsv")).expect("differences");
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 6 && f[1] == "pacto").then(|| (f[0].to_string(), f[5].to_string()))
        })
        .collect()
}

fn check(results: Vec<(String, String, String, String)>) {
    let known = pacto_differences();
    let mut wrong = Vec::new();
    let mut stale = Vec::new();
    for (id, pattern, want, got) in &results {
        let differs = want != got;
        match (differs, known.contains_key(id)) {
            (true, false) => wrong.push(format!("{id}: expected {want}, pacto says {got}: {pattern}")),
            (false, true) => stale.push(format!("{id}: listed as a pacto difference but pacto agrees: {pattern}")),
            _ => {}
        }
    }
    assert!(
        wrong.is_empty() && stale.is_empty(),
        "{} wrong, {} stale:\n{}\n{}",
        wrong.len(),
        stale.len(),
        wrong.join("\n"),
        stale.join("\n")
    );
}

#[test]
fn parse_verdicts() {
    let cases = lines("parse.jsonl");
    assert!(cases.len() > 1000);
    let results = cases
        .iter()
        .map(|c| {
            let pattern = c["pattern"].as_str().expect("pattern");
            let got = if Pattern::parse(pattern).is_ok() { "valid" } else { "invalid" };
            let want = if c["valid"].as_bool().expect("valid") { "valid" } else { "invalid" };
            (c["id"].as_str().unwrap().to_string(), pattern.to_string(), want.to_string(), got.to_string())
        })
        .collect();
    check(results);
}

#[test]
fn match_verdicts() {
    let cases = lines("match.jsonl");
    assert!(cases.len() > 500);
    let mut sets: HashMap<String, Value> = HashMap::new();
    let mut results = Vec::new();
    for c in &cases {
        let name = c["observations"].as_str().expect("observations");
        let set = sets.entry(name.to_string()).or_insert_with(|| {
            let text =
                std::fs::read_to_string(corpus().join("observations").join(format!("{name}.json"))).expect("set");
            serde_json::from_str(&text).expect("set JSON")
        });
        let syntax = if set["spec_version"] == "2.0" { Syntax::V20 } else { Syntax::V21 };
        let objects = set["objects"].as_array().expect("objects");
        let observed: Vec<Value> = objects.iter().filter(|o| o["type"] == "observed-data").cloned().collect();
        let by_id: HashMap<&str, &Value> = objects.iter().filter_map(|o| Some((o.get("id")?.as_str()?, o))).collect();
        let pattern = c["pattern"].as_str().expect("pattern");
        let got = match Pattern::parse_with(pattern, syntax) {
            Err(_) => "error",
            Ok(p) => match p.matches_observed_data(&observed, |r| by_id.get(r).copied()) {
                Ok(Some(_)) => "match",
                Ok(None) => "nomatch",
                Err(_) => "error",
            },
        };
        results.push((
            c["id"].as_str().unwrap().to_string(),
            pattern.to_string(),
            c["expect"].as_str().unwrap().to_string(),
            got.to_string(),
        ));
    }
    check(results);
}
