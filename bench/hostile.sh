#!/usr/bin/env bash
# Issue 10: what a partner can time. Everything on loopback, one `pacto serve`, one partner.
#   1. A partner's page is not slower for what it may not see: the page after the last
#      disclosed object (its polling cursor), in `clean` (1,000 GREEN indicators) and in
#      `mixed` (the same 1,000, then 20,000 RED); and a first page of 100 in each (in `mixed`
#      20 RED objects lie between each pair of GREEN ones).
#   2. A withheld object answers like a missing one: GET of a RED object of 10 KB, 1 MB and
#      10 MB against an id that was never stored (object, versions, match[id]).
# Requests alternate between the two sides of each comparison on one connection.
# Usage: bench/hostile.sh [--repeat N]   (default 400 requests a side)
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=400
[ "${1:-}" = "--repeat" ] && repeat="$2"
cargo build --release --quiet -p pacto -p pacto-testkit
bin="${CARGO_TARGET_DIR:-$PWD/target}/release"
. bench/lib.sh
export PACTO_DATA_DIR="$work/node"

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
def ind(n, tlp, pad=0):
    o = {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f",
         "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
         "pattern": "[ipv4-addr:value = '203.0.113.5']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
         "object_marking_refs": [tlp]}
    if pad:
        o["description"] = "x" * pad
    return o
def write(name, objs):
    with open(f"{work}/{name}.json", "w") as f:
        json.dump({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": objs}, f)
green = [ind(n, GREEN) for n in range(1000)]
write("green", green)
write("red-after", [ind(0x100000 + n, RED) for n in range(20000)])
inter = []
for n in range(1000):
    inter.append(green[n])
    inter.extend(ind(0x200000 + n * 20 + k, RED) for k in range(20))
write("interleaved", inter)
write("big", [ind(0x300000, RED, 10_000), ind(0x300001, RED, 1_000_000), ind(0x300002, RED, 10_000_000)])
PY

q() { "$bin/pacto" --no-progress "$@" >/dev/null 2>&1; }
for c in clean mixed interleaved; do q collections create "$c"; done
q import "$work/green.json" -c clean
q import "$work/green.json" -c mixed
q import "$work/red-after.json" -c mixed
q import "$work/interleaved.json" -c interleaved
q import "$work/big.json" -c clean
cat > "$work/partner.toml" <<TOML
partner = "partner"
[[share]]
collection = "clean"
max_tlp = "amber"
[[share]]
collection = "mixed"
max_tlp = "amber"
[[share]]
collection = "interleaved"
max_tlp = "amber"
TOML
# What is measured must be there: the withheld objects are stored, at full size.
python3 - "$PACTO_DATA_DIR/pacto.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
q = lambda sql: c.execute(sql).fetchall()
counts = dict(q("SELECT c.name, count(*) FROM objects o JOIN collections c ON o.coll = c.pk GROUP BY c.name"))
sizes = [n for (n,) in q("SELECT length(raw) FROM objects WHERE id LIKE 'indicator--0030000%' ORDER BY length(raw)")]
print(f"stored: {counts}; withheld big objects: {sizes} bytes")
assert counts == {"clean": 1003, "mixed": 21000, "interleaved": 21000}, counts
assert len(sizes) == 3 and sizes[2] > 10_000_000, sizes
PY
pw=$("$bin/pacto" --no-progress partner add partner --basic --agreement "$work/partner.toml" 2>&1 | grep -o '[A-Za-z0-9]\{24\}' | head -1)
port=$(free_port)
"$bin/pacto" serve --listen "127.0.0.1:$port" 2>"$work/serve.log" & pids+=($!)
wait_http "http://127.0.0.1:$port/healthz"
sleep 1

taxii() { curl -s -u "partner:$pw" -H 'Accept: application/taxii+json;version=2.1' "http://127.0.0.1:$port$1"; }
last() { taxii "/api/collections/$1/manifest/?limit=1000" | python3 -c 'import json,sys,datetime as d
m=json.load(sys.stdin)["objects"]; t=m[-1]["date_added"]; print(t)'; }
cmp() { "$bin/pacto-load" compare --host "127.0.0.1:$port" --user partner --password "$pw" --repeat "$repeat" --path "$1" --other "$2"; }
report() { python3 - "$1" "$2" <<'PY'
import json, sys
r = json.loads(sys.argv[2])
a, b = r["a_ms"], r["b_ms"]
print(f"{sys.argv[1]:<48} {a['p50']:7.3f} ms ({r['a_status']}) vs {b['p50']:7.3f} ms ({r['b_status']})"
      f"  ratio {r['ratio_p50']:.2f}   p10/p90 {a['p10']:.3f}/{a['p90']:.3f} vs {b['p10']:.3f}/{b['p90']:.3f}")
PY
}

echo "machine: $(nproc) cores; $(rustc --version); $repeat requests a side"
echo "== 1. partner pages: 0 vs 20,000 withheld objects"
cc=$(last clean); cm=$(last mixed)
report "page after the last disclosed (clean vs mixed)" \
  "$(cmp "/api/collections/clean/objects/?added_after=$cc&limit=100" "/api/collections/mixed/objects/?added_after=$cm&limit=100")"
report "first page of 100 (clean vs interleaved)" \
  "$(cmp "/api/collections/clean/objects/?limit=100" "/api/collections/interleaved/objects/?limit=100")"
echo "== 2. withheld vs missing (withheld first)"
missing="indicator--7fffffff-17d4-4cbf-938f-98ee46b3cd3f"
for pair in "10 KB:00300000" "1 MB:00300001" "10 MB:00300002"; do
  size="${pair%%:*}"; id="indicator--${pair##*:}-17d4-4cbf-938f-98ee46b3cd3f"
  report "object $size" "$(cmp "/api/collections/clean/objects/$id/" "/api/collections/clean/objects/$missing/")"
  report "versions $size" "$(cmp "/api/collections/clean/objects/$id/versions/" "/api/collections/clean/objects/$missing/versions/")"
  report "match[id] $size" "$(cmp "/api/collections/clean/objects/?match%5Bid%5D=$id" "/api/collections/clean/objects/?match%5Bid%5D=$missing")"
done
