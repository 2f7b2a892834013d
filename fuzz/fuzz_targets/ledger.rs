//! Everything a partner or auditor hands the ledger's verifiers: signed notes, checkpoint
//! bodies, verifier keys, export lines, proofs. Parsing never panics; what parses formats back
//! to the same text; an export verifies only under the key it was made with.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pacto_federation::ledger::log as tlog;
use pacto_log::checkpoint::Checkpoint;
use pacto_log::note::{Note, parse_vkey};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(note) = Note::parse(text) {
        assert_eq!(note.to_text(), text);
        if let Ok(cp) = Checkpoint::parse_body(&note.text) {
            assert_eq!(cp.body(), note.text);
        }
    }
    if let Ok(cp) = Checkpoint::parse_body(text) {
        assert_eq!(cp.body(), text);
    }
    let _ = parse_vkey(text);
    let key = pacto_federation::ledger::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let _ = tlog::verify_export(text, &key, None);
    let _ = tlog::verify_export(text, &key, Some(text));
    let _ = serde_json::from_str::<tlog::EntryProof>(text).map(|p| p.verify(&key));
    let _ = serde_json::from_str::<tlog::LogConsistency>(text).map(|p| p.verify(&key));
    let _ = serde_json::from_str::<pacto_log::consistency::Equivocation>(text)
        .map(|e| e.verify(&tlog::log_verifier(&key)));
});
