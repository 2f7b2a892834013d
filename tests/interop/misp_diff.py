"""pacto's MISP mapping against MISP's own misp-stix (PyPI), event by event.

For every MISP event in tests/interop/misp/events/ and every event PyMISP ships in its sdist
(tests/*.json, fetched with `pip download pymisp --no-binary`), both convert the event to STIX
2.1: misp-stix with MISPtoSTIX21Parser, pacto with `pacto import --from misp` into a scratch
node and `pacto export`. Each attribute, MISP object and galaxy cluster is compared by what the
two say of it (ids aside: see docs/interop.md): the indicator's pattern, the observed-data's
SCOs (their types and properties, references resolved), the SDO's name and type. Agreement is
counted per attribute type; the differences pacto makes on purpose are listed in
KNOWN (and docs/interop.md) and counted apart, never as agreement.

Usage: misp_diff.py --pacto target/release/pacto [--min 0.90] [--events DIR]
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter, defaultdict

from misp_stix_converter import MISPtoSTIX21Parser

HKEYS = {"HKLM": "HKEY_LOCAL_MACHINE", "HKCU": "HKEY_CURRENT_USER", "HKCR": "HKEY_CLASSES_ROOT",
         "HKU": "HKEY_USERS", "HKCC": "HKEY_CURRENT_CONFIG"}

# Where pacto departs from misp-stix on purpose; each is explained in docs/interop.md.
SKIPPED = []

KNOWN = {
    "regkey-hive": "registry keys get their hive spelled out (HKEY_LOCAL_MACHINE), as STIX requires",
    "tlp-2.0": "tlp:* tags become TLP 2.0 markings, not TLP 1.0",
}


def pymisp_events(workdir):
    """The MISP events PyMISP's sdist ships (its tests), as files."""
    out = []
    try:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                        "--dest", workdir, "pymisp==2.5.34.4"], check=True, capture_output=True)
    except subprocess.CalledProcessError as e:
        print(f"  (PyMISP's sdist not available: {e.stderr.decode()[:200]}; its events are skipped)")
        return out
    for sdist in glob.glob(os.path.join(workdir, "pymisp-*.tar.gz")):
        with tarfile.open(sdist) as t:
            for m in t.getmembers():
                parts = m.name.split("/")
                if len(parts) >= 3 and parts[1] == "tests" and m.name.endswith(".json"):
                    data = t.extractfile(m).read()
                    try:
                        doc = json.loads(data)
                    except ValueError:
                        continue
                    ev = doc.get("Event") if isinstance(doc, dict) else None
                    if isinstance(ev, dict) and ev.get("uuid") and (ev.get("Attribute") or ev.get("Object")):
                        path = os.path.join(workdir, "pymisp-" + "-".join(parts[2:]))
                        with open(path, "wb") as f:
                            f.write(data)
                        out.append(path)
    return out


def misp_stix(path):
    with open(path) as f:
        doc = json.load(f)
    parser = MISPtoSTIX21Parser()
    parser.parse_misp_event(doc)
    return json.loads(parser.bundle.serialize())["objects"]


def pacto(binary, path):
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, PACTO_DATA_DIR=d)
        r = subprocess.run([binary, "--no-progress", "import", "--create", "--from", "misp", path, "-c", "e"],
                           env=env, capture_output=True, text=True)
        if r.returncode not in (0, 1):
            raise SystemExit(f"pacto import {path}: {r.stderr}")
        out = subprocess.run([binary, "export", "-c", "e"], env=env, capture_output=True, text=True, check=True)
        return json.loads(out.stdout).get("objects", []), r.stderr


def hive(v):
    for short, full in HKEYS.items():
        if isinstance(v, str) and (v.startswith(short + "\\")):
            return full + v[len(short):]
    return v


def shape(obj, by_id, depth=0, norm=False):
    """An SCO as what it says: ids dropped, references replaced by what they point to."""
    out = {}
    for k, v in obj.items():
        if k in ("id", "spec_version", "defanged"):
            continue
        if k.endswith("_ref") and isinstance(v, str):
            out[k] = shape(by_id[v], by_id, depth + 1, norm) if v in by_id and depth < 3 else None
        elif k.endswith("_refs") and isinstance(v, list):
            out[k] = sorted(json.dumps(shape(by_id[x], by_id, depth + 1, norm), sort_keys=True) for x in v if x in by_id)
        else:
            out[k] = hive(v) if k == "key" and norm else v
    return out


def observed(od, by_id, norm=False):
    if od is None:
        return None
    refs = od.get("object_refs", [])
    # the SCOs no other SCO of the observation points to: the roots of what it says
    pointed = set()
    for r in refs:
        for k, v in by_id.get(r, {}).items():
            if k.endswith("_ref") and isinstance(v, str):
                pointed.add(v)
            elif k.endswith("_refs") and isinstance(v, list):
                pointed.update(v)
    roots = [r for r in refs if r not in pointed and r in by_id]
    return sorted(json.dumps(shape(by_id[r], by_id, 0, norm), sort_keys=True) for r in roots)


def index(objects):
    by_id = {o["id"]: o for o in objects}
    based_on = {}
    for o in objects:
        if o["type"] == "relationship" and o.get("relationship_type") == "based-on":
            based_on[o["source_ref"]] = o["target_ref"]
    return by_id, based_on


