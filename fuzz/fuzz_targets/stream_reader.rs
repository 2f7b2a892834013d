//! The streaming reader must agree with the in-memory reader on every input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut a = Vec::new();
    let ra = pacto_stix::read_objects_from_slice(data, |o| {
        a.push(o.raw.get().to_string());
        Ok::<(), ()>(())
    });
    let mut b = Vec::new();
    let hint = pacto_stix::bundle::peek_bundle_spec_version(data);
    let rb = pacto_stix::read_objects(data, hint, |o| {
        b.push(o.raw.get().to_string());
        Ok::<(), ()>(())
    });
    assert_eq!(ra.is_ok(), rb.is_ok());
    if ra.is_ok() {
        assert_eq!(a, b);
    }
});
