//! The labelled private-matching messages: decoding never panics, never allocates past what
//! the bytes hold, refuses entries out of tag order, and what decodes encodes back to the same
//! bytes; the point checks before a query is admitted never panic; a querier finishing on any
//! decoded answer gets payloads or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pacto_psi::{LabelledQuerier, Normalizer, wire};

fuzz_target!(|data: &[u8]| {
    if let Ok(q) = wire::decode_labelled_query(data) {
        assert_eq!(wire::encode_labelled_query(&q), data);
        let _ = q.check();
    }
    if let Ok(a) = wire::decode_labelled_answer(data) {
        assert_eq!(wire::encode_labelled_answer(&a), data);
        assert!(a.entries.windows(2).all(|w| w[0].tag <= w[1].tag));
        if !a.points.is_empty() && a.points.len() <= 4 {
            let items: Vec<Vec<u8>> = (0..a.points.len()).map(|i| format!("Colt\tLW{i}").into_bytes()).collect();
            if let Ok((querier, _)) = LabelledQuerier::start(&items, Normalizer::Firearm) {
                let _ = querier.finish(&a);
            }
        }
    }
});
