//! API tokens, attacked: a token reads and writes exactly what it was given; a revoked, an
//! expired, an unknown and a malformed token all get the one same 401; a token named like a
//! partner is not that partner.

mod common;

use common::*;
use pacto_taxii::ServerConfig;
use serde_json::json;

fn with(authorization: &str, r: Req<'static>) -> Req<'static> {
    Req { authorization: Some(Box::leak(authorization.to_string().into_boxed_str())), ..r }
}

const INTEL: &str = "/api/collections/intel/objects/";
const SECRET: &str = "/api/collections/secret/objects/";

#[test]
fn attack_a_token_reads_what_it_was_given_and_nothing_else() {
    let (reader, t) = token("feed", &["intel"], &[]);
    let node = node_with(ServerConfig::default(), vec![], move |s| {
        s.add_token(&t).unwrap();
        let c = s.collection("secret").unwrap().unwrap();
        let o = pacto_stix::StixObject::from_value(indicator(1, "2020-01-01T00:00:00.000Z")).unwrap();
        s.add_batch(&c, &[pacto_store::Incoming::new(&o, pacto_stix::SpecVersion::V21)]).unwrap();
    });
    // Both schemes tools use.
    for scheme in ["Bearer", "Token", "bearer"] {
        let r = send(&node, with(&format!("{scheme} {reader}"), Req::get(INTEL, "")));
        assert_eq!(r.status, 200, "{scheme}: {}", r.text());
    }
    // Another collection: exactly what a collection that does not exist answers.
    let other = send(&node, with(&format!("Bearer {reader}"), Req::get(SECRET, "")));
    let none = send(&node, with(&format!("Bearer {reader}"), Req::get("/api/collections/nothing/objects/", "")));
    assert_eq!((other.status, other.body.clone()), (404, none.body));
    // Listing collections shows only its own.
    let list = send(&node, with(&format!("Bearer {reader}"), Req::get("/api/collections/", ""))).json();
    let names: Vec<&str> =
        list["collections"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap()).collect();
    assert_eq!(names, ["intel collection"]);
    // No writing, even where it reads.
    let body = envelope(&[indicator(2, "2020-01-01T00:00:00.000Z")]);
    let body: &'static [u8] = Box::leak(body.into_boxed_slice());
    let w = send(&node, with(&format!("Bearer {reader}"), Req::post(INTEL, "", body)));
    assert_eq!(w.status, 403, "{}", w.text());
    // Not an administrator either.
    let m = send(&node, with(&format!("Bearer {reader}"), Req { accept: None, ..Req::get("/metrics", "") }));
    assert_eq!(m.status, 403);
    // Its use is recorded.
    let used = node.store().tokens().unwrap();
    assert!(used[0].last_used_us.is_some(), "{used:?}");
}

#[test]
fn attack_revoked_expired_unknown_and_malformed_tokens_get_one_answer() {
    let (good, t) = token("good", &["intel"], &[]);
    let (revoked, mut r) = token("revoked", &["intel"], &[]);
    r.revoked_us = Some(1);
    let (expired, mut e) = token("expired", &["intel"], &[]);
    e.expires_us = Some(pacto_stix::Timestamp::now().as_micros() - 1);
    let node = node_with(ServerConfig::default(), vec![], move |s| {
        for t in [&t, &r, &e] {
            s.add_token(t).unwrap();
        }
    });
    assert_eq!(send(&node, with(&format!("Bearer {good}"), Req::get(INTEL, ""))).status, 200);
    let unknown = pacto_node::tokens::generate().0;
    let mut answers = Vec::new();
    for presented in [
        format!("Bearer {revoked}"),
        format!("Token {expired}"),
        format!("Bearer {unknown}"),
        format!("Bearer {}", &good[..good.len() - 1]),
        format!("Bearer {good}x"),
        "Bearer ".to_string(),
        "Token".to_string(),
    ] {
        let r = send(&node, with(&presented, Req::get(INTEL, "")));
        assert_eq!(r.status, 401, "{presented}");
        answers.push(r.text());
    }
    answers.dedup();
    assert_eq!(answers.len(), 1, "one answer for every refused token: {answers:?}");
    // The same answer as a wrong password.
    let wrong = send(&node, Req { password: "nope", ..Req::get(INTEL, "reader") });
    assert_eq!(wrong.text(), answers[0]);
}

#[test]
fn attack_a_token_named_like_a_partner_is_not_the_partner() {
    // The partner `partner` may read intel under its agreement; a token named `partner` with
    // no rights of its own must not inherit them.
    let agreement = pacto_federation::agreement::Agreement::parse(
        "partner = \"partner\"\n[[share]]\ncollection = \"intel\"\nmax_tlp = \"red\"\n",
    )
    .unwrap();
    let (secret, t) = token("partner", &[], &["dropbox"]);
    let node = node_with(ServerConfig::default(), vec![agreement], move |s| s.add_token(&t).unwrap());
    assert_eq!(send(&node, Req::get(INTEL, "partner")).status, 200, "the partner itself reads");
    let r = send(&node, with(&format!("Bearer {secret}"), Req::get(INTEL, "")));
    assert_eq!(r.status, 404, "{}", r.text());
    // And what it writes is its own, not the partner's (no ledger, no drop-box ownership).
    let body: &'static [u8] =
        Box::leak(envelope(&[json!(indicator(3, "2020-01-01T00:00:00.000Z"))]).into_boxed_slice());
    let w = send(&node, with(&format!("Bearer {secret}"), Req::post("/api/collections/dropbox/objects/", "", body)));
    assert_eq!(w.status, 202, "{}", w.text());
}
