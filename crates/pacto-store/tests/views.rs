//! Partners' views (`ObjectStore::view`, on every backend): whatever the order of writes, deletes and the view's
//! creation, a view holds exactly the versions its filter admits, with first and last among
//! them, on a strictly increasing clock of its own; and its spacing does not depend on what it
//! leaves out.

use std::collections::{BTreeMap, BTreeSet};

use pacto_stix::{Facts, Filter, SpecVersion, StixObject, Tlp};
use pacto_store::testing::TestDatabase;
use pacto_store::{Incoming, Query, SqliteStore, StoredObject, Versions, on_every_backend, prelude::*};
use proptest::prelude::*;
use serde_json::json;

/// One object version: id number, minute of `modified`, TLP (None: unmarked), labels.
type Spec = (u32, u8, Option<Tlp>, Vec<&'static str>);

fn incoming(&(n, minute, tlp, ref labels): &Spec) -> Incoming {
    let mut v = json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f"),
        "created": "2020-01-01T00:00:00.000Z", "modified": format!("2020-01-01T00:{minute:02}:00.000Z"),
        "pattern": "[x:y = 'z']", "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"});
    if let Some(t) = tlp {
        v["object_marking_refs"] = json!([t.marking_id()]);
    }
    if !labels.is_empty() {
        v["labels"] = json!(labels);
    }
    Incoming::new(&StixObject::from_value(v).unwrap(), SpecVersion::V21)
}

/// A share of everything up to GREEN.
fn green() -> Filter {
    Filter {
        max_tlp: Tlp::Green,
        include_unmarked: false,
        types: None,
        labels_any: None,
        labels_none: Vec::new(),
        creators: None,
    }
}

fn scan(s: &dyn Store, c: &pacto_store::Collection, q: &Query) -> Vec<StoredObject> {
    let mut out = Vec::new();
    s.scan(c, q, &mut |o| {
        out.push(o);
        Ok(())
    })
    .unwrap();
    out
}

