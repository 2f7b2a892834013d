//! Timestamp parsing never panics, and what it accepts survives format → parse.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pacto_stix::Timestamp;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(t) = Timestamp::parse(s)
    {
        let again = Timestamp::parse(&t.format(9)).expect("formatted timestamp parses");
        assert_eq!(again, t);
    }
});
