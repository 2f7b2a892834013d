//! Behaviour of the parser and evaluator on hand-picked cases; the differential corpus
//! (tests/corpus.rs) covers breadth.

use pacto_pattern::{Observation, Pattern, PatternSet, Syntax};
use serde_json::{Value, json};

fn od(first: &str, last: &str, n: u64, objects: Value) -> Value {
    json!({"type": "observed-data", "id": "observed-data--1", "first_observed": first, "last_observed": last,
           "number_observed": n, "objects": objects})
}

fn matches(p: &str, ods: &[Value]) -> bool {
    let p = Pattern::parse(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    p.matches_observed_data(ods, |_| None).unwrap().is_some()
}

const T0: &str = "2020-01-01T00:00:00Z";
const T1: &str = "2020-01-01T00:00:10Z";

#[test]
fn errors_point_at_the_column_and_say_what_was_expected() {
    let e = Pattern::parse("[file:name = 'a' AND]").unwrap_err();
    assert_eq!((e.line, e.column), (1, 21), "{e}");
    assert!(e.message.contains("expected an object path"), "{e}");
    let e = Pattern::parse("[file:name 'a']").unwrap_err();
    assert_eq!(e.column, 12);
    assert!(e.message.contains("comparison operator"), "{e}");
    let e = Pattern::parse("[file:name = 'a']\n  AND [x:y = t'2020-02-30T00:00:00Z']").unwrap_err();
    assert_eq!((e.line, e.column), (2, 14), "{e}");
    assert!(e.message.contains("not a real date"), "{e}");
    let e = Pattern::parse("[file:hashes.MD5 = 'abc']").unwrap_err();
    assert!(e.message.contains("not a valid MD5 hash"), "{e}");
    let e = Pattern::parse("[a:b = 1] REPEATS 2 TIMES REPEATS 3 TIMES").unwrap_err();
    assert!(e.message.contains("second REPEATS"), "{e}");
    assert!(Pattern::parse("([a:b = 1] REPEATS 2 TIMES) REPEATS 3 TIMES").is_ok());
    let e = Pattern::parse("").unwrap_err();
    assert!(e.message.contains("empty"), "{e}");
    let e = Pattern::parse("[é:b = 1]").unwrap_err();
    assert_eq!(e.column, 2);
    let deep = format!("{}[a:b = 1]{}", "(".repeat(5000), ")".repeat(5000));
    assert!(Pattern::parse(&deep).unwrap_err().message.contains("nest"));
    let deep = format!("[{}a:b = 1{}]", "(".repeat(5000), ")".repeat(5000));
    assert!(Pattern::parse(&deep).unwrap_err().message.contains("nest"));
}

#[test]
fn round_trips_through_display() {
    for p in [
        "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
        "[network-traffic:src_ref.value ISSUBSET '10.0.0.0/8' AND network-traffic:dst_port NOT IN (80, 443)]",
        "([file:name LIKE 'a%'] AND [x-y:z[*].'k k' != -1.5]) WITHIN 30 SECONDS REPEATS 2 TIMES",
        "[a:b = h'00ff'] FOLLOWEDBY [c:d > t'2020-01-01T00:00:00.5Z'] START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'",
        "[EXISTS user-account:extensions.'unix-account-ext'.gid OR user-account:user_id MATCHES '^r[o0]{2}t$']",
    ] {
        let a = Pattern::parse(p).unwrap();
        let b = Pattern::parse(&a.to_string()).unwrap_or_else(|e| panic!("{a}: {e}"));
        assert_eq!(a.to_string(), b.to_string(), "{p}");
        assert_eq!(a.comparisons().len(), b.comparisons().len());
    }
}

#[test]
fn stix20_start_stop_strings() {
    let p = "[a:b = 1] START '2020-01-01T00:00:00Z' STOP '2021-01-01T00:00:00Z'";
    assert!(Pattern::parse(p).is_err());
    assert!(Pattern::parse_with(p, Syntax::V20).is_ok());
}

#[test]
fn comparisons_within_one_observation() {
    let o = [od(
        T0,
        T0,
        1,
        json!({
            "0": {"type": "file", "name": "a.exe", "size": 10, "hashes": {"MD5": "79054025255fb1a26e4bc422aef54eb4"}},
            "1": {"type": "ipv4-addr", "value": "10.1.2.3"},
            "2": {"type": "network-traffic", "src_ref": "1", "protocols": ["tcp", "http"], "dst_port": 80},
            "3": {"type": "artifact", "payload_bin": "aGVsbG8=", "x_thing_hex": "00ff"},
        }),
    )];
    assert!(matches("[file:name = 'a.exe' AND file:size = 10]", &o));
    assert!(matches("[file:size = 10.0]", &o));
    assert!(!matches("[file:size = '10']", &o));
    assert!(matches("[file:size != '10']", &o));
    assert!(!matches("[file:name = 'a.exe' AND ipv4-addr:value = '10.1.2.3']", &o), "AND needs one object");
    assert!(matches("[file:name = 'b' OR ipv4-addr:value = '10.1.2.3']", &o), "OR across types");
    assert!(matches("[network-traffic:src_ref.value ISSUBSET '10.0.0.0/8']", &o));
    assert!(matches("[network-traffic:protocols[*] = 'http']", &o));
    assert!(matches("[network-traffic:protocols[1] = 'http']", &o));
    assert!(!matches("[network-traffic:protocols[0] = 'http']", &o));
    assert!(matches("[network-traffic:protocols[*] NOT = 'http']", &o), "some value is not http");
    assert!(!matches("[file:missing != 'x']", &o), "absent is never a match");
    assert!(matches("[artifact:payload_bin = 'hello']", &o));
    assert!(matches("[artifact:payload_bin = b'aGVsbG8=']", &o));
    assert!(matches("[artifact:x_thing_hex = h'00FF']", &o));
    assert!(matches("[file:name LIKE '%.e_e']", &o));
    assert!(matches("[file:name MATCHES '\\\\.exe$']", &o));
    assert!(matches("[file:hashes.MD5 IN ('79054025255fb1a26e4bc422aef54eb4')]", &o));
    assert!(matches("[EXISTS file:hashes.MD5]", &o));
    assert!(!matches("[EXISTS file:hashes.SHA1]", &o));
    assert!(matches("[network-traffic:dst_port >= 80 AND network-traffic:dst_port < 81]", &o));
}

#[test]
fn refs_resolve_through_object_refs() {
    let ip = json!({"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "192.0.2.1"});
    let nt =
        json!({"type": "network-traffic", "id": "network-traffic--1", "dst_ref": "ipv4-addr--1", "protocols": ["tcp"]});
    let o = json!({"type": "observed-data", "id": "observed-data--9", "first_observed": T0, "last_observed": T0,
                   "number_observed": 1, "object_refs": ["network-traffic--1", "ipv4-addr--1"]});
    let all = [ip, nt];
    let resolve = |id: &str| all.iter().find(|o| o["id"] == id);
    let p = Pattern::parse("[network-traffic:dst_ref.value = '192.0.2.1']").unwrap();
    assert!(p.matches_observed_data(std::slice::from_ref(&o), resolve).unwrap().is_some());
}

#[test]
fn observation_operators_and_qualifiers() {
    let a = od(T0, T0, 1, json!({"0": {"type": "x-a", "v": 1}}));
    let b = od(T1, T1, 1, json!({"0": {"type": "x-b", "v": 1}}));
    let both = [a.clone(), b.clone()];
    assert!(matches("[x-a:v = 1] AND [x-b:v = 1]", &both));
    assert!(matches("[x-a:v = 1] FOLLOWEDBY [x-b:v = 1]", &both));
    assert!(!matches("[x-b:v = 1] FOLLOWEDBY [x-a:v = 1]", &both));
    assert!(matches("([x-a:v = 1] AND [x-b:v = 1]) WITHIN 10.5 SECONDS", &both));
    assert!(!matches("([x-a:v = 1] AND [x-b:v = 1]) WITHIN 10 SECONDS", &both), "the window is open at its end");
    assert!(!matches("([x-a:v = 1] AND [x-b:v = 1]) WITHIN 9.5 SECONDS", &both));
    assert!(!matches("[x-a:v = 1] AND [x-a:v = 1]", &both), "one sighting serves one expression");
    let a3 = od(T0, T0, 3, json!({"0": {"type": "x-a", "v": 1}}));
    assert!(matches("[x-a:v = 1] REPEATS 3 TIMES", std::slice::from_ref(&a3)));
    assert!(!matches("[x-a:v = 1] REPEATS 4 TIMES", std::slice::from_ref(&a3)));
    assert!(matches("[x-a:v = 1] START t'2020-01-01T00:00:00Z' STOP t'2020-01-01T00:00:01Z'", &both));
    assert!(!matches("[x-a:v = 1] START t'2019-01-01T00:00:00Z' STOP t'2020-01-01T00:00:00Z'", &both));
}

#[test]
fn index_finds_exactly_what_full_evaluation_finds() {
    let mut set = PatternSet::new();
    let patterns = [
        "[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4']",
        "[file:name = 'a.exe' AND file:size > 5]",
        "[file:name IN ('b.exe', 'a.exe')]",
        "[file:size = 10.0]",
        "[file:name LIKE 'a%']",
        "[ipv4-addr:value = '10.1.2.3' OR file:name = 'zzz']",
        "[ipv4-addr:value = '10.1.2.4']",
        "[artifact:payload_bin = 'hello']",
        "[file:name NOT = 'a.exe']",
        "[x-a:v = 1] AND [file:name = 'a.exe']",
    ];
    for (i, p) in patterns.iter().enumerate() {
        set.insert(&format!("indicator--{i}"), Pattern::parse(p).unwrap());
    }
    let o = od(
        T0,
        T0,
        1,
        json!({
            "0": {"type": "file", "name": "a.exe", "size": 10, "hashes": {"MD5": "79054025255fb1a26e4bc422aef54eb4"}},
            "1": {"type": "ipv4-addr", "value": "10.1.2.3"},
            "2": {"type": "artifact", "payload_bin": "aGVsbG8="},
        }),
    );
    let obs = Observation::from_observed_data(&o, |_| None).unwrap();
    let mut c = Default::default();
    let got = set.match_observation(&obs, &mut c);
    let want: Vec<usize> = patterns
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            let p = Pattern::parse(p).unwrap();
            p.matches(std::slice::from_ref(&obs)).unwrap().is_some()
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(got, want);
    assert_eq!(got, vec![0, 1, 2, 3, 4, 5, 7]);
    // Patterns that anchor on values the observation lacks are never evaluated.
    assert!(c.evaluated < patterns.len() + 1, "{}", c.evaluated);
}

#[test]
fn limits_and_edges_are_errors_not_crashes() {
    // Constants at the edges of the number grammar.
    assert!(
        Pattern::parse("[x:y = -170141183460469231731687303715884105728]")
            .unwrap_err()
            .message
            .contains("out of range")
    );
    assert!(Pattern::parse("[x:y = 9007199254740991]").is_ok());
    let huge = format!("[x:y = {}.5]", "9".repeat(400));
    assert!(Pattern::parse(&huge).unwrap_err().message.contains("out of range"));
    for p in [
        "[a:b = 1] REPEATS +2 TIMES",
        "[a:b = 1] WITHIN +2 SECONDS",
        "[a:b[+1] = 1]",
        "[a:b = 1] WITHIN 0.0000000001 SECONDS",
    ] {
        assert!(Pattern::parse(p).is_err(), "{p}");
    }
    // Floats print back in a form the grammar reads.
    for p in ["[x:y = 0.00001]", "[x:y = 100000000000000000000.5]", "[x:y = -0.0]"] {
        let a = Pattern::parse(p).unwrap();
        assert!(Pattern::parse(&a.to_string()).is_ok(), "{p} printed as {a}");
    }
    // Long chains of observation expressions are refused before any pass recurses through them.
    let long = vec!["[x:y = 1]"; 600].join(" AND ");
    assert!(Pattern::parse(&long).unwrap_err().message.contains("at most 512"));
    // A match that would take too many observations is valid but not evaluated.
    let p = Pattern::parse("[x:y = 1] REPEATS 100000 TIMES").unwrap();
    assert!(p.unusable()[0].contains("100000 observations"), "{:?}", p.unusable());
    let o = od(T0, T0, 100_000, json!({"0": {"type": "x", "y": 1}}));
    assert!(p.matches_observed_data(std::slice::from_ref(&o), |_| None).is_err());
    // The hash error points at the offending constant.
    let e = Pattern::parse("[file:hashes.MD5 IN ('79054025255fb1a26e4bc422aef54eb4', 'bad', 'x')]").unwrap_err();
    assert_eq!(e.column, 58, "{e}");
}

#[test]
fn advice_on_upper_case_hashes() {
    let p = Pattern::parse("[file:hashes.MD5 = '79054025255FB1A26E4BC422AEF54EB4']").unwrap();
    assert_eq!(p.advice().len(), 1);
    assert!(p.advice()[0].contains("lower case"));
    assert!(Pattern::parse("[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4']").unwrap().advice().is_empty());
    assert!(Pattern::parse("[file:name = 'ABCDEF']").unwrap().advice().is_empty());
}

#[test]
fn the_largest_accepted_pattern_evaluates_on_a_small_stack() {
    // 512 bracketed expressions joined by AND, each needing its own sighting: the deepest
    // search the limits allow, on a thread with a 2 MiB stack (tokio's blocking threads).
    let p = vec!["[x:y = 1]"; 512].join(" AND ");
    let done = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let pattern = Pattern::parse(&p).unwrap();
            assert!(pattern.unusable().is_empty());
            let o = od(T0, T0, 512, json!({"0": {"type": "x", "y": 1}}));
            let matched = pattern.matches_observed_data(std::slice::from_ref(&o), |_| None).unwrap().is_some();
            let fewer = od(T0, T0, 511, json!({"0": {"type": "x", "y": 1}}));
            let unmatched = pattern.matches_observed_data(std::slice::from_ref(&fewer), |_| None).unwrap().is_none();
            (matched, unmatched, !pattern.to_string().is_empty())
        })
        .unwrap()
        .join()
        .expect("no stack overflow");
    assert_eq!(done, (true, true, true));
}

/// pacto's x-firearm objects (examples/firearms-seizure.json) are observables like any other:
/// patterns reach their properties through the observed-data's object_refs, and the index
/// finds the same indicators as full evaluation.
#[test]
fn firearms_in_a_seizure_match_patterns_on_their_properties() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/firearms-seizure.json");
    let bundle: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let objects = bundle["objects"].as_array().unwrap();
    let resolve = |id: &str| objects.iter().find(|o| o["id"] == id);
    let seizure: Vec<Value> = objects.iter().filter(|o| o["type"] == "observed-data").cloned().collect();
    assert_eq!(seizure.len(), 1);
    let hits = |p: &str| {
        let p = Pattern::parse(p).unwrap_or_else(|e| panic!("{p}: {e}"));
        p.matches_observed_data(&seizure, resolve).unwrap().is_some()
    };
    assert!(hits("[x-firearm:serial_number = 'LW 12345']"));
    assert!(hits("[x-firearm:serial_number = 'BSXK123' AND x-firearm:firearm_type = 'pistol']"));
    assert!(hits("[x-firearm:importer_marks[*] LIKE 'GLOCK INC%']"));
    // One seizure is one observation (number_observed 1): an AND of two observation
    // expressions needs two, whatever the firearms in it.
    assert!(!hits("[x-firearm:caliber = '9x19mm'] AND [x-firearm:firearm_type = 'improvised']"));
    assert!(hits("[x-firearm:caliber = '9x19mm' AND x-firearm:importer_marks[0] = 'GLOCK INC SMYRNA GA']"));
    assert!(hits("[x-firearm:id = 'x-firearm--f39ddd91-d747-5a8d-89ee-e92d6ee936e7']"));
    assert!(!hits("[x-firearm:serial_number = 'LW12346']"));
    assert!(!hits("[x-firearm:serial_number = 'BSXK123' AND x-firearm:firearm_type = 'rifle']"));
    // The indicator the bundle carries matches the seizure, as its sighting says.
    let indicator = objects.iter().find(|o| o["type"] == "indicator").unwrap();
    assert!(hits(indicator["pattern"].as_str().unwrap()));

    let mut set = PatternSet::new();
    set.insert("indicator--0", Pattern::parse("[x-firearm:serial_number = 'LW 12345']").unwrap());
    set.insert("indicator--1", Pattern::parse("[x-firearm:serial_number = 'ZZ999']").unwrap());
    set.insert("indicator--2", Pattern::parse("[x-firearm:manufacturer = 'GLOCK Ges.m.b.H.']").unwrap());
    let obs = Observation::from_observed_data(&seizure[0], resolve).unwrap();
    let mut c = Default::default();
    assert_eq!(set.match_observation(&obs, &mut c), vec![0, 2]);
}
