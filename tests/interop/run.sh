#!/usr/bin/env bash
# The interop and differential suites that use the field's Python tools from PyPI. Installs
# what it needs into a venv (target/pyenv unless PACTO_PYENV says otherwise).
#
# Usage: tests/interop/run.sh [PACTO_BINARY]   (default: target/release/pacto)
set -euo pipefail
cd "$(dirname "$0")/../.."
pacto="${1:-target/release/pacto}"
venv="${PACTO_PYENV:-target/pyenv}"
if [ ! -x "$venv/bin/python" ]; then
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
# misp-modules for its TAXII 2.1 import module only (consumers.py loads that one file): without
# the dependencies of its hundred other modules.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps misp-modules==3.1.1

echo "== corpus is what its generator makes"
"$venv/bin/python" tests/interop/gen_corpus.py --check
echo "== pacto validate vs stix2-validator over the corpus"
"$venv/bin/python" tests/interop/validate_diff.py --pacto "$pacto"
echo "== pattern corpus is what its generator makes"
"$venv/bin/python" tests/interop/gen_patterns.py --check
echo "== pattern corpus vs stix2-patterns and stix2-matcher"
"$venv/bin/python" tests/interop/pattern_diff.py
echo "== MITRE ATT&CK round trip"
bash tests/interop/attack_roundtrip.sh "$pacto" "$venv"
echo "== disclosure ledger: an independent verifier (docs/ledger.md) on pacto's export and proofs"
fixtures="$(mktemp -d)"
PACTO_LEDGER_FIXTURES="$fixtures" cargo test --quiet -p pacto-federation --test ledger_fixtures >/dev/null
"$pacto" ledger verify --file "$fixtures/export.jsonl" --public-key "$(cat "$fixtures/public_key.hex")" \
  --checkpoint "$fixtures/checkpoint-10.txt"
"$venv/bin/python" tests/interop/verify_ledger.py "$fixtures"
rm -rf "$fixtures"
echo "== TAXII 2.1 through taxii2-client and stix2"
"$venv/bin/python" tests/interop/taxii_interop.py --pacto "$pacto"
echo "== the feed consumers on PyPI: MISP's TAXII 2.1 import module, MISP's push, OpenCTI's connector and XSOAR on taxii2-client"
"$venv/bin/python" tests/interop/consumers.py --pacto "$pacto"
echo "== MISP events: pacto's mapping against misp-stix (docs/interop.md has the figure)"
"$venv/bin/python" tests/interop/misp_diff.py --pacto "$pacto" --min 0.95
