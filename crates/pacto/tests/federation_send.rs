//! Sending to a partner and reporting back: `pacto send` within this node's agreement for the
//! partner, the sightings of a partner's indicators going back to its drop box
//! (`report_sightings = true`), both ledgers; and the attacks: a send never discloses beyond
//! the agreement, and a partner cannot make this node report sightings of indicators that are
//! not its own.

use serde_json::{Value, json};

mod common;
use common::{Node, root};

const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
/// mx's indicator of the domain `pagos-rapidos.example` (examples/firearms-trafficking.json).
const MX_INDICATOR: &str = "indicator--4b0d5f60-7c8e-4d9f-a012-3b4c5d6e7f44";

fn text(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn ok(o: std::process::Output) -> String {
    assert!(o.status.success(), "{}", text(&o));
    text(&o)
}

fn indicator(id: &str, marking: &str, pattern: &str) -> Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": id, "created": "2025-01-01T00:00:00.000Z",
           "modified": "2025-01-01T00:00:00.000Z", "pattern": pattern, "pattern_type": "stix",
           "valid_from": "2025-01-01T00:00:00Z", "object_marking_refs": [marking]})
}

/// us's own report: one AMBER indicator may go; a RED indicator and a note (a type the
/// agreement does not share) stay, and the report goes without its references to them.
fn us_report() -> Value {
    json!({"type": "bundle", "id": "bundle--5e0d0000-0000-4000-8000-000000000001", "objects": [
        {"type": "report", "spec_version": "2.1", "id": "report--5e0d0000-0000-4000-8000-000000000002",
         "created": "2025-02-01T00:00:00.000Z", "modified": "2025-02-01T00:00:00.000Z", "name": "Straw purchases, El Paso",
         "published": "2025-02-01T00:00:00Z", "object_marking_refs": [AMBER],
         "object_refs": ["indicator--5e0d0000-0000-4000-8000-000000000003", "indicator--5e0d0000-0000-4000-8000-000000000004",
                         "note--5e0d0000-0000-4000-8000-000000000005"]},
        indicator("indicator--5e0d0000-0000-4000-8000-000000000003", AMBER, "[ipv4-addr:value = '198.51.100.7']"),
        indicator("indicator--5e0d0000-0000-4000-8000-000000000004", RED, "[ipv4-addr:value = '198.51.100.99']"),
        {"type": "note", "spec_version": "2.1", "id": "note--5e0d0000-0000-4000-8000-000000000005",
         "created": "2025-02-01T00:00:00.000Z", "modified": "2025-02-01T00:00:00.000Z", "content": "source: CI-7",
         "object_refs": ["report--5e0d0000-0000-4000-8000-000000000002"], "object_marking_refs": [AMBER]}
    ]})
}

/// us's observation of the domain of mx's indicator.
fn observation() -> Value {
    json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-0000000000bb", "objects": [
        {"type": "domain-name", "spec_version": "2.1", "id": "domain-name--00000000-0000-4000-8000-0000000000b1", "value": "pagos-rapidos.example"},
        {"type": "observed-data", "spec_version": "2.1", "id": "observed-data--00000000-0000-4000-8000-0000000000b2",
         "created": "2024-06-01T00:00:00.000Z", "modified": "2024-06-01T00:00:00.000Z", "first_observed": "2024-06-01T00:00:00Z",
         "last_observed": "2024-06-01T00:00:00Z", "number_observed": 1, "object_refs": ["domain-name--00000000-0000-4000-8000-0000000000b1"]}]})
}

fn write(n: &Node, name: &str, v: &Value) -> String {
    let p = n.dir.path().join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p.to_str().unwrap().to_string()
}

fn objects(n: &Node, collection: &str) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&n.run(&["export", "-c", collection]).stdout).unwrap();
    v["objects"].as_array().cloned().unwrap_or_default()
}

const US_AGREEMENT_FOR_MX: &str = "partner = \"mx\"\nreport_sightings = true\n[[share]]\ncollection = \"reports\"\nmax_tlp = \"amber\"\ntypes = [\"report\", \"indicator\", \"identity\", \"sighting\"]\n";

/// mx shares its firearms intelligence with us and gives it a drop box; us shares its reports
/// with mx (up to AMBER, no notes) and reports sightings back. Returns (mx, us) with mx serving
/// and us connected.
fn two_nodes(us_agreement: &str) -> (Node, Node) {
    let mut mx = Node::new();
    let us = Node::new();
    let example = root().join("examples/firearms-trafficking.json");
    ok(mx.run(&["import", "--create", example.to_str().unwrap(), "-c", "firearms"]));
    ok(mx.run(&["collections", "create", "from-us"]));
    let pw = mx.add_partner(
        "us",
        "partner = \"us\"\ndropbox = \"from-us\"\n[[share]]\ncollection = \"firearms\"\nmax_tlp = \"amber\"\n",
    );
    us.add_partner("mx", us_agreement);
    mx.serve();
    us.connect("mx", &mx, "us", &pw);
    (mx, us)
}

