#!/usr/bin/env bash
# The disclosure ledger as a Merkle tree log (issue 11): appends per second (version 1 chain
# alone and version 2 chain + tree, in the same run), verifying a 1,000,000-entry export, proof
# sizes at 1,000,000 entries. Usage: bench/ledger.sh [ENTRIES] (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet -p pacto-federation --example ledger_bench -- "${1:-1000000}"
