#!/usr/bin/env bash
# STIX patterns (issue 6), in one run:
#  1. one pattern against many observations: pacto vs stix2-matcher (PyPI) on the same data;
#  2. K equality/IN indicators against 1,000,000 observations, K = 100 and 10,000, indexed, and
#     10,000 without the index (on fewer observations) to show what the index saves;
#  3. the node end to end: 10,000 indicators and 100,000 observed-data (500,000 objects)
#     imported, then `pacto detect run` (store scan, reference lookup, matching, sightings).
# Usage: bench/patterns.sh [N] (observations for part 1; default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${PACTO_PYENV:-target/pyenv}"
n="${1:-10000}"
cargo build --release --quiet -p pacto-testkit --bin pattern-bench -p pacto
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check stix2-matcher==3.0.0 stix2-patterns==2.1.2
data="target/bench-patterns-$n.json"
target/release/pattern-bench gen "$n" "$data"
patterns=(
  "[ipv4-addr:value = '10.0.1.244']"
  "[file:hashes.'SHA-256' = '$(python3 -c "print(format(17 * 0x9e3779b97f4a7c15f39cc0605cedc835 % (1<<128), '064x'))")' OR domain-name:value LIKE 'host99%.example.net']"
  "[network-traffic:dst_ref.value ISSUBSET '10.0.2.0/24' AND network-traffic:dst_port = 443]"
  "([ipv4-addr:value = '10.0.1.244'] FOLLOWEDBY [domain-name:value = 'host7.example.net']) WITHIN 3600 SECONDS"
)
echo "== one pattern, $n observations; pacto matches each observation on its own (as a node does)"
echo "| pattern | pacto obs/s | stix2-matcher obs/s, each alone | stix2-matcher obs/s, whole set (its best) | speed-up vs its best |"
echo "|---|---|---|---|---|"
p_out=$(target/release/pattern-bench one "$data" "${patterns[@]}")
m_out=$("$venv/bin/python" bench/pattern_matcher.py "$data" 1000 "${patterns[@]}")
python3 - "$p_out" "$m_out" <<'PY'
import json, sys
ps = [json.loads(l) for l in sys.argv[1].splitlines()]
ms = [json.loads(l) for l in sys.argv[2].splitlines()]
for p, m in zip(ps, ms):
    assert p["whole_matched"] == m["whole_matched"], (p, m)
    assert p["stream_matches"] >= m["stream_matches"], (p, m)
    prate = p["observations"] / p["stream_s"]
    mstream = m["stream_observations"] / m["stream_s"]
    mwhole = m["observations"] / m["whole_s"]
    best = max(mstream, mwhole)
    pat = p["pattern"] if len(p["pattern"]) < 70 else p["pattern"][:67] + "..."
    print(f"| `{pat}` | {prate:,.0f} | {mstream:,.0f} | {mwhole:,.0f} | {prate/best:,.0f}× |")
PY
echo
echo "== K indicators x 1,000,000 observations"
for k in 100 10000; do target/release/pattern-bench many "$k" 1000000; done
target/release/pattern-bench many 10000 2000 --no-index

echo
echo "== the node: 10,000 indicators, 100,000 observed-data, pacto detect run"
node="$(mktemp -d)"
trap 'rm -rf "$node"' EXIT
target/release/pattern-bench gen 100000 "$node/obs.json"
python3 - "$node/ind.json" <<'PY'
import json, sys
def sha(i): return format((i * 0x9e3779b97f4a7c15f39cc0605cedc835) % (1 << 128), '064x')
objs = []
for j in range(10000):
    v = j % 1000 if j % 100 == 0 else 1000 + j   # 1% of the indicators can match the data
    p = [f"[file:hashes.'SHA-256' = '{sha(v)}']", f"[ipv4-addr:value = '10.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}']",
         f"[domain-name:value = 'host{v}.example.net']", f"[file:name = 'sample{v}.exe' AND file:size > 100]"][j % 4]
    objs.append({"type": "indicator", "spec_version": "2.1", "id": "indicator--%08x-0000-4000-8000-000000000000" % j,
                 "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "pattern": p,
                 "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"})
json.dump({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000", "objects": objs}, open(sys.argv[1], "w"))
PY
export PACTO_DATA_DIR="$node/data"
target/release/pacto collections create intel >/dev/null
target/release/pacto collections create obs >/dev/null
target/release/pacto import --create "$node/ind.json" -c intel --no-progress | tail -1
target/release/pacto import --create "$node/obs.json" -c obs --no-progress | tail -1
target/release/pacto detect setup --indicators intel --observations obs >/dev/null
start=$(date +%s.%N)
target/release/pacto detect run --no-progress
end=$(date +%s.%N)
python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'detect run: {s:.2f} s, {100000/s:,.0f} observed-data/s (500,000 objects read)')" "$start" "$end"