#[test]
fn us_sends_a_report_and_reports_sightings_back_both_ledgers_record_it() {
    let (mx, us) = two_nodes(US_AGREEMENT_FOR_MX);
    let report = write(&us, "report.json", &us_report());
    ok(us.run(&["import", "--create", &report, "-c", "reports"]));

    // us sends its report: what the agreement lets go, and the count of what stays, by reason.
    let sent = us.run(&["send", "--partner", "mx", "--collection", "reports", "--format", "json"]);
    assert!(sent.status.success(), "{}", text(&sent));
    let sent: Value = serde_json::from_slice(&sent.stdout).unwrap();
    assert_eq!((sent["sent"].as_u64(), sent["succeeded"].as_u64()), (Some(2), Some(2)), "{sent}");
    let withheld = sent["withheld"].as_object().unwrap();
    assert_eq!(withheld.values().map(|n| n.as_u64().unwrap()).sum::<u64>(), 2, "{sent}");
    let got = objects(&mx, "from-us");
    let ids: Vec<&str> = got.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let r = got.iter().find(|o| o["type"] == "report").unwrap();
    assert_eq!(r["object_refs"], json!(["indicator--5e0d0000-0000-4000-8000-000000000003"]), "refs to what stays go");

    // --ids: only the objects named, each still within the agreement.
    let ids = "indicator--5e0d0000-0000-4000-8000-000000000004,report--5e0d0000-0000-4000-8000-000000000002";
    let some = us.run(&["send", "--partner", "mx", "--collection", "reports", "--ids", ids, "--format", "json"]);
    let some: Value = serde_json::from_slice(&some.stdout).unwrap();
    assert_eq!(some["sent"], 1, "{some}");
    assert_eq!(some["withheld"], json!({"TLP above the agreed level": 1}), "{some}");

    // us hunts with mx's indicators in its own observations; the sighting goes back to mx.
    ok(us.run(&["collections", "create", "obs"]));
    ok(us.run(&["detect", "setup", "--indicators", "inbound.*", "--observations", "obs", "--sighted-by", "US agency"]));
    ok(us.run(&["sync", "--partner", "mx"]));
    let obs = write(&us, "obs.json", &observation());
    ok(us.run(&["import", "--create", &obs, "-c", "obs"]));
    // The next sync reports what detection sighted since.
    let synced = ok(us.run(&["sync", "--partner", "mx"]));
    assert!(synced.contains("mx: reported 1 sightings"), "{synced}");
    let got = objects(&mx, "from-us");
    let sighting = got.iter().find(|o| o["type"] == "sighting").expect("the sighting reached mx");
    assert_eq!(sighting["sighting_of_ref"], MX_INDICATOR, "linked to mx's own indicator");
    let by = sighting["created_by_ref"].as_str().unwrap();
    assert!(got.iter().any(|o| o["id"] == by && o["name"] == "US agency"), "the sighter's identity came with it");
    assert!(sighting.get("observed_data_refs").is_none(), "us's observations never leave it");
    assert!(!serde_json::to_string(&got).unwrap().contains("observed-data--"));

    // `pacto show` tells where the partner's indicator came from.
    let shown = ok(us.run(&["show", MX_INDICATOR]));
    assert!(shown.contains(&format!("{MX_INDICATOR} in inbound.mx")) && shown.contains("from partner mx"), "{shown}");

    // Resumable and never twice: a second sync reports nothing.
    let before = us.run(&["ledger", "show", "--kind", "sent"]).stdout.len();
    let again = ok(us.run(&["sync", "--partner", "mx"]));
    assert!(!again.contains("reported"), "{again}");
    assert_eq!(us.run(&["ledger", "show", "--kind", "sent"]).stdout.len(), before);

    // Both ledgers: us's records what it sent mx (the report, the indicator, the sighting and
    // the identity); mx's records the indicator it disclosed to us.
    let us_ledger = ok(us.run(&["ledger", "show", "--kind", "sent", "--partner", "mx"]));
    for id in ["report--5e0d0000-0000-4000-8000-000000000002", "indicator--5e0d0000-0000-4000-8000-000000000003", by] {
        assert!(us_ledger.contains(id), "{id} not in us's ledger:\n{us_ledger}");
    }
    assert!(us_ledger.contains(sighting["id"].as_str().unwrap()));
    assert!(
        !us_ledger.contains("indicator--5e0d0000-0000-4000-8000-000000000004"),
        "what stayed is not recorded as sent"
    );
    ok(us.run(&["ledger", "verify"]));
    let mx_ledger = ok(mx.run(&["ledger", "show", "--partner", "us", "--object", MX_INDICATOR]));
    assert!(mx_ledger.contains("disclosure"), "{mx_ledger}");
    ok(mx.run(&["ledger", "verify"]));
}

