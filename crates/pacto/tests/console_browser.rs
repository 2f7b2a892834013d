//! The web console in a real browser: `pacto serve` (the binary), Chromium headless driven over
//! WebDriver by chromedriver, axe-core run in every page visited (serious or critical
//! violations fail the test). The scenario of issue 14: log in; find an object by search; open
//! it and see its graph and provenance; adopt it; preview an agreement; see the ledger verified;
//! import a file holding an invalid object and see the finding; log out; and an account without
//! rights to a collection sees nothing of it anywhere.
//!
//! Needs `chromedriver` and `chromium` (Debian: `apt-get install chromium chromium-driver`);
//! skipped with a message without them, unless `PACTO_REQUIRE_BROWSER=1` (as `.ci/run` sets).
//! `PACTO_CONSOLE_SCREENSHOT=FILE` keeps a screenshot of the object page (the README's).

mod webdriver;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use webdriver::Browser;

const PASSWORD: &str = "a long passphrase for the console";
const INDICATOR: &str = "indicator--4b0d5f60-7c8e-4d9f-a012-3b4c5d6e7f44";
const RECEIVED: &str = "indicator--7d1e6a70-8d9f-4eaf-b123-4c5d6e7f8a55";
const SECRET: &str = "tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
const AXE: &str = include_str!("../../pacto-taxii/tests/fixtures/axe/axe.min.js");

fn pacto(data: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pacto"))
        .env("PACTO_DATA_DIR", data)
        .arg("--no-progress")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "pacto {args:?}: {text}");
    text
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for(url: &str) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    for _ in 0..200 {
        if agent.get(url).call().is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("{url} never answered");
}

