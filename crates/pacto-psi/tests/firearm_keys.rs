//! The (manufacturer, serial) key on a corpus of realistic variants (tests/firearm-variants.tsv:
//! how a seizure record and a sales record of the same weapon, or of two weapons, are written),
//! and its general properties.

use pacto_psi::Normalizer;
use pacto_psi::firearm::{canonical_manufacturer, canonical_serial, firearm_key};
use proptest::prelude::*;

#[test]
fn corpus_of_variants() {
    let corpus = include_str!("firearm-variants.tsv");
    let (mut same, mut distinct) = (0, 0);
    for (n, line) in corpus.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 6, "line {}: six tab-separated fields", n + 1);
        let a = firearm_key(f[0], f[1]).unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
        let b = firearm_key(f[2], f[3]).unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
        match f[4] {
            "same" => {
                assert_eq!(a, b, "line {} ({}): should be one weapon", n + 1, f[5]);
                same += 1;
            }
            "distinct" => {
                assert_ne!(a, b, "line {} ({}): should be two weapons", n + 1, f[5]);
                distinct += 1;
            }
            other => panic!("line {}: expect is same or distinct, not {other:?}", n + 1),
        }
        // The rule as the private matching applies it gives the same key.
        let item = format!("{}\t{}", f[0], f[1]);
        assert_eq!(Normalizer::Firearm.apply(item.as_bytes()).unwrap(), a.as_bytes());
    }
    assert!(same >= 40 && distinct >= 15, "{same} same, {distinct} distinct");
}

#[test]
fn bad_items_are_errors_that_say_why() {
    let e = Normalizer::Firearm.apply(b"Colt LW12345").unwrap_err();
    assert!(e.to_string().contains("tab"), "{e}");
    let e = Normalizer::Firearm.apply(b"Colt\tLW*12345").unwrap_err();
    assert!(e.to_string().contains("'*'") && e.to_string().contains("character 2"), "{e}");
    let e = Normalizer::Firearm.apply(b"--\tLW12345").unwrap_err();
    assert!(e.to_string().contains("manufacturer"), "{e}");
    let e = Normalizer::Firearm.apply(b"Colt\t - ").unwrap_err();
    assert!(e.to_string().contains("no letters or digits"), "{e}");
    assert!(Normalizer::Firearm.apply(&[0xff, b'\t', b'1']).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Canonical forms are fixed points: normalising twice is normalising once.
    #[test]
    fn normalisation_is_idempotent(m in "\\PC{0,40}", s in "[ A-Za-z0-9./_:#-]{0,24}") {
        if let Ok(c) = canonical_manufacturer(&m) {
            prop_assert_eq!(canonical_manufacturer(&c).unwrap(), c);
        }
        if let Ok(c) = canonical_serial(&s) {
            prop_assert_eq!(canonical_serial(&c).unwrap(), c.clone());
            prop_assert!(c.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        }
    }

    /// The key includes the manufacturer: one serial under two makers (whose names differ
    /// after canonicalisation) never gives one key.
    #[test]
    fn one_serial_under_two_makers_never_collides(
        a in "[A-Za-z][A-Za-z &.'-]{0,20}", b in "[A-Za-z][A-Za-z &.'-]{0,20}", s in "[A-Z0-9]{1,12}",
    ) {
        let (ca, cb) = (canonical_manufacturer(&a), canonical_manufacturer(&b));
        if let (Ok(ca), Ok(cb)) = (ca, cb) {
            let (ka, kb) = (firearm_key(&a, &s).unwrap(), firearm_key(&b, &s).unwrap());
            prop_assert_eq!(ca == cb, ka == kb);
            let prefix = format!("{}/", ca);
            prop_assert!(ka.starts_with(&prefix));
        }
    }

    /// Nothing panics, whatever the text.
    #[test]
    fn never_panics(t in "\\PC{0,60}") {
        let _ = Normalizer::Firearm.apply(t.as_bytes());
        let _ = canonical_serial(&t);
        let _ = canonical_manufacturer(&t);
    }
}