/// Attack: a file holding a TLP:RED object and an object of a type the agreement withholds is
/// sent without them (nor any reference to them), and the output counts each reason.
#[test]
fn a_send_never_discloses_beyond_the_agreement() {
    let (mx, us) = two_nodes(US_AGREEMENT_FOR_MX);
    let file = write(&us, "report.json", &us_report());
    let out = us.run(&["send", "--partner", "mx", &file]);
    let said = ok(out);
    assert!(said.contains("sent 2 objects to mx"), "{said}");
    assert!(said.contains("withheld 1: ") && said.lines().filter(|l| l.contains("withheld 1")).count() == 2, "{said}");
    let at_mx = serde_json::to_string(&objects(&mx, "from-us")).unwrap();
    assert!(!at_mx.contains("000000000004") && !at_mx.contains("000000000005"), "{at_mx}");
    assert!(!at_mx.contains(RED));
    // A collection the agreement does not share sends nothing at all.
    ok(us.run(&["import", "--create", &file, "-c", "private"]));
    let refused = us.run(&["send", "--partner", "mx", "--collection", "private"]);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("does not share collection \"private\""), "{}", text(&refused));
    // Without an agreement for the partner, nothing goes.
    std::fs::remove_dir_all(us.dir.path().join("agreements")).unwrap();
    let none = us.run(&["send", "--partner", "mx", &file]);
    assert!(!none.status.success() && text(&none).contains("no agreement for \"mx\""), "{}", text(&none));
    assert_eq!(objects(&mx, "from-us").len(), 2);
}

/// Attack: mx gives us an indicator under the id of us's own indicator. us's detection sights
/// that id in its own data; the sighting is not reported to mx (it may be of us's indicator),
/// while the sighting of mx's genuine indicator is.
#[test]
fn a_partner_cannot_get_sightings_of_indicators_that_are_not_its_own() {
    let mut mx = Node::new();
    let us = Node::new();
    let ours = "indicator--5e0d0000-0000-4000-8000-0000000000aa";
    let pattern = "[ipv4-addr:value = '203.0.113.5']";
    // mx's share: its genuine indicator and a copy of us's indicator's id.
    let mx_bundle = json!({"type": "bundle", "id": "bundle--5e0d0000-0000-4000-8000-0000000000a0", "objects": [
        indicator(MX_INDICATOR, AMBER, "[domain-name:value = 'pagos-rapidos.example']"),
        indicator(ours, AMBER, pattern)]});
    ok(mx.run(&["import", "--create", &write(&mx, "mx.json", &mx_bundle), "-c", "firearms"]));
    ok(mx.run(&["collections", "create", "from-us"]));
    let pw = mx.add_partner(
        "us",
        "partner = \"us\"\ndropbox = \"from-us\"\n[[share]]\ncollection = \"firearms\"\nmax_tlp = \"amber\"\n",
    );
    us.add_partner("mx", US_AGREEMENT_FOR_MX);
    mx.serve();
    us.connect("mx", &mx, "us", &pw);
    // us's own indicator, and observations that both indicators match.
    let own = json!({"type": "bundle", "id": "bundle--5e0d0000-0000-4000-8000-0000000000a1", "objects": [indicator(ours, AMBER, pattern)]});
    ok(us.run(&["import", "--create", &write(&us, "own.json", &own), "-c", "local-indicators"]));
    ok(us.run(&["collections", "create", "obs"]));
    ok(us.run(&["detect", "setup", "--indicators", "inbound.*,local-indicators", "--observations", "obs"]));
    let mut obs = observation();
    obs["objects"].as_array_mut().unwrap().extend([
        json!({"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--5e0d0000-0000-4000-8000-0000000000c1", "value": "203.0.113.5"}),
        json!({"type": "observed-data", "spec_version": "2.1", "id": "observed-data--5e0d0000-0000-4000-8000-0000000000c2",
               "created": "2024-06-02T00:00:00.000Z", "modified": "2024-06-02T00:00:00.000Z", "first_observed": "2024-06-02T00:00:00Z",
               "last_observed": "2024-06-02T00:00:00Z", "number_observed": 1, "object_refs": ["ipv4-addr--5e0d0000-0000-4000-8000-0000000000c1"]}),
    ]);
    ok(us.run(&["sync", "--partner", "mx"]));
    ok(us.run(&["import", "--create", &write(&us, "obs.json", &obs), "-c", "obs"]));
    ok(us.run(&["sync", "--partner", "mx"]));
    let sighted: Vec<String> =
        objects(&us, "sightings").iter().filter_map(|s| s["sighting_of_ref"].as_str().map(str::to_string)).collect();
    assert!(sighted.contains(&ours.to_string()) && sighted.contains(&MX_INDICATOR.to_string()), "{sighted:?}");
    let reported: Vec<String> =
        objects(&mx, "from-us").iter().filter_map(|s| s["sighting_of_ref"].as_str().map(str::to_string)).collect();
    assert_eq!(reported, [MX_INDICATOR], "only the sighting of mx's own indicator goes back");
}

