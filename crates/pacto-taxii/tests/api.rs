//! The TAXII 2.1 API, black-box over loopback HTTP: every endpoint, filter, error path and
//! access rule, written from the TAXII 2.1 specification.

mod common;

use common::*;
use pacto_taxii::ServerConfig;
use serde_json::{Value, json};

const OBJ: &str = "/api/collections/intel/objects/";

fn post_objects(node: &Node, objs: &[Value]) -> Value {
    let body = envelope(objs);
    let r = send(node, Req::post(OBJ, "admin", &body));
    assert_eq!(r.status, 202, "{}", r.text());
    r.json()
}

fn ids(v: &Value) -> Vec<String> {
    v["objects"].as_array().map_or(vec![], |a| a.iter().map(|o| o["id"].as_str().unwrap().to_string()).collect())
}

#[test]
fn authentication_is_required_and_checked() {
    let node = node(ServerConfig::default());
    let anon = send(&node, Req { user: None, ..Req::get("/taxii2/", "") });
    assert_eq!(anon.status, 401);
    assert!(anon.header("www-authenticate").unwrap().starts_with("Basic"));
    assert_eq!(anon.json()["http_status"], "401");
    let wrong = send(&node, Req { password: "nope", ..Req::get("/taxii2/", "admin") });
    assert_eq!(wrong.status, 401);
    let nobody = send(&node, Req::get("/taxii2/", "nobody"));
    assert_eq!(nobody.status, 401);
    assert_eq!(send(&node, Req::get("/taxii2/", "admin")).status, 200);
    // health and the API description are open (metrics are not: see tests/limits.rs)
    let h = send(&node, Req { user: None, ..Req::get("/healthz", "") });
    assert_eq!((h.status, h.json()["status"].clone()), (200, json!("ok")));
    let o = send(&node, Req { user: None, accept: None, ..Req::get("/openapi.yaml", "") });
    assert!(o.text().contains("openapi: 3.0.3"));
}

#[test]
fn discovery_api_root_and_negotiation() {
    let node = node(ServerConfig::default());
    let d = send(&node, Req::get("/taxii2/", "reader"));
    assert_eq!(d.header("content-type"), Some(TAXII));
    let d = d.json();
    assert_eq!(d["api_roots"][0], format!("http://{}/api/", node.addr));
    assert_eq!(d["default"], d["api_roots"][0]);
    let root = send(&node, Req::get("/api/", "reader")).json();
    assert_eq!(root["versions"], json!([TAXII]));
    assert_eq!(root["max_content_length"], 10 * 1024 * 1024);
    assert_eq!(send(&node, Req::get("/nope/", "reader")).status, 404);
    assert_eq!(send(&node, Req::get("/api/nothing-here", "reader")).status, 404);
    let r = send(&node, Req { accept: Some("application/json"), ..Req::get("/taxii2/", "reader") });
    assert_eq!(r.status, 406);
    assert_eq!(r.json()["http_status"], "406");
    let r = send(&node, Req { accept: Some("application/taxii+json;version=2.0"), ..Req::get("/api/", "reader") });
    assert_eq!(r.status, 406);
    assert_eq!(send(&node, Req { accept: Some("*/*"), ..Req::get("/api/", "reader") }).status, 200);
}

#[test]
fn collections_show_only_what_a_user_may_see() {
    let node = node(ServerConfig::default());
    let list = send(&node, Req::get("/api/collections/", "reader")).json();
    let names: Vec<_> = list["collections"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["intel collection"]);
    assert_eq!(list["collections"][0]["can_read"], true);
    assert_eq!(list["collections"][0]["can_write"], false);
    let all = send(&node, Req::get("/api/collections/", "admin")).json();
    assert_eq!(all["collections"].as_array().unwrap().len(), 3);
    // A collection the user may not see answers exactly as one that does not exist.
    let hidden = send(&node, Req::get("/api/collections/secret/", "reader"));
    let missing = send(&node, Req::get("/api/collections/no-such/", "reader"));
    assert_eq!((hidden.status, hidden.text()), (missing.status, missing.text()));
    assert_eq!(hidden.status, 404);
    for sub in [
        "objects/",
        "manifest/",
        "objects/indicator--00000001-17d4-4cbf-938f-98ee46b3cd3f/",
        "objects/indicator--00000001-17d4-4cbf-938f-98ee46b3cd3f/versions/",
    ] {
        let h = send(&node, Req::get(&format!("/api/collections/secret/{sub}"), "reader"));
        let m = send(&node, Req::get(&format!("/api/collections/no-such/{sub}"), "reader"));
        assert_eq!((h.status, h.text()), (m.status, m.text()), "{sub}");
    }
    // by id as well as by name
    let id = all["collections"].as_array().unwrap().iter().find(|c| c["title"] == "intel collection").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let c = send(&node, Req::get(&format!("/api/collections/{id}/"), "reader")).json();
    assert_eq!(c["id"], id);
    assert_eq!(c["media_types"], json!(["application/stix+json;version=2.1"]));
}

