//! The validation corpus (tests/interop/corpus/validate) judged by the library alone: every
//! case's verdict must match its expected one. The same corpus is compared with the OASIS
//! validator by tests/interop/validate_diff.py (in CI); this test needs no Python.

use std::path::PathBuf;

use pacto_stix::validate::{self, Location, Session, SpecVersion};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/corpus/validate")
}

/// Judge one file the way `pacto validate` does: every object, plus the bundle's own properties.
fn valid(bytes: &[u8]) -> (bool, Vec<String>) {
    let mut session = Session::new();
    let mut errors = Vec::new();
    let env = pacto_stix::read_objects_from_slice(bytes, |o| {
        let default_version = if o.bundle_spec_version == Some("2.0") { SpecVersion::V20 } else { SpecVersion::V21 };
        let checked = session.check(o.raw, Location { index: o.index, path: o.path, default_version });
        if checked.verdict.errors > 0 {
            errors.extend(session.findings().iter().map(|f| format!("{} [{}] {}", f.path, f.rule, f.message)));
        }
        Ok::<(), ()>(())
    });
    match env {
        Ok(env) => {
            if let Some(header) = env.bundle {
                let mut hf = Vec::new();
                validate::validate_bundle_header(&header, env.list_len, &mut hf);
                errors.extend(
                    hf.iter()
                        .filter(|f| f.severity == pacto_stix::Severity::Error)
                        .map(|f| format!("{} [{}]", f.path, f.rule)),
                );
            }
            (errors.is_empty(), errors)
        }
        Err(e) => (false, vec![format!("unusable: {e:?}")]),
    }
}

#[test]
fn every_case_gets_its_expected_verdict() {
    let dir = corpus();
    let cases = std::fs::read_to_string(dir.join("cases.tsv")).expect("cases.tsv");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for line in cases.lines().skip(1).filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, expected) = (cols[0], cols[1]);
        let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let (got, errors) = valid(&bytes);
        if got != (expected == "valid") {
            wrong.push(format!("{file}: expected {expected}, rule {}: {errors:?}", cols.get(2).unwrap_or(&"")));
        }
        checked += 1;
    }
    assert!(checked > 1000, "only {checked} cases found");
    assert!(wrong.is_empty(), "{} of {checked} cases judged wrongly:\n{}", wrong.len(), wrong.join("\n"));
}
