//! `pacto serve` as a process: configuration file, first start, HTTPS, graceful shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use pacto_testkit::http::Client;

struct Server {
    child: Child,
    addr: String,
    stderr_lines: Vec<String>,
}

/// Start `pacto serve` with these arguments on a free port; wait for its "TAXII 2.1 at" line.
fn start(data: &std::path::Path, args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pacto"))
        .env("PACTO_DATA_DIR", data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push(line.clone());
        if let Some(rest) = line.split("TAXII 2.1 at ").nth(1) {
            let addr = rest.split("://").nth(1).unwrap().split('/').next().unwrap().to_string();
            std::thread::spawn(move || for _ in lines {});
            return Server { child, addr, stderr_lines: seen };
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("pacto serve did not start: {seen:?}");
}

fn stop(mut s: Server) {
    // SIGTERM: a graceful stop, exit code 0.
    let ok = Command::new("kill").args(["-TERM", &s.child.id().to_string()]).status().unwrap().success();
    assert!(ok);
    let status = s.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "pacto serve exits 0 on SIGTERM");
}

#[test]
fn first_start_creates_an_admin_and_a_collection() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &[]);
    let pw_line = s.stderr_lines.iter().find(|l| l.contains("shown only now")).expect("the admin password is printed");
    let password = pw_line.rsplit(' ').next().unwrap().to_string();
    let mut c = Client::new(&s.addr, Some(("admin", &password)));
    let r = c.request("GET", "/api/collections/", None).unwrap();
    assert_eq!(r.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["collections"][0]["title"], "Default collection");
    let mut wrong = Client::new(&s.addr, Some(("admin", "not the password")));
    assert_eq!(wrong.request("GET", "/api/", None).unwrap().status, 401);
    stop(s);
    // Second start: nothing new is created, no password printed.
    let s = start(dir.path(), &[]);
    assert!(!s.stderr_lines.iter().any(|l| l.contains("shown only now")));
    stop(s);
}

/// An administrator is made on the first start even when partner accounts (which hold no
/// rights of their own) were added before it.
#[test]
fn first_start_after_partner_add_still_creates_an_admin() {
    let dir = tempfile::tempdir().unwrap();
    let agreement = dir.path().join("mx.toml");
    std::fs::write(&agreement, "partner = \"mx\"\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_pacto"))
        .env("PACTO_DATA_DIR", dir.path())
        .args(["partner", "add", "mx", "--basic", "--agreement", agreement.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = start(dir.path(), &[]);
    assert!(s.stderr_lines.iter().any(|l| l.contains("created the account admin")), "{:?}", s.stderr_lines);
    stop(s);
}

/// Plain HTTP beyond loopback is refused, with the reason and the ways out; the plain HTTP
/// ready line is unchanged on loopback.
#[test]
fn plain_http_beyond_loopback_needs_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_pacto"))
        .env("PACTO_DATA_DIR", dir.path())
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("refusing to serve plain HTTP on 0.0.0.0:0") && err.contains("--insecure-http"), "{err}");
    let help = Command::new(env!("CARGO_BIN_EXE_pacto")).args(["user", "add", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("at least 8 characters"), "the minimum is in the help");
}

#[test]
fn configuration_file_sets_roots_collections_and_users() {
    let dir = tempfile::tempdir().unwrap();
    let hash = pacto_node::hash_password("partner password 1").unwrap();
    let config = format!(
        r#"
title = "Test node"
max_page_size = 2
[[api_roots]]
name = "shared"
title = "Shared with partners"
collections = ["firearms"]
[[collections]]
name = "firearms"
title = "Firearms trafficking"
[[collections]]
name = "internal"
[[users]]
name = "partner"
password_hash = "{hash}"
can_read = ["firearms"]
can_write = []
"#
    );
    let path = dir.path().join("pacto.toml");
    std::fs::write(&path, config).unwrap();
    let s = start(dir.path(), &["--config", path.to_str().unwrap()]);
    // The configured users cannot administer the node (read and write `*`): an admin is made.
    assert!(s.stderr_lines.iter().any(|l| l.contains("created the account admin")), "{:?}", s.stderr_lines);
    let mut c = Client::new(&s.addr, Some(("partner", "partner password 1")));
    let d: serde_json::Value = serde_json::from_slice(&c.request("GET", "/taxii2/", None).unwrap().body).unwrap();
    assert_eq!(d["title"], "Test node");
    assert_eq!(d["api_roots"][0], format!("http://{}/shared/", s.addr));
    assert_eq!(c.request("GET", "/api/", None).unwrap().status, 404, "only the configured roots exist");
    let cols: serde_json::Value =
        serde_json::from_slice(&c.request("GET", "/shared/collections/", None).unwrap().body).unwrap();
    assert_eq!(cols["collections"].as_array().unwrap().len(), 1);
    assert_eq!(c.request("GET", "/shared/collections/internal/", None).unwrap().status, 404);
    stop(s);
    // A bad configuration is a clear error, not a start.
    std::fs::write(&path, "listen = 42\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pacto"))
        .env("PACTO_DATA_DIR", dir.path())
        .args(["serve", "--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid configuration"));
}

