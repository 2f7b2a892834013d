//! The feed consumers of the field, each making its requests the way its published code does,
//! against a live node: what each needs from pacto, within TAXII 2.1. docs/interop.md has the
//! table (consumer | authentication | paging | what pacto does). Where a client is on PyPI
//! (taxii2-client, misp-modules' TAXII 2.1 module) `tests/interop/consumers.py` also runs it for
//! real.

mod common;

use std::collections::HashMap;

use common::*;
use pacto_taxii::ServerConfig;
use serde_json::{Value, json};

const OBJ: &str = "/api/collections/intel/objects/";

/// `n` indicators posted to `intel`, one request each (so each has its own `date_added`).
fn post_indicators(node: &Node, from: u32, n: u32) -> Vec<String> {
    (from..from + n)
        .map(|i| {
            let o = indicator(i, "2020-01-01T00:00:00.000Z");
            let r = send(node, Req::post(OBJ, "admin", &envelope(std::slice::from_ref(&o))));
            assert_eq!(r.status, 202, "{}", r.text());
            o["id"].as_str().unwrap().to_string()
        })
        .collect()
}

fn ids_of(page: &Value) -> Vec<String> {
    page["objects"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_string()).collect()
}

/// `path?k=v&…`, values percent-encoded as a client's query builder does.
fn url(path: &str, params: &[(&str, String)]) -> String {
    let enc = |s: &str| s.replace('+', "%2B").replace(':', "%3A");
    let q: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
    if q.is_empty() { path.to_string() } else { format!("{path}?{}", q.join("&")) }
}

fn authorized<'a>(authorization: &'a str, path: &'a str) -> Req<'a> {
    Req { authorization: Some(authorization), ..Req::get(path, "") }
}

/// A timestamp `hours` before now, as a client computes its first `added_after`.
fn hours_ago(hours: i64) -> String {
    pacto_stix::Timestamp::from_micros(pacto_stix::Timestamp::now().as_micros() - hours * 3_600_000_000).format(3)
}

/// OpenCTI's built-in TAXII ingester (OpenCTI-Platform/opencti,
/// `opencti-graphql/src/manager/ingestion/ingestionTaxii.ts`): one page per tick, GET
/// `{uri}/collections/{collection}/objects/` with `Accept: application/taxii+json;version=2.1`,
/// Basic or Bearer; it sends `next` (its `current_state_cursor`) together with the original
/// `added_after` (`added_after_start`, untouched while paging); when a page has objects and no
/// `more`/`next`, its next `added_after` is `X-TAXII-Date-Added-Last` read through JavaScript's
/// `Date` (so cut to milliseconds), or its own clock when the header is absent; a page without
/// objects changes nothing.
#[test]
fn opencti_ingester_pages_with_next_and_its_original_added_after() {
    let node = node(ServerConfig { max_page_size: 3, ..ServerConfig::default() });
    let mut expected = post_indicators(&node, 1, 8);
    let mut cursor: Option<String> = None;
    let mut added_after_start = hours_ago(1);
    let mut received: Vec<String> = Vec::new();
    // ids that came again, and the last id of each page that closed a run
    let (mut repeated, mut run_ends) = (Vec::new(), Vec::new());
    let mut tick = |received: &mut Vec<String>, repeated: &mut Vec<String>, run_ends: &mut Vec<String>| -> bool {
        let mut params = vec![];
        if let Some(c) = &cursor {
            params.push(("next", c.clone()));
        }
        params.push(("added_after", added_after_start.clone()));
        let r = send(&node, Req::get(&url(OBJ, &params), "reader"));
        assert_eq!(r.status, 200, "{}", r.text());
        let page = r.json();
        let got = ids_of(&page);
        if got.is_empty() {
            return false;
        }
        for id in &got {
            if received.contains(id) {
                repeated.push(id.clone());
            } else {
                received.push(id.clone());
            }
        }
        if page["more"] == true && page["next"].is_string() {
            cursor = page["next"].as_str().map(str::to_string);
        } else {
            cursor = None;
            run_ends.extend(got.last().cloned());
            let last = r.header("x-taxii-date-added-last").expect("X-TAXII-Date-Added-Last on a page with objects");
            // new Date(header).toISOString(): milliseconds
            added_after_start = pacto_stix::Timestamp::parse(last).unwrap().format(3);
        }
        true
    };
    for _ in 0..10 {
        tick(&mut received, &mut repeated, &mut run_ends);
    }
    expected.extend(post_indicators(&node, 100, 4));
    for _ in 0..10 {
        tick(&mut received, &mut repeated, &mut run_ends);
    }
    assert_eq!(received, expected, "every object, in date_added order, none lost");
    // A repeat can only be the object(s) of the last millisecond of a run (OpenCTI keeps
    // milliseconds of pacto's microsecond date_added); OpenCTI merges them (docs/interop.md).
    assert!(repeated.iter().all(|id| run_ends.contains(id)), "{repeated:?} {run_ends:?}");
}

