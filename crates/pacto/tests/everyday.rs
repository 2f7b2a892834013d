//! The everyday commands, black-box: import's guard rails (a missing collection, input that is
//! not JSON, warnings shown), `collections delete`, `show`, `sightings`, `agreement check
//! --summary`, `detect status`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

fn pacto(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pacto"));
    c.env("PACTO_DATA_DIR", data).env_remove("PACTO_LOG").arg("--no-progress");
    c
}

fn run(data: &Path, args: &[&str]) -> Output {
    pacto(data).args(args).stdin(Stdio::null()).output().expect("pacto runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", text(&o));
    text(&o)
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn indicator(n: u32, types: &[&str]) -> Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f"),
        "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z", "indicator_types": types,
        "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z"})
}

fn bundle(objects: Vec<Value>) -> String {
    json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": objects}).to_string()
}

#[test]
fn import_into_a_missing_collection_needs_create_and_names_the_closest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = write(d, "one.json", bundle(vec![indicator(1, &["malicious-activity"])]));
    let f = f.to_str().unwrap();
    ok(run(d, &["collections", "create", "firearms"]));
    let o = run(d, &["import", f, "-c", "firearm"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("no collection \"firearm\" (did you mean \"firearms\"?); add --create"), "{}", text(&o));
    let listed = ok(run(d, &["collections", "list"]));
    assert!(!listed.contains("firearm\n") && !listed.contains(" firearm "), "nothing was created: {listed}");
    let o = run(d, &["import", f, "-c", "zzzzzzzzzz"]);
    assert!(text(&o).contains("no collection \"zzzzzzzzzz\"; add --create"), "{}", text(&o));
    // With --create it is made; into an existing one, --create changes nothing.
    assert!(ok(run(d, &["import", "--create", f, "-c", "firearm"])).contains("created collection firearm"));
    ok(run(d, &["import", "--create", f, "-c", "firearms"]));
}

#[test]
fn input_that_is_not_json_says_so_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let readme = write(d, "README.md", "# pacto\n\nNot JSON at all.\n");
    let o = run(d, &["import", "--create", readme.to_str().unwrap(), "-c", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("README.md is not JSON: line 1, column 1"), "{}", text(&o));
    // JSON that breaks off after some objects says where, and that what came before was kept.
    let full = bundle(vec![indicator(1, &[]), indicator(2, &[])]);
    let cut = write(d, "cut.json", &full.as_bytes()[..full.len() - 40]);
    let o = run(d, &["import", "--create", cut.to_str().unwrap(), "-c", "x"]);
    assert!(text(&o).contains("cut.json is broken JSON at line 1"), "{}", text(&o));
    // JSON that is not STIX.
    let n = write(d, "n.json", "42");
    assert!(
        text(&run(d, &["import", "--create", n.to_str().unwrap(), "-c", "x"])).contains("n.json is not STIX content")
    );
}

#[test]
fn import_shows_its_first_warnings_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let objects = (0..30).map(|n| indicator(n, &["made-up-type"])).collect();
    let f = write(d, "warn.json", bundle(objects));
    let out = ok(run(d, &["import", "--create", f.to_str().unwrap(), "-c", "x"]));
    let shown: Vec<&str> = out.lines().filter(|l| l.contains(": warning: ")).collect();
    assert_eq!(shown.len(), 20, "{out}");
    assert!(shown[0].contains("object 0 (indicator--00000000-") && shown[0].contains("made-up-type"), "{out}");
    assert!(out.contains("... and 10 more warnings"), "{out}");
    assert!(out.contains("warnings 30"), "{out}");
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> String {
    root().join("examples").join(name).to_str().unwrap().to_string()
}

#[test]
fn collections_delete_refuses_inbound_and_needs_force_when_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(run(d, &["import", "--create", &example("firearms-trafficking.json"), "-c", "old"]));
    ok(run(d, &["collections", "create", "empty"]));
    let o = run(d, &["collections", "delete", "old"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("old holds 19 objects (19 versions): add --force"), "{}", text(&o));
    assert!(ok(run(d, &["collections", "list"])).contains("old"), "still there");
    // Not a terminal: nothing is asked.
    assert!(ok(run(d, &["collections", "delete", "empty"])).contains("deleted collection empty (0 versions)"));
    assert!(ok(run(d, &["collections", "delete", "old", "--force"])).contains("deleted collection old (19 versions)"));
    let listed = ok(run(d, &["collections", "list"]));
    assert!(!listed.contains("old") && !listed.contains("empty"), "{listed}");
    // The same name starts afresh.
    ok(run(d, &["collections", "create", "old"]));
    assert!(!ok(run(d, &["export", "-c", "old"])).contains("indicator--"));
    // A partner's inbound collection is sync's: refused, however forced.
    let db = format!("sqlite:{}", d.join("pacto.db").display());
    let mut s = pacto_store::Database::parse(&db).unwrap().open().unwrap();
    s.create_collection("inbound.mx", "Received from mx", None).unwrap();
    drop(s);
    let o = run(d, &["collections", "delete", "inbound.mx", "--force", "--yes"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("it goes with the partner: `pacto partner remove mx`"), "{}", text(&o));
    let o = run(d, &["collections", "delete", "nothing"]);
    assert!(text(&o).contains("no collection \"nothing\""), "{}", text(&o));
}

#[test]
fn show_gives_every_version_of_an_object() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut v2 = indicator(7, &["malicious-activity"]);
    v2["modified"] = json!("2017-01-01T00:00:00.000Z");
    v2["name"] = json!("second version");
    let f = write(d, "two.json", bundle(vec![indicator(7, &["malicious-activity"]), v2]));
    ok(run(d, &["import", "--create", f.to_str().unwrap(), "-c", "intel"]));
    let id = "indicator--00000007-17d4-4cbf-938f-98ee46b3cd3f";
    let shown = ok(run(d, &["show", id]));
    assert!(shown.contains(&format!("{id} in intel (2 versions)")), "{shown}");
    let versions: Vec<&str> = shown.lines().filter(|l| l.trim_start().starts_with("version ")).collect();
    assert_eq!(versions.len(), 2, "{shown}");
    assert!(versions[0].contains("2017-01-01") && versions[1].contains("2016-04-06"), "newest first: {shown}");
    assert!(versions.iter().all(|l| l.ends_with("local")), "{shown}");
    assert!(shown.contains("\"name\": \"second version\""), "the latest version in full: {shown}");
    let json: Value = serde_json::from_slice(&run(d, &["show", id, "--format", "json"]).stdout).unwrap();
    assert_eq!(json["collections"][0]["versions"].as_array().unwrap().len(), 2);
    let o = run(d, &["show", "indicator--99999999-17d4-4cbf-938f-98ee46b3cd3f"]);
    assert!(!o.status.success() && text(&o).contains("no collection holds"), "{}", text(&o));
}

