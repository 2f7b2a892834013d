//! Partners through the command line: `partner add`, `agreement check`, a partner's TAXII reads
//! matching what the check promised, and the ledger's show, verify, export and tamper check.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use pacto_testkit::http::Client;
use serde_json::Value;

mod common;
use common::{Node, pacto, root, test_database};

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
    assert!(mx.run(&["import", "--create", example.to_str().unwrap(), "-c", "firearms"]).status.success());
    let mut generated = Vec::new();
    pacto_testkit::write_bundle(&mut generated, 5, 8_000, u64::MAX).unwrap();
    let gen_path = mx.dir.path().join("gen.json");
    std::fs::write(&gen_path, &generated).unwrap();
    assert!(mx.run(&["import", "--create", gen_path.to_str().unwrap(), "-c", "firearms"]).status.success());
    // us has its own local data, which nothing may change.
    assert!(us.run(&["import", "--create", example.to_str().unwrap(), "-c", "local"]).status.success());
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
    assert!(us.run(&["import", "--create", od_path.to_str().unwrap(), "-c", "local-obs"]).status.success());
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
    // Each answer's receipt was checked and kept (the answer, the blinded set, the count), and
    // they chain: each extends the one before.
    let kept = us.run(&["receipts", "verify", "--partner", "mx"]);
    assert!(String::from_utf8_lossy(&kept.stdout).starts_with("3 receipts from mx verified"), "{kept:?}");
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
    ok(&mx.run(&["import", "--create", bundle.to_str().unwrap(), "--collection", "traces"]));
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
    assert!(mx.run(&["import", "--create", path.to_str().unwrap(), "-c", "mitre"]).status.success());
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

/// mx's operator rewrites mx's ledger with mx's own key, as only the log's holder can: the
/// entries kept are re-chained and a new head signed over them (and the head kept in its data
/// directory replaced). `keep` says which of the old entries stay.
fn rewrite_ledger(mx: &Node, keep: impl Fn(u64) -> bool) {
    use pacto_federation::ledger::{Chain, Entry, log as tlog};
    let mut s = mx.db.open();
    let rows = s.ledger_entries(0, None, usize::MAX).unwrap();
    let old: Vec<Entry> = rows.iter().map(|(_, t)| serde_json::from_str(t).unwrap()).collect();
    let mut chain = Chain::default();
    let new: Vec<Entry> = old.into_iter().filter(|e| keep(e.seq)).map(|e| chain.append(e.into_event())).collect();
    mx.db.execute("DELETE FROM ledger");
    mx.db.execute("DELETE FROM ledger_heads");
    let rows: Vec<(u64, String, String)> =
        new.iter().map(|e| (e.seq, e.partner.clone(), serde_json::to_string(e).unwrap())).collect();
    let key_hex = std::fs::read_to_string(mx.dir.path().join("node-key")).unwrap();
    let key = pacto_federation::ledger::signing_key_from_hex(key_hex.trim()).unwrap();
    let tree = tlog::tree(&new);
    let head = tlog::log_signer(&key).sign(tree.len(), tree.root());
    s.ledger_append(&rows, Some((head.checkpoint.size, head.to_text()))).unwrap();
    std::fs::write(mx.dir.path().join("ledger-checkpoint"), head.to_text()).unwrap();
}