/// Without `report_sightings = true`, no sighting goes back.
#[test]
fn sightings_go_back_only_where_the_agreement_says() {
    let (mx, us) = two_nodes(&US_AGREEMENT_FOR_MX.replace("report_sightings = true\n", ""));
    ok(us.run(&["collections", "create", "obs"]));
    ok(us.run(&["detect", "setup", "--indicators", "inbound.*", "--observations", "obs"]));
    ok(us.run(&["sync", "--partner", "mx"]));
    ok(us.run(&["import", "--create", &write(&us, "obs.json", &observation()), "-c", "obs"]));
    ok(us.run(&["sync", "--partner", "mx"]));
    assert!(objects(&us, "sightings").iter().any(|s| s["sighting_of_ref"] == MX_INDICATOR));
    assert!(objects(&mx, "from-us").is_empty());
}

/// In `pacto serve`, the process that leads sync reports sightings back after each sync run.
#[test]
fn the_servers_sync_leader_reports_sightings_back() {
    let (mx, mut us) = two_nodes(US_AGREEMENT_FOR_MX);
    ok(us.run(&["collections", "create", "obs"]));
    ok(us.run(&["detect", "setup", "--indicators", "inbound.*", "--observations", "obs"]));
    ok(us.run(&["sync", "--partner", "mx"]));
    ok(us.run(&["import", &write(&us, "obs.json", &observation()), "-c", "obs"]));
    us.serve_with(&["--sync-interval", "1"]);
    let started = std::time::Instant::now();
    let reported = loop {
        let got = objects(&mx, "from-us");
        if let Some(s) = got.iter().find(|o| o["type"] == "sighting") {
            break s.clone();
        }
        assert!(started.elapsed().as_secs() < 60, "no sighting reported by us's server within a minute");
        std::thread::sleep(std::time::Duration::from_millis(250));
    };
    assert_eq!(reported["sighting_of_ref"], MX_INDICATOR);
}

/// What goes wrong is said plainly: invalid objects of a file are not sent (exit 1, each named),
/// and a partner that gives this node no drop box is named as the reason nothing went.
#[test]
fn send_errors_are_clear() {
    let (mx, us) = two_nodes(US_AGREEMENT_FOR_MX);
    let mut bundle = us_report();
    bundle["objects"].as_array_mut().unwrap().push(json!({"type": "indicator", "spec_version": "2.1",
        "id": "indicator--5e0d0000-0000-4000-8000-0000000000ee", "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z", "object_marking_refs": [AMBER]}));
    let file = write(&us, "with-invalid.json", &bundle);
    let o = us.run(&["send", "--partner", "mx", &file]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("not sent: object 4") && text(&o).contains("not sent 1: invalid STIX"), "{}", text(&o));
    assert!(!serde_json::to_string(&objects(&mx, "from-us")).unwrap().contains("0000000000ee"));
    // mx takes the drop box away (its server rereads its agreements within seconds).
    let dir = mx.dir.path().join("agreements");
    for f in std::fs::read_dir(&dir).unwrap() {
        let p = f.unwrap().path();
        let t = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, t.replace("dropbox = \"from-us\"\n", "")).unwrap();
    }
    let started = std::time::Instant::now();
    loop {
        let o = us.run(&["send", "--partner", "mx", &file]);
        if !o.status.success() && text(&o).contains("mx lets this node write to no collection") {
            break;
        }
        assert!(started.elapsed().as_secs() < 30, "the send did not fail as it should: {}", text(&o));
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}