fn tlp() -> impl Strategy<Value = Option<Tlp>> {
    prop_oneof![
        Just(None),
        Just(Some(Tlp::Clear)),
        Just(Some(Tlp::Green)),
        Just(Some(Tlp::Amber)),
        Just(Some(Tlp::Red))
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    (0u32..6, 0u8..8, tlp(), prop::collection::vec(prop_oneof![Just("informant"), Just("guns")], 0..2))
}

fn filter() -> impl Strategy<Value = Filter> {
    (tlp(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(max, unmarked, none, any_of)| Filter {
        max_tlp: max.unwrap_or(Tlp::Amber),
        include_unmarked: unmarked,
        types: None,
        labels_any: any_of.then(|| vec!["guns".to_string()]),
        labels_none: if none { vec!["informant".to_string()] } else { Vec::new() },
        creators: None,
    })
}

// Whatever the order of writes, deletes and the view's creation, on every backend.
on_every_backend!(a_view_holds_exactly_what_its_filter_admits, |db: &TestDatabase| {
    let store = std::cell::RefCell::new(db.open());
    let case = std::cell::Cell::new(0);
    let strategy = (
        prop::collection::vec(prop::collection::vec(spec(), 0..8), 1..5),
        0usize..5,
        prop::collection::vec((0u32..6, 0u8..8), 0..3),
        filter(),
    );
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(40));
    runner
        .run(&strategy, |(batches, made_after, deletes, f)| {
            case.set(case.get() + 1);
            let mut guard = store.borrow_mut();
            let s = &mut **guard;
            let c = s.create_collection(&format!("intel{}", case.get()), "Intel", None).unwrap();
            let mut view = None;
            for (i, batch) in batches.iter().enumerate() {
                if i == made_after.min(batches.len() - 1) && view.is_none() {
                    view = Some(s.view(&c, &f).unwrap());
                }
                let objs: Vec<Incoming> = batch.iter().map(incoming).collect();
                s.add_batch(&c, &objs).unwrap();
            }
            let view = view.unwrap_or_else(|| s.view(&c, &f).unwrap());
            // The same view comes back for the same filter.
            prop_assert_eq!(s.view(&c, &f).unwrap(), view);
            for (n, minute) in &deletes {
                let v = Versions {
                    all: false,
                    at: vec![format!("2020-01-01T00:{minute:02}:00.000000000Z")],
                    ..Versions::none()
                };
                s.delete_object(&c, &format!("indicator--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f"), &v).unwrap();
            }
            // The truth: every stored version, judged one by one.
            let stored = scan(s, &c, &Query::default());
            let mut admitted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            let mut ids: BTreeSet<String> = BTreeSet::new();
            for o in &stored {
                let v: serde_json::Value = serde_json::from_str(&o.raw).unwrap();
                let ok = f.admits(&Facts::of(v.as_object().unwrap())).is_ok();
                if ok {
                    admitted.entry(o.id.clone()).or_default().insert(o.version.clone());
                }
                ids.insert(o.id.clone());
            }
            let through = |versions: Versions| scan(s, &c, &Query { view: Some(view), versions, ..Query::default() });
            let all = through(Versions::all());
            let got: BTreeSet<(String, String)> = all.iter().map(|o| (o.id.clone(), o.version.clone())).collect();
            let want: BTreeSet<(String, String)> =
                admitted.iter().flat_map(|(i, vs)| vs.iter().map(move |v| (i.clone(), v.clone()))).collect();
            prop_assert_eq!(&got, &want);
            prop_assert!(all.windows(2).all(|w| w[0].date_added < w[1].date_added), "the view's clock increases");
            let pick = |versions: Versions| -> BTreeSet<(String, String)> {
                through(versions).into_iter().map(|o| (o.id, o.version)).collect()
            };
            let last: BTreeSet<_> =
                admitted.iter().map(|(i, vs)| (i.clone(), vs.iter().next_back().unwrap().clone())).collect();
            let first: BTreeSet<_> =
                admitted.iter().map(|(i, vs)| (i.clone(), vs.iter().next().unwrap().clone())).collect();
            prop_assert_eq!(pick(Versions::last()), last);
            prop_assert_eq!(pick(Versions::first()), first);
            for id in &ids {
                prop_assert_eq!(s.in_view(view, &c, id).unwrap(), admitted.contains_key(id), "in_view({})", id);
            }
            Ok(())
        })
        .unwrap();
});

on_every_backend!(a_views_spacing_does_not_count_what_it_leaves_out, |db: &TestDatabase| {
    let mut s = db.open();
    let mut gaps = |between: u8| -> i64 {
        let c = s.create_collection(&format!("intel{between}"), "Intel", None).unwrap();
        let view = s.view(&c, &green()).unwrap();
        let mut batch = vec![incoming(&(0, 0, Some(Tlp::Green), vec![]))];
        batch.extend((0..between).map(|i| incoming(&(1, i % 60, Some(Tlp::Red), vec![]))));
        batch.push(incoming(&(2, 0, Some(Tlp::Green), vec![])));
        s.add_batch(&c, &batch).unwrap();
        let seen = scan(&*s, &c, &Query { view: Some(view), ..Query::default() });
        assert_eq!(seen.len(), 2);
        seen[1].date_added - seen[0].date_added
    };
    assert_eq!(gaps(0), gaps(60));
});

on_every_backend!(views_are_kept_by_every_connection_and_survive_reopening, |db: &TestDatabase| {
    let (c, view) = {
        let mut server = db.open();
        let c = server.create_collection("intel", "Intel", None).unwrap();
        let view = server.view(&c, &green()).unwrap();
        (c, view)
    };
    // Another process (an import from the command line) writes: the view follows.
    let mut cli = db.open();
    cli.add_batch(&c, &[incoming(&(1, 0, Some(Tlp::Green), vec![])), incoming(&(2, 0, Some(Tlp::Red), vec![]))])
        .unwrap();
    drop(cli);
    let mut reopened = db.open();
    assert_eq!(reopened.view(&c, &green()).unwrap(), view);
    let seen = scan(&*reopened, &c, &Query { view: Some(view), ..Query::default() });
    assert_eq!(seen.len(), 1);
    // A view no longer in force goes, rows and all.
    reopened.retain_views(&[]).unwrap();
    assert!(scan(&*reopened, &c, &Query { view: Some(view), ..Query::default() }).is_empty());
});

/// The timing attack, counted exactly: a partner polling the page after the last version it
/// was given makes the store do the same work whether nothing or 20,000 withheld versions
/// follow, and a page of what it may see costs the same with withheld versions between.
#[test]
fn reading_a_view_costs_nothing_for_what_it_leaves_out() {
    let steps = |withheld: u32| -> (u64, u64, u64) {
        let mut s = SqliteStore::open_in_memory().unwrap();
        let c = s.create_collection("intel", "Intel", None).unwrap();
        let view = s.view(&c, &green()).unwrap();
        let mut batch = Vec::new();
        for n in 0..100u32 {
            batch.push(incoming(&(n, 0, Some(Tlp::Green), vec![])));
            for k in 0..withheld / 100 {
                batch.push(incoming(&(0x1000 + n * 1000 + k, 0, Some(Tlp::Red), vec![])));
            }
        }
        s.add_batch(&c, &batch).unwrap();
        let page = |q: Query| {
            let before = s.scan_steps();
            let got = s.page(&c, &Query { view: Some(view), ..q }).unwrap();
            (s.scan_steps() - before, got)
        };
        let (first_steps, first) = page(Query { limit: Some(50), ..Query::default() });
        assert_eq!(first.objects.len(), 50);
        let last =
            s.page(&c, &Query { view: Some(view), ..Query::default() }).unwrap().objects.last().unwrap().date_added;
        let (tail_steps, tail) = page(Query { added_after: Some(last), limit: Some(50), ..Query::default() });
        assert!(tail.objects.is_empty());
        // The same poll without the view (a local listing, or a partner read filtered object by
        // object) does work for every withheld version behind the cursor: the counter sees it.
        let last_green = format!("indicator--{:08x}-17d4-4cbf-938f-98ee46b3cd3f", 99);
        let local = s.page(&c, &Query { ids: vec![last_green], ..Query::default() }).unwrap().objects[0].date_added;
        let before = s.scan_steps();
        s.page(&c, &Query { added_after: Some(local), limit: Some(50), ..Query::default() }).unwrap();
        (first_steps, tail_steps, s.scan_steps() - before)
    };
    let (clean, withheld) = (steps(0), steps(20_000));
    assert_eq!((clean.0, clean.1), (withheld.0, withheld.1), "a view's pages cost the same");
    assert!(withheld.2 > clean.2, "reading past withheld versions without a view costs more: {clean:?} {withheld:?}");
}
