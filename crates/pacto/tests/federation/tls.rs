//! Mutual TLS between nodes, pinned by certificate fingerprint.

use std::path::Path;

use serde_json::Value;

use crate::common::*;

/// Two nodes sync over mutual TLS with pinned fingerprints, and no password exists on either
/// side; a node whose certificate mx does not know, a server that is not the pinned one (a
/// machine in the middle), a client without a certificate and a pin over plain HTTP are each
/// refused with a sentence that says so, saving nothing.
#[test]
fn two_nodes_sync_over_mutual_tls_with_pinned_fingerprints() {
    let mut mx = Node::new();
    let us = Node::new();
    let mut eve = Node::new();
    let example = root().join("examples/firearms-trafficking.json");
    assert!(mx.run(&["import", "--create", example.to_str().unwrap(), "-c", "firearms"]).status.success());
    let (mx_id, us_id, eve_id) = (mx.id(), us.id(), eve.id());
    assert_eq!(mx_id.len(), 64);
    assert_ne!(mx_id, us_id);
    assert_eq!(mx.id(), mx_id, "made once, then kept");
    // mx gives us an agreement bound to us's certificate: no password is printed or kept.
    let agreement = mx.dir.path().join("us.toml");
    std::fs::write(&agreement, "partner = \"us\"\n[[share]]\ncollection = \"firearms\"\nmax_tlp = \"amber\"\n")
        .unwrap();
    let added = mx.run(&["partner", "add", "us", "--agreement", agreement.to_str().unwrap(), "--cert", &us_id]);
    let said = String::from_utf8_lossy(&added.stdout).to_string();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    assert!(!said.contains("password") && said.contains(&us_id) && said.contains(&mx_id), "{said}");
    // Neither way of authenticating given: refused, saying how.
    let neither = mx.run(&["partner", "add", "ca", "--agreement", agreement.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&neither.stderr).contains("--cert FINGERPRINT"));
    let colon = mx.run(&["partner", "add", "token:us", "--agreement", agreement.to_str().unwrap(), "--cert", &us_id]);
    assert!(String::from_utf8_lossy(&colon.stderr).contains("contain no ':'"));
    mx.serve_with(&["--node-tls"]);
    eve.serve_with(&["--node-tls"]);
    let url = format!("https://{}/taxii2/", mx.addr);
    let connect = |node: &Node, url: &str, fp: &str| {
        let o = node.run(&["partner", "connect", "mx", "--url", url, "--fingerprint", fp]);
        (o.status.success(), String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr))
    };
    let saved = |node: &Node| node.db.query_u64("SELECT count(*) FROM remotes");

    // Attack: a machine in the middle (eve's server, its own certificate) where us expects mx.
    let (ok, said) = connect(&us, &format!("https://{}/taxii2/", eve.addr), &mx_id);
    assert!(!ok && said.contains(&format!("not the pinned {mx_id}")) && said.contains(&eve_id), "{said}");
    assert!(said.contains("nothing saved"), "{said}");
    // Attack: a node mx never bound (eve) connects with the right pin: mx refuses its certificate.
    let (ok, said) = connect(&eve, &url, &mx_id);
    assert!(!ok && said.contains("does not know this node's certificate") && said.contains(&eve_id), "{said}");
    // A pin needs HTTPS; a fingerprint must be one.
    let (ok, said) = connect(&us, &format!("http://{}/taxii2/", mx.addr), &mx_id);
    assert!(!ok && said.contains("needs an https:// URL"), "{said}");
    let (ok, said) = connect(&us, &url, "12:34");
    assert!(!ok && said.contains("not a SHA-256 certificate fingerprint"), "{said}");
    assert_eq!((saved(&us), saved(&eve)), (0, 0));
    let collections_status = |access: pacto_node::client::Access| {
        let limits = pacto_node::client::ClientLimits { retries: 0, ..Default::default() };
        let base = format!("https://{}/", mx.addr);
        let mut client = pacto_node::client::HttpClient::with_access(&base, &access, None, limits).unwrap();
        client.get("api/collections/").unwrap().status
    };
    // Attack: no client certificate at all, the pin right: nobody.
    let anonymous = pacto_node::client::Access { pin: Some(mx_id.clone()), ..Default::default() };
    assert_eq!(collections_status(anonymous), 401);
    // Attack: the partner account has no password, so Basic gets nowhere (whatever is tried).
    let basic = pacto_node::client::Access { pin: Some(mx_id.clone()), ..pacto_node::client::Access::basic("us", "") };
    assert_eq!(collections_status(basic), 401);

    // The real thing: us connects by pin, from the discovery URL, and syncs.
    let (ok, said) = connect(&us, &url, &mx_id);
    assert!(ok, "{said}");
    assert!(said.contains("grants this node:") && said.contains(&format!("https://{}/api/", mx.addr)), "{said}");
    let out = us.run(&["sync", "--format", "json"]);
    let rep: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert!(rep["added"].as_u64().unwrap() > 0, "{rep}");
    assert_eq!(us.ids("inbound.mx"), mx.promised("us"));
    // No password anywhere: us keeps none for mx, mx has none for us.
    assert_eq!(us.db.query("SELECT username, password FROM remotes"), vec![vec![String::new(), String::new()]]);
    assert!(!mx.db.query("SELECT password_hash FROM users WHERE name = 'us'")[0][0].starts_with('$'));
    let show = String::from_utf8_lossy(&us.run(&["partner", "show", "mx"]).stdout).to_string();
    assert!(show.contains(&format!("mutual TLS, pinned {mx_id}")), "{show}");
    let given = String::from_utf8_lossy(&mx.run(&["partner", "show", "us"]).stdout).to_string();
    assert!(given.contains(&format!("its node's certificate: {us_id}")), "{given}");
    // The partner changes its certificate: bound anew, the old one is refused at once.
    let bad = mx.run(&["partner", "cert", "us", "not-a-fingerprint"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a SHA-256 certificate fingerprint"));
    let nobody = mx.run(&["partner", "cert", "nobody", &eve_id]);
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("no partner \"nobody\""));
    assert!(mx.run(&["partner", "cert", "us", &eve_id]).status.success());
    let out = us.run(&["sync"]);
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success() && said.contains("401"), "{said}");
    let given = String::from_utf8_lossy(&mx.run(&["partner", "show", "us"]).stdout).to_string();
    assert!(given.contains(&format!("its node's certificate: {eve_id}")), "{given}");
    // No key or credential in either database; the key files are the owner's alone.
    for node in [&mx, &us] {
        let db = node.database_bytes();
        let key = node.dir.path().join("node-tls-key.pem");
        assert!(!contains(&db, &pem_body(&key)[..40]), "the node's TLS key is in its database");
        if let Ok(ledger_key) = std::fs::read_to_string(node.dir.path().join("node-key")) {
            assert!(!contains(&db, ledger_key.trim()), "the ledger key is in the database");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(node.dir.path()), 0o700);
            for f in ["node-tls-key.pem", "node-cert.pem", "node-key"] {
                let p = node.dir.path().join(f);
                if p.exists() {
                    assert_eq!(mode(&p), 0o600, "{f}");
                }
            }
        }
    }
}
