//! Properties over generated patterns and observations:
//! - the index never skips a pattern that full evaluation matches, nor reports one it does not;
//! - the canonical form of a pattern parses back to the same canonical form.

use pacto_pattern::{Candidates, Observation, Pattern, PatternSet};
use proptest::prelude::*;
use serde_json::{Value, json};

const TYPES: [&str; 3] = ["file", "ipv4-addr", "x-thing"];
const PATHS: [&str; 7] = ["name", "size", "hashes.'x-sum'", "tags[*]", "tags[0]", "blob_hex", "peer_ref.name"];

fn constant() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("'a'".to_string()),
        Just("'b'".to_string()),
        Just("'ab'".to_string()),
        Just("5".to_string()),
        Just("5.0".to_string()),
        Just("5.5".to_string()),
        Just("-0.0".to_string()),
        Just("true".to_string()),
        Just("h'61'".to_string()),
        Just("b'YQ=='".to_string()),
    ]
}

fn comparison() -> impl Strategy<Value = String> {
    let op = prop_oneof![
        constant().prop_map(|c| format!("= {c}")),
        constant().prop_map(|c| format!("!= {c}")),
        constant().prop_map(|c| format!("NOT = {c}")),
        prop_oneof![Just("'a'"), Just("5")].prop_map(|c| format!("> {c}")),
        prop::collection::vec(constant(), 1..3).prop_filter_map("homogeneous", |cs| {
            let kind = |c: &str| c.chars().next().map(|f| if f.is_ascii_digit() || f == '-' { 'n' } else { f });
            let k0 = kind(&cs[0]);
            cs.iter().all(|c| kind(c) == k0).then(|| format!("IN ({})", cs.join(", ")))
        }),
        Just("LIKE 'a%'".to_string()),
        Just("MATCHES '^a'".to_string()),
        Just("EXISTS".to_string()),
    ];
    (0..TYPES.len(), 0..PATHS.len(), op).prop_map(|(t, p, op)| {
        if op == "EXISTS" {
            format!("EXISTS {}:{}", TYPES[t], PATHS[p])
        } else {
            format!("{}:{} {op}", TYPES[t], PATHS[p])
        }
    })
}

fn cmp_expr() -> impl Strategy<Value = String> {
    comparison().prop_recursive(3, 8, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} AND {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} OR {b})")),
        ]
    })
}

fn pattern() -> impl Strategy<Value = String> {
    let obs = cmp_expr().prop_map(|c| format!("[{c}]"));
    obs.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} OR {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} AND {b})")),
            inner.clone().prop_map(|a| format!("({a}) WITHIN 5 SECONDS")),
        ]
    })
}

fn value() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        json!("a"),
        json!("b"),
        json!("ab"),
        json!(5),
        json!(5.0),
        json!(5.5),
        json!(-0.0),
        json!(true),
        json!(null),
    ])
}

fn object(n: usize) -> impl Strategy<Value = Value> {
    (
        0..TYPES.len(),
        prop::option::of(value()),
        prop::option::of(value()),
        prop::option::of(value()),
        prop::collection::vec(value(), 0..3),
        prop::option::of(prop_oneof![Just("61"), Just("6162"), Just("zz")]),
        any::<bool>(),
    )
        .prop_map(move |(t, name, size, md5, tags, blob, peer)| {
            let mut o = json!({"type": TYPES[t]});
            let m = o.as_object_mut().unwrap();
            name.map(|v| m.insert("name".into(), v));
            size.map(|v| m.insert("size".into(), v));
            md5.map(|v| m.insert("hashes".into(), json!({"x-sum": v})));
            m.insert("tags".into(), Value::Array(tags));
            blob.map(|v| m.insert("blob_hex".into(), json!(v)));
            if peer {
                m.insert("peer_ref".into(), json!(((n + 1) % 3).to_string()));
            }
            o
        })
}

fn observation() -> impl Strategy<Value = Value> {
    (object(0), object(1), object(2)).prop_map(|(a, b, c)| {
        json!({"type": "observed-data", "id": "observed-data--1", "first_observed": "2020-01-01T00:00:00Z",
               "last_observed": "2020-01-01T00:00:00Z", "number_observed": 2, "objects": {"0": a, "1": b, "2": c}})
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn index_agrees_with_full_evaluation(patterns in prop::collection::vec(pattern(), 1..12), od in observation()) {
        let obs = Observation::from_observed_data(&od, |_| None).unwrap();
        let mut set = PatternSet::new();
        let mut want = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            let parsed = Pattern::parse(p).unwrap_or_else(|e| panic!("{p}: {e}"));
            if parsed.matches(std::slice::from_ref(&obs)).unwrap().is_some() {
                want.push(i);
            }
            set.insert(&format!("indicator--{i}"), Pattern::parse(p).unwrap());
        }
        let got = set.match_observation(&obs, &mut Candidates::default());
        prop_assert_eq!(got, want, "patterns {:?} on {}", patterns, od);
    }

    #[test]
    fn canonical_form_is_a_fixpoint(p in pattern()) {
        let a = Pattern::parse(&p).unwrap();
        let b = Pattern::parse(&a.to_string()).unwrap();
        prop_assert_eq!(a.to_string(), b.to_string());
    }
}
