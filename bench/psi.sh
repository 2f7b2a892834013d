#!/usr/bin/env bash
# Private set intersection (issue 5): pacto's PSI and openmined-psi (PyPI) on the same sizes in
# the same run; N x N items with 10% in common. Usage: bench/psi.sh [N ...] (default 10k 100k 1M)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${PACTO_PYENV:-target/pyenv}"
sizes=("$@"); [ ${#sizes[@]} -eq 0 ] && sizes=(10000 100000 1000000)
cargo build --release --quiet -p pacto-psi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check openmined.psi==2.0.6
echo "| N x N | pacto s | openmined-psi s | speed-up | pacto bytes/item | openmined bytes/item | pacto / lower bound |"
echo "|---|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
  p=$(target/release/psi-bench "$n")
  o=$("$venv/bin/python" bench/psi_openmined.py "$n")
  echo "pacto: $p" >&2
  echo "openmined: $o" >&2
  python3 - "$p" "$o" <<'PY'
import json, sys
p, o = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"| {p['n']:,} | {p['seconds']:.2f} | {o['seconds']:.2f} | {o['seconds']/p['seconds']:.1f}× | {p['bytes_per_item']:.1f} | {o['bytes_per_item']:.1f} | {p['ratio_to_bound']:.2f}× ({p['lower_bound_s']:.2f} s) |")
PY
done
# Size-only mode (the count exchange): a query of 10k items against a set of 100k.
echo
target/release/psi-bench count 10000 100000
