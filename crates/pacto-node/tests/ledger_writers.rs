//! The ledger has one linear order when several processes append at once (two servers on one
//! database, or a server and the command line): every entry lands, chained after the one before,
//! with no gap and no fork, and the whole ledger verifies.

use pacto_federation::ledger::{Entry, Event, generate_key};
use pacto_store::on_every_backend;
use pacto_store::testing::TestDatabase;

fn event(n: usize) -> Event {
    Event {
        time: "2026-12-02T00:00:00Z".into(),
        partner: "mx".into(),
        kind: "disclosure".into(),
        collection: "intel".into(),
        object_id: Some(format!("indicator--00000000-0000-4000-8000-{n:012}")),
        object_version: Some("2026-01-01T00:00:00.000Z".into()),
        digest: "00".repeat(32),
    }
}

on_every_backend!(concurrent_appenders_keep_one_chain, |db: &TestDatabase| {
    const WRITERS: usize = 3;
    const EACH: usize = 30;
    let key = generate_key();
    std::thread::scope(|scope| {
        for w in 0..WRITERS {
            let mut s = db.open();
            let key = key.clone();
            scope.spawn(move || {
                for i in 0..EACH {
                    pacto_node::ledger::append_signed(
                        &mut *s,
                        &key,
                        "mx",
                        vec![event(w * EACH + i)],
                        "2026-12-02T00:00:00Z",
                    )
                    .unwrap();
                }
            });
        }
    });
    let s = db.open();
    let rows = s.ledger_entries(0, None, usize::MAX).unwrap();
    assert_eq!(rows.len(), WRITERS * EACH, "every append landed");
    let entries: Vec<Entry> = rows.iter().map(|(_, t)| serde_json::from_str(t).unwrap()).collect();
    for (i, w) in entries.windows(2).enumerate() {
        assert_eq!(w[1].seq, w[0].seq + 1, "no gap at {i}");
        assert_eq!(w[1].prev, w[0].hash, "entry {} follows entry {}", w[1].seq, w[0].seq);
    }
    let checkpoints: Vec<pacto_federation::ledger::Checkpoint> =
        s.ledger_checkpoints().unwrap().iter().map(|t| serde_json::from_str(t).unwrap()).collect();
    pacto_federation::ledger::verify(&entries, &checkpoints, &key.verifying_key()).unwrap();
});