#[test]
fn https_with_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let s = start(dir.path(), &["--tls-cert", cert_path.to_str().unwrap(), "--tls-key", key_path.to_str().unwrap()]);
    assert!(s.stderr_lines.iter().any(|l| l.contains("https://")));
    // The node's own client (rustls), trusting only this certificate as a partner's CA file.
    let port = s.addr.rsplit(':').next().unwrap();
    let mut tls =
        pacto_node::client::HttpClient::new(&format!("https://localhost:{port}/"), None, Some(&cert_path)).unwrap();
    let r = tls.get("healthz").unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(String::from_utf8_lossy(&r.body).contains("\"status\":\"ok\""));
    assert_eq!(r.header("strict-transport-security"), Some("max-age=31536000"), "HSTS under TLS");
    // Without the CA file, the public roots do not vouch for it.
    let mut untrusting =
        pacto_node::client::HttpClient::new(&format!("https://localhost:{port}/"), None, None).unwrap();
    let err = untrusting.get("healthz").err().expect("an untrusted certificate is refused").to_string();
    assert!(err.contains("could not connect to localhost") && err.contains("TLS"), "{err}");
    // Plain HTTP to the TLS port gets nowhere.
    let mut plain = Client::new(&s.addr, None);
    assert!(plain.request("GET", "/healthz", None).map(|r| r.status != 200).unwrap_or(true));
    stop(s);
}

