//! `inbound.PARTNER` holds what a partner sent; only sync writes to it. The TAXII API refuses
//! POST and DELETE there, even to an admin account that may write everywhere (`*`).

mod common;

use common::*;
use pacto_stix::{SpecVersion, StixObject};
use pacto_store::Incoming;
use pacto_taxii::ServerConfig;

const OBJ: &str = "/api/collections/inbound.mx/objects/";

fn inbound_node() -> Node {
    node_with(ServerConfig::default(), Vec::new(), |s| {
        let c = s.create_collection("inbound.mx", "Received from mx", None).unwrap();
        let obj = StixObject::from_value(indicator(1, "2020-01-01T00:00:00.000Z")).unwrap();
        s.add_batch(&c, &[Incoming::new(&obj, SpecVersion::V21)]).unwrap();
    })
}

fn ids(n: &Node) -> Vec<String> {
    let r = send(n, Req::get(OBJ, "admin"));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["objects"].as_array().unwrap().iter().map(|o| format!("{}@{}", o["id"], o["modified"])).collect()
}

#[test]
fn an_admin_may_not_post_to_an_inbound_collection() {
    let n = inbound_node();
    let before = ids(&n);
    let body = envelope(&[indicator(2, "2020-01-01T00:00:00.000Z"), indicator(1, "2021-01-01T00:00:00.000Z")]);
    let r = send(&n, Req::post(OBJ, "admin", &body));
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("inbound.mx holds what partner mx sent; only sync writes to it"), "{}", r.text());
    assert_eq!(ids(&n), before);
}

#[test]
fn an_admin_may_not_delete_from_an_inbound_collection() {
    let n = inbound_node();
    let before = ids(&n);
    let path = format!("{OBJ}indicator--00000001-17d4-4cbf-938f-98ee46b3cd3f/");
    let r = send(&n, Req { method: "DELETE", ..Req::get(&path, "admin") });
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("only sync writes to it"), "{}", r.text());
    assert_eq!(ids(&n), before);
}

#[test]
fn a_caller_who_cannot_see_an_inbound_collection_still_gets_404() {
    let n = inbound_node();
    let body = envelope(&[indicator(2, "2020-01-01T00:00:00.000Z")]);
    let r = send(&n, Req::post(OBJ, "writer", &body));
    assert_eq!(r.status, 404, "{}", r.text());
}