#[test]
fn sightings_and_detect_status_count_what_detection_did() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(run(d, &["import", "--create", &example("firearms-trafficking.json"), "-c", "intel"]));
    ok(run(d, &["collections", "create", "obs"]));
    ok(run(d, &["detect", "setup", "--indicators", "intel", "--observations", "obs"]));
    let status = ok(run(d, &["detect", "status"]));
    assert!(status.contains("intel: 2 indicators") && status.contains("sightings: 0 sightings"), "{status}");
    ok(run(d, &["import", &example("observations.json"), "-c", "obs"]));
    let status = ok(run(d, &["detect", "status"]));
    assert!(status.contains("obs: 3 observed-data, 3 matched, 0 not read yet"), "{status}");
    assert!(status.contains("sightings: 2 sightings"), "{status}");
    let listed = ok(run(d, &["sightings"]));
    let lines: Vec<&str> = listed.lines().filter(|l| l.contains("sighting--")).collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(lines.iter().all(|l| l.contains(" of indicator--")), "{listed}");
    assert!(listed.contains("2 of 2 sightings in sightings"), "{listed}");
    assert!(ok(run(d, &["sightings", "--limit", "1"])).contains("1 of 2 sightings"));
    let later = ok(run(d, &["sightings", "--since", "2999-01-01T00:00:00Z"]));
    assert!(later.contains("0 of 0 sightings in sightings since 2999"), "{later}");
    let bad = run(d, &["sightings", "--since", "yesterday"]);
    assert!(!bad.status.success() && text(&bad).contains("--since \"yesterday\" is not a timestamp"));
}

#[test]
fn agreement_check_summary_counts_per_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(run(d, &["import", "--create", &example("firearms-trafficking.json"), "-c", "default"]));
    ok(run(d, &["collections", "create", "from-us-partner"]));
    let agreement = example("agreements/us-partner.toml");
    ok(run(d, &["partner", "add", "us-partner", "--basic", "--agreement", &agreement]));
    let full: Value =
        serde_json::from_slice(&run(d, &["agreement", "check", "--partner", "us-partner", "--format", "json"]).stdout)
            .unwrap();
    let summary = run(d, &["agreement", "check", "--partner", "us-partner", "--summary", "--format", "json"]);
    let summary: Value = serde_json::from_slice(&summary.stdout).unwrap();
    let (f, s) = (&full["collections"][0], &summary["collections"][0]);
    assert_eq!(s["disclosed"].as_u64().unwrap() as usize, f["disclosed"].as_array().unwrap().len());
    for (why, ids) in f["withheld"].as_object().unwrap() {
        assert_eq!(s["withheld"][why].as_u64().unwrap() as usize, ids.as_array().unwrap().len(), "{why}");
    }
    assert_eq!(s["withheld"]["type not shared"].as_u64(), Some(3), "{summary}");
    let text = ok(run(d, &["agreement", "check", "--partner", "us-partner", "--summary"]));
    assert!(text.contains("default: ") && text.contains("3 withheld: type not shared"), "{text}");
    assert!(!text.contains("    + "), "no object lines in a summary: {text}");
}

/// On a terminal (given by util-linux `script`), `collections delete` asks for the name first:
/// a wrong answer deletes nothing.
#[test]
fn collections_delete_asks_on_a_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` command to give pacto a terminal");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(run(d, &["collections", "create", "keep"]));
    let on_a_terminal = |answer: &str| -> Output {
        let cmd =
            format!("{} --no-progress --data-dir {} collections delete keep", env!("CARGO_BIN_EXE_pacto"), d.display());
        let mut child = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), answer.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let o = on_a_terminal("kep\n");
    assert!(text(&o).contains("Type its name to confirm") && text(&o).contains("not deleted"), "{}", text(&o));
    assert!(ok(run(d, &["collections", "list"])).contains("keep"));
    let o = on_a_terminal("keep\n");
    assert!(text(&o).contains("deleted collection keep"), "{}", text(&o));
    assert!(!ok(run(d, &["collections", "list"])).contains("keep"));
}
