//! Private matching over the API: what a partner's queries may and may not do to the holder.

mod common;

use common::*;
use pacto_federation::agreement::Agreement;
use pacto_psi::{HolderSet, Mode, Normalizer, Querier, wire};
use pacto_store::PsiSet;
use pacto_taxii::ServerConfig;

const PATH: &str = "/api/psi/serials/";

fn registry() -> Vec<Vec<u8>> {
    (0..200).map(|i| format!("RG{i:05}").into_bytes()).collect()
}

fn agreement(grant: &str) -> Agreement {
    Agreement::parse(&format!("partner = \"partner\"\n[[psi]]\nset = \"serials\"\n{grant}\n")).unwrap()
}

fn stored(h: &HolderSet, secret_in_db: bool) -> PsiSet {
    PsiSet {
        name: "serials".into(),
        normalizer: "serial".into(),
        secret: secret_in_db.then(|| h.secret_bytes()),
        tags: h.tags.iter().flatten().copied().collect(),
        points: h.points.iter().flatten().copied().collect(),
        items: h.tags.len() as u64,
        created_us: 7,
        labels: None,
    }
}

/// A node holding the set `serials` (its secret in a key file) and a partner granted `grant`.
fn psi_node(grant: &str) -> Node {
    node_with_keys(ServerConfig::default(), vec![agreement(grant)], |s, keys| {
        let h = HolderSet::encode(&registry(), Normalizer::Serial).unwrap();
        keys.write("serials", 7, &h.secret_bytes()).unwrap();
        s.put_psi_set(&stored(&h, false)).unwrap();
    })
}

fn count_over_http(node: &Node, items: &[Vec<u8>]) -> Result<u64, String> {
    let w = send(node, Req { accept: None, ..Req::get(PATH, "partner") });
    if w.status != 200 {
        return Err(format!("{}: {}", w.status, w.text()));
    }
    let set = wire::decode_blinded_set(&w.body).unwrap();
    let q = pacto_psi::count_query(items, Normalizer::Serial, &set).unwrap();
    let r = post(node, &wire::encode_count_query(&q), "application/octet-stream");
    if r.status != 200 {
        return Err(format!("{}: {}", r.status, r.text()));
    }
    Ok(wire::decode_count_answer(&r.body).unwrap().count)
}

fn ledgered(node: &Node, kind: &str) -> u64 {
    let s = node.store();
    s.ledger_count_since("partner", kind, "serials", "").unwrap()
}

fn post(node: &Node, body: &[u8], ct: &str) -> Resp {
    send(node, Req { content_type: Some(ct), accept: None, ..Req::post(PATH, "partner", body) })
}

fn query_bytes(points: Vec<[u8; 32]>, mode: Mode) -> Vec<u8> {
    wire::encode_query(&pacto_psi::Query { normalizer: Normalizer::Serial, mode, points })
}

fn good_query(n: usize) -> Vec<u8> {
    let items: Vec<Vec<u8>> = (0..n).map(|i| format!("RG{i:05}").into_bytes()).collect();
    wire::encode_query(&Querier::start(&items, Normalizer::Serial, Mode::Intersection).unwrap().1)
}

/// Finding 16: a refused query (invalid points) does not use the day's allowance.
#[test]
fn attack_refused_queries_do_not_use_the_allowance() {
    let node = psi_node("max_query = 100\nper_day = 2");
    for _ in 0..3 {
        let r = post(&node, &query_bytes(vec![[0xff; 32]; 3], Mode::Intersection), "application/octet-stream");
        assert_eq!(r.status, 400, "{}", r.text());
    }
    let r = post(&node, &good_query(3), "application/octet-stream");
    assert_eq!(r.status, 200, "an admitted query after refusals: {}", r.text());
}

/// Finding 16: the identity point and a query of no items are refused.
#[test]
fn attack_identity_and_empty_queries_are_refused() {
    let node = psi_node("max_query = 100\nper_day = 100");
    let r = post(&node, &query_bytes(vec![[0; 32]], Mode::Intersection), "application/octet-stream");
    assert_eq!(r.status, 400, "the identity point: {}", r.text());
    let r = post(&node, &query_bytes(vec![], Mode::Intersection), "application/octet-stream");
    assert_eq!(r.status, 400, "no items: {}", r.text());
}

