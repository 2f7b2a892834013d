//! Nodes sharing by their agreements: three nodes syncing (a sync killed part-way resumes),
//! and STIX 2.0 content crossing as 2.0.

use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::*;

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

    // Everything received awaits review.
    let review = |n: &Node| -> Vec<String> {
        let o = n.run(&["review", "--partner", "mx", "--limit", "10000", "--format", "json"]);
        assert!(o.status.success(), "{}", text(&o));
        String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_str().unwrap().to_string())
            .collect()
    };
    let mut waiting = review(&us);
    waiting.sort();
    let mut all = got_us.clone();
    all.sort();
    assert_eq!(waiting, all);
    // Adopting a received object into a local collection keeps where it came from, and
    // takes it off the review list.
    assert!(us.run(&["collections", "create", "analysis"]).status.success());
    let first = got_us.iter().find(|i| i.starts_with("indicator--")).unwrap();
    assert!(us.run(&["adopt", "--from", "inbound.mx", "--to", "analysis", first]).status.success());
    assert_eq!(us.ids("analysis"), vec![first.clone()]);
    let adopted = us.db.query_u64("SELECT count(*) FROM provenance p JOIN collections c ON p.coll = c.pk WHERE c.name = 'analysis' AND p.partner = 'mx'");
    assert!(adopted >= 1);
    assert_eq!(review(&us).len(), got_us.len() - 1);
    assert!(!review(&us).contains(first));
    // Dismissing one, then the rest.
    let second = review(&us)[0].clone();
    assert!(us.run(&["review", "--partner", "mx", "--dismiss", &second]).status.success());
    assert!(!review(&us).contains(&second) && review(&us).len() == got_us.len() - 2);
    let o = us.run(&["review", "--partner", "mx", "--dismiss-all"]);
    assert!(o.status.success() && text(&o).contains("dismissed everything in inbound.mx"), "{}", text(&o));
    assert!(review(&us).is_empty());
    let shown = text(&us.run(&["show", first]));
    assert!(shown.contains("receipt: its ledger entry"), "{shown}");

    // mx's ledger: every version served to each partner, and it verifies.
    let distinct_us =
        mx.db.query_u64("SELECT count(DISTINCT json_extract(entry, '$.object_id')) FROM ledger WHERE partner = 'us'");
    let distinct_ca =
        mx.db.query_u64("SELECT count(DISTINCT json_extract(entry, '$.object_id')) FROM ledger WHERE partner = 'ca'");
    assert_eq!(distinct_us as usize, promised_us.len());
    assert_eq!(distinct_ca as usize, got_ca.len());
    assert!(mx.run(&["ledger", "verify"]).status.success());
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
