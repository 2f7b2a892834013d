#!/usr/bin/env bash
# STIX patterns (issue 6), in one run:
#  1. one pattern against many observations: pacto vs stix2-matcher (PyPI) on the same data;
#  2. K equality/IN indicators against 1,000,000 observations, K = 100 and 10,000, indexed, and
#     10,000 without the index (on fewer observations) to show what the index saves.
# Usage: bench/patterns.sh [N] (observations for part 1; default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${PACTO_PYENV:-target/pyenv}"
n="${1:-10000}"
cargo build --release --quiet -p pacto-testkit --bin pattern-bench
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