/// Finding 16: the request's media type is checked.
#[test]
fn attack_wrong_media_type_is_refused() {
    let node = psi_node("max_query = 100\nper_day = 100");
    let r = post(&node, &good_query(3), TAXII);
    assert_eq!(r.status, 415, "{}", r.text());
}

/// Finding 15: the grant's smallest query is enforced.
#[test]
fn attack_queries_below_min_query_are_refused() {
    let node = psi_node("max_query = 100\nmin_query = 10\nper_day = 100");
    let r = post(&node, &good_query(1), "application/octet-stream");
    assert_eq!(r.status, 403, "{}", r.text());
}

/// Finding 14 over the API: the size-only exchange answers a number (the plain intersection's
/// size); the old size-only message shape is refused; an intersection query still works.
#[test]
fn size_only_answers_only_a_count() {
    let node = psi_node("max_query = 100\nper_day = 100\nmode = \"cardinality\"");
    let mine: Vec<Vec<u8>> = (0..40).map(|i| format!("rg-{:05}", i * 10).into_bytes()).collect();
    assert_eq!(count_over_http(&node, &mine).unwrap(), 20, "RG00000..RG00190 are in the registry");
    let (_, old) = Querier::start(&mine, Normalizer::Serial, Mode::Intersection).unwrap();
    let old = pacto_psi::Query { mode: Mode::Cardinality, ..old };
    let r = post(&node, &wire::encode_query(&old), "application/octet-stream");
    assert_eq!(r.status, 400, "{}", r.text());
    let r = post(&node, &good_query(3), "application/octet-stream");
    assert_eq!(r.status, 403, "intersection is not granted: {}", r.text());
    assert_eq!(ledgered(&node, "psi-query"), 1);
    assert_eq!(ledgered(&node, "psi-blinded-set"), 1);
    // A count query built on another version of the set is refused, and not counted.
    let w = send(&node, Req { accept: None, ..Req::get(PATH, "partner") });
    let set = wire::decode_blinded_set(&w.body).unwrap();
    let mut q = pacto_psi::count_query(&mine, Normalizer::Serial, &set).unwrap();
    q.set_digest[0] ^= 1;
    let r = post(&node, &wire::encode_count_query(&q), "application/octet-stream");
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(ledgered(&node, "psi-query"), 1);
}

/// Finding 15: noisy counts stay in range and vary; exact counts without noise.
#[test]
fn noisy_counts_stay_in_range() {
    let node = psi_node("max_query = 100\nper_day = 100\nnoise = \"laplace:0.5\"");
    // 5 of these 10 are in the registry: the true count sits inside the range, so noise of
    // either sign shows (clamping to 0..=10 hides neither). Twenty counts all equal would take
    // a probability below 10⁻¹⁰ with ε = 0.5.
    let mine: Vec<Vec<u8>> =
        (0..10).map(|i| if i < 5 { format!("RG{i:05}") } else { format!("ZZ{i:05}") }.into_bytes()).collect();
    let counts: Vec<u64> = (0..20).map(|_| count_over_http(&node, &mine).unwrap()).collect();
    assert!(counts.iter().all(|c| *c <= 10), "{counts:?}");
    assert!(counts.iter().any(|c| *c != counts[0]), "no noise: {counts:?}");
    let bad = [
        "max_query = 10\nmin_query = 11\nper_day = 1",
        "max_query = 10\nmin_query = 0\nper_day = 1",
        "max_query = 10\nper_day = 1\nnoise = \"laplace:-1\"",
        "max_query = 10\nper_day = 1\nnoise = \"gauss:1\"",
    ];
    for g in bad {
        assert!(Agreement::parse(&format!("partner = \"p\"\n[[psi]]\nset = \"s\"\n{g}\n")).is_err(), "{g}");
    }
}

