//! The node's matching loop against a real (SQLite) store.

use pacto_detect::{Hunter, Setup};
use pacto_stix::validate::{Location, Severity, validate_object};
use pacto_stix::{SpecVersion, StixObject};
use pacto_store::{Collection, Incoming, Query, SqliteStore, prelude::*};
use serde_json::{Value, json};

fn put(store: &mut SqliteStore, c: &Collection, objects: &[Value]) {
    let inc: Vec<Incoming> =
        objects.iter().map(|v| Incoming::new(&StixObject::from_value(v.clone()).unwrap(), SpecVersion::V21)).collect();
    store.add_batch(c, &inc).unwrap();
}

fn indicator(n: u32, pattern: &str, modified: &str, revoked: bool) -> Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
           "created": "2024-01-01T00:00:00.000Z", "modified": modified, "pattern": pattern, "pattern_type": "stix",
           "valid_from": "2024-01-01T00:00:00Z", "revoked": revoked})
}

fn file(n: u32, name: &str) -> Value {
    json!({"type": "file", "spec_version": "2.1", "id": format!("file--00000000-0000-4000-8000-{n:012}"), "name": name})
}

fn observed(n: u32, at: &str, refs: &[&Value]) -> Value {
    json!({"type": "observed-data", "spec_version": "2.1", "id": format!("observed-data--00000000-0000-4000-8000-{n:012}"),
           "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
           "first_observed": at, "last_observed": at, "number_observed": 1,
           "object_refs": refs.iter().map(|r| r["id"].clone()).collect::<Vec<_>>()})
}

fn sightings(store: &SqliteStore, c: &Collection) -> Vec<Value> {
    let mut out = Vec::new();
    store
        .scan(c, &Query::default(), &mut |o| {
            out.push(serde_json::from_str(&o.raw).unwrap());
            Ok(())
        })
        .unwrap();
    out
}

#[test]
fn observations_become_sightings_once_across_restarts() {
    let (mut store, intel, obs, out, setup) = node();
    assert_eq!(Setup::load(&store).unwrap(), Some(setup.clone()));

    put(
        &mut store,
        &intel,
        &[
            indicator(1, "[file:name = 'payload.exe']", "2024-01-01T00:00:00.000Z", false),
            indicator(2, "[file:name = 'a.dll'] FOLLOWEDBY [file:name = 'b.dll']", "2024-01-01T00:00:00.000Z", false),
            indicator(3, "[file:name = 'gone.exe']", "2024-01-01T00:00:00.000Z", false),
            indicator(4, "[file:name = ", "2024-01-01T00:00:00.000Z", false),
        ],
    );
    // The file an observation references arrives in an earlier request than the observation.
    let f1 = file(1, "payload.exe");
    put(&mut store, &obs, std::slice::from_ref(&f1));
    let (fa, fb, fg) = (file(2, "a.dll"), file(3, "b.dll"), file(4, "gone.exe"));
    put(
        &mut store,
        &obs,
        &[observed(1, "2024-02-01T00:00:00Z", &[&f1]), fa.clone(), observed(2, "2024-02-01T00:01:00Z", &[&fa])],
    );

    let mut h = Hunter::new(setup.clone());
    let r = h.catch_up(&mut store, 2).unwrap();
    assert_eq!((r.indicators, r.invalid_indicators, r.observations, r.sightings), (3, 1, 2, 1), "{r:?}");
    let s = sightings(&store, &out);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["sighting_of_ref"], "indicator--00000000-0000-4000-8000-000000000001");
    assert_eq!(s[0]["observed_data_refs"], json!(["observed-data--00000000-0000-4000-8000-000000000001"]));
    let mut findings = Vec::new();
    validate_object(&s[0], Location::default(), &mut findings);
    assert!(findings.iter().all(|f| f.severity != Severity::Error), "{findings:?}");

    // Nothing new: nothing written.
    assert_eq!(h.catch_up(&mut store, 2).unwrap().sightings, 0);

    // The second half of the FOLLOWEDBY pattern, and a revoked indicator's file.
    put(&mut store, &intel, &[indicator(3, "[file:name = 'gone.exe']", "2024-03-01T00:00:00.000Z", true)]);
    put(
        &mut store,
        &obs,
        &[
            fb.clone(),
            observed(3, "2024-02-01T00:02:00Z", &[&fb]),
            fg.clone(),
            observed(4, "2024-02-01T00:03:00Z", &[&fg]),
        ],
    );
    let r = h.catch_up(&mut store, 100).unwrap();
    assert_eq!(r.sightings, 1, "{r:?}");
    let s = sightings(&store, &out);
    let fb_sighting =
        s.iter().find(|s| s["sighting_of_ref"] == "indicator--00000000-0000-4000-8000-000000000002").unwrap();
    assert_eq!(fb_sighting["observed_data_refs"].as_array().unwrap().len(), 2);
    assert_eq!(fb_sighting["first_seen"], "2024-02-01T00:01:00Z");
    drop(h);

    // A fresh hunter (a restart) resumes from the stored cursor: no sighting is made twice.
    let mut h = Hunter::new(setup);
    let r = h.catch_up(&mut store, 100).unwrap();
    assert_eq!((r.observations, r.sightings), (0, 0), "{r:?}");
    put(&mut store, &obs, &[observed(5, "2024-04-01T00:00:00Z", &[&f1])]);
    assert_eq!(h.catch_up(&mut store, 100).unwrap().sightings, 1);
    assert_eq!(sightings(&store, &out).len(), 3);
}

