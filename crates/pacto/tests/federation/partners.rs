//! Partners through the command line: `partner add`, `agreement check` and what a partner's
//! TAXII reads then get, `partner connect`'s checks, and API tokens.

use std::process::{Command, Stdio};

use pacto_testkit::http::Client;
use serde_json::Value;

use crate::common::*;

#[test]
fn a_partner_reads_what_the_check_promised_and_the_ledger_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let db = test_database();
    let example = root().join("examples/firearms-trafficking.json");
    assert!(pacto(data, &db, &["import", "--create", example.to_str().unwrap(), "-c", "default"]).status.success());
    assert!(pacto(data, &db, &["collections", "create", "from-us-partner"]).status.success());
    let agreement = root().join("examples/agreements/us-partner.toml");
    let added =
        pacto(data, &db, &["partner", "add", "us-partner", "--basic", "--agreement", agreement.to_str().unwrap()]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let out = String::from_utf8(added.stdout).unwrap();
    let password = out.lines().find(|l| l.contains("shown only now")).unwrap().rsplit(' ').next().unwrap().to_string();
    // A mismatched agreement is refused.
    let wrong =
        pacto(data, &db, &["partner", "add", "someone-else", "--basic", "--agreement", agreement.to_str().unwrap()]);
    assert!(!wrong.status.success());

    let check = pacto(data, &db, &["agreement", "check", "--partner", "us-partner", "--format", "json"]);
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
        .env("PACTO_DATABASE", db.url())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = crate::common::listening(&mut child);
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

    let shown = String::from_utf8(pacto(data, &db, &["ledger", "show", "--kind", "disclosure"]).stdout).unwrap();
    assert_eq!(shown.lines().count(), promised.len());
    // Newest first, one answer: its response entry on top.
    let all = pacto(data, &db, &["ledger", "show"]);
    let top = String::from_utf8(all.stdout).unwrap();
    assert!(top.lines().next().unwrap().contains(" response "), "{top}");
    let summary = String::from_utf8_lossy(&all.stderr);
    assert!(summary.contains(&format!("{} disclosure", promised.len())) && summary.contains("1 response"), "{summary}");
    let v = pacto(data, &db, &["ledger", "verify"]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    // A partner checks an export offline with the node's public key.
    let key = String::from_utf8(pacto(data, &db, &["ledger", "key"]).stdout).unwrap().trim().to_string();
    let export = data.join("ledger.jsonl");
    assert!(pacto(data, &db, &["ledger", "export", "-o", export.to_str().unwrap()]).status.success());
    let ok = pacto(data, &db, &["ledger", "verify", "--file", export.to_str().unwrap(), "--public-key", &key]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    // Tampering with one stored entry is found.
    db.execute("UPDATE ledger SET entry = replace(entry, 'us-partner', 'nobody') WHERE seq = 2");
    let bad = pacto(data, &db, &["ledger", "verify"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stdout).contains("ledger entry 2"),
        "{}",
        String::from_utf8_lossy(&bad.stdout)
    );
}

/// `partner connect` checks before it saves: a discovery URL is followed to its API root, and
/// each wrong input is refused with what is wrong, saving nothing.
#[test]
fn partner_connect_checks_before_it_saves() {
    let mut mx = Node::new();
    assert!(mx.run(&["collections", "create", "firearms"]).status.success());
    let pw = mx.add_partner("us", "partner = \"us\"\n[[share]]\ncollection = \"firearms\"\nmax_tlp = \"green\"\n");
    mx.serve();
    let us = Node::new();
    let connect = |url: &str, password: &str| {
        us.run_stdin(&["partner", "connect", "mx", "--url", url, "--user", "us"], &format!("{password}\n"))
    };
    let saved = || us.db.query_u64("SELECT count(*) FROM remotes");
    let refused = |url: &str, password: &str, words: &[&str]| {
        let o = connect(url, password);
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(!o.status.success(), "{url}: accepted");
        for w in words {
            assert!(err.contains(w), "{url}: {w:?} not in {err}");
        }
        assert!(err.contains("nothing saved"), "{err}");
        assert_eq!(saved(), 0, "{url}: saved anyway");
    };
    refused(&format!("{}/api/", mx.addr), &pw, &["is not a URL", "https://"]);
    refused(&format!("ftp://{}/api/", mx.addr), &pw, &["the scheme must be http or https"]);
    refused(&format!("http://{}/api/", mx.addr), "not the password", &["refused the credentials", "401"]);
    refused(&format!("http://{}/nothing-here/", mx.addr), &pw, &["answered 404"]);
    // A port nobody listens on.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    refused(&format!("http://{free}/taxii2/"), &pw, &["could not connect"]);
    // The discovery URL `serve` prints is followed to its API root; the grants are listed.
    let o = connect(&format!("http://{}/taxii2/", mx.addr), &pw);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains(&format!("http://{}/api/", mx.addr)), "{out}");
    assert!(out.contains("grants this node:"), "{out}");
    assert_eq!(saved(), 1);
    // The password is kept sealed, never in clear: not in the database, nor its log.
    let stored = us.db.query("SELECT password FROM remotes").remove(0).remove(0);
    assert!(stored.starts_with("sealed:v1:"), "{stored}");
    assert!(!contains(&us.database_bytes(), &pw), "the partner password is in the database in clear");
    // A database from before sealing (its password in clear) is sealed on open, and still syncs.
    us.db.execute(&format!("UPDATE remotes SET password = '{pw}'"));
    assert!(us.run(&["partner", "list"]).status.success());
    let stored = us.db.query("SELECT password FROM remotes").remove(0).remove(0);
    assert!(stored.starts_with("sealed:v1:"), "not migrated: {stored}");
    // The database without its key file: the password does not open, and sync says why.
    let key = us.dir.path().join("secret-key");
    let saved_key = std::fs::read(&key).unwrap();
    std::fs::remove_file(&key).unwrap();
    let o = us.run(&["sync"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not open with this node's secret-key"));
    std::fs::write(&key, saved_key).unwrap();
    // Both directions, on both nodes; the last sync and, after a failure, the last success.
    let text = |o: std::process::Output| String::from_utf8_lossy(&o.stdout).to_string();
    let list = text(us.run(&["partner", "list"]));
    assert!(list.contains("holds:    http://") && list.contains("never synced"), "{list}");
    assert!(list.contains("gives:    nothing"), "{list}");
    let given = text(mx.run(&["partner", "list"]));
    assert!(given.contains("reads firearms (≤ TLP:GREEN)") && given.contains("holds:    no connection"), "{given}");
    assert!(us.run(&["sync", "--partner", "mx"]).status.success());
    let show = text(us.run(&["partner", "show", "mx"]));
    assert!(show.contains("last sync") && show.contains("1 collections"), "{show}");
    if let Some(mut c) = mx.child.take() {
        let _ = c.kill();
        let _ = c.wait();
    }
    assert!(!us.run(&["sync", "--partner", "mx"]).status.success());
    let show = text(us.run(&["partner", "show", "mx"]));
    assert!(show.contains("FAILED: could not connect to mx"), "{show}");
    assert!(show.contains("last success: 20"), "{show}");
    assert!(!us.run(&["partner", "show", "nobody"]).status.success());
}

/// API tokens from the command line: printed once, kept only as a hash (the token is not in
/// the database), listed with their last use, revoked, expiring; accepted by the server as
/// Bearer and Token.
#[test]
fn api_tokens_from_the_command_line() {
    let mut mx = Node::new();
    assert!(mx.run(&["collections", "create", "firearms"]).status.success());
    let create = |args: &[&str]| {
        let o = mx.run(&[&["token", "create"], args].concat());
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).trim().to_string(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    let (ok, token, said) = create(&["--name", "opencti", "--read", "firearms", "--expires", "90d"]);
    assert!(ok && token.starts_with("pacto_") && said.contains("shown only now"), "{said}");
    assert!(!contains(&mx.database_bytes(), &token), "the token is in the database");
    for (args, why) in [
        (vec!["--name", "opencti", "--read", "firearms"], "exists"),
        (vec!["--name", "bad name", "--read", "firearms"], "cannot name a token"),
        (vec!["--name", "x", "--read", "firearms", "--expires", "soon"], "is not a lifetime"),
        (vec!["--name", "x"], "needs some right"),
    ] {
        let (ok, _, said) = create(&args);
        assert!(!ok && said.contains(why), "{args:?}: {said}");
    }
    mx.serve();
    let get = |scheme: &str, token: &str| {
        let access =
            pacto_node::client::Access { authorization: Some(format!("{scheme} {token}")), ..Default::default() };
        let limits = pacto_node::client::ClientLimits { retries: 0, ..Default::default() };
        let mut c = pacto_node::client::HttpClient::with_access(&format!("http://{}/", mx.addr), &access, None, limits)
            .unwrap();
        c.get("api/collections/").unwrap().status
    };
    assert_eq!(get("Bearer", &token), 200);
    assert_eq!(get("Token", &token), 200);
    let list = String::from_utf8_lossy(&mx.run(&["token", "list"]).stdout).to_string();
    assert!(list.contains("opencti") && list.contains("active") && !list.contains("last used: never"), "{list}");
    assert!(mx.run(&["token", "revoke", "opencti"]).status.success());
    assert_eq!(get("Bearer", &token), 401);
    let list = String::from_utf8_lossy(&mx.run(&["token", "list"]).stdout).to_string();
    assert!(list.contains("revoked"), "{list}");
    let again = mx.run(&["token", "revoke", "opencti"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("revoked already"));
    assert!(String::from_utf8_lossy(&mx.run(&["token", "revoke", "nobody"]).stderr).contains("no token"));
}
