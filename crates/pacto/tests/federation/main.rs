//! Nodes federating through the command line, on the backend `PACTO_TEST_BACKEND` names (SQLite,
//! or `postgres`): partners and agreements, sync between nodes, private matching, the ledger's
//! receipts and audits, mutual TLS, and the README's walkthrough. One test binary
//! (`cargo test -p pacto --test federation`), a module a topic.

#[path = "../common/mod.rs"]
mod common;
mod matching;
mod partners;
mod receipts;
mod sharing;
mod tls;
mod walkthrough;
