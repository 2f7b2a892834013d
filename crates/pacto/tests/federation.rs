//! Partners through the command line: `partner add`, `agreement check`, a partner's TAXII reads
//! matching what the check promised, and the ledger's show, verify, export and tamper check.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use pacto_store::testing::TestDatabase;
use pacto_testkit::http::Client;
use serde_json::Value;

/// The backend these tests run on: SQLite, or PostgreSQL when `PACTO_TEST_BACKEND=postgres`.
fn test_database() -> TestDatabase {
    match std::env::var("PACTO_TEST_BACKEND").as_deref() {
        Ok("postgres") => TestDatabase::postgres("federation").expect("PACTO_TEST_BACKEND=postgres needs PostgreSQL"),
        _ => TestDatabase::sqlite(),
    }
}

fn pacto(data: &Path, db: &TestDatabase, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pacto"))
        .env("PACTO_DATA_DIR", data)
        .env("PACTO_DATABASE", db.url())
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
    let db = test_database();
    let example = root().join("examples/firearms-trafficking.json");
    assert!(pacto(data, &db, &["import", example.to_str().unwrap(), "-c", "default"]).status.success());
    assert!(pacto(data, &db, &["collections", "create", "from-us-partner"]).status.success());
    let agreement = root().join("examples/agreements/us-partner.toml");
    let added = pacto(data, &db, &["partner", "add", "us-partner", "--agreement", agreement.to_str().unwrap()]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let out = String::from_utf8(added.stdout).unwrap();
    let password = out.lines().find(|l| l.contains("shown only now")).unwrap().rsplit(' ').next().unwrap().to_string();
    // A mismatched agreement is refused.
    let wrong = pacto(data, &db, &["partner", "add", "someone-else", "--agreement", agreement.to_str().unwrap()]);
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

    let shown = String::from_utf8(pacto(data, &db, &["ledger", "show"]).stdout).unwrap();
    assert_eq!(shown.lines().count(), promised.len());
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

struct Node {
    dir: tempfile::TempDir,
    db: TestDatabase,
    child: Option<std::process::Child>,
    addr: String,
}

impl Node {
    fn new() -> Node {
        Node { dir: tempfile::tempdir().unwrap(), db: test_database(), child: None, addr: String::new() }
    }
    fn run(&self, args: &[&str]) -> std::process::Output {
        pacto(self.dir.path(), &self.db, args)
    }
    fn run_stdin(&self, args: &[&str], input: &str) -> std::process::Output {
        use std::io::Write;
        let mut c = Command::new(env!("CARGO_BIN_EXE_pacto"))
            .env("PACTO_DATA_DIR", self.dir.path())
            .env("PACTO_DATABASE", self.db.url())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        c.wait_with_output().unwrap()
    }
    fn serve(&mut self) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pacto"))
            .env("PACTO_DATA_DIR", self.dir.path())
            .env("PACTO_DATABASE", self.db.url())
            .args(["serve", "--listen", "127.0.0.1:0", "--sync-interval", "0"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        self.addr = loop {
            let line = lines.next().expect("server output").unwrap();
            if let Some(rest) = line.split("http://").nth(1) {
                break rest.split('/').next().unwrap().to_string();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        self.child = Some(child);
    }
    /// Add `partner` with an agreement; returns the password the partner uses here.
    fn add_partner(&self, partner: &str, agreement: &str) -> String {
        let path = self.dir.path().join(format!("{partner}-agreement.toml"));
        std::fs::write(&path, agreement).unwrap();
        let out = self.run(&["partner", "add", partner, "--agreement", path.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .find(|l| l.contains("shown only now"))
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .to_string()
    }
    fn connect(&self, partner: &str, to: &Node, user: &str, password: &str) {
        let url = format!("http://{}/api/", to.addr);
        let out =
            self.run_stdin(&["partner", "connect", partner, "--url", &url, "--user", user], &format!("{password}\n"));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    fn ids(&self, collection: &str) -> Vec<String> {
        let out = self.run(&["export", "-c", collection]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut ids: Vec<String> =
            v["objects"].as_array().into_iter().flatten().map(|o| o["id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    }
    fn promised(&self, partner: &str) -> Vec<String> {
        let out = self.run(&["agreement", "check", "--partner", partner, "--format", "json"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut ids: Vec<String> = v["collections"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["disclosed"].as_array().cloned().unwrap_or_default())
            .map(|o| o["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Three nodes on loopback: mx shares with us (up to AMBER, informant details removed) and
/// with ca (GREEN indicators only). Each receives exactly what its agreement allows; a sync
/// killed with SIGKILL resumes with nothing lost or duplicated; local data never changes; the
/// ledger lists each disclosure and verifies.
#[test]
fn three_nodes_share_by_their_agreements() {
    let mut mx = Node::new();
    let us = Node::new();
    let ca = Node::new();
    // mx's intelligence: the example scenario and 8,000 generated objects.
    let example = root().join("examples/firearms-trafficking.json");
    assert!(mx.run(&["import", example.to_str().unwrap(), "-c", "firearms"]).status.success());
    let mut generated = Vec::new();
    pacto_testkit::write_bundle(&mut generated, 5, 8_000, u64::MAX).unwrap();
    let gen_path = mx.dir.path().join("gen.json");
    std::fs::write(&gen_path, &generated).unwrap();
    assert!(mx.run(&["import", gen_path.to_str().unwrap(), "-c", "firearms"]).status.success());
    // us has its own local data, which nothing may change.
    assert!(us.run(&["import", example.to_str().unwrap(), "-c", "local"]).status.success());
    let local_objects = |n: &Node| -> Value {
        serde_json::from_slice::<Value>(&n.run(&["export", "-c", "local"]).stdout).unwrap()["objects"].clone()
    };
    let us_local_before = local_objects(&us);

    let us_pw = mx.add_partner("us", "partner = \"us\"\n[[share]]\ncollection = \"firearms\"\nmax_tlp = \"amber\"\nlabels_none = [\"informant\"]\nredact = [\"x_informant_name\", \"x_case_priority\"]\n");
    let ca_pw = mx.add_partner(
        "ca",
        "partner = \"ca\"\n[[share]]\ncollection = \"firearms\"\nmax_tlp = \"green\"\ntypes = [\"indicator\"]\n",
    );
    mx.serve();
    us.connect("mx", &mx, "us", &us_pw);
    ca.connect("mx", &mx, "ca", &ca_pw);

    // us: sync, killed part-way through, then completed.
    let mut killed = false;
    let mut tries = Vec::new();
    for delay in (1..=40u64).map(|i| i * 250) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pacto"))
            .env("PACTO_DATA_DIR", us.dir.path())
            .env("PACTO_DATABASE", us.db.url())
            .args(["sync", "--partner", "mx"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let _ = child.kill();
        let status = child.wait().unwrap();
        let stored = us.db.query_u64(
            "SELECT count(*) FROM objects o JOIN collections c ON o.coll = c.pk WHERE c.name = 'inbound.mx'",
        );
        if status.code().is_none() && stored > 0 {
            killed = true;
            break;
        }
        tries.push((delay, status.code(), stored));
        if status.code().is_some() {
            break; // it finished before the kill: waiting longer cannot help
        }
    }
    assert!(killed, "the sync was never killed part-way through: (delay ms, exit, stored) {tries:?}");
    // us hunts with mx's indicators in its own observations, which never leave us.
    let sighting_od = serde_json::json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-0000000000bb", "objects": [
        {"type": "domain-name", "spec_version": "2.1", "id": "domain-name--00000000-0000-4000-8000-0000000000b1", "value": "pagos-rapidos.example"},
        {"type": "observed-data", "spec_version": "2.1", "id": "observed-data--00000000-0000-4000-8000-0000000000b2",
         "created": "2024-06-01T00:00:00.000Z", "modified": "2024-06-01T00:00:00.000Z", "first_observed": "2024-06-01T00:00:00Z",
         "last_observed": "2024-06-01T00:00:00Z", "number_observed": 1, "object_refs": ["domain-name--00000000-0000-4000-8000-0000000000b1"]}]});
    let od_path = us.dir.path().join("local-obs.json");
    std::fs::write(&od_path, sighting_od.to_string()).unwrap();
    assert!(us.run(&["collections", "create", "local-obs"]).status.success());
    assert!(us.run(&["import", od_path.to_str().unwrap(), "-c", "local-obs"]).status.success());
    assert!(us.run(&["detect", "setup", "--indicators", "inbound.*", "--observations", "local-obs"]).status.success());
    let done = us.run(&["sync", "--partner", "mx", "--format", "json"]);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let promised_us = mx.promised("us");
    assert!(promised_us.len() > 1000, "a sizeable share: {}", promised_us.len());
    let got_us = us.ids("inbound.mx");
    assert_eq!(got_us, promised_us, "us received exactly its agreement (killed mid-way: {killed})");
    let counts = us.db.query("SELECT count(*), count(DISTINCT o.id || o.version) FROM objects o JOIN collections c ON o.coll = c.pk WHERE c.name = 'inbound.mx'");
    let (rows, distinct) = (&counts[0][0], &counts[0][1]);
    assert_eq!(rows, distinct, "no duplicates");
    let sightings: Value = serde_json::from_slice(&us.run(&["export", "-c", "sightings"]).stdout).unwrap();
    let of: Vec<&str> =
        sightings["objects"].as_array().unwrap().iter().filter_map(|s| s["sighting_of_ref"].as_str()).collect();
    assert_eq!(of, ["indicator--4b0d5f60-7c8e-4d9f-a012-3b4c5d6e7f44"], "mx's domain indicator sighted in us's data");
    // A second sync finds nothing new.
    let again: Value = serde_json::from_slice(&us.run(&["sync", "--format", "json"]).stdout).unwrap();
    assert_eq!(again["added"], 0);
    // Nothing informant-related crossed; provenance is kept.
    let export = String::from_utf8(us.run(&["export", "-c", "inbound.mx"]).stdout).unwrap();
    assert!(!export.contains("x_informant_name") && !export.contains("x_case_priority"));
    assert!(
        !export.contains(pacto_stix::Tlp::Red.marking_id().split("--").nth(1).unwrap())
            || export.contains("marking-definition--e828b379"),
        "RED appears only as the public definition"
    );
    let prov = us.db.query_u64("SELECT count(*) FROM provenance WHERE partner = 'mx'");
    assert_eq!(prov.to_string(), *rows);
    assert!(local_objects(&us) == us_local_before, "local data unchanged");

    // ca: a narrower agreement.
    assert!(ca.run(&["sync"]).status.success());
    let got_ca = ca.ids("inbound.mx");
    assert_eq!(got_ca, mx.promised("ca"));
    assert!(got_ca.iter().all(|i| i.starts_with("indicator--") || i.starts_with("marking-definition--")));
    assert!(got_ca.len() < got_us.len());

    // Adopting a received object into a local collection keeps where it came from.
    assert!(us.run(&["collections", "create", "analysis"]).status.success());
    let first = got_us.iter().find(|i| i.starts_with("indicator--")).unwrap();
    assert!(us.run(&["adopt", "--from", "inbound.mx", "--to", "analysis", first]).status.success());
    assert_eq!(us.ids("analysis"), vec![first.clone()]);
    let adopted = us.db.query_u64("SELECT count(*) FROM provenance p JOIN collections c ON p.coll = c.pk WHERE c.name = 'analysis' AND p.partner = 'mx'");
    assert!(adopted >= 1);

    // mx's ledger: every version served to each partner, and it verifies.
    let distinct_us =
        mx.db.query_u64("SELECT count(DISTINCT json_extract(entry, '$.object_id')) FROM ledger WHERE partner = 'us'");
    let distinct_ca =
        mx.db.query_u64("SELECT count(DISTINCT json_extract(entry, '$.object_id')) FROM ledger WHERE partner = 'ca'");
    assert_eq!(distinct_us as usize, promised_us.len());
    assert_eq!(distinct_ca as usize, got_ca.len());
    assert!(mx.run(&["ledger", "verify"]).status.success());
}

/// Private matching between two nodes: seized serials on one side against a dealer registry on
/// the other; the agreement's size, rate and mode limits refuse what they should; each query
/// is in the holder's ledger.
#[test]
fn private_matching_within_the_agreement() {
    let mut mx = Node::new();
    let us = Node::new();
    // mx holds the dealer sales registry, as a private set (only its encoding is stored).
    let registry: Vec<String> = (0..500).map(|i| format!("RG-{i:05}")).collect();
    let reg_path = mx.dir.path().join("registry.txt");
    std::fs::write(&reg_path, registry.join("\n")).unwrap();
    let out = mx.run(&["set", "import", "dealer-sales", reg_path.to_str().unwrap(), "--normalize", "serial"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let us_pw = mx.add_partner(
        "us",
        "partner = \"us\"\n[[psi]]\nset = \"dealer-sales\"\nmax_query = 100\nper_day = 2\nmode = \"intersection\"\n",
    );
    let ca_pw = mx.add_partner(
        "ca",
        "partner = \"ca\"\n[[psi]]\nset = \"dealer-sales\"\nmax_query = 100\nper_day = 5\nmode = \"cardinality\"\n",
    );
    mx.serve();
    us.connect("mx", &mx, "us", &us_pw);
    // us's seized serials, written its own way: 10 are in the registry.
    let seized: Vec<String> =
        (0..40).map(|i| if i % 4 == 0 { format!("rg {:05}", i * 10) } else { format!("ZZ-{i:04}") }).collect();
    let seized_path = us.dir.path().join("seized.txt");
    std::fs::write(&seized_path, seized.join("\n")).unwrap();
    let m = us.run(&["match", "--partner", "mx", "--set", "dealer-sales", seized_path.to_str().unwrap()]);
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    let found: Vec<String> = String::from_utf8(m.stdout).unwrap().lines().map(str::to_string).collect();
    let expected: Vec<String> = seized.iter().filter(|s| s.starts_with("rg")).cloned().collect();
    assert_eq!(found, expected, "exactly the common serials, in us's own spelling");
    // Size-only works too; the day's allowance (2) is then used up.
    let c = us.run(&["match", "--partner", "mx", "--set", "dealer-sales", "--count", seized_path.to_str().unwrap()]);
    assert_eq!(String::from_utf8(c.stdout).unwrap().trim(), "10", "{}", String::from_utf8_lossy(&c.stderr));
    let third = us.run(&["match", "--partner", "mx", "--set", "dealer-sales", seized_path.to_str().unwrap()]);
    assert!(!third.status.success());
    assert!(String::from_utf8_lossy(&third.stderr).contains("429"), "{}", String::from_utf8_lossy(&third.stderr));
    // ca: size-only by agreement, and no query above 100 items.
    let ca = Node::new();
    ca.connect("mx", &mx, "ca", &ca_pw);
    let ca_path = ca.dir.path().join("q.txt");
    std::fs::write(&ca_path, seized.join("\n")).unwrap();
    let which = ca.run(&["match", "--partner", "mx", "--set", "dealer-sales", ca_path.to_str().unwrap()]);
    assert!(!which.status.success() && String::from_utf8_lossy(&which.stderr).contains("403"));
    let count = ca.run(&["match", "--partner", "mx", "--set", "dealer-sales", "--count", ca_path.to_str().unwrap()]);
    assert_eq!(String::from_utf8(count.stdout).unwrap().trim(), "10");
    let big: Vec<String> = (0..150).map(|i| format!("X{i}")).collect();
    std::fs::write(&ca_path, big.join("\n")).unwrap();
    let too_big = ca.run(&["match", "--partner", "mx", "--set", "dealer-sales", "--count", ca_path.to_str().unwrap()]);
    assert!(
        !too_big.status.success() && String::from_utf8_lossy(&too_big.stderr).contains("at most 100"),
        "{}",
        String::from_utf8_lossy(&too_big.stderr)
    );
    let wrong_rule = ca.run(&[
        "match",
        "--partner",
        "mx",
        "--set",
        "dealer-sales",
        "--count",
        "--normalize",
        "text",
        seized_path.to_str().unwrap(),
    ]);
    assert!(!wrong_rule.status.success() && String::from_utf8_lossy(&wrong_rule.stderr).contains("would not match"));
    let no_set = ca.run(&["match", "--partner", "mx", "--set", "watchlist", "--count", seized_path.to_str().unwrap()]);
    assert!(!no_set.status.success() && String::from_utf8_lossy(&no_set.stderr).contains("404"));
    // Every admitted query is in mx's ledger, which verifies.
    let q = mx.db.query("SELECT partner, count(*) FROM ledger WHERE json_extract(entry, '$.kind') = 'psi-query' GROUP BY partner ORDER BY partner");
    assert_eq!(q, vec![vec!["ca".to_string(), "1".to_string()], vec!["us".to_string(), "2".to_string()]]);
    assert!(mx.run(&["ledger", "verify"]).status.success());
}

/// The README's firearms-tracing walkthrough, command by command: the US node keeps its dealer
/// sales registry as a labelled set and grants mx the dealer, the sale date and the trace
/// reference; mx traces a STIX seizure and a CSV one and imports the trace as intelligence;
/// the buyer column never reaches mx; every query is in the US node's ledger; bad input is an
/// error that says where.
#[test]
fn firearms_tracing_walkthrough() {
    let mut us = Node::new();
    let mx = Node::new();
    let ex = root().join("examples");
    let path = |p: &str| ex.join(p).to_str().unwrap().to_string();
    let ok = |o: &std::process::Output| {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout.clone()).unwrap()
    };
    // --- the US node: its registry, and what mx may ask of it ---
    let registry = path("trace/dealer-sales.csv");
    let mut import = vec!["set", "import", "dealer-sales", &registry, "--normalize", "firearm"];
    for c in ["dealer", "sale_date", "trace_ref", "buyer"] {
        import.extend(["--payload-column", c]);
    }
    let said = ok(&us.run(&import));
    assert!(
        said.contains("5 distinct items (firearm rule), labelled with dealer, sale_date, trace_ref, buyer"),
        "{said}"
    );
    assert!(ok(&us.run(&["set", "list"])).contains("labelled: dealer, sale_date, trace_ref, buyer"));
    let password = us.add_partner("mx", &std::fs::read_to_string(path("agreements/mx-trace.toml")).unwrap());
    us.serve();

    // --- Mexico's node: a seizure batch, traced ---
    mx.connect("us", &us, "mx", &password);
    let bundle = mx.dir.path().join("trace.json");
    let seizure = path("firearms-seizure.json");
    let traced =
        mx.run(&["trace", "--partner", "us", "--set", "dealer-sales", &seizure, "-o", bundle.to_str().unwrap()]);
    let lines: Vec<Value> = ok(&traced).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let stderr = String::from_utf8_lossy(&traced.stderr);
    assert!(stderr.contains("2 of 2 firearms traced in us's set dealer-sales"), "{stderr}");
    assert!(stderr.contains("has no manufacturer and serial_number: not traced"), "the improvised one: {stderr}");
    assert_eq!(lines[0]["serial_number"], "LW 12345");
    assert_eq!(
        lines[0]["payload"],
        serde_json::json!({"dealer": "5-74-012-01-2B-01234", "sale_date": "2025-05-17", "trace_ref": "T20250012345"})
    );
    assert_eq!(lines[1]["payload"]["trace_ref"], "T20240098765");
    let text = std::fs::read_to_string(&bundle).unwrap();
    for withheld in ["buyer", "Doe", "Jane Roe"] {
        assert!(!text.contains(withheld) && !lines.iter().any(|l| l.to_string().contains(withheld)), "{withheld}");
    }
    ok(&mx.run(&["import", bundle.to_str().unwrap(), "--collection", "traces"]));
    let ids = mx.ids("traces");
    let count = |kind: &str| ids.iter().filter(|i| i.starts_with(&format!("{kind}--"))).count();
    assert_eq!([count("x-firearm"), count("identity"), count("relationship"), count("note")], [2, 2, 2, 2], "{ids:?}");
    // The same from a CSV seizure list: the Colt and the Ruger are in the registry.
    let csv = mx.run(&["trace", "--partner", "us", "--set", "dealer-sales", &path("trace/seized.csv")]);
    let found: Vec<String> =
        ok(&csv).lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["serial_number"].to_string()).collect();
    assert_eq!(found, ["\"lw-12345\"", "\"690-12O45\""]);

    // A seizure with nothing traceable is an error, and asks nothing of the partner.
    let none = mx.dir.path().join("none.csv");
    std::fs::write(&none, "manufacturer,serial_number\n,LW1\nColt,\n").unwrap();
    let nothing = mx.run(&["trace", "--partner", "us", "--set", "dealer-sales", none.to_str().unwrap()]);
    let why = String::from_utf8_lossy(&nothing.stderr);
    assert!(!nothing.status.success() && why.contains("line 2 has no manufacturer and serial_number"), "{why}");
    assert!(why.contains("no firearm with a manufacturer and a serial number to trace"), "{why}");

    // A rule mismatch is an error, refused before it counts: the registry is matched by maker
    // and serial, not by serial alone.
    let serials = mx.dir.path().join("serials.txt");
    std::fs::write(&serials, "LW12345\n").unwrap();
    let wrong = mx.run(&["match", "--partner", "us", "--set", "dealer-sales", serials.to_str().unwrap()]);
    assert!(!wrong.status.success() && String::from_utf8_lossy(&wrong.stderr).contains("would not match"));

    // --- back on the US node: each trace query is in the ledger, with the fields that left ---
    let q = us.db.query("SELECT entry FROM ledger WHERE json_extract(entry, '$.kind') = 'psi-query'");
    assert_eq!(q.len(), 2, "{q:?}");
    assert!(q[0][0].contains("labelled (dealer, sale_date, trace_ref), 2 items"), "{q:?}");
    assert!(q[1][0].contains("labelled (dealer, sale_date, trace_ref), 4 items"), "{q:?}");
    let shown = ok(&us.run(&["ledger", "show"]));
    assert!(
        shown.contains("psi-query") && shown.contains("labelled (dealer, sale_date, trace_ref), 2 items"),
        "{shown}"
    );
    ok(&us.run(&["ledger", "verify"]));

    // Bad registries are errors that say where and why.
    let bad = us.dir.path().join("bad.csv");
    std::fs::write(&bad, "manufacturer,serial_number,dealer\nColt,LW1,A\nCOLT,lw-1,B\n").unwrap();
    let dup =
        us.run(&["set", "import", "x", bad.to_str().unwrap(), "--normalize", "firearm", "--payload-column", "dealer"]);
    let why = String::from_utf8_lossy(&dup.stderr);
    assert!(!dup.status.success() && why.contains("lines 2 and 3 are the same item"), "{why}");
    let missing =
        us.run(&["set", "import", "x", bad.to_str().unwrap(), "--normalize", "firearm", "--payload-column", "price"]);
    let why = String::from_utf8_lossy(&missing.stderr);
    assert!(why.contains("has no column price (it has: manufacturer, serial_number, dealer)"), "{why}");
    std::fs::write(&bad, "manufacturer,serial_number,dealer\nColt,LW1,A\nColt,LW2\n").unwrap();
    let short =
        us.run(&["set", "import", "x", bad.to_str().unwrap(), "--normalize", "firearm", "--payload-column", "dealer"]);
    let why = String::from_utf8_lossy(&short.stderr);
    assert!(!short.status.success() && why.contains("line: 3"), "{why}");
}

/// STIX 2.0 content (MITRE ATT&CK still ships as 2.0) crosses between nodes as 2.0: the
/// holder's manifest says `version=2.0`, and the receiver judges and stores it by 2.0's rules.
#[test]
fn stix20_content_syncs_as_stix20() {
    let mut mx = Node::new();
    let us = Node::new();
    let bundle = serde_json::json!({"type": "bundle", "id": "bundle--0b7c8e1d-1b2c-4d3e-8f4a-5b6c7d8e9f00", "spec_version": "2.0",
        "objects": [{"type": "attack-pattern", "id": "attack-pattern--0b7c8e1d-1b2c-4d3e-8f4a-5b6c7d8e9f01",
                     "created": "2017-05-31T21:30:19.735Z", "modified": "2020-03-02T18:45:07.892Z", "name": "Straw purchase",
                     "object_marking_refs": ["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]}]});
    let path = mx.dir.path().join("attack20.json");
    std::fs::write(&path, bundle.to_string()).unwrap();
    assert!(mx.run(&["collections", "create", "mitre"]).status.success());
    assert!(mx.run(&["import", path.to_str().unwrap(), "-c", "mitre"]).status.success());
    let pw = mx.add_partner("us", "partner = \"us\"\n[[share]]\ncollection = \"mitre\"\nmax_tlp = \"clear\"\n");
    mx.serve();
    us.connect("mx", &mx, "us", &pw);
    let out = us.run(&["sync", "--format", "json"]);
    let rep: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((rep["added"].as_u64(), rep["rejected"].as_u64()), (Some(1), Some(0)), "{rep}");
    let export: Value = serde_json::from_slice(&us.run(&["export", "-c", "inbound.mx"]).stdout).unwrap();
    assert_eq!(export["spec_version"], "2.0", "exported as the 2.0 content it is: {export}");
    assert_eq!(export["objects"][0]["name"], "Straw purchase");
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