/// An in-memory node with intel, obs and sightings collections, and the setup that joins them.
fn node() -> (SqliteStore, Collection, Collection, Collection, Setup) {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let intel = store.create_collection("intel", "Indicators", None).unwrap();
    let obs = store.create_collection("obs", "Observations", None).unwrap();
    let out = store.create_collection("sightings", "Sightings", None).unwrap();
    let setup = Setup {
        indicators: vec!["intel".into()],
        observations: vec!["obs".into()],
        sightings: "sightings".into(),
        sighted_by: None,
    };
    setup.save(&mut store).unwrap();
    (store, intel, obs, out, setup)
}

#[test]
fn retro_hunt_finds_history_once() {
    let (mut store, intel, obs, out, setup) = node();
    let f = file(1, "old.exe");
    put(&mut store, &obs, &[f.clone(), observed(1, "2023-01-01T00:00:00Z", &[&f])]);
    let mut live = Hunter::new(setup.clone());
    assert_eq!(live.catch_up(&mut store, 10).unwrap().sightings, 0, "no indicators yet");
    // An indicator arrives later: new observations meet it, history does not until asked.
    put(&mut store, &intel, &[indicator(1, "[file:name = 'old.exe']", "2024-01-01T00:00:00.000Z", false)]);
    assert_eq!(live.catch_up(&mut store, 10).unwrap().sightings, 0);
    let r = live.retro_hunt(&mut store, 10, &mut |_| {}).unwrap();
    assert_eq!((r.observations, r.sightings), (1, 1), "{r:?}");
    assert_eq!(
        live.retro_hunt(&mut store, 10, &mut |_| {}).unwrap().sightings,
        0,
        "recorded sightings are not made again"
    );
    // A second hunter on the same cursor (an import while serve runs): each page is matched once.
    put(&mut store, &obs, &[observed(2, "2024-02-01T00:00:00Z", &[&f])]);
    let mut other = Hunter::new(setup);
    assert_eq!(other.catch_up(&mut store, 10).unwrap().sightings, 1);
    assert_eq!(live.catch_up(&mut store, 10).unwrap().sightings, 0);
    assert_eq!(sightings(&store, &out).len(), 2);
}

#[test]
fn observations_meet_every_indicator_however_many_pages_they_fill() {
    let (mut store, intel, obs, _, setup) = node();
    let inds: Vec<Value> = (1..=5)
        .map(|n| indicator(n, &format!("[file:name = 'f{n}.exe']"), "2024-01-01T00:00:00.000Z", false))
        .collect();
    put(&mut store, &intel, &inds);
    let f = file(1, "f5.exe");
    put(&mut store, &obs, &[f.clone(), observed(1, "2024-02-01T00:00:00Z", &[&f])]);
    // Pages of one row: the last indicator is on the fifth page of its collection.
    let r = Hunter::new(setup).catch_up(&mut store, 1).unwrap();
    assert_eq!((r.indicators, r.sightings), (5, 1), "{r:?}");
}

#[test]
fn a_restart_refills_the_windows_of_patterns_over_several_observations() {
    let (mut store, intel, obs, out, setup) = node();
    put(
        &mut store,
        &intel,
        &[indicator(
            1,
            "([file:name = 'a.dll'] FOLLOWEDBY [file:name = 'b.dll']) WITHIN 3600 SECONDS",
            "2024-01-01T00:00:00.000Z",
            false,
        )],
    );
    let (fa, fb) = (file(1, "a.dll"), file(2, "b.dll"));
    put(&mut store, &obs, &[fa.clone(), observed(1, "2024-02-01T00:00:00Z", &[&fa])]);
    assert_eq!(Hunter::new(setup.clone()).catch_up(&mut store, 10).unwrap().sightings, 0);
    // The node restarts; the second half arrives.
    put(&mut store, &obs, &[fb.clone(), observed(2, "2024-02-01T00:10:00Z", &[&fb])]);
    let r = Hunter::new(setup).catch_up(&mut store, 10).unwrap();
    assert_eq!((r.observations, r.sightings), (1, 1), "{r:?}");
    let s = sightings(&store, &out);
    assert_eq!(s[0]["observed_data_refs"].as_array().unwrap().len(), 2);
}
