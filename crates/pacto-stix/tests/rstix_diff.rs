//! Where rstix's validator (the `consumer_strict` profile) disagrees with the corpus's expected
//! verdicts. pacto builds on rstix for vocabularies and patterns but validates with its own
//! rules; this test keeps the list of rstix's departures exact, so a change on either side is
//! noticed. The list, with the rule each case tests, is
//! tests/interop/corpus/validate/rstix-differences.tsv.

use std::collections::BTreeMap;
use std::path::PathBuf;

#[test]
fn rstix_departures_are_the_documented_ones() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/corpus/validate");
    let cases = std::fs::read_to_string(dir.join("cases.tsv")).unwrap();
    let validator = rstix::validate::Validator::consumer_strict();
    let mut found = BTreeMap::new();
    for line in cases.lines().skip(1).filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        let text = std::fs::read_to_string(dir.join(cols[0])).unwrap_or_default();
        let verdict = if validator.validate_json_str(&text).is_valid() { "valid" } else { "invalid" };
        if verdict != cols[1] {
            found.insert(cols[0].to_string(), (verdict.to_string(), cols.get(2).unwrap_or(&"").to_string()));
        }
    }
    let listed_path = dir.join("rstix-differences.tsv");
    if std::env::var_os("PACTO_BLESS").is_some() {
        let mut out = String::from("file\trstix_verdict\trule\n");
        for (file, (verdict, rule)) in &found {
            out.push_str(&format!("{file}\t{verdict}\t{rule}\n"));
        }
        std::fs::write(&listed_path, out).unwrap();
    }
    let listed: BTreeMap<String, (String, String)> = std::fs::read_to_string(&listed_path)
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c.len() >= 3).then(|| (c[0].to_string(), (c[1].to_string(), c[2].to_string())))
        })
        .collect();
    let new: Vec<_> = found.keys().filter(|k| !listed.contains_key(*k)).collect();
    let gone: Vec<_> = listed.keys().filter(|k| !found.contains_key(*k)).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "rstix-differences.tsv is out of date (rerun with PACTO_BLESS=1 after checking): new {new:?}, no longer differing {gone:?}"
    );
}