#[test]
fn posted_observations_become_sightings() {
    let dir = tempfile::tempdir().unwrap();
    let pacto = |args: &[&str]| {
        let o =
            Command::new(env!("CARGO_BIN_EXE_pacto")).env("PACTO_DATA_DIR", dir.path()).args(args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    pacto(&["collections", "create", "intel"]);
    pacto(&["collections", "create", "obs"]);
    pacto(&["detect", "setup", "--indicators", "intel", "--observations", "obs"]);
    let s = start(dir.path(), &[]);
    let pw_line = s.stderr_lines.iter().find(|l| l.contains("shown only now")).unwrap();
    let password = pw_line.rsplit(' ').next().unwrap().to_string();
    let mut c = Client::new(&s.addr, Some(("admin", &password)));
    let post = |c: &mut Client, coll: &str, objects: serde_json::Value| {
        let body = serde_json::json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-0000000000aa", "objects": objects});
        let r =
            c.request("POST", &format!("/api/collections/{coll}/objects/"), Some(body.to_string().as_bytes())).unwrap();
        assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    };
    post(
        &mut c,
        "intel",
        serde_json::json!([{"type": "indicator", "spec_version": "2.1",
        "id": "indicator--00000000-0000-4000-8000-000000000001", "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z", "pattern": "[url:value LIKE 'https://drop.example/%']",
        "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}]),
    );
    post(
        &mut c,
        "obs",
        serde_json::json!([
            {"type": "url", "spec_version": "2.1", "id": "url--00000000-0000-4000-8000-000000000002", "value": "https://drop.example/x.zip"},
            {"type": "observed-data", "spec_version": "2.1", "id": "observed-data--00000000-0000-4000-8000-000000000003",
             "created": "2024-05-01T00:00:00.000Z", "modified": "2024-05-01T00:00:00.000Z", "first_observed": "2024-05-01T00:00:00Z",
             "last_observed": "2024-05-01T00:00:00Z", "number_observed": 1, "object_refs": ["url--00000000-0000-4000-8000-000000000002"]}
        ]),
    );
    // The detection thread runs about once a second; wait for it (bounded).
    let mut sightings = Vec::new();
    for _ in 0..100 {
        let r = c.request("GET", "/api/collections/sightings/objects/", None).unwrap();
        if r.status == 200 {
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            sightings = v["objects"].as_array().cloned().unwrap_or_default();
            if !sightings.is_empty() {
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(sightings.len(), 1, "one sighting appears");
    assert_eq!(sightings[0]["sighting_of_ref"], "indicator--00000000-0000-4000-8000-000000000001");
    assert_eq!(sightings[0]["observed_data_refs"][0], "observed-data--00000000-0000-4000-8000-000000000003");
    let m = String::from_utf8(c.request("GET", "/metrics", None).unwrap().body).unwrap();
    assert!(m.contains("pacto_detect_sightings_total 1"), "{m}");
    assert!(m.contains("pacto_detect_indicators 1"), "{m}");
    stop(s);
}

/// `/metrics` opens to the token from `--metrics-token-file` (and to no one anonymous); a short
/// token is refused at start. A TLS connection that never completes its handshake is closed
/// after `[limits] handshake_timeout`.
#[test]
fn metrics_token_and_handshake_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let token = "0123456789abcdef0123456789abcdef-metrics";
    let token_path = dir.path().join("metrics.token");
    std::fs::write(&token_path, format!("{token}\n")).unwrap();
    let s = start(dir.path(), &["--metrics-token-file", token_path.to_str().unwrap()]);
    let get = |auth: Option<String>| {
        let mut sock = TcpStream::connect(&s.addr).unwrap();
        let auth = auth.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
        write!(sock, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}\r\n").unwrap();
        let mut resp = String::new();
        let _ = sock.read_to_string(&mut resp);
        resp
    };
    assert!(get(None).starts_with("HTTP/1.1 401"));
    assert!(get(Some("Bearer wrong-token".into())).starts_with("HTTP/1.1 401"));
    let ok = get(Some(format!("Bearer {token}")));
    assert!(ok.starts_with("HTTP/1.1 200") && ok.contains("pacto_objects_stored"), "{ok}");
    stop(s);

    std::fs::write(&token_path, "short\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_pacto"))
        .env("PACTO_DATA_DIR", dir.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--metrics-token-file", token_path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least 32 characters"));

    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let config = dir.path().join("pacto.toml");
    std::fs::write(&config, "[limits]\nhandshake_timeout = 1\n").unwrap();
    let s = start(
        dir.path(),
        &[
            "--config",
            config.to_str().unwrap(),
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
    );
    let mut silent = TcpStream::connect(&s.addr).unwrap();
    silent.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 64];
    let n = silent.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "closed without an answer");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "closed after {:?}", started.elapsed());
    stop(s);
}

/// The database is named by `database =` in the configuration file, by a `sqlite:` path or a
/// `postgres://` URL; `--database` (and `PACTO_DATABASE`) take precedence over the file.
#[test]
fn the_configuration_file_or_the_flag_names_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pacto.toml");
    let from_file = dir.path().join("from-file.db");
    let from_flag = dir.path().join("from-flag.db");
    std::fs::write(&path, format!("database = \"sqlite:{}\"\n", from_file.display())).unwrap();
    let s = start(dir.path(), &["--config", path.to_str().unwrap()]);
    stop(s);
    assert!(from_file.exists(), "the file's database was not used");
    assert!(!dir.path().join("pacto.db").exists(), "the data directory's default was used");
    let flag = format!("sqlite:{}", from_flag.display());
    let s = start(dir.path(), &["--config", path.to_str().unwrap(), "--database", &flag]);
    stop(s);
    assert!(from_flag.exists(), "--database did not take precedence over the file");

    // A postgres:// URL in the file: the first start makes its collection there.
    let Some(db) = pacto_store::testing::TestDatabase::postgres("serve::database") else { return };
    std::fs::write(&path, format!("database = \"{}\"\n", db.url())).unwrap();
    let s = start(dir.path(), &["--config", path.to_str().unwrap()]);
    stop(s);
    assert_eq!(
        db.query_u64("SELECT count(*) FROM collections"),
        1,
        "the first start's collection is not in PostgreSQL"
    );
}