def view(objects, uuid, norm=False):
    """What a conversion says of the attribute or object `uuid` (with `norm`, registry hives
    spelled out, so that the one known difference can be told from the others)."""
    by_id, based_on = index(objects)
    ind = by_id.get(f"indicator--{uuid}")
    od = by_id.get(f"observed-data--{uuid}")
    if od is None and ind is not None:
        od = by_id.get(based_on.get(ind["id"], ""))
    pattern = ind.get("pattern") if ind else None
    if pattern and norm:
        for short, full in HKEYS.items():
            pattern = pattern.replace(f"key = '{short}\\\\", f"key = '{full}\\\\")
    other = None
    for ty in ("vulnerability", "x-misp-attribute", "x-misp-object"):
        o = by_id.get(f"{ty}--{uuid}")
        if o:
            other = {k: v for k, v in o.items() if k.startswith("x_misp_") or k in ("type", "name", "external_references")}
    return {"pattern": pattern, "observed": observed(od, by_id, norm), "other": other}


def galaxy_view(objects, cluster_uuid):
    for o in objects:
        if o["id"].endswith("--" + cluster_uuid) and o["type"] not in ("indicator", "observed-data"):
            return {"type": o["type"], "name": o.get("name")}
    return None


def compare(path, pacto_bin, tally, diffs):
    with open(path) as f:
        ev = json.load(f)["Event"]
    try:
        ref = misp_stix(path)
    except Exception as e:  # misp-stix fails on some of PyMISP's test events
        SKIPPED.append(os.path.basename(path))
        print(f"  {os.path.basename(path)}: misp-stix fails ({type(e).__name__}); skipped")
        return
    mine, stderr = pacto(pacto_bin, path)
    for a in ev.get("Attribute", []):
        if a.get("deleted"):
            continue
        key = "attribute " + a["type"]
        r, m = view(ref, a["uuid"]), view(mine, a["uuid"])
        if r != m and view(ref, a["uuid"], True) == view(mine, a["uuid"], True):
            tally[key]["known"] += 1  # regkey-hive: a difference, documented, not agreement
        else:
            tally[key][r == m] += 1
        if r != m:
            diffs.append((os.path.basename(path), key, a["value"], r, m))
    for o in ev.get("Object", []):
        if o.get("deleted"):
            continue
        key = "object " + o["name"]
        r, m = view(ref, o["uuid"]), view(mine, o["uuid"])
        tally[key][r == m] += 1
        if r != m:
            diffs.append((os.path.basename(path), key, o["uuid"], r, m))
    for g in ev.get("Galaxy", []):
        for c in g.get("GalaxyCluster", []):
            key = "galaxy " + g.get("type", "?")
            r, m = galaxy_view(ref, c["uuid"]), galaxy_view(mine, c["uuid"])
            tally[key][r == m] += 1
            if r != m:
                diffs.append((os.path.basename(path), key, c.get("value"), r, m))
    # the event: report or grouping, its name and labels; TLP compared as a level
    def head(objs):
        rep = next((o for o in objs if o["type"] in ("report", "grouping")), {})
        tlp = sorted(o["name"].upper().replace("WHITE", "CLEAR") for o in objs if o["type"] == "marking-definition")
        return {"type": rep.get("type"), "name": rep.get("name"), "labels": sorted(rep.get("labels", [])), "tlp": tlp}
    r, m = head(ref), head(mine)
    tally["event"][r == m] += 1
    if r != m:
        diffs.append((os.path.basename(path), "event", ev.get("info"), r, m))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pacto", required=True)
    ap.add_argument("--events", default=os.path.join(os.path.dirname(__file__), "misp", "events"))
    ap.add_argument("--min", type=float, default=0.0, help="fail below this overall agreement")
    ap.add_argument("--show", type=int, default=10, help="differences to print")
    ap.add_argument("--only", default="", help="print only differences of this kind (e.g. 'object file')")
    args = ap.parse_args()
    tally = defaultdict(Counter)
    diffs = []
    with tempfile.TemporaryDirectory() as work:
        files = sorted(glob.glob(os.path.join(args.events, "*.json"))) + pymisp_events(work)
        for path in files:
            compare(path, args.pacto, tally, diffs)
    print(f"{len(files) - len(SKIPPED)} events compared; {len(SKIPPED)} that misp-stix cannot convert skipped")
    total = agree = known = 0
    print(f"{'what':40} {'agree':>6} {'known':>6} {'of':>6}")
    for key in sorted(tally):
        t = tally[key]
        n = t[True] + t[False] + t["known"]
        total += n
        agree += t[True]
        known += t["known"]
        print(f"{key:40} {t[True]:>6} {t['known']:>6} {n:>6}")
    share = agree / total if total else 0.0
    print(f"agreement: {agree} of {total} ({100 * share:.1f}%); {known} known differences (docs/interop.md)")
    for d in [d for d in diffs if args.only in d[1]][: args.show]:
        print("DIFF", d[0], d[1], repr(d[2])[:60])
        print("   misp-stix:", json.dumps(d[3])[:1500])
        print("   pacto:    ", json.dumps(d[4])[:1500])
    if share < args.min:
        raise SystemExit(f"agreement {share:.3f} is below {args.min}")


if __name__ == "__main__":
    main()
