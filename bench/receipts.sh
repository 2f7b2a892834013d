#!/usr/bin/env bash
# What a receipt costs per partner page of 1,000 objects (issue 11: within 1.2× the time
# without), on the server's side: see crates/pacto-node/examples/receipt_bench.rs.
# Usage: bench/receipts.sh [ROUNDS] (default 100)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet -p pacto-node --example receipt_bench -- "${1:-100}"
