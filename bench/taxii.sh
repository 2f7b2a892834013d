#!/usr/bin/env bash
# TAXII server benchmarks (issue 3), against medallion (the OASIS reference server, memory
# backend) in the same run where a peer is named:
#   1. POST of a real bundle (MITRE ATT&CK Enterprise made 2.1 by bench/attack_to_21.py) in
#      1,000-object requests: objects/s, pacto vs medallion.
#   2. Paging a 1,000,000-object collection with limit 1,000: page time at depth 10k, 100k, 1M.
#   3. 64 concurrent clients for 60 s, 80% reads / 20% writes: errors, p50/p99 latency.
# Everything runs on loopback. Usage: bench/taxii.sh [--quick]  (--quick: 100k objects, 10 s)
set -euo pipefail
cd "$(dirname "$0")/.."
quick="${1:-}"
venv="${PACTO_PYENV:-target/pyenv}"
cargo build --release --quiet -p pacto -p pacto-testkit
bin="${CARGO_TARGET_DIR:-$PWD/target}/release"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check medallion==3.0.0 -r tests/interop/requirements.txt
attack="$(bash tests/interop/fetch_attack.sh "$venv")"
. bench/lib.sh
python3 bench/attack_to_21.py "$attack" "$work/attack21.json" >/dev/null
export PACTO_DATA_DIR="$work/pacto"
pw="bench-password-1"
total=1000000; mixed_secs=60
[ "$quick" = "--quick" ] && { total=100000; mixed_secs=10; }

# pacto: collections, a user, a 1M-object collection for paging
"$bin/pacto" --no-progress collections create bench >/dev/null
"$bin/pacto" --no-progress collections create load >/dev/null
echo "$pw" | "$bin/pacto" user add bench --read '*' --write '*' >/dev/null
"$bin/pacto-gen" --objects "$total" --out "$work/big.json" 2>/dev/null
"$bin/pacto" --no-progress import --create "$work/big.json" -c paging >/dev/null 2>&1
rm -f "$work/big.json"
pport=$(free_port)
"$bin/pacto" serve --listen "127.0.0.1:$pport" 2>"$work/pacto.log" & pids+=($!)
wait_http "http://127.0.0.1:$pport/healthz"

# medallion: memory backend, one API root, one collection
mport=$(free_port)
mcoll=91a7b528-80eb-42ed-a74d-c6fbd5a26116
cat > "$work/medallion-data.json" <<JSON
{"/discovery": {"title": "bench", "default": "http://127.0.0.1:$mport/api1/", "api_roots": ["http://127.0.0.1:$mport/api1/"]},
 "api1": {"information": {"title": "bench", "versions": ["application/taxii+json;version=2.1"], "max_content_length": 104857600},
          "status": [], "collections": [{"id": "$mcoll", "title": "bench", "can_read": true, "can_write": true,
          "media_types": ["application/stix+json;version=2.1"], "objects": [], "manifest": []}]}}
JSON
cat > "$work/medallion.json" <<JSON
{"backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend", "filename": "$work/medallion-data.json"},
 "users": {"bench": "$pw"}, "taxii": {"max_page_size": 1000}}
JSON
"$venv/bin/medallion" --host 127.0.0.1 --port "$mport" "$work/medallion.json" >"$work/medallion.log" 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$mport/taxii2/"

echo "machine: $(nproc) cores; $(rustc --version); medallion 3.0.0 (memory backend)"
load() { "$bin/pacto-load" "$@" --user bench --password "$pw"; }
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

# 1. POST: three runs each, into a fresh collection each time; medians
rates() { python3 -c "import json,sys; v=sorted(json.loads(l)['objects_per_second'] for l in sys.argv[1:]); print(v[len(v)//2])" "$@"; }
pruns=(); mruns=()
for run in 1 2 3; do
  "$bin/pacto" --no-progress collections create "post$run" >/dev/null
  pruns+=("$(load post --host "127.0.0.1:$pport" --path "/api/collections/post$run/objects/" --file "$work/attack21.json" --batch 1000)")
done
for run in 1 2 3; do
  # medallion keeps everything in one process: restart it for an empty collection each run
  kill "${pids[-1]}" 2>/dev/null || true; wait "${pids[-1]}" 2>/dev/null || true
  "$venv/bin/medallion" --host 127.0.0.1 --port "$mport" "$work/medallion.json" >"$work/medallion.log" 2>&1 & pids+=($!)
  wait_http "http://127.0.0.1:$mport/taxii2/"
  mruns+=("$(load post --host "127.0.0.1:$mport" --path "/api1/collections/$mcoll/objects/" --file "$work/attack21.json" --batch 1000)")
done
printf 'post pacto: %s\n' "${pruns[@]}" >&2
printf 'post medallion: %s\n' "${mruns[@]}" >&2
pr=$(rates "${pruns[@]}"); mr=$(rates "${mruns[@]}")
echo
echo "| measure | pacto | medallion | ratio |"
echo "|---|---|---|---|"
printf '| POST ATT&CK (19,981 objects) in 1,000-object requests, objects/s (median of 3) | %.0f | %.0f | %.0f× |\n' "$pr" "$mr" "$(python3 -c "print($pr/$mr)")"

# 2. paging at depth
db="$work/pacto/pacto.db"
for depth in $((total / 100)) $((total / 10)) $((total - 2000)); do
  cursor=$(python3 - "$db" "$depth" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("SELECT o.date_added FROM objects o JOIN collections c ON o.coll = c.pk WHERE c.name = 'paging' ORDER BY o.date_added LIMIT 1 OFFSET ?", (int(sys.argv[2]),)).fetchone()[0])
PY
)
  r=$(load page --host "127.0.0.1:$pport" --path /api/collections/paging/objects/ --cursor "next=$cursor" --limit 1000 --repeat 20)
  printf '| page of 1,000 at depth %s of %s (next cursor), median ms | %.1f | — | objects: %s |\n' "$depth" "$total" "$(field "$r" median_ms)" "$(field "$r" objects_per_page)"
done

# 3. mixed load
r=$(load mixed --host "127.0.0.1:$pport" --path /api/collections/load/objects/ --clients 64 --seconds "$mixed_secs" --write-percent 20)
echo "mixed: $r" >&2
printf '| 64 clients, %s s, 80%% reads (limit 100) / 20%% writes (10 objects): requests, errors | %s, %s | — | %.0f req/s |\n' "$mixed_secs" "$(field "$r" requests)" "$(field "$r" errors)" "$(field "$r" requests_per_second)"
printf '| … latency p50 / p99 ms (reads p50/p99; writes p50/p99) | %.1f / %.1f (%.1f/%.1f; %.1f/%.1f) | — | |\n' "$(field "$r" p50_ms)" "$(field "$r" p99_ms)" "$(field "$r" read_p50_ms)" "$(field "$r" read_p99_ms)" "$(field "$r" write_p50_ms)" "$(field "$r" write_p99_ms)"
