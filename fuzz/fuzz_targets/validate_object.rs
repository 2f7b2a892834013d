//! Arbitrary JSON values through the validator: no panic, findings always located.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pacto_stix::validate::{Location, validate_object};

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let mut out = Vec::new();
        validate_object(&v, Location::default(), &mut out);
        for f in &out {
            assert!(f.path.starts_with('$'));
            assert!(!f.message.is_empty());
        }
    }
});