/// A node: the example intelligence in `default`, a received object in `inbound.mx` (with its
/// provenance), `analysis` to adopt into, `secret` that `limited` may not read, a partner
/// agreement, and one disclosure in the ledger.
fn node(data: &Path) -> (Running, String) {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/firearms-trafficking.json");
    let agreement = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/agreements/us-partner.toml");
    pacto(data, &["import", "--create", example, "--collection", "default"], None);
    for c in ["analysis", "secret", "from-us-partner"] {
        pacto(data, &["collections", "create", c], None);
    }
    let secret = data.join("secret.json");
    std::fs::write(&secret, serde_json::json!({"type": "tool", "spec_version": "2.1", "id": SECRET,
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "name": "Payment zebrafish handset"})
        .to_string())
    .unwrap();
    pacto(data, &["import", "--create", secret.to_str().unwrap(), "--collection", "secret"], None);
    pacto(data, &["user", "add", "analyst", "--read", "*", "--write", "*"], Some(&format!("{PASSWORD}\n")));
    pacto(data, &["user", "add", "limited", "--read", "default,inbound.mx"], Some(&format!("{PASSWORD}\n")));
    let added = pacto(data, &["partner", "add", "us-partner", "--agreement", agreement, "--basic"], None);
    let partner_password =
        added.lines().find_map(|l| l.strip_prefix("its password, shown only now: ")).map(str::to_string);
    // What sync would have received from partner mx: stored with its provenance.
    {
        let mut s = pacto_store::Database::parse(data.join("pacto.db").to_str().unwrap()).unwrap().open().unwrap();
        let inbound = s.create_collection("inbound.mx", "From mx", None).unwrap();
        let v = serde_json::json!({"type": "indicator", "spec_version": "2.1", "id": RECEIVED,
            "created": "2026-03-01T00:00:00.000Z", "modified": "2026-03-01T00:00:00.000Z",
            "name": "Courier handset seen at the crossing", "pattern": "[x-phone-number:value = '+52 55 0000 0000']",
            "pattern_type": "stix", "valid_from": "2026-03-01T00:00:00Z"});
        let o =
            pacto_store::Incoming::new(&pacto_stix::StixObject::from_value(v).unwrap(), pacto_stix::SpecVersion::V21);
        let prov = pacto_store::Provenance {
            id: RECEIVED.into(),
            version: o.version.clone(),
            partner: "mx".into(),
            remote_collection: "c1".into(),
            remote_date_added: "2026-03-01T00:00:01.000000Z".into(),
            fetched_us: 1_772_323_200_000_000,
            receipt: None,
        };
        s.add_synced(&inbound, &[o], &[prov], &[], ("mx", "c1", "cursor")).unwrap();
    }
    let port = free_port();
    let server = Command::new(env!("CARGO_BIN_EXE_pacto"))
        .env("PACTO_DATA_DIR", data)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Running(server);
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/healthz"));
    // The partner reads once: the ledger has disclosures to verify.
    {
        let pw = partner_password.expect("partner add prints the password");
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let auth = format!("Basic {}", base64_encode(&format!("us-partner:{pw}")));
        let r = agent
            .get(&format!("{base}/api/collections/default/objects/"))
            .header("Accept", "application/taxii+json;version=2.1")
            .header("Authorization", &auth)
            .call()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    (server, base)
}

fn base64_encode(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// chromedriver on a free port, or None (skip) when it is not installed and not required.
fn chromedriver() -> Option<(Running, String)> {
    let required = std::env::var("PACTO_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let exe = std::env::var("PACTO_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let port = free_port();
    match Command::new(&exe).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn() {
        Ok(c) => {
            let url = format!("http://127.0.0.1:{port}");
            let running = Running(c);
            wait_for(&format!("{url}/status"));
            Some((running, url))
        }
        Err(e) if required => panic!("the browser suite is required (PACTO_REQUIRE_BROWSER=1) but {exe}: {e}"),
        Err(e) => {
            eprintln!(
                "skipped: the browser suite needs chromedriver ({exe}: {e}); apt-get install chromium chromium-driver"
            );
            None
        }
    }
}

/// Run axe-core in the page: serious or critical violations fail.
fn accessible(b: &Browser, page: &str) {
    let violations = b.axe(AXE);
    assert!(
        violations.is_empty(),
        "{page}: accessibility violations (axe-core, serious or critical):\n{}",
        violations.join("\n")
    );
}

fn login(b: &Browser, base: &str, user: &str) {
    b.go(&format!("{base}/ui/login"));
    accessible(b, "login");
    // The account field has the focus.
    assert_eq!(b.script("return document.activeElement.id"), "user");
    b.fill("#user", user);
    b.fill("#password", PASSWORD);
    b.click_and_load("button[type=submit]");
    assert_eq!(b.title(), "Dashboard · pacto", "{}", b.text("main"));
    // Keyboard first: the first Tab reaches the skip link, which leads to the content.
    b.tab();
    assert_eq!(b.script("return document.activeElement.className"), "skip");
}

#[test]
fn the_console_in_a_browser() {
    let Some((_driver, driver_url)) = chromedriver() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (_server, base) = node(dir.path());
    let b = Browser::start(&driver_url);

    // Log in, and the dashboard.
    login(&b, &base, "analyst");
    accessible(&b, "dashboard");
    assert!(b.text("main").contains("Received from partners"));

    // Find an object by search, and open it: its graph and provenance.
    b.go(&format!("{base}/ui/search"));
    b.fill("#q", "payment front");
    b.click_and_load("form[role=search] button[type=submit]");
    accessible(&b, "search");
    assert!(b.text("#results").contains("Payment front domain"), "{}", b.text("#results"));
    b.click_and_load("#results a");
    assert!(b.url().ends_with(INDICATOR), "{}", b.url());
    accessible(&b, "object");
    assert_eq!(b.count("svg.graph circle"), 1 + b.count("svg.graph line"));
    assert!(b.count("svg.graph line") >= 1);
    assert!(b.text("main").contains("TLP:AMBER"));
    assert!(b.text("main").contains("Made on this node"));
    if let Ok(path) = std::env::var("PACTO_CONSOLE_SCREENSHOT") {
        std::fs::write(&path, b.screenshot()).unwrap();
    }

    // What mx sent awaits review; open it from the queue.
    b.go(&format!("{base}/ui/review"));
    accessible(&b, "review");
    assert!(b.text("main").contains("1 awaiting review"), "{}", b.text("main"));
    b.click_and_load("main table a");
    assert!(b.url().ends_with(RECEIVED), "{}", b.url());

    // A received object: its provenance; adopt it.
    b.go(&format!("{base}/ui/objects/inbound.mx/{RECEIVED}"));
    accessible(&b, "received object");
    let page = b.text("main");
    assert!(page.contains("mx") && page.contains("2026-03-01T00:00:01"), "{page}");
    b.select("#to", "analysis");
    b.click_and_load("form[action='/ui/adopt'] button");
    assert!(b.url().contains("/ui/objects/analysis/"), "{}", b.url());
    assert!(b.text("main").contains("2026-03-01T00:00:01"), "provenance kept");
    b.go(&format!("{base}/ui/review"));
    assert!(b.text("main").contains("Nothing awaits review"), "adopting decided it: {}", b.text("main"));

    // Preview an agreement.
    b.go(&format!("{base}/ui/partners"));
    accessible(&b, "partners");
    b.click_and_load("main table a");
    accessible(&b, "preview");
    let preview = b.text("main");
    assert!(preview.contains("objects would go") && preview.contains("What stays, and why"), "{preview}");
    assert!(preview.contains("created_by_ref"), "a reference to what the partner may not see is removed: {preview}");

    // The ledger, verified.
    b.go(&format!("{base}/ui/ledger"));
    accessible(&b, "ledger");
    let ledger = b.text("main");
    assert!(ledger.contains("Verified:") && ledger.contains("disclosure"), "{ledger}");

    // Import a file holding an invalid object: the finding.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, serde_json::json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
        "objects": [{"type": "indicator", "spec_version": "2.1", "id": "indicator--00000001-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2026-13-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
            "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}]})
    .to_string())
    .unwrap();
    b.go(&format!("{base}/ui/import"));
    accessible(&b, "import");
    b.select("#collection", "analysis");
    b.fill("#file", bad.to_str().unwrap());
    b.click_and_load("form[action='/ui/import'] button");
    accessible(&b, "import result");
    let result = b.text("main");
    assert!(result.contains("0 stored") && result.contains("1 refused") && result.contains("created"), "{result}");

    // Check a pattern.
    b.go(&format!("{base}/ui/pattern"));
    b.fill("#pattern", "[domain-name:value = 'pagos-rapidos.example']");
    b.click_and_load("form[action='/ui/pattern'] button");
    accessible(&b, "pattern");
    assert!(b.text("main").contains("valid STIX 2.1 pattern"), "{}", b.text("main"));

    // The operator pages.
    for page in ["sets", "users", "health"] {
        b.go(&format!("{base}/ui/{page}"));
        accessible(&b, page);
    }

    // Log out: the console is closed again.
    b.click_and_load("header form button");
    assert_eq!(b.title(), "Log in · pacto");
    b.go(&format!("{base}/"));
    assert_eq!(b.title(), "Log in · pacto");

    // An account without rights to `secret` sees nothing of it anywhere.
    login(&b, &base, "limited");
    let dashboard = b.text("main");
    assert!(!dashboard.contains("secret") && !dashboard.contains("analysis"), "{dashboard}");
    b.go(&format!("{base}/ui/search?q=payment"));
    accessible(&b, "limited search");
    let results = b.text("#results");
    assert!(results.contains("Payment front domain") && !results.contains("zebrafish"), "{results}");
    b.go(&format!("{base}/ui/search?q=zebrafish"));
    assert!(b.text("#results").contains("0 found"));
    b.go(&format!("{base}/ui/objects/secret/{SECRET}"));
    assert_eq!(b.title(), "Not Found · pacto");
    b.go(&format!("{base}/ui/ledger"));
    assert_eq!(b.title(), "Forbidden · pacto");
    b.quit();
}
