#!/usr/bin/env bash
# Firearms tracing (issue 16), end to end on two nodes over HTTP (loopback): a US node holding a
# dealer sales registry of REGISTRY records with payloads (dealer, sale date, trace reference,
# and a buyer column the agreement withholds), and a Mexican node tracing SEIZED firearms
# against it with `pacto trace`, 10% of them in the registry and written differently.
#   1. the holder's `pacto set import` of the registry CSV (once per registry version)
#   2. `pacto trace`, from start to the payloads printed and the STIX bundle written: seconds,
#      peak memory of the querier, bytes of the answer per registry record
# Usage: bench/trace.sh [REGISTRY] [SEIZED] (default 1000000 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
registry="${1:-1000000}"; seized="${2:-10000}"
cargo build --release --quiet -p pacto
bin="${CARGO_TARGET_DIR:-$PWD/target}/release"
. bench/lib.sh
python3 - "$registry" "$seized" "$work" <<'PY'
import random, sys
n, m, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(16)
makers = [("Colt", "COLT'S MFG CO"), ("Glock", "GLOCK INC"), ("Sturm Ruger", "Sturm, Ruger & Co."),
          ("Smith & Wesson", "SMITH AND WESSON"), ("Beretta", "Beretta U.S.A. Corp"), ("Sig Sauer", "SIG SAUER INC"),
          ("Taurus", "TAURUS"), ("Remington", "Remington Arms"), ("Springfield Armory", "SPRINGFIELD ARMORY"),
          ("Kimber", "KIMBER")]
def serial(i):
    return f"{'ABCDEFGHJKLMNPRSTUVWXYZ'[i % 23]}{'ABCDEFGHJKLMNPRSTUVWXYZ'[(i // 23) % 23]}{i:07d}"
with open(f"{work}/registry.csv", "w") as f:
    f.write("manufacturer,serial_number,dealer,sale_date,trace_ref,buyer\n")
    for i in range(n):
        maker = makers[i % len(makers)][0]
        f.write(f"{maker},{serial(i)},{rng.randrange(1, 10)}-{rng.randrange(10, 99)}-{rng.randrange(0, 99999):05d},"
                f"20{rng.randrange(15, 26)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d},"
                f"T-{i:07d},\"Buyer {rng.randrange(0, 10**6)}, Person\"\n")
with open(f"{work}/seized.csv", "w") as f:
    f.write("manufacturer,serial_number,model\n")
    for j in range(m):
        if j % 10 == 0:  # in the registry, written the other side's way
            i = rng.randrange(0, n)
            s = serial(i)
            f.write(f"\"{makers[i % len(makers)][1]}\",{s[:2].lower()}-{s[2:]},\n")
        else:
            f.write(f"{makers[j % len(makers)][0]},ZZ{j:08d},\n")
PY
mx="$work/mx"; us="$work/us"
cat > "$work/mx.toml" <<TOML
partner = "mx"
[[psi]]
set = "dealer-sales"
mode = "labelled"
fields = ["dealer", "sale_date", "trace_ref"]
max_query = $seized
per_day = 100
TOML
echo "registry: $registry records; seized: $seized firearms" >&2
/usr/bin/time -f "import: %e s, peak %M KiB" "$bin/pacto" --data-dir "$us" --no-progress set import dealer-sales \
  "$work/registry.csv" --normalize firearm --payload-column dealer --payload-column sale_date \
  --payload-column trace_ref --payload-column buyer 2>"$work/import.time" >&2
import_line=$(tail -1 "$work/import.time")
pw=$("$bin/pacto" --data-dir "$us" partner add mx --agreement "$work/mx.toml" | sed -n 's/.*shown only now.* //p')
port=$(free_port)
"$bin/pacto" --data-dir "$us" serve --listen "127.0.0.1:$port" 2>"$work/us.log" & pids+=($!)
wait_http "http://127.0.0.1:$port/healthz"
echo "$pw" | "$bin/pacto" --data-dir "$mx" partner connect us --url "http://127.0.0.1:$port/api/" --user mx >/dev/null
/usr/bin/time -f "trace: %e s, peak %M KiB" "$bin/pacto" --data-dir "$mx" --log-level info --log-format json trace --partner us \
  --set dealer-sales "$work/seized.csv" -o "$work/trace.json" >"$work/traces.jsonl" 2>"$work/trace.err"
matched=$(wc -l < "$work/traces.jsonl")
answer_field() { python3 - "$work/trace.err" "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("fields", {}).get("message") == "labelled answer received":
        print(e["fields"][sys.argv[2]])
PY
}
bytes=$(answer_field bytes); slot=$(answer_field slot)
grep -q "Buyer" "$work/traces.jsonl" "$work/trace.json" && { echo "a withheld field left the holder" >&2; exit 1; }
echo "$import_line"
tail -1 "$work/trace.err"
python3 - "$registry" "$seized" "$matched" "$bytes" "$slot" <<'PY'
import sys
n, m, matched, total, slot = map(int, sys.argv[1:])
per = (total - 32 * m) / n
print(f"matched {matched} of {m} seized firearms; answer {total / 1e6:.1f} MB: "
      f"{per:.1f} bytes per registry record (8 tag + {slot} slot + 16 Poly1305), 32 per seized firearm")
PY
