//! Black-box tests of the `pacto` binary: exit codes, located errors, import/export fidelity,
//! and an import killed with SIGKILL.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

fn pacto(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pacto"));
    c.env("PACTO_DATA_DIR", data).env_remove("PACTO_LOG").arg("--no-progress");
    c
}

fn run(data: &Path, args: &[&str]) -> Output {
    pacto(data).args(args).output().expect("pacto runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn indicator(n: u32) -> Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f"),
        "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
        "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z",
        "x_custom": {"nested": [1, 2.5, "three", null, true]}})
}

fn bundle(objects: Vec<Value>) -> String {
    json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": objects}).to_string()
}

fn exit(o: &Output) -> i32 {
    o.status.code().expect("exited normally, not by a signal (no panic abort)")
}

#[test]
fn validate_exit_codes_and_located_findings() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.json", bundle(vec![indicator(1)]));
    let mut bad_obj = indicator(2);
    bad_obj["created"] = json!("2016-04-06 20:03:48Z");
    let bad = write(dir.path(), "bad.json", bundle(vec![indicator(1), bad_obj]));
    let o = run(dir.path(), &["validate", good.to_str().unwrap()]);
    assert_eq!(exit(&o), 0, "{}", text(&o));
    let o = run(dir.path(), &["validate", bad.to_str().unwrap()]);
    assert_eq!(exit(&o), 1);
    let t = text(&o);
    assert!(t.contains("bad.json: $.objects[1].created: error [timestamp-format] (object 1 indicator--00000002-17d4-4cbf-938f-98ee46b3cd3f)"), "{t}");
    // JSON Lines, one summary per file, worst exit code wins.
    let o = run(dir.path(), &["validate", "--format", "json", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(exit(&o), 1);
    let lines: Vec<Value> =
        String::from_utf8(o.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let finding = lines.iter().find(|l| l["kind"] == "finding").unwrap();
    assert_eq!(finding["index"], 1);
    assert_eq!(finding["rule"], "timestamp-format");
    assert_eq!(finding["path"], "$.objects[1].created");
    assert_eq!(finding["id"], "indicator--00000002-17d4-4cbf-938f-98ee46b3cd3f");
    assert!(finding["file"].as_str().unwrap().ends_with("bad.json"));
    let summaries: Vec<_> = lines.iter().filter(|l| l["kind"] == "summary").collect();
    assert_eq!(summaries.len(), 2);
    assert_eq!(summaries[0]["valid"], true);
    assert_eq!(summaries[1]["valid"], false);
    assert_eq!(summaries[1]["errors"], 1);
}

#[test]
fn unusable_input_is_exit_2_with_a_location_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let full = bundle(vec![indicator(1), indicator(2)]);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge = bundle(vec![
        json!({"type": "indicator", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "name": "x".repeat(8_000_000)}),
    ]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("malformed", b"{\"type\": \"bundle\",\n \"objects\": [{\"a\": }]}".to_vec(), "2:"),
        ("truncated", full.as_bytes()[..full.len() / 2].to_vec(), "EOF"),
        ("utf8", b"{\"type\":\"bundle\",\"objects\":[{\"type\":\"x-\xff\xfe\"}]}".to_vec(), "1:"),
        ("deep", format!("{{\"a\":{deep}}}").into_bytes(), "recursion"),
        ("number", b"42".to_vec(), "STIX"),
        ("trailing", format!("{full} {{}}").into_bytes(), "trailing"),
        ("empty", Vec::new(), "EOF"),
        ("notstix", b"{\"type\":\"indicator\",\"objects\":[1]}".to_vec(), "not \"bundle\""),
    ];
    for (name, content, expect) in cases {
        let p = write(dir.path(), name, content);
        let o = run(dir.path(), &["validate", p.to_str().unwrap()]);
        let t = text(&o);
        assert_eq!(exit(&o), 2, "{name}: {t}");
        assert!(t.contains("unusable") && t.contains(expect), "{name}: {t}");
        let o = run(dir.path(), &["import", "--create", p.to_str().unwrap(), "-c", "x"]);
        assert_eq!(exit(&o), 2, "{name}: {}", text(&o));
    }
    // Nesting past the limit inside one object makes that object invalid, not the file unusable.
    let p = write(dir.path(), "deep-object.json", format!("[{deep}]"));
    let o = run(dir.path(), &["validate", p.to_str().unwrap()]);
    assert_eq!(exit(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("$[0]: error [json] (object 0): nesting deeper than 128 levels"), "{}", text(&o));
    // A huge string is not a reason to fail: the object is judged on its merits.
    let p = write(dir.path(), "huge.json", huge);
    let o = run(dir.path(), &["validate", p.to_str().unwrap()]);
    assert_eq!(exit(&o), 1, "{}", text(&o));
    let o = run(dir.path(), &["validate", dir.path().join("missing.json").to_str().unwrap()]);
    assert_eq!(exit(&o), 2);
    assert!(text(&o).contains("missing.json: unusable: cannot read"));
}

#[test]
fn stdin_is_read_with_dash() {
    let dir = tempfile::tempdir().unwrap();
    let mut child =
        pacto(dir.path()).args(["validate", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(indicator(3).to_string().as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(exit(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("valid (1 objects"));
}

#[test]
fn import_export_round_trip_is_lossless() {
    let dir = tempfile::tempdir().unwrap();
    let mut content = Vec::new();
    pacto_testkit::write_bundle(&mut content, 42, 3000, u64::MAX).unwrap();
    let src = write(dir.path(), "gen.json", &content);
    let o =
        run(dir.path(), &["import", "--create", src.to_str().unwrap(), "--collection", "intel", "--batch-size", "100"]);
    assert_eq!(exit(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("read 3000, added 3000, unchanged 0, rejected 0"), "{}", text(&o));
    // Rerun: nothing new.
    let o = run(dir.path(), &["import", "--create", src.to_str().unwrap(), "--collection", "intel"]);
    assert!(text(&o).contains("added 0, unchanged 3000"), "{}", text(&o));
    let out = dir.path().join("out.json");
    let o = run(dir.path(), &["export", "-c", "intel", "-o", out.to_str().unwrap()]);
    assert_eq!(exit(&o), 0, "{}", text(&o));
    let a: Value = serde_json::from_slice(&content).unwrap();
    let b: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let key = |v: &Value| {
        let mut objs: Vec<String> = v["objects"].as_array().unwrap().iter().map(Value::to_string).collect();
        objs.sort();
        objs
    };
    assert_eq!(key(&a), key(&b));
    let o = run(dir.path(), &["validate", out.to_str().unwrap()]);
    assert_eq!(exit(&o), 0, "{}", text(&o));
    let o = run(dir.path(), &["collections", "describe", "intel", "--format", "json"]);
    let d: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(d["objects"], 3000);
}

#[test]
fn stix20_bundles_round_trip_as_20() {
    let dir = tempfile::tempdir().unwrap();
    let objs = json!([{"type": "malware", "id": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created": "2017-05-31T21:30:19.735Z",
        "modified": "2017-05-31T21:30:19.735Z", "name": "x", "labels": ["malware"]}]);
    // spec_version after the objects, as in MITRE's files.
    let text20 = format!(
        r#"{{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":{objs},"spec_version":"2.0"}}"#
    );
    let src = write(dir.path(), "v20.json", text20);
    let o = run(dir.path(), &["import", "--create", src.to_str().unwrap(), "-c", "old"]);
    assert_eq!(exit(&o), 0, "{}", text(&o));
    let o = run(dir.path(), &["export", "-c", "old"]);
    let b: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(b["spec_version"], "2.0");
    assert_eq!(b["objects"], objs);
}

#[test]
fn invalid_objects_are_rejected_with_reasons_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad = indicator(9);
    bad.as_object_mut().unwrap().remove("pattern");
    let src = write(dir.path(), "mixed.json", bundle(vec![indicator(1), bad, indicator(2)]));
    let o = run(dir.path(), &["import", "--create", src.to_str().unwrap(), "-c", "intel", "--format", "json"]);
    assert_eq!(exit(&o), 1);
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["report"]["added"], 2);
    assert_eq!(r["report"]["rejected"], 1);
    let rej = &r["report"]["rejections"][0];
    assert_eq!(rej["index"], 1);
    assert_eq!(rej["id"], "indicator--00000009-17d4-4cbf-938f-98ee46b3cd3f");
    assert!(rej["reasons"][0].as_str().unwrap().contains("[required-property]"));
    // A changed object under a stored version is refused, not written over.
    let mut changed = indicator(1);
    changed["name"] = json!("rewritten");
    let src = write(dir.path(), "changed.json", bundle(vec![changed]));
    let o = run(dir.path(), &["import", "--create", src.to_str().unwrap(), "-c", "intel"]);
    assert_eq!(exit(&o), 1);
    assert!(text(&o).contains("a different object is already stored"), "{}", text(&o));
    let o = run(dir.path(), &["export", "-c", "intel"]);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("rewritten"));
}

#[test]
fn collections_commands() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        dir.path(),
        &["collections", "create", "seized-firearms", "--title", "Seized firearms", "--description", "d"],
    );
    assert_eq!(exit(&o), 0, "{}", text(&o));
    let o = run(dir.path(), &["collections", "create", "seized-firearms"]);
    assert_ne!(exit(&o), 0);
    assert!(text(&o).contains("already exists"));
    let o = run(dir.path(), &["collections", "list", "--format", "json"]);
    let l: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(l[0]["name"], "seized-firearms");
    assert_eq!(l[0]["title"], "Seized firearms");
    assert_eq!(l[0]["objects"], 0);
    let o = run(dir.path(), &["collections", "describe", "nope"]);
    assert_ne!(exit(&o), 0);
    let o = run(dir.path(), &["export", "-c", "seized-firearms"]);
    let b: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(b.get("objects").is_none(), "an empty bundle has no objects list");
}

/// kill -9 in the middle of an import leaves a consistent store, and a rerun completes the
/// import with every object exactly once.
#[test]
fn import_killed_with_sigkill_resumes_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let mut content = Vec::new();
    let (n, _) = pacto_testkit::write_bundle(&mut content, 9, 60_000, u64::MAX).unwrap();
    let src = write(dir.path(), "big.json", &content);
    let db = dir.path().join("pacto.db");
    let mut killed_midway = false;
    // Kill it as soon as some batches are stored (watched from another connection), however
    // slow the machine; a few tries, in case an import ever finishes first.
    for _ in 0..3 {
        let _ = std::fs::remove_file(&db);
        let _ = std::fs::remove_file(dir.path().join("pacto.db-wal"));
        let mut child = pacto(dir.path())
            .args(["import", "--create", src.to_str().unwrap(), "-c", "intel", "--batch-size", "500"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stored_now = || -> u64 {
            if !db.exists() {
                return 0;
            }
            rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .and_then(|c| c.query_row("SELECT count(*) FROM objects", [], |r| r.get(0)))
                .unwrap_or(0)
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while stored_now() == 0 && std::time::Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = child.kill(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        let conn = rusqlite::Connection::open(&db).unwrap();
        let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(ok, "ok");
        let stored: u64 = conn.query_row("SELECT count(*) FROM objects", [], |r| r.get(0)).unwrap_or(0);
        drop(conn);
        if status.code().is_none() && stored > 0 && stored < n {
            killed_midway = true;
            let o = run(dir.path(), &["import", "--create", src.to_str().unwrap(), "-c", "intel", "--format", "json"]);
            assert_eq!(exit(&o), 0, "{}", text(&o));
            let r: Value = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(r["report"]["added"].as_u64().unwrap() + r["report"]["unchanged"].as_u64().unwrap(), n);
            assert_eq!(r["report"]["unchanged"].as_u64().unwrap(), stored);
            let conn = rusqlite::Connection::open(&db).unwrap();
            let (rows, ids): (u64, u64) = conn
                .query_row("SELECT count(*), count(DISTINCT id) FROM objects", [], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap();
            assert_eq!((rows, ids), (n, n));
            break;
        }
    }
    assert!(killed_midway, "never managed to kill the import part-way through");
}

#[test]
fn pattern_check_explains_or_points_at_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        dir.path(),
        &[
            "pattern",
            "check",
            "[file:name = 'a.exe'] FOLLOWEDBY [ipv4-addr:value ISSUBSET '10.0.0.0/8'] WITHIN 60 SECONDS",
        ],
    );
    assert_eq!(exit(&o), 0, "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("2 observation expression(s), 2 comparison(s)"), "{t}");
    assert!(t.contains("followed (not earlier) by:") && t.contains("within 60 seconds:"), "{t}");
    let o = run(dir.path(), &["pattern", "check", "[file:name = 'a' AND file:size >> 3]"]);
    assert_eq!(exit(&o), 1);
    let t = text(&o);
    assert!(t.contains("line 1, column 33: expected an orderable constant"), "{t}");
    assert!(t.contains(&format!("\n  {}^\n", " ".repeat(32))), "a caret under column 33: {t}");
    let o = run(dir.path(), &["pattern", "check", "--format", "json", "[x:y MATCHES '(?<=a)b']"]);
    assert_eq!(exit(&o), 1, "grammatical, but pacto cannot evaluate it");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((v["valid"].as_bool(), v["evaluable"].as_bool()), (Some(true), Some(false)), "{v}");
    let o = run(
        dir.path(),
        &[
            "pattern",
            "check",
            "--stix-version",
            "2.0",
            "[a:b = 1] START '2020-01-01T00:00:00Z' STOP '2020-02-01T00:00:00Z'",
        ],
    );
    assert_eq!(exit(&o), 0, "{}", text(&o));
}

fn detection_fixture(dir: &Path) -> (PathBuf, PathBuf) {
    let ind = |n: u32, pattern: &str| {
        json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--{n:08x}-0000-4000-8000-000000000000"),
               "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "pattern": pattern,
               "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"})
    };
    let indicators = write(
        dir,
        "indicators.json",
        bundle(vec![
            ind(1, "[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4']"),
            ind(2, "[ipv4-addr:value ISSUBSET '203.0.113.0/24'] FOLLOWEDBY [domain-name:value = 'c2.example']"),
            ind(3, "[email-addr:value = 'broker@example.org']"),
        ]),
    );
    let file = json!({"type": "file", "spec_version": "2.1", "id": "file--00000000-0000-4000-8000-000000000001",
                      "hashes": {"MD5": "79054025255fb1a26e4bc422aef54eb4"}});
    let ip = json!({"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--00000000-0000-4000-8000-000000000002", "value": "203.0.113.9"});
    let od = |n: u32, at: &str, refs: &[&Value]| {
        json!({"type": "observed-data", "spec_version": "2.1", "id": format!("observed-data--00000000-0000-4000-8000-{:012}", 1000 + n),
               "created": at, "modified": at, "first_observed": at, "last_observed": at, "number_observed": 1,
               "object_refs": refs.iter().map(|r| r["id"].clone()).collect::<Vec<_>>()})
    };
    // The observed-data comes before the file it references, as bundles may order them.
    let domain = json!({"type": "domain-name", "spec_version": "2.1", "id": "domain-name--00000000-0000-4000-8000-000000000003", "value": "c2.example"});
    let observations = write(
        dir,
        "observations.json",
        bundle(vec![
            od(1, "2024-05-01T10:00:00.000Z", &[&file]),
            file.clone(),
            ip.clone(),
            od(2, "2024-05-01T10:01:00.000Z", &[&ip]),
            domain.clone(),
            od(3, "2024-05-01T10:02:00.000Z", &[&domain]),
        ]),
    );
    (indicators, observations)
}

fn match_files(data: &Path, indicators: &Path, observations: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["match-indicators", "-i", indicators.to_str().unwrap(), observations.to_str().unwrap()];
    args.extend(["-o", out.to_str().unwrap()]);
    args.extend(extra);
    run(data, &args)
}

#[test]
fn match_indicators_over_files_writes_valid_sightings() {
    let dir = tempfile::tempdir().unwrap();
    let (indicators, observations) = detection_fixture(dir.path());
    let out = dir.path().join("sightings.json");
    let o = match_files(dir.path(), &indicators, &observations, &out, &[]);
    assert_eq!(exit(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("3 indicators (0 invalid), 3 observations (0 unusable), 2 sightings"), "{}", text(&o));
    let b: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let mut of: Vec<&str> =
        b["objects"].as_array().unwrap().iter().map(|s| s["sighting_of_ref"].as_str().unwrap()).collect();
    of.sort();
    assert_eq!(
        of,
        ["indicator--00000001-0000-4000-8000-000000000000", "indicator--00000002-0000-4000-8000-000000000000"]
    );
    let two = b["objects"].as_array().unwrap().iter().find(|s| s["sighting_of_ref"] == of[1]).unwrap();
    assert_eq!(two["observed_data_refs"].as_array().unwrap().len(), 2);
    assert_eq!(two["first_seen"], "2024-05-01T10:01:00.000Z");
    let o = run(dir.path(), &["validate", out.to_str().unwrap()]);
    assert_eq!(exit(&o), 0, "sightings are valid STIX: {}", text(&o));
    // Same data, same sighting ids.
    let again = dir.path().join("again.json");
    match_files(dir.path(), &indicators, &observations, &again, &[]);
    let ids = |p: &Path| -> Vec<String> {
        let v: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        let mut ids: Vec<String> =
            v["objects"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&out), ids(&again));
    // Who sighted: an identity object, referred to by every sighting; still valid STIX.
    let by = dir.path().join("by.json");
    let o = match_files(dir.path(), &indicators, &observations, &by, &["--sighted-by", "CERT-MX"]);
    assert_eq!(exit(&o), 0, "{}", text(&o));
    let b: Value = serde_json::from_slice(&std::fs::read(&by).unwrap()).unwrap();
    let objects = b["objects"].as_array().unwrap();
    let ident = objects.iter().find(|o| o["type"] == "identity").expect("an identity");
    assert_eq!(ident["name"], "CERT-MX");
    for s in objects.iter().filter(|o| o["type"] == "sighting") {
        assert_eq!(s["created_by_ref"], ident["id"]);
        assert_eq!(s["where_sighted_refs"], json!([ident["id"].clone()]));
    }
    assert_eq!(exit(&run(dir.path(), &["validate", by.to_str().unwrap()])), 0);
    // An indicator whose pattern does not parse is named, with the reason, and exit code 1.
    let bad = write(
        dir.path(),
        "bad.json",
        bundle(vec![json!({"type": "indicator", "spec_version": "2.1",
        "id": "indicator--00000009-0000-4000-8000-000000000000", "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z", "pattern": "[file:name = ]", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"})]),
    );
    let o = run(
        dir.path(),
        &["match-indicators", "-i", bad.to_str().unwrap(), observations.to_str().unwrap(), "-o", out.to_str().unwrap()],
    );
    assert_eq!(exit(&o), 1);
    assert!(
        text(&o).contains(
            "indicator indicator--00000009-0000-4000-8000-000000000000: pattern does not parse: line 1, column 14"
        ),
        "{}",
        text(&o)
    );
}

#[test]
fn import_matches_observations_once_detection_is_set_up() {
    let dir = tempfile::tempdir().unwrap();
    let (indicators, observations) = detection_fixture(dir.path());
    for c in ["intel", "obs"] {
        assert_eq!(exit(&run(dir.path(), &["collections", "create", c])), 0);
    }
    let o = run(
        dir.path(),
        &["detect", "setup", "--indicators", "intel", "--observations", "obs", "--sighted-by", "CERT-US"],
    );
    assert_eq!(exit(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("created collection sightings"));
    assert_eq!(exit(&run(dir.path(), &["import", "--create", "-c", "intel", indicators.to_str().unwrap()])), 0);
    let o = run(dir.path(), &["import", "--create", "-c", "obs", observations.to_str().unwrap()]);
    assert_eq!(exit(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("matched 3 new observations against 3 indicators: 2 sightings"), "{}", text(&o));
    let export = |dir: &Path| -> Value {
        let o = run(dir, &["export", "-c", "sightings"]);
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let all = export(dir.path());
    let objects = all["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 3, "the identity and two sightings");
    let ident = objects.iter().find(|o| o["type"] == "identity").unwrap();
    assert!(objects.iter().filter(|o| o["type"] == "sighting").all(|s| s["created_by_ref"] == ident["id"]));
    // Importing the same file again stores nothing new and matches nothing again.
    let o = run(dir.path(), &["import", "--create", "-c", "obs", observations.to_str().unwrap()]);
    assert!(!text(&o).contains("sightings"), "{}", text(&o));
    let o = run(dir.path(), &["detect", "run"]);
    assert!(text(&o).contains("0 new observations"), "{}", text(&o));
    assert_eq!(export(dir.path())["objects"].as_array().unwrap().len(), 3);
}

/// The README's detection example: the example indicators against the example observations.
#[test]
fn example_indicators_sight_the_example_observations() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (ind, obs) = (root.join("examples/firearms-trafficking.json"), root.join("examples/observations.json"));
    let o = run(dir.path(), &["match-indicators", "-i", ind.to_str().unwrap(), obs.to_str().unwrap()]);
    assert_eq!(exit(&o), 0, "{}", text(&o));
    let b: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut got: Vec<(String, u64)> = b["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["sighting_of_ref"].as_str().unwrap().to_string(), s["count"].as_u64().unwrap()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("indicator--3a9c4e5f-6b7d-4c8e-9f01-2a3b4c5d6e33".to_string(), 1),
            ("indicator--4b0d5f60-7c8e-4d9f-a012-3b4c5d6e7f44".to_string(), 3)
        ]
    );
}

/// Finding 17, the attack: someone holding the database alone tries a dictionary of serials
/// against a private set. Set secrets live in 0600 key files, so the database gives nothing;
/// the data directory is 0700 and the database 0600.
#[test]
fn attack_a_stolen_database_does_not_reveal_a_private_set() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let items: Vec<String> = (0..200).map(|i| format!("SN-{i:05}")).collect();
    let file = write(dir.path(), "registry.txt", items.join("\n"));
    let o = run(&data, &["set", "import", "reg", file.to_str().unwrap(), "--normalize", "serial"]);
    assert_eq!(exit(&o), 0, "{}", text(&o));
    let db = rusqlite::Connection::open(data.join("pacto.db")).unwrap();
    let (secret, tags): (Vec<u8>, Vec<u8>) = db
        .query_row("SELECT secret, tags FROM psi_sets WHERE name = 'reg'", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    let mut recovered = 0;
    if let Ok(secret) = <[u8; 32]>::try_from(secret.as_slice()) {
        let tags: Vec<[u8; 8]> = tags.chunks_exact(8).map(|c| c.try_into().unwrap()).collect();
        if let Some(h) = pacto_psi::HolderSet::from_parts(secret, pacto_psi::Normalizer::Serial, tags, Vec::new()) {
            // The dictionary: every serial of the form, run through the set's own encoding.
            let guesses: Vec<Vec<u8>> = (0..1000).map(|i| format!("SN{i:05}").into_bytes()).collect();
            let (q, query) =
                pacto_psi::Querier::start(&guesses, pacto_psi::Normalizer::Serial, pacto_psi::Mode::Intersection)
                    .unwrap();
            if let Ok(pacto_psi::Outcome::Matches(m)) = q.finish(&h.answer(&query.check().unwrap()).unwrap()) {
                recovered = m.len();
            }
        }
    }
    assert_eq!(recovered, 0, "the database alone holds the set's secret");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "data directory");
    assert_eq!(mode(&data.join("pacto.db")), 0o600, "database");
    let keys: Vec<_> = std::fs::read_dir(data.join("psi-keys")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(keys.len(), 1);
    assert_eq!(mode(&keys[0]), 0o600, "key file");
    assert_eq!(mode(&data.join("psi-keys")), 0o700, "key directory");
}

/// `inbound.PARTNER` holds what a partner sent, with provenance; sync alone writes to it. Import,
/// adopt and collection creation refuse it, by name or by id, and leave it as it was.
#[test]
fn only_sync_writes_to_inbound_collections() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "b.json", bundle(vec![indicator(1)]));
    let file = file.to_str().unwrap();
    let o = run(dir.path(), &["import", "--create", file, "--collection", "intel"]);
    assert_eq!(exit(&o), 0, "{}", text(&o));
    // The inbound collection as sync creates it.
    let inbound_id = {
        let mut s = pacto_store::SqliteStore::open(&dir.path().join("pacto.db")).unwrap();
        pacto_store::ObjectStore::create_collection(&mut s, "inbound.mx", "Received from mx", None).unwrap().id
    };
    let refusal = "inbound.mx holds what partner mx sent; only sync writes to it";
    for target in ["inbound.mx", inbound_id.as_str()] {
        let o = run(dir.path(), &["import", "--create", file, "--collection", target]);
        assert_eq!(exit(&o), 2, "{}", text(&o));
        assert!(text(&o).contains(refusal), "{}", text(&o));
    }
    let o = run(
        dir.path(),
        &["adopt", "--from", "intel", "--to", "inbound.mx", "indicator--00000001-17d4-4cbf-938f-98ee46b3cd3f"],
    );
    assert_eq!(exit(&o), 2, "{}", text(&o));
    assert!(text(&o).contains(refusal), "{}", text(&o));
    // Not created either, by import or by hand.
    let o = run(dir.path(), &["import", "--create", file, "--collection", "inbound.new"]);
    assert_eq!(exit(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("inbound.new holds what partner new sent; only sync writes to it"), "{}", text(&o));
    let o = run(dir.path(), &["collections", "create", "inbound.x"]);
    assert_eq!(exit(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("only sync writes to it"), "{}", text(&o));
    let o = run(
        dir.path(),
        &["detect", "setup", "--indicators", "intel", "--observations", "intel", "--sightings", "inbound.mx"],
    );
    assert_eq!(exit(&o), 2, "{}", text(&o));
    assert!(text(&o).contains(refusal), "{}", text(&o));
    let o = run(dir.path(), &["collections", "list", "--format", "json"]);
    let names: Vec<String> = serde_json::from_slice::<Vec<Value>>(&o.stdout)
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["inbound.mx", "intel"]);
    let o = run(dir.path(), &["export", "-c", "inbound.mx"]);
    let export: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(export["objects"].as_array().map_or(0, Vec::len), 0, "{export}");
}

/// A partner's drop box holds its writing alone: the command line refuses to import or adopt
/// into it, as the TAXII API does for every local account.
#[test]
fn only_its_partner_writes_to_a_drop_box() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "b.json", bundle(vec![indicator(1)]));
    let file = file.to_str().unwrap();
    assert_eq!(exit(&run(dir.path(), &["import", "--create", file, "--collection", "intel"])), 0);
    assert_eq!(exit(&run(dir.path(), &["collections", "create", "from-mx"])), 0);
    let agreement = write(dir.path(), "mx.toml", "partner = \"mx\"\ndropbox = \"from-mx\"\n");
    let o = run(dir.path(), &["partner", "add", "mx", "--basic", "--agreement", agreement.to_str().unwrap()]);
    assert_eq!(exit(&o), 0, "{}", text(&o));
    let refusal = "from-mx is partner mx's drop box: only mx writes to it";
    let o = run(dir.path(), &["import", "--create", file, "--collection", "from-mx"]);
    assert_eq!(exit(&o), 2, "{}", text(&o));
    assert!(text(&o).contains(refusal), "{}", text(&o));
    let o = run(
        dir.path(),
        &["adopt", "--from", "intel", "--to", "from-mx", "indicator--00000001-17d4-4cbf-938f-98ee46b3cd3f"],
    );
    assert_eq!(exit(&o), 2, "{}", text(&o));
    assert!(text(&o).contains(refusal), "{}", text(&o));
    let o = run(
        dir.path(),
        &["detect", "setup", "--indicators", "intel", "--observations", "intel", "--sightings", "from-mx"],
    );
    assert_eq!(exit(&o), 2, "{}", text(&o));
    assert!(text(&o).contains(refusal), "{}", text(&o));
    // A drop box must start empty, and belong to one partner.
    let other = write(dir.path(), "ca.toml", "partner = \"ca\"\ndropbox = \"from-mx\"\n");
    let o = run(dir.path(), &["partner", "add", "ca", "--basic", "--agreement", other.to_str().unwrap()]);
    assert_ne!(exit(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("dropbox"), "{}", text(&o));
    let used = write(dir.path(), "us.toml", "partner = \"us\"\ndropbox = \"intel\"\n");
    let o = run(dir.path(), &["partner", "add", "us", "--basic", "--agreement", used.to_str().unwrap()]);
    assert_ne!(exit(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("must start empty"), "{}", text(&o));
}

/// `pacto search`: words, filters, an account's rights (`--as`), and a bad filter said plainly.
#[test]
fn search_finds_by_words_and_filters_within_an_accounts_rights() {
    let dir = tempfile::tempdir().unwrap();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/firearms-trafficking.json");
    assert_eq!(exit(&run(dir.path(), &["import", "--create", example, "--collection", "default"])), 0);
    assert_eq!(exit(&run(dir.path(), &["collections", "create", "secret"])), 0);
    let secret = write(
        dir.path(),
        "secret.json",
        bundle(vec![json!({"type": "tool", "spec_version": "2.1",
        "id": "tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created": "2020-01-01T00:00:00.000Z",
        "modified": "2020-01-01T00:00:00.000Z", "name": "Payment informant handset"})]),
    );
    assert_eq!(exit(&run(dir.path(), &["import", "--create", secret.to_str().unwrap(), "--collection", "secret"])), 0);
    let mut add =
        pacto(dir.path()).args(["user", "add", "analyst", "--read", "default"]).stdin(Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    add.stdin.take().unwrap().write_all(b"a long passphrase for the analyst\n").unwrap();
    assert!(add.wait().unwrap().success());
    let hits = |args: &[&str]| -> Vec<Value> {
        let o = run(dir.path(), &[&["search", "--format", "json"], args].concat());
        assert_eq!(exit(&o), 0, "{}", text(&o));
        String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let ids = |v: &[Value]| -> Vec<String> { v.iter().map(|h| h["id"].as_str().unwrap().to_string()).collect() };
    let payment = hits(&["payment"]);
    assert_eq!(payment.len(), 2, "{payment:?}");
    assert_eq!(payment[0]["collection"], "secret");
    assert_eq!(payment[1]["id"], "indicator--4b0d5f60-7c8e-4d9f-a012-3b4c5d6e7f44");
    assert_eq!(payment[1]["tlp"], "amber");
    // The analyst reads default only: the secret tool is not found, by word or by id.
    assert_eq!(ids(&hits(&["payment", "--as", "analyst"])), ["indicator--4b0d5f60-7c8e-4d9f-a012-3b4c5d6e7f44"]);
    assert!(hits(&["tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "--as", "analyst"]).is_empty());
    // Filters: type, TLP.
    assert_eq!(hits(&["--type", "relationship"]).len(), 3);
    assert_eq!(ids(&hits(&["--tlp", "red"])), ["note--f6b86a6b-2739-424a-9bcd-e6576879805f"]);
    let o = run(dir.path(), &["search", "x", "--tlp", "purple"]);
    assert_ne!(exit(&o), 0);
    assert!(text(&o).contains("not a TLP 2.0 level"), "{}", text(&o));
    let o = run(dir.path(), &["search", "x", "--since", "yesterday"]);
    assert_ne!(exit(&o), 0);
    assert!(text(&o).contains("--since \"yesterday\""), "{}", text(&o));
}
