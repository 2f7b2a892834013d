#!/usr/bin/env bash
# Memory of a hostile POST (issue 10, finding 8): an account with a drop box POSTs 10 MB of `{}`
# (3.4 million empty objects). Prints the server's resident memory when idle and its peak during
# the POST (VmHWM after clear_refs), the answer's status and size, and the time; then the
# same for three such POSTs in a row (what the server keeps afterwards).
# Loopback only; one server, bounded requests.
# Usage: bench/post_limits.sh [PATH-TO-pacto]   (default: builds target/release/pacto)
# Linux only (/proc). With the binary of a commit before the fix, the same script measures it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then bin="$1"; else cargo build --release --quiet -p pacto; bin="${CARGO_TARGET_DIR:-$PWD/target}/release/pacto"; fi
work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export PACTO_DATA_DIR="$work/data"
pw="bench-password-1"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$bin" collections create dropbox >/dev/null
echo "$pw" | "$bin" user add dropper --write dropbox >/dev/null
"$bin" serve --listen "127.0.0.1:$port" --sync-interval 0 2>"$work/serve.log" &
pid=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
python3 - "$work/body.json" <<'PY'
import sys
n = (10 * 1024 * 1024 - 16) // 3
with open(sys.argv[1], "w") as f:
    f.write('{"objects":[' + "{}," * n + '{}]}')
PY
kb() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$pid/status"; }
post() {
  curl -s -o "$work/answer.json" -w '%{http_code} %{size_download} %{time_total}' \
    -u "dropper:$pw" -H 'Content-Type: application/taxii+json;version=2.1' \
    -H 'Accept: application/taxii+json;version=2.1' --data-binary "@$work/body.json" \
    "http://127.0.0.1:$port/api/collections/dropbox/objects/"
}
# Warm up (a login, so argon2's memory is already counted in the idle figure).
curl -s -o /dev/null -u "dropper:$pw" -H 'Accept: application/taxii+json;version=2.1' "http://127.0.0.1:$port/api/"
sleep 0.5
idle=$(kb VmRSS)
echo 5 > "/proc/$pid/clear_refs"
read -r code size secs <<<"$(post)"
peak=$(kb VmHWM)
echo "body: $(stat -c %s "$work/body.json") bytes of {}"
echo "idle RSS: $((idle / 1024)) MiB"
echo "one POST: HTTP $code, answer $size bytes, ${secs}s; peak RSS $((peak / 1024)) MiB (+$(((peak - idle) / 1024)) MiB over idle)"
head -c 300 "$work/answer.json"; echo
for _ in 1 2; do post >/dev/null; done
sleep 0.5
echo "after three POSTs: RSS $(($(kb VmRSS) / 1024)) MiB, peak $(($(kb VmHWM) / 1024)) MiB"
