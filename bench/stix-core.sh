#!/usr/bin/env bash
# Benchmarks for the STIX core (issue 2), against the peer in the same run:
#   1. `pacto validate` vs stix2-validator (Python API, the faster of its two entry points) on
#      MITRE ATT&CK Enterprise: wall time and the ratio.
#   2. `pacto import` of the same bundle into a fresh store: objects/s (median of 5).
#   3. `pacto import` of a generated 1 GiB bundle: peak RSS and objects/s.
# Usage: bench/stix-core.sh [--quick]   (--quick skips the 1 GiB run)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${PACTO_PYENV:-target/pyenv}"
cargo build --release --quiet -p pacto -p pacto-testkit
pacto="$PWD/target/release/pacto"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
attack="$(bash tests/interop/fetch_attack.sh "$venv")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
objects=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['objects']))" "$attack")
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(rustc --version)"
echo "input: $attack ($objects objects, $(du -m "$attack" | cut -f1) MB)"

# 1. validate
times=()
for _ in 1 2 3 4 5; do
  t0=$(now); "$pacto" --no-progress validate "$attack" >/dev/null; t1=$(now)
  times+=("$(calc "$t1 - $t0")")
done
pacto_validate=$(printf '%s\n' "${times[@]}" | median)
ref=$("$venv/bin/python" - "$attack" <<'PY'
import sys, time
from stix2validator import validate_file, ValidationOptions
t0 = time.perf_counter()
r = validate_file(sys.argv[1], ValidationOptions(version="2.0"))
t1 = time.perf_counter()
print(f"{t1 - t0:.3f} {int(r.is_valid)}")
PY
)
ref_time=${ref% *}
echo
echo "| measure | pacto | stix2-validator | ratio |"
echo "|---|---|---|---|"
printf '| validate ATT&CK (%s objects), wall s | %.3f | %.1f | %.0f× |\n' "$objects" "$pacto_validate" "$ref_time" "$(calc "$ref_time / $pacto_validate")"

# 2. import
rates=()
for _ in 1 2 3 4 5; do
  rm -rf "$work/d"
  t0=$(now); PACTO_DATA_DIR="$work/d" "$pacto" --no-progress import --create "$attack" -c attack >/dev/null 2>&1; t1=$(now)
  rates+=("$(calc "$objects / ($t1 - $t0)")")
done
printf '| import ATT&CK into a fresh store, objects/s (median of 5, whole process) | %.0f | — | target ≥ 50,000 |\n' "$(printf '%s\n' "${rates[@]}" | median)"

# 3. 1 GiB
if [ "${1:-}" != "--quick" ]; then
  target/release/pacto-gen --bytes 1G --out "$work/1g.json" 2>/dev/null
  rm -rf "$work/d"
  t0=$(now)
  PACTO_DATA_DIR="$work/d" /usr/bin/time -f '%M' -o "$work/rss" "$pacto" --no-progress import --create "$work/1g.json" -c big --format json >"$work/report.json"
  t1=$(now)
  n=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['report']; assert r['rejected']==0, r; print(r['added'])" "$work/report.json")
  rss_kb=$(tail -1 "$work/rss")
  printf '| import generated 1 GiB bundle (%s objects): peak RSS MiB | %.0f | — | target < 256 |\n' "$n" "$(calc "$rss_kb / 1024")"
  printf '| import generated 1 GiB bundle: objects/s | %.0f | — | |\n' "$(calc "$n / ($t1 - $t0)")"
fi