#[test]
fn read_and_write_rights_are_enforced() {
    let node = node(ServerConfig::default());
    let body = envelope(&[indicator(1, "2020-01-01T00:00:00.000Z")]);
    // reader: may read intel, not write
    let r = send(&node, Req::post(OBJ, "reader", &body));
    assert_eq!(r.status, 403);
    // writer: may write intel, not read it
    assert_eq!(send(&node, Req::post(OBJ, "writer", &body)).status, 202);
    assert_eq!(send(&node, Req::get(OBJ, "writer")).status, 403);
    assert_eq!(send(&node, Req::get("/api/collections/intel/manifest/", "writer")).status, 403);
    // dropper sees only its drop box; it cannot read it back
    assert_eq!(send(&node, Req::post("/api/collections/dropbox/objects/", "dropper", &body)).status, 202);
    assert_eq!(send(&node, Req::get("/api/collections/dropbox/objects/", "dropper")).status, 403);
    assert_eq!(send(&node, Req::post(OBJ, "dropper", &body)).status, 404);
    // delete needs read and write
    let del = Req {
        method: "DELETE",
        ..Req::get("/api/collections/intel/objects/indicator--00000001-17d4-4cbf-938f-98ee46b3cd3f/", "writer")
    };
    assert_eq!(send(&node, del).status, 403);
    let r = send(&node, Req::get(OBJ, "reader")).json();
    assert_eq!(ids(&r), vec!["indicator--00000001-17d4-4cbf-938f-98ee46b3cd3f"]);
}

#[test]
fn post_checks_and_status() {
    let node = node(ServerConfig { max_content_length: 4096, ..ServerConfig::default() });
    let body = envelope(&[indicator(1, "2020-01-01T00:00:00.000Z")]);
    let r = send(&node, Req { content_type: Some("application/json"), ..Req::post(OBJ, "admin", &body) });
    assert_eq!(r.status, 415);
    let r = send(&node, Req { content_type: None, ..Req::post(OBJ, "admin", &body) });
    assert_eq!(r.status, 415);
    let big = envelope(&(0..40).map(|n| indicator(n, "2020-01-01T00:00:00.000Z")).collect::<Vec<_>>());
    let r = send(&node, Req::post(OBJ, "admin", &big));
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["http_status"], "413");
    let r = send(&node, Req::post(OBJ, "admin", b"{\"objects\": [ {\"type\": "));
    assert_eq!(r.status, 400);
    assert!(r.json()["description"].as_str().unwrap().contains("not a TAXII envelope"));
    // One good, one bad: each gets its own verdict.
    let mut bad = indicator(2, "2020-01-01T00:00:00.000Z");
    bad.as_object_mut().unwrap().remove("pattern");
    let status = post_objects(&node, &[indicator(1, "2020-01-01T00:00:00.000Z"), bad]);
    assert_eq!(status["status"], "complete");
    assert_eq!(
        (status["total_count"].clone(), status["success_count"].clone(), status["failure_count"].clone()),
        (json!(2), json!(1), json!(1))
    );
    assert_eq!(status["successes"][0]["version"], "2020-01-01T00:00:00.000Z");
    assert!(status["failures"][0]["message"].as_str().unwrap().contains("[required-property]"));
    let path = format!("/api/status/{}/", status["id"].as_str().unwrap());
    let polled = send(&node, Req::get(&path, "admin")).json();
    assert_eq!(polled, status);
    assert_eq!(send(&node, Req::get(&path, "reader")).status, 404, "a status is its poster's alone");
    assert_eq!(send(&node, Req::get("/api/status/00000000-0000-4000-8000-000000000000/", "admin")).status, 404);
    // Posting the same object again changes nothing; a changed object under the same version is refused.
    let again = post_objects(&node, &[indicator(1, "2020-01-01T00:00:00.000Z")]);
    assert_eq!(again["success_count"], 1);
    let mut changed = indicator(1, "2020-01-01T00:00:00.000Z");
    changed["name"] = json!("rewritten");
    let refused = post_objects(&node, &[changed]);
    assert_eq!(refused["failure_count"], 1);
    let got = send(&node, Req::get(OBJ, "admin")).json();
    assert_eq!(got["objects"].as_array().unwrap().len(), 1);
    assert_eq!(got["objects"][0]["name"], "indicator 1");
}

