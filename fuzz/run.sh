#!/usr/bin/env bash
# Run every fuzz target for SECONDS each (default 60), seeded from the validation corpus.
# Needs cargo-fuzz (installed here if missing). libFuzzer needs nightly flags, which the stable
# toolchain accepts with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
for target in bundle_reader stream_reader timestamp validate_object pattern psi_wire psi_labelled share_decide ledger misp; do
  mkdir -p "corpus/$target"
  seeds="seeds/bundle_reader"
  [ "$target" = pattern ] && seeds="seeds/pattern"
  [ "$target" = psi_wire ] && seeds="seeds/psi_wire"
  [ "$target" = psi_labelled ] && seeds="seeds/psi_labelled"
  [ "$target" = ledger ] && seeds="seeds/ledger"
  [ "$target" = misp ] && seeds="seeds/misp"
  echo "fuzz: $target for ${seconds}s"
  cargo fuzz run "$target" "corpus/$target" "$seeds" -- -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 2>&1 | tail -n 3
done
echo "fuzz: all targets ran clean"
