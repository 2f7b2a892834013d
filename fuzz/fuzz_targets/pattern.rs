//! The pattern parser never panics on any text; what it accepts prints to a canonical form that
//! parses to the same canonical form; evaluating it never panics; and the index finds exactly
//! the patterns full evaluation finds.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pacto_pattern::{Observation, Pattern, PatternSet};
use serde_json::{Value, json};
use std::sync::OnceLock;

fn observed() -> &'static Value {
    static OD: OnceLock<Value> = OnceLock::new();
    OD.get_or_init(|| {
        json!({"type": "observed-data", "id": "observed-data--1", "first_observed": "2020-01-01T00:00:00Z",
               "last_observed": "2020-01-01T00:00:05Z", "number_observed": 2, "objects": {
            "0": {"type": "file", "name": "a.exe", "size": 10, "hashes": {"MD5": "79054025255fb1a26e4bc422aef54eb4"},
                  "x_list": [1, 2.5, "s", true], "x_hex": "00ff", "payload_bin": "aGVsbG8="},
            "1": {"type": "ipv4-addr", "value": "10.1.2.3"},
            "2": {"type": "network-traffic", "src_ref": "1", "dst_refs_x": ["1"], "protocols": ["tcp"], "dst_port": 80},
            "3": {"type": "x-custom", "a": {"b": [{"c": "d"}]}, "t": "2020-01-01T00:00:00Z"}
        }})
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(p) = Pattern::parse(text) else { return };
    let canonical = p.to_string();
    let again = Pattern::parse(&canonical).unwrap_or_else(|e| panic!("canonical form {canonical:?} does not parse: {e}"));
    assert_eq!(again.to_string(), canonical);
    let _ = p.explain();
    let obs = Observation::from_observed_data(observed(), |_| None).expect("observation");
    let full = p.matches_with_budget(std::slice::from_ref(&obs), 100_000);
    let mut set = PatternSet::new();
    set.insert("indicator--1", again);
    let mut c = Default::default();
    let indexed = set.match_observation(&obs, &mut c);
    if let Ok(full) = full {
        assert_eq!(full.is_some(), !indexed.is_empty(), "index and full evaluation disagree on {canonical}");
    }
});