/// The OpenCTI taxii2 connector (OpenCTI-Platform/connectors,
/// `external-import/taxii2/src/connector/client_taxii.py`, on taxii2-client): discovery, the API
/// root picked by the last segment of its URL, the collection picked by **title**, a first
/// `added_after` from its own clock (`initial_history` hours), `limit` when configured; then,
/// while `more` is true, `next` alone (it pops `added_after`). It takes the STIX version from the
/// first object's `spec_version` (assuming 2.0 and paging by manifest when absent).
#[test]
fn opencti_connector_finds_the_collection_by_title_and_follows_next() {
    let node = node(ServerConfig { max_page_size: 100, ..ServerConfig::default() });
    let expected = post_indicators(&node, 1, 7);
    let discovery = send(&node, Req::get("/taxii2/", "reader")).json();
    let root_url = discovery["api_roots"].as_array().unwrap().iter().find_map(|u| {
        let u = u.as_str().unwrap();
        (u.split('/').nth_back(1) == Some("api")).then(|| u.to_string())
    });
    let root_path =
        root_url.expect("the API root by its path").split_once(&node.addr.to_string()).unwrap().1.to_string();
    let title = "intel collection";
    let listing = |who: &str| -> Vec<(String, String)> {
        let list = send(&node, Req::get(&format!("{root_path}collections/"), who)).json();
        list["collections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["title"].as_str().unwrap().to_string(), c["id"].as_str().unwrap().to_string()))
            .collect()
    };
    let titled: Vec<_> = listing("reader").into_iter().filter(|(t, _)| t == title).collect();
    assert_eq!(titled.len(), 1, "one collection has the title");
    assert_eq!(listing("reader"), listing("reader"), "titles and ids are stable between listings");
    let coll = &titled[0].1;
    let objects = format!("{root_path}collections/{coll}/objects/");
    let mut params = vec![("added_after", hours_ago(24)), ("limit", "3".to_string())];
    let mut got = Vec::new();
    loop {
        let page = send(&node, Req::get(&url(&objects, &params), "reader")).json();
        let ids = ids_of(&page);
        assert_eq!(page["objects"][0]["spec_version"], "2.1", "the connector reads the version here");
        got.extend(ids);
        if page["more"] != true {
            break;
        }
        params.retain(|(k, _)| *k == "limit");
        params.push(("next", page["next"].as_str().expect("next with more").to_string()));
    }
    assert_eq!(got, expected);
}

/// MISP's TAXII 2.1 import module (MISP/misp-modules,
/// `misp_modules/modules/import_mod/taxii21.py`): taxii2-client's `Collection(url)` (it GETs
/// the collection resource first), `as_pages(get_objects, per_request=100,
/// spec_version="2.1")`, i.e. `limit=100&match[spec_version]=2.1`, then `next` with the same
/// filters, stopping after 1,000 objects. A 2.0 object must not slip into a 2.1 request.
#[test]
fn misp_import_module_pages_by_100_with_spec_version() {
    let node = node(ServerConfig::default());
    let body: Vec<Value> = (0..250).map(|i| indicator(i, "2020-01-01T00:00:00.000Z")).collect();
    let r = send(&node, Req::post(OBJ, "admin", &envelope(&body)));
    assert_eq!(r.status, 202, "{}", r.text());
    let c = send(&node, Req::get("/api/collections/intel/", "reader"));
    assert_eq!((c.status, c.json()["can_read"].clone()), (200, json!(true)));
    let mut params = vec![("limit", "100".to_string()), ("match[spec_version]", "2.1".to_string())];
    let mut pages = Vec::new();
    loop {
        let page = send(&node, Req::get(&url(OBJ, &params), "reader")).json();
        pages.push(ids_of(&page).len());
        if page["more"] != true {
            break;
        }
        params.retain(|(k, _)| *k != "next");
        params.push(("next", page["next"].as_str().unwrap().to_string()));
    }
    assert_eq!(pages, vec![100, 100, 50], "full pages while more (taxii2-client warns otherwise)");
    let none = send(&node, Req::get(&url(OBJ, &[("match[spec_version]", "2.0".into())]), "reader")).json();
    assert_eq!(none["objects"], json!([]));
}

/// An object as MISP's TAXII push sends it (misp-stix's `MISPtoSTIX21Parser`): an attribute
/// with no STIX equivalent becomes `x-misp-attribute`, a MISP object `x-misp-object`, each with
/// the SDO common properties and `x_misp_*` ones.
fn x_misp(ty: &str, n: u32, pad: usize) -> Value {
    let mut v = json!({"type": ty, "spec_version": "2.1", "id": format!("{ty}--{n:08x}-5e6b-4a5d-9b8c-0a1b2c3d4e5f"),
        "created_by_ref": "identity--55f6ea5e-2c60-40e5-964f-47a8950d210f",
        "created": "2024-05-02T10:00:00.000Z", "modified": "2024-05-02T10:00:00.000Z",
        "labels": ["misp:category=\"Other\"", "misp:to_ids=\"False\""]});
    if ty == "x-misp-attribute" {
        v["x_misp_type"] = json!("comment");
        v["x_misp_category"] = json!("Other");
        v["x_misp_value"] = json!("x".repeat(pad));
    } else {
        v["x_misp_name"] = json!("annotation");
        v["x_misp_meta_category"] = json!("misc");
        v["x_misp_attributes"] = json!([{"type": "text", "object_relation": "text", "value": "y".repeat(pad)}]);
    }
    v
}

/// MISP's TAXII push (MISP/MISP, `app/files/scripts/taxii/taxii_push.py`): reads the API root's
/// `max_content_length`, cuts the event's STIX objects into envelopes `{"objects":[…]}` no
/// larger than it (`make_taxii_envelopes`), POSTs each with taxii2-client's `add_objects`
/// (`wait_for_completion=False`, logging the status's failures). Its `x-misp-*` custom objects
/// are accepted and kept as sent; an envelope of exactly `max_content_length` bytes is taken.
#[test]
fn misp_push_sizes_envelopes_to_max_content_length_and_x_misp_objects_are_kept() {
    let node = node(ServerConfig { max_content_length: 4096, ..ServerConfig::default() });
    let max = send(&node, Req::get("/api/", "dropper")).json()["max_content_length"].as_u64().unwrap() as usize;
    assert_eq!(max, 4096);
    let objects: Vec<Value> =
        (0..12).map(|i| x_misp(if i % 2 == 0 { "x-misp-attribute" } else { "x-misp-object" }, i, 700)).collect();
    // make_taxii_envelopes
    let mut envelopes: Vec<Vec<u8>> = Vec::new();
    let mut cur: Vec<String> = Vec::new();
    let size = |v: &[String]| {
        "{\"objects\":[".len() + v.iter().map(|s| s.len()).sum::<usize>() + v.len().saturating_sub(1) + 2
    };
    for o in &objects {
        let s = o.to_string();
        let mut with = cur.clone();
        with.push(s.clone());
        if size(&with) > max {
            envelopes.push(format!("{{\"objects\":[{}]}}", cur.join(",")).into_bytes());
            cur = vec![s];
        } else {
            cur = with;
        }
    }
    envelopes.push(format!("{{\"objects\":[{}]}}", cur.join(",")).into_bytes());
    assert!(envelopes.len() > 2);
    const DROP: &str = "/api/collections/dropbox/objects/";
    for e in &envelopes {
        let r = send(&node, Req::post(DROP, "dropper", e));
        assert_eq!(r.status, 202, "{}", r.text());
        let status = r.json();
        assert_eq!(
            (status["failure_count"].clone(), status["status"].clone()),
            (json!(0), json!("complete")),
            "{status}"
        );
    }
    // Kept as sent, byte for byte in meaning.
    let mut stored: HashMap<String, Value> = HashMap::new();
    let page = send(&node, Req::get(DROP, "admin")).json();
    for o in page["objects"].as_array().unwrap() {
        stored.insert(o["id"].as_str().unwrap().to_string(), o.clone());
    }
    for o in &objects {
        assert_eq!(stored.get(o["id"].as_str().unwrap()), Some(o));
    }
    // Exactly max_content_length is accepted; a byte more is 413.
    let mut exact = x_misp("x-misp-attribute", 99, 0);
    let base = envelope(std::slice::from_ref(&exact)).len();
    exact["x_misp_value"] = json!("z".repeat(max - base));
    let body = envelope(&[exact.clone()]);
    assert_eq!(body.len(), max);
    assert_eq!(send(&node, Req::post(DROP, "dropper", &body)).status, 202);
    exact["x_misp_value"] = json!("z".repeat(max - base + 1));
    assert_eq!(send(&node, Req::post(DROP, "dropper", &envelope(&[exact]))).status, 413);
}

/// Elastic's ti_custom (elastic/integrations,
/// `packages/ti_custom/data_stream/indicator/agent/stream/cel.yml.hbs`): `Authorization: Bearer
/// KEY` (or Basic), first request `?added_after=<now - initial_interval>&limit=N`; it maps
/// `body.objects` unconditionally (an envelope without `objects` is an evaluation error); it
/// ignores `more` and follows `next` alone (`?next=…&limit=N`); its cursor is
/// `X-Taxii-Date-Added-Last`, replaced by whatever the last response had (an absent header
/// drops it, and the next run starts again from `initial_interval`).
#[test]
fn elastic_ti_custom_gets_objects_and_a_cursor_on_every_page() {
    let (key, t) = token("elastic", &["intel"], &[]);
    let node = node_with(ServerConfig::default(), vec![], move |s| s.add_token(&t).unwrap());
    let auth = format!("Bearer {key}");
    let initial = hours_ago(24);
    let first = send(&node, authorized(&auth, &url(OBJ, &[("added_after", initial.clone()), ("limit", "2".into())])));
    assert_eq!(first.status, 200);
    assert_eq!(first.json()["objects"], json!([]), "body.objects on an empty page");
    let mut cursor = first.header("x-taxii-date-added-last").map(str::to_string);
    assert_eq!(
        cursor.as_deref().map(|c| pacto_stix::Timestamp::parse(c).unwrap().as_micros()),
        Some(pacto_stix::Timestamp::parse(&initial).unwrap().as_micros()),
        "an empty page names the position asked for"
    );
    let expected = post_indicators(&node, 1, 5);
    let mut got = Vec::new();
    let poll = |cursor: &mut Option<String>, got: &mut Vec<String>| {
        let mut next_url = url(OBJ, &[("added_after", cursor.clone().unwrap()), ("limit", "2".into())]);
        loop {
            let r = send(&node, authorized(&auth, &next_url));
            assert_eq!(r.status, 200, "{}", r.text());
            let body = r.json();
            got.extend(ids_of(&body));
            *cursor = r.header("x-taxii-date-added-last").map(str::to_string);
            assert!(cursor.is_some(), "ti_custom keeps no cursor without the header");
            match body["next"].as_str() {
                Some(n) if !n.is_empty() => next_url = url(OBJ, &[("next", n.to_string()), ("limit", "2".into())]),
                _ => break,
            }
        }
    };
    poll(&mut cursor, &mut got);
    assert_eq!(got, expected);
    let idle = cursor.clone();
    poll(&mut cursor, &mut got);
    assert_eq!(cursor, idle, "an idle poll keeps the cursor");
    let more = post_indicators(&node, 50, 2);
    poll(&mut cursor, &mut got);
    assert_eq!(got, [expected, more].concat(), "no repeats, nothing lost");
}

/// Cortex XSOAR's TAXII 2 feed (demisto/content,
/// `Packs/ApiModules/Scripts/TAXII2ApiModule/TAXII2ApiModule.py`, on taxii2-client): tries
/// TAXII 2.1 and falls back to 2.0 only on a 406 (or an error naming version=2.0); the API
/// root is `default` from discovery; the collection is picked by title; `Authorization: Token
/// KEY` (TokenAuth) or Basic; `as_pages(get_objects, per_request=100, type=[…, "relationship"])`.
#[test]
fn xsoar_feed_negotiates_2_1_and_pages_by_type() {
    let (key, t) = token("xsoar", &["intel"], &[]);
    let node = node_with(ServerConfig::default(), vec![], move |s| s.add_token(&t).unwrap());
    let auth = format!("Token {key}");
    // What taxii2-client's v20 sends: a 2.0-only server would answer it; pacto answers 406.
    let v20 = send(
        &node,
        Req { accept: Some("application/vnd.oasis.taxii+json; version=2.0"), ..authorized(&auth, "/taxii2/") },
    );
    assert_eq!(v20.status, 406, "the status XSOAR's fallback looks for");
    let d = send(&node, authorized(&auth, "/taxii2/"));
    assert_eq!(d.status, 200);
    let default = d.json()["default"].as_str().expect("a default API root").to_string();
    let root_path = default.split_once(&node.addr.to_string()).unwrap().1.to_string();
    let list = send(&node, authorized(&auth, &format!("{root_path}collections/"))).json();
    let coll = list["collections"].as_array().unwrap().iter().find(|c| c["title"] == "intel collection").unwrap();
    let objects = format!("{root_path}collections/{}/objects/", coll["id"].as_str().unwrap());
    let expected = post_indicators(&node, 1, 3);
    let mut params = vec![("limit", "100".to_string()), ("match[type]", "indicator,relationship".to_string())];
    let page = send(&node, authorized(&auth, &url(&objects, &params))).json();
    assert_eq!((ids_of(&page), page["more"].clone()), (expected, json!(false)));
    params.push(("match[type]", "malware".into()));
    params.remove(1);
    assert_eq!(send(&node, authorized(&auth, &url(&objects, &params))).json()["objects"], json!([]));
}

/// Microsoft Sentinel's "Threat intelligence - TAXII" connector (closed source; its
/// documentation, learn.microsoft.com "Connect Microsoft Sentinel to STIX/TAXII threat
/// intelligence feeds"): configured with an API root URL and a collection **id**, Basic
/// credentials or none, a polling frequency and a look-back ("at most one day old", …) that
/// becomes `added_after`; pages by `next`.
#[test]
fn sentinel_polls_by_api_root_and_collection_id() {
    let node = node(ServerConfig { max_page_size: 2, ..ServerConfig::default() });
    let expected = post_indicators(&node, 1, 5);
    let id = send(&node, Req::get("/api/collections/intel/", "reader")).json()["id"].as_str().unwrap().to_string();
    assert!(uuid_like(&id), "{id}");
    let objects = format!("/api/collections/{id}/objects/");
    let mut params = vec![("added_after", hours_ago(24))];
    let mut got = Vec::new();
    loop {
        let page = send(&node, Req::get(&url(&objects, &params), "reader")).json();
        got.extend(ids_of(&page));
        let Some(next) = page["next"].as_str() else { break };
        params.retain(|(k, _)| *k == "added_after");
        params.push(("next", next.to_string()));
    }
    assert_eq!(got, expected);
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36
        && s.chars()
            .enumerate()
            .all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() })
}
