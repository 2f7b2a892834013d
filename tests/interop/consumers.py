#!/usr/bin/env python3
"""The feed consumers whose clients are on PyPI, run for real against `pacto serve`.

- MISP's TAXII 2.1 import module (misp-modules, `modules/import_mod/taxii21.py`): its own
  `handler()`, loaded from the installed wheel, pulls a collection with taxii2-client
  (`as_pages`, 100 a page, match[spec_version]=2.1) and converts it with misp-stix.
- MISP's TAXII push (MISP/MISP `app/files/scripts/taxii/taxii_push.py`, not on PyPI): the same
  steps with the same libraries: misp-stix converts an event, envelopes are cut to the API
  root's max_content_length, taxii2-client's add_objects posts them.
- The OpenCTI taxii2 connector and XSOAR's TAXII 2 feed, both on taxii2-client: discovery,
  the collection picked by title, paging; XSOAR's fallback to TAXII 2.0 needs a 406.

The Rust suite `crates/pacto-taxii/tests/consumers.rs` checks each consumer's requests
(including those not on PyPI: OpenCTI's ingester, Elastic, Sentinel); docs/interop.md has
the table.

Usage: python tests/interop/consumers.py --pacto target/release/pacto
"""
import argparse
import datetime as dt
import importlib.util
import json
import os
import shutil
import sys
import tempfile

import requests
import taxii2client
from misp_stix_converter import MISPtoSTIX21Parser
from requests.auth import HTTPBasicAuth
from taxii2client.common import TokenAuth
from taxii2client.v20 import Server as Server20
from taxii2client.v21 import Collection, Server, as_pages

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taxii_interop import C, Node  # noqa: E402  (the same node set-up and check tally)

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "misp", "events", "attributes.json")
PASSWORD = "consumer-secret-1"


def load_misp_taxii21():
    """misp-modules' TAXII 2.1 import module, from the installed package, without importing
    the package's own __init__ (which loads every module and their dependencies)."""
    spec = importlib.util.find_spec("misp_modules")
    path = os.path.join(spec.submodule_search_locations[0], "modules", "import_mod", "taxii21.py")
    mod_spec = importlib.util.spec_from_file_location("misp_taxii21", path)
    mod = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(mod)
    return mod


def setup(node):
    node.run(["collections", "create", "misp", "--title", "MISP events"])
    node.run(["collections", "create", "pushed", "--title", "MISP push drop box"])
    node.run(["import", "--create", "--from", "misp", SAMPLE, "--collection", "misp", "--no-progress"])
    node.run(["user", "add", "consumer", "--read", "misp", "--write", "pushed"], stdin=PASSWORD + "\n")
    node.token = node.run(["token", "create", "--name", "xsoar", "--read", "misp"]).strip()


def collection_id(node, title):
    r = requests.get(f"{node.base}/api/collections/", auth=("consumer", PASSWORD),
                     headers={"Accept": "application/taxii+json;version=2.1"})
    return next(c["id"] for c in r.json()["collections"] if c["title"] == title)


def sec_misp_import_module(node):
    C.start("MISP's TAXII 2.1 import module (misp-modules), run for real")
    mod = load_misp_taxii21()
    url = f"{node.base}/api/collections/{collection_id(node, 'MISP events')}/"
    result = mod.handler(json.dumps({"config": {"url": url, "username": "consumer", "password": PASSWORD}}))
    C.ok("the module answers without an error", "error" not in result, result.get("error"))
    attrs = result.get("results", {}).get("Attribute", [])
    objects = result.get("results", {}).get("Object", [])
    with open(SAMPLE) as f:
        sample = json.load(f)["Event"]
    want = {(a["type"], a["value"]) for a in sample["Attribute"]}
    got = {(a.get("type"), a.get("value")) for a in attrs}
    got |= {(a.get("type"), a.get("value")) for o in objects for a in o.get("Attribute", [])}
    found = len(want & got)
    print(f"  the module brought back {found} of the event's {len(want)} attributes "
          f"({len(attrs)} attributes, {len(objects)} objects in all)")
    C.ok("MISP reads pacto's MISP-made STIX back into most of the event's attributes", found >= 0.8 * len(want),
         sorted(want - got)[:10])
    bad = mod.handler(json.dumps({"config": {"url": url, "username": "consumer", "password": "wrong"}}))
    C.eq("a wrong password is 'Access was denied.'", bad.get("error"), "Access was denied.")


