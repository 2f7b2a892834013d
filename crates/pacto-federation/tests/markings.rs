//! Granular markings and list items: a part marked above the partner's level never leaves,
//! whatever its position, and the markings that stay still point at the parts they marked.

use std::collections::BTreeSet;

use pacto_federation::agreement::{Agreement, Decision, Share};
use pacto_stix::Tlp;
use proptest::prelude::*;
use serde_json::{Value, json};

fn share(redact: &str) -> Share {
    let text = format!("partner = \"p\"\n[[share]]\ncollection = \"c\"\nmax_tlp = \"amber\"\nredact = [{redact}]\n");
    Agreement::parse(&text).unwrap().share[0].clone()
}

fn base(extra: Value) -> Value {
    let mut v = json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '203.0.113.5']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
        "object_marking_refs": [Tlp::Green.marking_id()]});
    v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    v
}

fn disclose(s: &Share, v: &Value, visible: &dyn Fn(&str) -> bool) -> Value {
    match s.decide(v, visible) {
        Decision::Disclose(out) => out,
        d => panic!("withheld: {d:?}"),
    }
}

#[test]
fn a_red_item_past_the_tenth_does_not_leave() {
    let refs: Vec<Value> = (0..12)
        .map(|i| json!({"source_name": format!("src-{i}"), "description": format!("text {i}"), "url": format!("https://example.org/{i}")}))
        .collect();
    let v = base(json!({"external_references": refs, "granular_markings": [
        {"marking_ref": Tlp::Red.marking_id(), "selectors": ["external_references.[9]", "external_references.[10].description"]},
        {"marking_ref": Tlp::Amber.marking_id(), "selectors": ["external_references.[11].source_name"]}]}));
    let out = disclose(&share(""), &v, &|_| true);
    let text = out.to_string();
    assert!(!text.contains("text 9") && !text.contains("text 10"), "RED parts left: {text}");
    let list = out["external_references"].as_array().unwrap();
    assert_eq!(list.len(), 11);
    assert_eq!(list[9]["source_name"], "src-10");
    assert_eq!(list[10]["source_name"], "src-11");
    assert_eq!(
        out["granular_markings"],
        json!([{"marking_ref": Tlp::Amber.marking_id(), "selectors": ["external_references.[10].source_name"]}]),
        "the AMBER marking follows its item"
    );
}

#[test]
fn a_marking_keeps_the_parts_redaction_left() {
    let v = base(json!({"description": "route details", "x_informant_name": "J. Doe", "granular_markings": [
        {"marking_ref": Tlp::AmberStrict.marking_id(), "selectors": ["description", "x_informant_name"]}]}));
    let mut s = share("\"x_informant_name\"");
    s.max_tlp = Tlp::AmberStrict;
    let out = disclose(&s, &v, &|_| true);
    assert_eq!(out["description"], "route details");
    assert_eq!(
        out["granular_markings"],
        json!([{"marking_ref": Tlp::AmberStrict.marking_id(), "selectors": ["description"]}]),
        "the description keeps its AMBER+STRICT marking"
    );
}

#[test]
fn a_marking_on_a_reference_follows_it_when_hidden_ones_go() {
    let id = |n: u8| format!("identity--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f");
    let v = base(json!({"x_related_refs": [id(1), id(2), id(3), id(4)], "granular_markings": [
        {"marking_ref": Tlp::Amber.marking_id(), "selectors": ["x_related_refs.[3]"]}]}));
    let hidden = id(2);
    let out = disclose(&share(""), &v, &|i| i != hidden);
    assert_eq!(out["x_related_refs"], json!([id(1), id(3), id(4)]));
    assert_eq!(out["granular_markings"][0]["selectors"], json!(["x_related_refs.[2]"]));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// Whatever the positions cut and kept, no cut item leaves, the others keep their order,
    /// and each marking that stays points at the very item it marked.
    #[test]
    fn cut_items_never_leave_and_kept_markings_follow(
        n in 1usize..25,
        cut in prop::collection::btree_set(0usize..25, 0..8),
        kept in prop::collection::btree_set(0usize..25, 0..8),
    ) {
        let items: Vec<String> = (0..n).map(|i| format!("item-{i}")).collect();
        let cut: BTreeSet<usize> = cut.into_iter().filter(|i| *i < n).collect();
        let kept: Vec<usize> = kept.into_iter().filter(|i| *i < n && !cut.contains(i)).collect();
        let mut gms = Vec::new();
        if !cut.is_empty() {
            gms.push(json!({"marking_ref": Tlp::Red.marking_id(),
                "selectors": cut.iter().map(|i| format!("x_list.[{i}]")).collect::<Vec<_>>()}));
        }
        for k in &kept {
            gms.push(json!({"marking_ref": Tlp::Green.marking_id(), "selectors": [format!("x_list.[{k}]")]}));
        }
        let mut extra = json!({"x_list": items});
        if !gms.is_empty() {
            extra["granular_markings"] = Value::Array(gms);
        }
        let out = disclose(&share(""), &base(extra), &|_| true);
        let left: Vec<String> = (0..n).filter(|i| !cut.contains(i)).map(|i| format!("item-{i}")).collect();
        if left.is_empty() {
            prop_assert!(out.get("x_list").is_none());
        } else {
            prop_assert_eq!(&out["x_list"], &json!(left));
        }
        let list = out.get("x_list").and_then(Value::as_array).cloned().unwrap_or_default();
        let marks = out.get("granular_markings").and_then(Value::as_array).cloned().unwrap_or_default();
        prop_assert_eq!(marks.len(), kept.len());
        for (gm, k) in marks.iter().zip(&kept) {
            prop_assert_eq!(gm["marking_ref"].as_str(), Some(Tlp::Green.marking_id()));
            let sel = gm["selectors"][0].as_str().unwrap();
            let i: usize = sel.trim_start_matches("x_list.[").trim_end_matches(']').parse().unwrap();
            prop_assert_eq!(list[i].as_str().unwrap(), format!("item-{k}"));
        }
    }
}
