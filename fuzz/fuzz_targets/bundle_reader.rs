//! Any bytes through the in-memory bundle reader and the validator: no panic, and every object
//! handed out is a complete JSON value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pacto_stix::validate::{self, Location, Session, SpecVersion};

fuzz_target!(|data: &[u8]| {
    let mut session = Session::new();
    let result = pacto_stix::read_objects_from_slice(data, |o| {
        assert!(serde_json::from_str::<&serde_json::value::RawValue>(o.raw.get()).is_ok());
        session.check(o.raw, Location { index: o.index, path: o.path, default_version: SpecVersion::V21 });
        Ok::<(), ()>(())
    });
    if let Ok(env) = result
        && let Some(header) = env.bundle
    {
        let mut out = Vec::new();
        validate::validate_bundle_header(&header, env.list_len, &mut out);
    }
});
