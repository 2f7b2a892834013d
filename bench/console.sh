#!/usr/bin/env bash
# The console's server-side work at 1,000,000 objects (issue 14: a search < 100 ms, the
# dashboard < 50 ms): pacto_node::browse::search and ::dashboard over a SQLite node filled with
# generated objects (kept in target/console-bench and reused). Medians, in ms, as JSON.
# Usage: bench/console.sh [OBJECTS] [ROUNDS]   (defaults 1000000, 21)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/console-bench
cargo run --release --quiet -p pacto-testkit --bin console-bench -- "${1:-1000000}" target/console-bench "${2:-21}"
