//! Every private-matching message a partner can send or answer with: decoding never panics,
//! never allocates past what the bytes hold, and what decodes encodes back to the same bytes;
//! the point checks that run before a query is admitted never panic either.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pacto_psi::wire;

fuzz_target!(|data: &[u8]| {
    if let Ok(q) = wire::decode_query(data) {
        assert_eq!(wire::encode_query(&q), data);
        let _ = q.check();
    }
    if let Ok(a) = wire::decode_answer(data) {
        assert_eq!(wire::encode_answer(&a), data);
    }
    if let Ok(w) = wire::decode_blinded_set(data) {
        assert_eq!(wire::encode_blinded_set(&w), data);
    }
    if let Ok(c) = wire::decode_count_query(data) {
        assert_eq!(wire::encode_count_query(&c), data);
        let _ = c.check();
    }
    if let Ok(a) = wire::decode_count_answer(data) {
        assert_eq!(wire::encode_count_answer(&a), data);
    }
});
