//! Private matching takes a partner's answer only with its receipt, as sync does: an answer
//! without one, or with a receipt for another body, is refused and nothing of it is used; a
//! good receipt is kept beside the partner's others. The fake partner is a plain listener on
//! loopback that answers every request with what the test gives it.

use std::io::{Read, Write};
use std::net::TcpListener;

use pacto_federation::ledger::receipt::{self, Receipt};
use pacto_federation::ledger::{Chain, Event, generate_key, log as tlog, sha256_hex};
use pacto_node::psi::{MatchError, query};
use pacto_psi::Normalizer;
use pacto_store::{Remote, SqliteStore, prelude::*};

/// A partner that answers every request `200` with `body` and, if given, the receipt header.
fn partner(body: &'static [u8], receipt: Option<String>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(10) {
            let Ok(mut s) = conn else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let text = String::from_utf8_lossy(&head).to_lowercase();
            let len: usize = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                .unwrap_or(0);
            let mut rest = vec![0u8; len];
            let _ = s.read_exact(&mut rest);
            let extra = receipt.as_ref().map(|r| format!("{}: {r}\r\n", receipt::HEADER)).unwrap_or_default();
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(body);
        }
    });
    format!("http://{addr}/api/")
}

fn remote(url: &str) -> Remote {
    Remote {
        partner: "mx".into(),
        api_root: url.into(),
        username: "us".into(),
        password: "secret".into(),
        ca_file: None,
        fingerprint: None,
    }
}

/// A receipt, signed by a fresh key, for the answer `body` given to "us".
fn receipt_for(body: &[u8]) -> String {
    let key = generate_key();
    let mut chain = Chain::default();
    let e = chain.append(Event {
        time: "2026-12-03T00:00:00.000Z".into(),
        partner: "us".into(),
        kind: receipt::RESPONSE.into(),
        collection: "dealer-sales".into(),
        object_id: None,
        object_version: Some("psi-answer".into()),
        digest: sha256_hex(body),
    });
    let tree = tlog::tree(std::slice::from_ref(&e));
    let cp = tlog::log_signer(&key).sign(1, tree.root());
    Receipt::build(&key.verifying_key(), 1, e, &tree, &cp, None).unwrap().to_header()
}

fn run(url: &str, store: &mut SqliteStore) -> Result<pacto_node::psi::MatchOutcome, MatchError> {
    query(store, &remote(url), None, "dealer-sales", &[b"AB123".to_vec()], Normalizer::Serial, false)
}

#[test]
fn a_private_matching_answer_is_taken_only_with_its_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("pacto.db")).unwrap();
    // No receipt: refused before the answer is read.
    let e = run(&partner(b"not even an answer", None), &mut store).unwrap_err();
    assert!(matches!(e, MatchError::Receipt { .. }) && e.to_string().contains("without a receipt"), "{e}");
    // A genuine receipt, but for another body.
    let e = run(&partner(b"the answer sent", Some(receipt_for(b"another answer"))), &mut store).unwrap_err();
    assert!(e.to_string().contains("records a body with SHA-256"), "{e}");
    assert!(store.last_receipt("mx").unwrap().is_none(), "nothing kept of refused answers");
    // A receipt for the body sent is checked and kept (the answer itself is then read, and
    // this one is no PSI answer).
    let body: &'static [u8] = b"garbage that is receipted";
    let e = run(&partner(body, Some(receipt_for(body))), &mut store).unwrap_err();
    assert!(!matches!(e, MatchError::Receipt { .. }), "{e}");
    assert!(store.last_receipt("mx").unwrap().is_some(), "the receipt is kept");
}