def sec_misp_push(node):
    C.start("MISP's TAXII push: misp-stix envelopes cut to max_content_length, posted by taxii2-client")
    auth = HTTPBasicAuth("consumer", PASSWORD)
    with taxii2client.ApiRoot(f"{node.base}/api/", auth=auth) as root:
        max_len = root.max_content_length
    C.ok("the API root states max_content_length", isinstance(max_len, int) and max_len > 0, max_len)
    parser = MISPtoSTIX21Parser()
    with open(SAMPLE) as f:
        parser.parse_misp_event(json.load(f))
    objects = [o.serialize().encode() for o in parser.bundle.objects]
    # taxii_push.py's make_taxii_envelopes, with a small limit so that there are several
    limit = min(max_len, 8192)
    envelopes, cur = [], []
    for o in objects:
        size = len(b'{"objects":[') + sum(map(len, cur + [o])) + len(cur) + len(b"]}")
        if size > limit and cur:
            envelopes.append(b'{"objects":[' + b",".join(cur) + b"]}")
            cur = []
        cur.append(o)
    envelopes.append(b'{"objects":[' + b",".join(cur) + b"]}")
    failures, reasons, expected = [], set(), 0
    with Collection(f"{node.base}/api/collections/{collection_id(node, 'MISP push drop box')}/", auth=auth) as coll:
        for e in envelopes:
            # what STIX 2.1 §2.9 forbids: misp-stix gives an attribute's indicator, observed-data
            # and SCOs one UUID; within one request the later ones are refused (docs/interop.md)
            seen = {}
            for o in json.loads(e)["objects"]:
                ty, u = o["id"].split("--", 1)
                if seen.setdefault(u, ty) != ty:
                    expected += 1
            status = coll.add_objects(e, wait_for_completion=False)
            failures += status.failures or []
    for f in failures:
        reasons.add("uuid-reuse" if "UUID" in f.get("message", "") else f.get("message", ""))
    C.eq(f"{len(envelopes)} envelopes: the only refusals are UUIDs reused across types", sorted(reasons),
         ["uuid-reuse"] if expected else [])
    C.eq("exactly the objects that reuse a UUID within their envelope are refused", len(failures), expected)
    stored = node.run(["export", "-c", "pushed"])
    kinds = {o["type"] for o in json.loads(stored).get("objects", [])}
    C.ok("x-misp-attribute objects are kept", "x-misp-attribute" in kinds, sorted(kinds))


def sec_opencti_connector(node):
    C.start("OpenCTI taxii2 connector's way, on taxii2-client")
    server = Server(f"{node.base}/taxii2/", auth=HTTPBasicAuth("consumer", PASSWORD))
    root = next(r for r in server.api_roots if r.url.split("/")[-2] == "api")
    coll = next(c for c in root.collections if c.title == "MISP events")
    filters = {"limit": 50, "added_after": (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=24))
               .strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    response = coll.get_objects(**filters)
    got = list(response.get("objects", []))
    C.eq("the first object says spec_version 2.1 (so it pages by next)", got[0].get("spec_version"), "2.1")
    while response.get("more"):
        filters.pop("added_after", None)
        filters["next"] = response["next"]
        response = coll.get_objects(**filters)
        got += response.get("objects", [])
    stored = json.loads(node.run(["export", "-c", "misp", "--versions", "last"]))["objects"]
    C.eq("every object, once", sorted(o["id"] for o in got), sorted(o["id"] for o in stored))


def sec_xsoar(node):
    C.start("XSOAR's TAXII 2 feed's way, on taxii2-client")
    try:
        Server20(f"{node.base}/taxii2/", auth=TokenAuth(node.token)).refresh()
        C.ok("a TAXII 2.0 request is refused", False)
    except requests.HTTPError as e:
        C.eq("a TAXII 2.0 request is 406 (XSOAR's cue to fall back)", e.response.status_code, 406)
    server = Server(f"{node.base}/taxii2/", auth=TokenAuth(node.token))
    C.ok("discovery names a default API root", server.default is not None)
    coll = next(c for c in server.default.collections if c.title == "MISP events")
    n = sum(len(p.get("objects", [])) for p in as_pages(coll.get_objects, per_request=100,
                                                           type=["indicator", "relationship"]))
    C.ok("indicators and relationships by pages of 100", n > 0, n)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pacto", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="pacto-consumers-")
    node = Node(os.path.abspath(args.pacto), work)
    try:
        setup(node)
        node.start()
        for sec in (sec_misp_import_module, sec_misp_push, sec_opencti_connector, sec_xsoar):
            try:
                sec(node)
            except Exception as e:  # noqa: BLE001
                C.crash(e)
    finally:
        node.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (C.passed, C.failed))
    return 1 if C.failed else 0


if __name__ == "__main__":
    sys.exit(main())
