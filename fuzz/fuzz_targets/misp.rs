//! Any document read as a MISP export: reading, mapping to STIX and writing back never panic,
//! and every object the mapping makes has an id and a type.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(events) = pacto_misp::read_events(text) else { return };
    for event in &events {
        if let Ok(out) = pacto_misp::to_stix(event) {
            for o in &out.objects {
                assert!(o["id"].as_str().is_some_and(|id| id.contains("--")), "{o}");
                assert!(o["type"].is_string(), "{o}");
            }
            let _ = pacto_misp::to_misp(&out.objects);
        }
    }
});
