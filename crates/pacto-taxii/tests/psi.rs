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