#[test]
fn filters_versions_and_manifest() {
    let node = node(ServerConfig::default());
    let a = "indicator--00000001-17d4-4cbf-938f-98ee46b3cd3f";
    let b = "indicator--00000002-17d4-4cbf-938f-98ee46b3cd3f";
    post_objects(&node, &[indicator(1, "2020-01-01T00:00:00.000Z"), indicator(2, "2020-01-01T00:00:00.000Z")]);
    post_objects(&node, &[indicator(1, "2020-02-01T00:00:00.000Z"), indicator(1, "2020-03-01T00:00:00.000Z")]);
    let malware = json!({"type": "malware", "spec_version": "2.1", "id": "malware--00000003-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z", "name": "m", "is_family": true});
    post_objects(&node, &[malware]);
    let get = |q: &str| send(&node, Req::get(&format!("{OBJ}?{q}"), "reader")).json();
    let modified = |v: &Value| {
        v["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| format!("{}@{}", &o["id"].as_str().unwrap()[..19], o["modified"].as_str().unwrap()))
            .collect::<Vec<_>>()
    };
    // default: latest version of each object
    assert_eq!(ids(&get("")), vec![b, a, "malware--00000003-17d4-4cbf-938f-98ee46b3cd3f"]);
    assert_eq!(get(&format!("match%5Bid%5D={a}"))["objects"][0]["modified"], "2020-03-01T00:00:00.000Z");
    assert_eq!(ids(&get("match[type]=malware")), vec!["malware--00000003-17d4-4cbf-938f-98ee46b3cd3f"]);
    assert_eq!(ids(&get("match[type]=indicator,malware")).len(), 3);
    assert_eq!(ids(&get(&format!("match[id]={a},{b}"))).len(), 2);
    assert_eq!(modified(&get(&format!("match[id]={a}&match[version]=all"))).len(), 3);
    assert_eq!(
        modified(&get(&format!("match[id]={a}&match[version]=first"))),
        vec!["indicator--00000001@2020-01-01T00:00:00.000Z"]
    );
    assert_eq!(modified(&get(&format!("match[id]={a}&match[version]=first,last"))).len(), 2);
    assert_eq!(
        modified(&get(&format!("match[id]={a}&match[version]=2020-02-01T00:00:00Z"))),
        vec!["indicator--00000001@2020-02-01T00:00:00.000Z"]
    );
    assert_eq!(ids(&get("match[spec_version]=2.1")).len(), 3);
    // an empty page still has its (empty) objects list: docs/interop.md, Elastic's ti_custom
    assert_eq!(get("match[spec_version]=2.0")["objects"], json!([]));
    assert_eq!(get("match[type]=campaign")["objects"], json!([]));
    // bad parameters are 400 with a reason
    for q in [
        "limit=0",
        "limit=abc",
        "added_after=yesterday",
        "match[version]=newest",
        "next=xyz",
        "match[spec_version]=3.0",
    ] {
        let r = send(&node, Req::get(&format!("{OBJ}?{q}"), "reader"));
        assert_eq!(r.status, 400, "{q}");
        assert_eq!(r.json()["http_status"], "400");
    }
    // added_after with the date-added headers
    let first = send(&node, Req::get(&format!("{OBJ}?match[version]=all&limit=2"), "reader"));
    let last_of_page = first.header("x-taxii-date-added-last").unwrap().to_string();
    assert!(first.header("x-taxii-date-added-first").unwrap() <= last_of_page.as_str());
    let after = get(&format!("match[version]=all&added_after={last_of_page}"));
    assert_eq!(after["objects"].as_array().unwrap().len(), 3);
    // one object; its versions
    let one = send(&node, Req::get(&format!("{OBJ}{a}/"), "reader")).json();
    assert_eq!(one["objects"].as_array().unwrap().len(), 1);
    assert_eq!(one["objects"][0]["modified"], "2020-03-01T00:00:00.000Z");
    let all = send(&node, Req::get(&format!("{OBJ}{a}/?match[version]=all"), "reader")).json();
    assert_eq!(all["objects"].as_array().unwrap().len(), 3);
    let v = send(&node, Req::get(&format!("{OBJ}{a}/versions/"), "reader")).json();
    assert_eq!(
        v["versions"],
        json!(["2020-01-01T00:00:00.000Z", "2020-02-01T00:00:00.000Z", "2020-03-01T00:00:00.000Z"])
    );
    assert_eq!(v["more"], false);
    let v = send(&node, Req::get(&format!("{OBJ}{a}/versions/?limit=2"), "reader")).json();
    assert_eq!((v["versions"].as_array().unwrap().len(), v["more"].clone()), (2, json!(true)));
    assert_eq!(
        send(&node, Req::get(&format!("{OBJ}indicator--0000000f-17d4-4cbf-938f-98ee46b3cd3f/"), "reader")).status,
        404
    );
    assert_eq!(
        send(&node, Req::get(&format!("{OBJ}indicator--0000000f-17d4-4cbf-938f-98ee46b3cd3f/versions/"), "reader"))
            .status,
        404
    );
    // manifest
    let m = send(&node, Req::get("/api/collections/intel/manifest/?match[version]=all", "reader")).json();
    let recs = m["objects"].as_array().unwrap();
    assert_eq!(recs.len(), 5);
    assert!(
        recs.iter().all(|r| r["media_type"] == "application/stix+json;version=2.1"
            && r["date_added"].as_str().unwrap().ends_with('Z'))
    );
    assert_eq!(recs[0]["version"], "2020-01-01T00:00:00.000Z");
    // delete one version, then the rest
    let del = |q: &str| send(&node, Req { method: "DELETE", ..Req::get(&format!("{OBJ}{a}/{q}"), "admin") });
    assert_eq!(del("?match[version]=2020-03-01T00:00:00.000Z").status, 200);
    let one = send(&node, Req::get(&format!("{OBJ}{a}/"), "reader")).json();
    assert_eq!(one["objects"][0]["modified"], "2020-02-01T00:00:00.000Z", "the latest remaining version is now last");
    assert_eq!(del("").status, 200);
    assert_eq!(send(&node, Req::get(&format!("{OBJ}{a}/"), "reader")).status, 404);
    assert_eq!(del("").status, 404);
}

#[test]
fn pages_follow_next_to_the_end() {
    let node = node(ServerConfig { max_page_size: 7, ..ServerConfig::default() });
    let objs: Vec<Value> = (0..50).map(|n| indicator(n, "2020-01-01T00:00:00.000Z")).collect();
    post_objects(&node, &objs);
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = match &next {
            None => "?limit=100".to_string(),
            Some(n) => format!("?limit=100&next={n}"),
        };
        let page = send(&node, Req::get(&format!("{OBJ}{q}"), "reader")).json();
        pages += 1;
        seen.extend(ids(&page));
        if page["more"] != true {
            break;
        }
        next = Some(page["next"].as_str().unwrap().to_string());
    }
    assert_eq!(pages, 8, "limit above the server's page size is cut to it (7)");
    let expected: Vec<String> = objs.iter().map(|o| o["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(seen, expected);
}

#[test]
fn metrics_count_requests() {
    let node = node(ServerConfig::default());
    post_objects(&node, &[indicator(1, "2020-01-01T00:00:00.000Z")]);
    send(&node, Req::get(OBJ, "reader"));
    let m = send(&node, Req { accept: None, ..Req::get("/metrics", "admin") }).text();
    assert!(
        m.contains(
            "pacto_http_requests_total{route=\"/{root}/collections/{coll}/objects/\",method=\"GET\",status=\"200\"} 1"
        ),
        "{m}"
    );
    assert!(m.contains("pacto_objects_posted_total{outcome=\"accepted\"} 1"));
    assert!(m.contains("pacto_objects_stored 1"));
    assert!(m.contains("pacto_http_request_duration_seconds_bucket"));
}

#[test]
fn objects_without_modified_are_versioned_by_date_added() {
    let node = node(ServerConfig::default());
    let ip = json!({"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--12592121-be4c-5a93-a813-5a5af16e50db", "value": "198.51.100.7"});
    let status = post_objects(&node, std::slice::from_ref(&ip));
    let version = status["successes"][0]["version"].as_str().expect("a version for an SCO").to_string();
    // Posting it again reports the same version.
    assert_eq!(post_objects(&node, &[ip])["successes"][0]["version"], version);
    let id = "ipv4-addr--12592121-be4c-5a93-a813-5a5af16e50db";
    let m = send(&node, Req::get(&format!("/api/collections/intel/manifest/?match[id]={id}"), "reader")).json();
    assert_eq!(m["objects"][0]["version"], version);
    assert_eq!(m["objects"][0]["date_added"], version);
    let v = send(&node, Req::get(&format!("{OBJ}{id}/versions/"), "reader")).json();
    assert_eq!(v["versions"], json!([version]));
    let one = send(&node, Req::get(&format!("{OBJ}{id}/?match[version]={version}"), "reader")).json();
    assert_eq!(ids(&one), vec![id]);
    let del =
        send(&node, Req { method: "DELETE", ..Req::get(&format!("{OBJ}{id}/?match[version]={version}"), "admin") });
    assert_eq!(del.status, 200);
    assert_eq!(send(&node, Req::get(&format!("{OBJ}{id}/"), "reader")).status, 404);
}
