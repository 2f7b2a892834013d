//! Private matching between nodes: the agreement's limits, and the firearms-tracing walkthrough
//! (labelled sets).

use serde_json::Value;

use crate::common::*;

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