fn text(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Receipts and audits between three nodes. mx discloses to us and ca; each keeps a receipt
/// of every answer, verifies it, and audits mx's log. Then mx's operator, holding mx's key,
/// (a) deletes an entry and re-signs, (b) shows ca that rewritten history while us holds the
/// old one (a fork), and (c) truncates the log: sync refuses what does not extend what it
/// holds, and `ledger audit` names each difference, on us and on ca.
#[test]
fn receipts_and_audits_catch_a_rewritten_forked_or_truncated_ledger() {
    let mut mx = Node::new();
    let us = Node::new();
    let ca = Node::new();
    let example = root().join("examples/firearms-trafficking.json");
    assert!(mx.run(&["import", "--create", example.to_str().unwrap(), "-c", "firearms"]).status.success());
    let share = |p: &str| format!("partner = \"{p}\"\n[[share]]\ncollection = \"firearms\"\nmax_tlp = \"amber\"\n");
    let us_pw = mx.add_partner("us", &share("us"));
    let ca_pw = mx.add_partner("ca", &share("ca"));
    // A fixed port, so the partners' connections outlive mx's restarts.
    let listen = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    mx.serve_on(&listen);
    us.connect("mx", &mx, "us", &us_pw);
    ca.connect("mx", &mx, "ca", &ca_pw);

    let sync = |n: &Node| n.run(&["sync", "--partner", "mx"]);
    let o = sync(&us);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!us.ids("inbound.mx").is_empty());
    // Receipts kept, checked offline, and the audit finds nothing.
    let o = us.run(&["receipts", "list", "--partner", "mx"]);
    assert!(text(&o).contains("receipts from mx shown"), "{}", text(&o));
    let o = us.run(&["receipts", "verify", "--partner", "mx"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = us.run(&["ledger", "audit", "--partner", "mx"]);
    assert!(o.status.success() && text(&o).contains("every entry stands"), "{}", text(&o));
    // us witnessed mx's log: mx keeps us's cosignature of the head us checked.
    assert!(text(&o).contains("every entry stands"));
    let o = mx.run(&["ledger", "cosignatures"]);
    assert!(text(&o).contains("the newest of each partner: us at "), "{}", text(&o));
    let us_cp = us.dir.path().join("mx-checkpoint");
    let o = us.run(&["receipts", "export", "--partner", "mx", "--checkpoint", "-o", us_cp.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));

    // (a) and (b): mx's operator deletes entry 2 (a disclosure to us) and re-signs; ca, which
    // held nothing of mx yet, is then shown only the rewritten history.
    mx.stop();
    rewrite_ledger(&mx, |seq| seq != 2);
    mx.serve_on(&listen);
    let o = sync(&ca);
    assert!(o.status.success(), "ca alone cannot tell: {}", text(&o));
    let o = ca.run(&["ledger", "audit", "--partner", "mx"]);
    assert!(o.status.success(), "{}", text(&o));
    // us holds receipts of the old history: its next sync refuses mx's answer, and its audit
    // names the entries that moved and the fork.
    let o = us.run(&["ledger", "audit", "--partner", "mx"]);
    let said = text(&o);
    assert_eq!(o.status.code(), Some(1), "{said}");
    assert!(said.contains("  entry ") && said.contains("another entry there"), "{said}");
    assert!(said.contains("the newest receipt held") && said.contains("fork"), "{said}");
    // ca, handed us's checkpoint of mx's log, finds that mx showed the two of them different
    // histories.
    let o = ca.run(&["ledger", "audit", "--partner", "mx", "--compare", us_cp.to_str().unwrap()]);
    let said = text(&o);
    assert_eq!(o.status.code(), Some(1), "{said}");
    assert!(said.contains("a checkpoint handed over") && said.contains("fork"), "{said}");

    // (c): mx's operator cuts the log to its first 3 entries and re-signs.
    mx.stop();
    rewrite_ledger(&mx, |seq| seq <= 3);
    mx.serve_on(&listen);
    let o = ca.run(&["ledger", "audit", "--partner", "mx"]);
    let said = text(&o);
    assert_eq!(o.status.code(), Some(1), "{said}");
    assert!(said.contains("not in the partner's log of 3 entries (truncated)"), "{said}");
    assert!(said.contains("truncated or forked"), "{said}");
    // And ca's next sync refuses what the cut log discloses rather than accept it.
    let new = serde_json::json!({"type": "indicator", "spec_version": "2.1",
        "id": "indicator--7e57ab1e-17d4-4cbf-938f-98ee46b3cd3f", "created": "2026-12-01T00:00:00.000Z",
        "modified": "2026-12-01T00:00:00.000Z", "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix", "valid_from": "2026-12-01T00:00:00Z",
        "object_marking_refs": [pacto_stix::Tlp::Green.marking_id()]});
    let file = mx.dir.path().join("new.json");
    std::fs::write(&file, new.to_string()).unwrap();
    assert!(mx.run(&["import", "--create", file.to_str().unwrap(), "-c", "firearms"]).status.success());
    let o = sync(&ca);
    assert!(!o.status.success() && text(&o).contains("truncated or forked"), "{}", text(&o));
    assert!(!ca.ids("inbound.mx").contains(&"indicator--7e57ab1e-17d4-4cbf-938f-98ee46b3cd3f".to_string()));
}

/// mx hands its ledger over to a new key (`pacto ledger rotate-key`): its export verifies
/// under the old key and under the new one; us, which pinned the old key, follows the handover
/// on its next sync, and its receipts of both keys still verify and audit. A node that simply
/// signs with another key (no handover from the pinned one) is refused.
#[test]
fn a_rotated_ledger_key_is_followed_by_partners_and_an_unannounced_one_refused() {
    let mut mx = Node::new();
    let us = Node::new();
    let example = root().join("examples/firearms-trafficking.json");
    assert!(mx.run(&["import", example.to_str().unwrap(), "-c", "firearms"]).status.success());
    let share = "partner = \"us\"\n[[share]]\ncollection = \"firearms\"\nmax_tlp = \"amber\"\n";
    let pw = mx.add_partner("us", share);
    let listen = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    mx.serve_on(&listen);
    us.connect("mx", &mx, "us", &pw);
    let sync = || us.run(&["sync", "--partner", "mx"]);
    assert!(sync().status.success());
    let key = |n: &Node| String::from_utf8_lossy(&n.run(&["ledger", "key"]).stdout).trim().to_string();
    let old = key(&mx);

    mx.stop();
    // A rotation cut short before its handover was committed is undone.
    let (key_file, next) = (mx.dir.path().join("node-key"), mx.dir.path().join("node-key.next"));
    let random = pacto_federation::ledger::signing_key_to_hex(&pacto_federation::ledger::generate_key());
    std::fs::write(&next, &random).unwrap();
    assert_eq!(key(&mx), old);
    assert!(!next.exists());
    let old_secret = std::fs::read(&key_file).unwrap();
    let o = mx.run(&["ledger", "rotate-key"]);
    assert!(o.status.success() && text(&o).contains("ledger key rotated at entry"), "{}", text(&o));
    let new = key(&mx);
    assert_ne!(old, new);
    assert!(!next.exists());
    // One cut short after the handover was committed (the new key not yet in place) is finished.
    let new_secret = std::fs::read(&key_file).unwrap();
    std::fs::write(&key_file, &old_secret).unwrap();
    std::fs::write(&next, &new_secret).unwrap();
    assert_eq!(key(&mx), new);
    assert!(!next.exists());
    // Either key verifies the whole export; another does not.
    let export = mx.dir.path().join("export.jsonl");
    assert!(mx.run(&["ledger", "export", "-o", export.to_str().unwrap()]).status.success());
    for k in [&old, &new] {
        let o = mx.run(&["ledger", "verify", "--file", export.to_str().unwrap(), "--public-key", k]);
        assert!(o.status.success(), "{k}: {}", text(&o));
    }
    let stranger = pacto_federation::ledger::public_key_hex(&pacto_federation::ledger::generate_key().verifying_key());
    let o = mx.run(&["ledger", "verify", "--file", export.to_str().unwrap(), "--public-key", &stranger]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(mx.run(&["ledger", "verify"]).status.success());

    // us follows the handover: the new disclosures come with receipts under the new key.
    mx.serve_on(&listen);
    let indicator = |id: &str| {
        serde_json::json!({"type": "indicator", "spec_version": "2.1", "id": id,
            "created": "2026-12-01T00:00:00.000Z", "modified": "2026-12-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
            "valid_from": "2026-12-01T00:00:00Z",
            "object_marking_refs": [pacto_stix::Tlp::Green.marking_id()]})
    };
    let file = mx.dir.path().join("new.json");
    let first = "indicator--7e57ab1e-17d4-4cbf-938f-98ee46b3cd3f";
    std::fs::write(&file, indicator(first).to_string()).unwrap();
    assert!(mx.run(&["import", file.to_str().unwrap(), "-c", "firearms"]).status.success());
    let o = sync();
    assert!(o.status.success(), "{}", text(&o));
    assert!(us.ids("inbound.mx").contains(&first.to_string()));
    let o = us.run(&["receipts", "verify", "--partner", "mx"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = us.run(&["ledger", "audit", "--partner", "mx"]);
    assert!(o.status.success() && text(&o).contains("every entry stands"), "{}", text(&o));
    let o = us.run(&["receipts", "list", "--partner", "mx"]);
    let fp = pacto_federation::ledger::log::fingerprint(&pacto_federation::ledger::public_key_from_hex(&new).unwrap());
    assert!(text(&o).contains(&fp), "the new key is pinned: {}", text(&o));

    // An impostor: mx's node started over with a key no handover leads to (its ledger and key
    // replaced). us refuses its answers and stores nothing of them.
    mx.stop();
    mx.db.execute("DELETE FROM ledger");
    mx.db.execute("DELETE FROM ledger_heads");
    std::fs::remove_file(mx.dir.path().join("ledger-checkpoint")).unwrap();
    std::fs::remove_file(mx.dir.path().join("node-key")).unwrap();
    let second = "indicator--8e57ab1e-17d4-4cbf-938f-98ee46b3cd3f";
    std::fs::write(&file, indicator(second).to_string()).unwrap();
    assert!(mx.run(&["import", file.to_str().unwrap(), "-c", "firearms"]).status.success());
    mx.serve_on(&listen);
    let o = sync();
    assert!(!o.status.success() && text(&o).contains("no handover from the pinned key"), "{}", text(&o));
    assert!(!us.ids("inbound.mx").contains(&second.to_string()));
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The private key's base64 body of a PEM file (what would leak).
fn pem_body(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().filter(|l| !l.starts_with("-----")).collect::<Vec<_>>().concat()
}

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

/// The README's walkthrough, run as written: every command of its block, in order, on two nodes
/// (the only changes: the placeholders become the fingerprints `node id` printed, the port a
/// free one). A command added to or changed in the README is run by this test as it stands.
#[test]
fn the_readme_walkthrough_runs_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let block = readme
        .split("## Two agencies, two nodes")
        .nth(1)
        .and_then(|r| r.split("```sh\n").nth(1))
        .and_then(|r| r.split("```").next())
        .expect("the walkthrough's sh block");
    let work = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(root().join("examples"), work.path().join("examples")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut nodes = [("./mx", Node::new()), ("./us", Node::new())];
    let mut fingerprints: Vec<(String, String)> = Vec::new();
    let mut current = 0usize;
    let mut ran = 0;
    for line in block.lines() {
        let line = line.split("  #").next().unwrap().trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(dir) = line.strip_prefix("export PACTO_DATA_DIR=") {
            current = nodes.iter().position(|(d, _)| *d == dir).expect(dir);
            continue;
        }
        for command in line.split(" && ") {
            let mut command = command.to_string();
            for (placeholder, fp) in &fingerprints {
                command = command.replace(placeholder, fp);
            }
            command = command.replace("127.0.0.1:8443", &format!("127.0.0.1:{port}"));
            let (node, command) = match command.strip_prefix("PACTO_DATA_DIR=") {
                Some(rest) => {
                    let (dir, rest) = rest.split_once(' ').unwrap();
                    (nodes.iter().position(|(d, _)| *d == dir).expect(dir), rest.to_string())
                }
                None => (current, command),
            };
            let background = command.ends_with(" &");
            let words: Vec<String> =
                command.trim_end_matches(" &").split_whitespace().map(|w| w.trim_matches('\'').to_string()).collect();
            assert_eq!(words[0], "pacto", "{command}");
            let n = &mut nodes[node].1;
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_pacto"));
            cmd.env("PACTO_DATA_DIR", n.dir.path())
                .env("PACTO_DATABASE", n.db.url())
                .current_dir(work.path())
                .arg("--no-progress")
                .args(&words[1..]);
            ran += 1;
            if background {
                let mut child = cmd.stderr(Stdio::piped()).spawn().unwrap();
                let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
                while !lines.next().expect("server output").unwrap().contains("TAXII 2.1 at https://") {}
                std::thread::spawn(move || for _ in lines {});
                n.child = Some(child);
                continue;
            }
            let out = cmd.output().unwrap();
            assert!(
                out.status.success(),
                "`{command}` failed:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            if words[1..] == ["node", "id"] {
                let name = nodes[node].0.trim_start_matches("./").to_uppercase();
                fingerprints
                    .push((format!("{name}-FINGERPRINT"), String::from_utf8(out.stdout).unwrap().trim().to_string()));
            }
        }
    }
    assert!(ran >= 20, "only {ran} commands found in the walkthrough");
    // What it promised: the US node holds what mx granted, and sightings of mx's indicators.
    let (mx, us) = (&nodes[0].1, &nodes[1].1);
    assert!(!us.ids("inbound.mx").is_empty());
    assert_eq!(us.ids("inbound.mx"), mx.promised("us-partner"));
    assert!(work.path().join("ledger.jsonl").exists());
    // us sent mx its analysis and its sightings of mx's indicator, linked to it.
    let dropbox = mx.run(&["export", "-c", "from-us-partner"]);
    let dropbox: Value = serde_json::from_slice(&dropbox.stdout).unwrap();
    let objects = dropbox["objects"].as_array().unwrap();
    assert!(objects.iter().any(|o| o["type"] == "sighting"
        && o["sighting_of_ref"] == "indicator--4b0d5f60-7c8e-4d9f-a012-3b4c5d6e7f44"
        && o["created_by_ref"].as_str().is_some_and(|by| objects.iter().any(|i| i["id"] == by && i["name"] == "US"))));
    assert!(String::from_utf8(us.run(&["ledger", "show", "--kind", "sent"]).stdout).unwrap().contains("sighting--"));
    assert!(us.db.query_u64("SELECT count(*) FROM remotes WHERE password = '' AND username = ''") == 1);
}
