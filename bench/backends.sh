#!/usr/bin/env bash
# The two storage backends side by side (issue 13), in the same run on the same machine:
#   1. import of MITRE ATT&CK (made 2.1) and of a generated 1,000,000-object bundle: objects/s
#   2. TAXII POST of ATT&CK in 1,000-object requests: objects/s
#   3. a page of 1,000 at depth 10k, 100k and 1M (`next` cursor): median ms
#   4. 64 clients for 60 s, 80% reads / 20% writes, on one server; and, on PostgreSQL, on three
#      servers sharing the database
# PostgreSQL: the server named by PACTO_BENCH_POSTGRES (default
# postgres://postgres@127.0.0.1:5432/postgres); a database pacto_bench is made afresh.
# Everything runs on loopback. Usage: bench/backends.sh [--quick]  (100k objects, 10 s loads)
set -euo pipefail
cd "$(dirname "$0")/.."
quick="${1:-}"
venv="${PACTO_PYENV:-target/pyenv}"
cargo build --release --quiet -p pacto -p pacto-testkit
bin="${CARGO_TARGET_DIR:-$PWD/target}/release"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
attack="$(bash tests/interop/fetch_attack.sh "$venv")"
. bench/lib.sh
python3 bench/attack_to_21.py "$attack" "$work/attack21.json" >/dev/null
admin="${PACTO_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
pg="${admin%/*}/pacto_bench"
pw="bench-password-1"
total=1000000; secs=60
[ "$quick" = "--quick" ] && { total=100000; secs=10; }
"$bin/pacto-gen" --objects "$total" --out "$work/big.json" 2>/dev/null
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
load() { "$bin/pacto-load" "$@" --user bench --password "$pw"; }
rate() { sed -n 's/.*(\([0-9]*\) objects\/s).*/\1/p' | tail -1; }
psql_do() { python3 - "$1" "$2" <<'PY'
import subprocess, sys
url, sql = sys.argv[1], sys.argv[2]
print(subprocess.run(["psql", url, "-Atqc", sql], check=True, capture_output=True, text=True).stdout.strip())
PY
}
# The date_added at a depth of a collection, as the `next` cursor of the page there.
cursor_at() {  # backend depth
  local q="SELECT o.date_added FROM objects o JOIN collections c ON o.coll = c.pk WHERE c.name = 'paging' ORDER BY o.date_added LIMIT 1 OFFSET $2"
  if [ "$1" = sqlite ]; then python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$work/sqlite/pacto.db" "$q"
  else psql_do "$pg" "$q"; fi
}

echo "machine: $(nproc) cores; $(rustc --version); $(psql "$admin" -Atqc 'SHOW server_version' 2>/dev/null | sed 's/^/PostgreSQL /')"
echo
echo "| measure | SQLite | PostgreSQL |"
echo "|---|---|---|"
declare -A r
for backend in sqlite postgres; do
  export PACTO_DATA_DIR="$work/$backend"
  if [ "$backend" = postgres ]; then
    psql "$admin" -qc "DROP DATABASE IF EXISTS pacto_bench WITH (FORCE)" -c "CREATE DATABASE pacto_bench" >/dev/null
    export PACTO_DATABASE="$pg"
  else
    export PACTO_DATABASE="sqlite:$work/sqlite/pacto.db"
  fi
  P() { "$bin/pacto" --no-progress "$@"; }
  for c in attack paging load; do P collections create "$c" >/dev/null; done
  echo "$pw" | P user add bench --read '*' --write '*' >/dev/null
  r[$backend,attack]=$(P import --create "$work/attack21.json" -c attack 2>&1 | rate)
  r[$backend,big]=$(P import --create "$work/big.json" -c paging 2>&1 | rate)
  port=$(free_port)
  "$bin/pacto" serve --listen "127.0.0.1:$port" 2>"$work/$backend.log" & pids+=($!)
  wait_http "http://127.0.0.1:$port/healthz"
  P collections create post >/dev/null
  out=$(load post --host "127.0.0.1:$port" --path /api/collections/post/objects/ --file "$work/attack21.json" --batch 1000)
  r[$backend,post]=$(printf '%.0f' "$(field "$out" objects_per_second)")
  for depth in $((total / 100)) $((total / 10)) $((total - 2000)); do
    out=$(load page --host "127.0.0.1:$port" --path /api/collections/paging/objects/ --cursor "next=$(cursor_at "$backend" "$depth")" --limit 1000 --repeat 20)
    r[$backend,page$depth]=$(printf '%.1f' "$(field "$out" median_ms)")
  done
  out=$(load mixed --host "127.0.0.1:$port" --path /api/collections/load/objects/ --clients 64 --seconds "$secs" --write-percent 20)
  echo "$backend mixed, 1 server: $out" >&2
  r[$backend,mixed1]="$(printf '%.0f req/s, %s errors, p50/p99 %.1f/%.1f ms' "$(field "$out" requests_per_second)" "$(field "$out" errors)" "$(field "$out" p50_ms)" "$(field "$out" p99_ms)")"
  if [ "$backend" = postgres ]; then
    hosts="127.0.0.1:$port"
    for _ in 1 2; do
      p2=$(free_port)
      "$bin/pacto" serve --listen "127.0.0.1:$p2" 2>>"$work/$backend.log" & pids+=($!)
      wait_http "http://127.0.0.1:$p2/healthz"
      hosts="$hosts,127.0.0.1:$p2"
    done
    out=$(load mixed --host "$hosts" --path /api/collections/load/objects/ --clients 64 --seconds "$secs" --write-percent 20)
    echo "$backend mixed, 3 servers: $out" >&2
    r[$backend,mixed3]="$(printf '%.0f req/s, %s errors, p50/p99 %.1f/%.1f ms' "$(field "$out" requests_per_second)" "$(field "$out" errors)" "$(field "$out" p50_ms)" "$(field "$out" p99_ms)")"
  fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
done
echo "| import ATT&CK (19,981 objects), objects/s | ${r[sqlite,attack]} | ${r[postgres,attack]} |"
echo "| import a $total-object bundle, objects/s | ${r[sqlite,big]} | ${r[postgres,big]} |"
echo "| TAXII POST of ATT&CK in 1,000-object requests, objects/s | ${r[sqlite,post]} | ${r[postgres,post]} |"
for depth in $((total / 100)) $((total / 10)) $((total - 2000)); do
  echo "| page of 1,000 at depth $depth of $total, median ms | ${r[sqlite,page$depth]} | ${r[postgres,page$depth]} |"
done
echo "| 64 clients, ${secs} s, 80% reads / 20% writes, one server | ${r[sqlite,mixed1]} | ${r[postgres,mixed1]} |"
echo "| … on three servers sharing the database | — (one process per SQLite file) | ${r[postgres,mixed3]} |"
psql "$admin" -qc "DROP DATABASE IF EXISTS pacto_bench WITH (FORCE)" >/dev/null
