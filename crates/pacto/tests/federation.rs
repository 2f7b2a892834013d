//! Partners through the command line: `partner add`, `agreement check`, a partner's TAXII reads
//! matching what the check promised, and the ledger's show, verify, export and tamper check.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use pacto_testkit::http::Client;
use serde_json::Value;

fn pacto(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pacto"))
        .env("PACTO_DATA_DIR", data)
        .arg("--no-progress")
        .args(args)
        .output()
        .unwrap()
}

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn a_partner_reads_what_the_check_promised_and_the_ledger_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let example = root().join("examples/firearms-trafficking.json");
    assert!(pacto(data, &["import", example.to_str().unwrap(), "-c", "default"]).status.success());
    assert!(pacto(data, &["collections", "create", "from-us-partner"]).status.success());
    let agreement = root().join("examples/agreements/us-partner.toml");
    let added = pacto(data, &["partner", "add", "us-partner", "--agreement", agreement.to_str().unwrap()]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let out = String::from_utf8(added.stdout).unwrap();
    let password = out.lines().find(|l| l.contains("shown only now")).unwrap().rsplit(' ').next().unwrap().to_string();
    // A mismatched agreement is refused.
    let wrong = pacto(data, &["partner", "add", "someone-else", "--agreement", agreement.to_str().unwrap()]);
    assert!(!wrong.status.success());

    let check = pacto(data, &["agreement", "check", "--partner", "us-partner", "--format", "json"]);
    assert!(check.status.success());
    let check: Value = serde_json::from_slice(&check.stdout).unwrap();
    let mut promised: Vec<String> = check["collections"][0]["disclosed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    promised.sort();
    assert!(promised.iter().any(|i| i.starts_with("marking-definition--")), "TLP definitions go with what they mark");
    assert!(!promised.iter().any(|i| i.starts_with("note--")), "the RED note stays");

    let mut child = Command::new(env!("CARGO_BIN_EXE_pacto"))
        .env("PACTO_DATA_DIR", data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server output").unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let mut c = Client::new(&addr, Some(("us-partner", &password)));
    let r = c.request("GET", "/api/collections/default/objects/", None).unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let page: Value = serde_json::from_slice(&r.body).unwrap();
    let mut got: Vec<String> =
        page["objects"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_string()).collect();
    got.sort();
    assert_eq!(got, promised, "the partner receives exactly what agreement check said");
    assert!(!String::from_utf8_lossy(&r.body).contains("x_informant_name"));
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();

    let shown = String::from_utf8(pacto(data, &["ledger", "show"]).stdout).unwrap();
    assert_eq!(shown.lines().count(), promised.len());
    let v = pacto(data, &["ledger", "verify"]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    // A partner checks an export offline with the node's public key.
    let key = String::from_utf8(pacto(data, &["ledger", "key"]).stdout).unwrap().trim().to_string();
    let export = data.join("ledger.jsonl");
    assert!(pacto(data, &["ledger", "export", "-o", export.to_str().unwrap()]).status.success());
    let ok = pacto(data, &["ledger", "verify", "--file", export.to_str().unwrap(), "--public-key", &key]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    // Tampering with one stored entry is found.
    let conn = rusqlite::Connection::open(data.join("pacto.db")).unwrap();
    conn.execute("UPDATE ledger SET entry = replace(entry, 'us-partner', 'nobody') WHERE seq = 2", []).unwrap();
    drop(conn);
    let bad = pacto(data, &["ledger", "verify"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stdout).contains("ledger entry 2"),
        "{}",
        String::from_utf8_lossy(&bad.stdout)
    );
}