/// Finding 17: a secret an earlier version left in the database is moved to its key file on
/// first use, and the column blanked.
#[test]
fn a_secret_in_the_database_moves_to_its_key_file() {
    let node = node_with_keys(ServerConfig::default(), vec![agreement("max_query = 100\nper_day = 100")], |s, _| {
        let h = HolderSet::encode(&registry(), Normalizer::Serial).unwrap();
        s.put_psi_set(&stored(&h, true)).unwrap();
    });
    let before = node.store().psi_set("serials").unwrap().unwrap();
    assert!(before.secret.is_some());
    let mine: Vec<Vec<u8>> = (0..4).map(|i| format!("RG{i:05}").into_bytes()).collect();
    assert_eq!(count_over_http(&node, &mine).unwrap(), 4);
    let after = node.store().psi_set("serials").unwrap().unwrap();
    assert_eq!(after.secret, None, "the column is blanked");
    let key = node.dir.join("psi-keys/serials.key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    // Answers go on from the key file.
    let r = post(&node, &good_query(5), "application/octet-stream");
    assert_eq!(r.status, 200, "{}", r.text());
}

/// A dealer sales registry of 50 firearms, each sale with a buyer the agreement withholds.
fn sales() -> Vec<(Vec<u8>, Vec<u8>)> {
    (0..50)
        .map(|i| {
            let item = format!("Colt\tLW{i:05}").into_bytes();
            let payload = format!(
                r#"{{"dealer":"5-74-{i:05}","sale_date":"2025-05-{:02}","trace_ref":"T-{i:06}","buyer":"BUYER-NAME-{i:03}"}}"#,
                i % 28 + 1
            );
            (item, payload.into_bytes())
        })
        .collect()
}

/// A node holding the labelled set `serials` (imported as `pacto set import` does).
fn labelled_node(grant: &str) -> Node {
    node_with_keys(ServerConfig::default(), vec![agreement(grant)], |s, keys| {
        let fields = ["dealer", "sale_date", "trace_ref", "buyer"].map(String::from).to_vec();
        let items = pacto_node::psi::SetItems::Labelled { fields, items: sales() };
        pacto_node::psi::import_set(s, keys, "serials", Normalizer::Firearm, &items).unwrap();
    })
}

const LABELLED: &str =
    "max_query = 100\nper_day = 3\nmode = \"labelled\"\nfields = [\"dealer\", \"sale_date\", \"trace_ref\"]";

fn labelled_query(items: &[Vec<u8>], rule: Normalizer) -> (pacto_psi::LabelledQuerier, Vec<u8>) {
    let (querier, q) = pacto_psi::LabelledQuerier::start(items, rule).unwrap();
    (querier, wire::encode_labelled_query(&q))
}

/// The holder answers a labelled query with the payloads of the matching items only, reduced
/// to the agreement's fields (the buyer is in no byte of the answer), and records the query in
/// its ledger with the fields that left.
#[test]
fn labelled_queries_return_the_granted_fields_of_matching_items() {
    let node = labelled_node(LABELLED);
    let seized: Vec<Vec<u8>> = vec![
        b"COLT'S MFG CO\tlw-00007".to_vec(),
        b"Colt\tLW99999".to_vec(),
        b"Glock\tLW00008".to_vec(),
        b"colt\tLW 00042".to_vec(),
    ];
    let (querier, body) = labelled_query(&seized, Normalizer::Firearm);
    let r = post(&node, &body, "application/octet-stream");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!r.body.windows(10).any(|w| w == b"BUYER-NAME"), "a withheld field never leaves");
    let answer = wire::decode_labelled_answer(&r.body).unwrap();
    assert_eq!(answer.entries.len(), 50);
    assert_eq!(answer.fields, ["dealer", "sale_date", "trace_ref"]);
    let traces = querier.finish(&answer).unwrap();
    let opened: Vec<(usize, String)> = traces
        .into_iter()
        .map(|t| {
            let fields = pacto_psi::payload::expand(&answer.fields, &t.payload).unwrap();
            (t.index, serde_json::Value::Object(fields).to_string())
        })
        .collect();
    assert_eq!(
        opened,
        vec![
            (0, r#"{"dealer":"5-74-00007","sale_date":"2025-05-08","trace_ref":"T-000007"}"#.to_string()),
            (3, r#"{"dealer":"5-74-00042","sale_date":"2025-05-15","trace_ref":"T-000042"}"#.to_string()),
        ]
    );
    assert_eq!(ledgered(&node, "psi-query"), 1);
    let entry = node.db.query("SELECT entry FROM ledger WHERE json_extract(entry, '$.kind') = 'psi-query'");
    assert!(entry[0][0].contains("labelled (dealer, sale_date, trace_ref), 4 items"), "{entry:?}");
}

/// Labelled queries are held to the grant like every other: a grant of another mode refuses
/// them (403), a plain set cannot answer them (409), another rule is an error (400), and the
/// day's allowance ends them (429); none of the refused ones is counted or ledgered.
#[test]
fn labelled_queries_are_held_to_the_agreement() {
    let seized = vec![b"Colt\tLW00001".to_vec()];
    let intersection = labelled_node("max_query = 100\nper_day = 3");
    let r = post(&intersection, &labelled_query(&seized, Normalizer::Firearm).1, "application/octet-stream");
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("not labelled ones"), "{}", r.text());
    // The same labelled set still answers the intersection queries its grant allows.
    let items: Vec<Vec<u8>> = vec![b"COLT\tLW 00003".to_vec(), b"Colt\tX".to_vec()];
    let (querier, q) = Querier::start(&items, Normalizer::Firearm, Mode::Intersection).unwrap();
    let r = post(&intersection, &wire::encode_query(&q), "application/octet-stream");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(querier.finish(&wire::decode_answer(&r.body).unwrap()).unwrap(), pacto_psi::Outcome::Matches(vec![0]));
    assert_eq!(ledgered(&intersection, "psi-query"), 1);

    let plain = psi_node(LABELLED);
    let r = post(&plain, &labelled_query(&[b"RG00001".to_vec()], Normalizer::Serial).1, "application/octet-stream");
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.text().contains("carries no payloads"), "{}", r.text());
    assert_eq!(ledgered(&plain, "psi-query"), 0);

    let node = labelled_node(LABELLED);
    let r = post(&node, &labelled_query(&[b"LW00001".to_vec()], Normalizer::Serial).1, "application/octet-stream");
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("would not match"), "{}", r.text());
    for _ in 0..3 {
        let r = post(&node, &labelled_query(&seized, Normalizer::Firearm).1, "application/octet-stream");
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let r = post(&node, &labelled_query(&seized, Normalizer::Firearm).1, "application/octet-stream");
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(ledgered(&node, "psi-query"), 3);
}

/// A query of items the registry does not hold opens nothing, though the answer carries every
/// entry; and each answer is sealed under a fresh salt, so two answers share no ciphertext.
#[test]
fn labelled_answers_open_nothing_for_non_matching_items() {
    let node = labelled_node(LABELLED);
    let seized: Vec<Vec<u8>> = (0..20).map(|i| format!("Colt\tZZ{i:05}").into_bytes()).collect();
    let (querier, body) = labelled_query(&seized, Normalizer::Firearm);
    let first = post(&node, &body, "application/octet-stream");
    assert_eq!(first.status, 200, "{}", first.text());
    let a = wire::decode_labelled_answer(&first.body).unwrap();
    assert_eq!(a.entries.len(), 50);
    assert!(querier.finish(&a).unwrap().is_empty());
    let second = post(&node, &body, "application/octet-stream");
    let b = wire::decode_labelled_answer(&second.body).unwrap();
    assert_ne!(a.salt, b.salt);
    let sealed: std::collections::HashSet<&Vec<u8>> = a.entries.iter().map(|e| &e.sealed).collect();
    assert!(b.entries.iter().all(|e| !sealed.contains(&e.sealed)));
}
