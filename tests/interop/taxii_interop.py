#!/usr/bin/env python3
"""TAXII 2.1 interop test: pacto's server driven by the OASIS Python tools.

Sets up a throw-away node (collections, users, an imported bulk collection),
starts `pacto serve` on a free loopback port and drives every TAXII endpoint
and filter through `taxii2-client` (v21: Server, ApiRoot, Collection, Status,
as_pages) and through `stix2`'s TAXIICollectionSource / Sink / Store. What the
clients cannot express (a wrong Accept or Content-Type, an oversized body, no
credentials at all, addressing a collection by name) is sent with `requests`.

Every check prints `ok` or `FAIL`; a failing check also prints the last HTTP
exchange. The run ends with `N passed, N failed` and exits 1 on any failure.

Usage: python tests/interop/taxii_interop.py --pacto target/release/pacto
"""

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid

import requests
import stix2
from requests.exceptions import HTTPError
from stix2 import (
    Filter, Identity, Indicator, Malware, MarkingDefinition, Relationship,
    StatementMarking, TAXIICollectionSink, TAXIICollectionSource,
    TAXIICollectionStore,
)
from stix2.datastore import DataSourceError
from taxii2client.common import TokenAuth, _HTTPConnection
from taxii2client.exceptions import AccessError
from taxii2client.v21 import ApiRoot, Collection, Server, Status, as_pages

TAXII_MT = "application/taxii+json;version=2.1"
STIX_MT = "application/stix+json;version=2.1"
MAX_CONTENT_LENGTH = 10 * 1024 * 1024
ERROR_BODY_STATUSES = (400, 401, 403, 404, 413, 415)

USERS = {
    # name: (password, --read, --write)
    "admin": ("admin-secret-1", "*", "*"),
    "reader": ("reader-secret-1", "alpha", ""),
    "writer": ("writer-secret-1", "", "dropbox"),
    "colon": ("pa:ss:wo:rd:1", "misc", ""),  # Basic auth splits at the first colon only
    "unicode": ("p\u00e4ssw\u00f6rd-\u00fc1", "misc", ""),  # sent as UTF-8 (charset="UTF-8")
}
COLLECTIONS = {
    # name: title
    "alpha": "Alpha intelligence",
    "paged": "Paging collection",
    "bulk": "Bulk imported",
    "store": "stix2 datastore",
    "dropbox": "Write-only drop box",
    "hidden": "Hidden from the reader",
    "misc": "Fidelity and odd cases",
}
BULK_COUNT = 1205
PAGED_COUNT = 25


# --------------------------------------------------------------------------
# recording of HTTP exchanges (for failure reports)

_EXCHANGES = []
_orig_send = requests.Session.send


def _recording_send(self, request, **kwargs):
    resp = _orig_send(self, request, **kwargs)
    _EXCHANGES.append(resp)
    del _EXCHANGES[:-4]
    return resp


requests.Session.send = _recording_send


def describe_response(resp, body_chars=700):
    req = resp.request
    lines = ["    > %s %s" % (req.method, req.url)]
    for h in ("Accept", "Content-Type", "Authorization"):
        if h in req.headers:
            v = req.headers[h]
            if h == "Authorization":
                v = v.split(" ")[0] + " ..."
            lines.append("    > %s: %s" % (h, v))
    if req.body is not None:
        body = req.body if isinstance(req.body, (bytes, bytearray)) else str(req.body).encode()
        lines.append("    > (body %d bytes) %s" % (len(body), body[:300].decode("utf-8", "replace")))
    lines.append("    < %s %s" % (resp.status_code, resp.reason))
    for h, v in resp.headers.items():
        if h.lower() in ("content-type", "www-authenticate", "x-taxii-date-added-first",
                         "x-taxii-date-added-last", "content-length", "location"):
            lines.append("    < %s: %s" % (h, v))
    text = resp.text
    lines.append("    < " + (text[:body_chars] + ("..." if len(text) > body_chars else "")))
    return "\n".join(lines)


# --------------------------------------------------------------------------
# check bookkeeping

class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failed_names = []
        self.section = ""

    def start(self, name):
        self.section = name
        print("\n== " + name, flush=True)

    def ok(self, name, cond, detail="", show_http=True):
        if cond:
            self.passed += 1
            print("ok    %s" % name, flush=True)
        else:
            self.failed += 1
            self.failed_names.append("%s: %s" % (self.section, name))
            print("FAIL  %s" % name, flush=True)
            if detail:
                for line in str(detail).splitlines():
                    print("    " + line)
            if show_http and _EXCHANGES:
                print("    last HTTP exchange:")
                print(describe_response(_EXCHANGES[-1]))
        return bool(cond)

    def eq(self, name, got, want, show_http=True):
        return self.ok(name, got == want, "got:  %r\nwant: %r" % (got, want), show_http)

    def http_error(self, name, fn, status):
        """fn() must raise requests' HTTPError with the given status."""
        try:
            res = fn()
        except HTTPError as e:
            code = e.response.status_code if e.response is not None else None
            good = self.eq(name + " -> HTTP %d" % status, code, status)
            if good and status in ERROR_BODY_STATUSES:
                self.error_body(name, e.response, status)
            return good
        except Exception as e:  # noqa: BLE001
            return self.ok(name + " -> HTTP %d" % status, False,
                           "raised %s: %s" % (type(e).__name__, e))
        return self.ok(name + " -> HTTP %d" % status, False,
                       "no error raised; returned %r" % (str(res)[:300],))

    def error_body(self, name, resp, status):
        """A TAXII error message: taxii Content-Type, JSON with title and http_status."""
        try:
            body = resp.json()
        except ValueError:
            body = None
        ctype = resp.headers.get("Content-Type", "").replace(" ", "")
        return self.ok(name + ": body is a TAXII error message",
                       ctype == TAXII_MT and isinstance(body, dict) and isinstance(body.get("title"), str)
                       and body.get("title") and body.get("http_status") in (None, str(status)),
                       "Content-Type %r, body %r" % (ctype, resp.text[:300]))

    def status_and_body(self, name, resp, status):
        good = self.eq(name + " -> %d" % status, resp.status_code, status)
        if good and status in ERROR_BODY_STATUSES:
            self.error_body(name, resp, status)
        return good

    def crash(self, exc):
        self.failed += 1
        self.failed_names.append("%s: unexpected exception" % self.section)
        print("FAIL  unexpected exception in section '%s': %s: %s" % (
            self.section, type(exc).__name__, exc))
        print(traceback.format_exc())
        if _EXCHANGES:
            print("    last HTTP exchange:")
            print(describe_response(_EXCHANGES[-1]))


C = Checks()


# --------------------------------------------------------------------------
# helpers

_TS_RE = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$")


def ts(value):
    """Parse a STIX/TAXII timestamp into an aware datetime (microsecond precision)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc) if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    m = _TS_RE.match(value)
    if not m:
        raise ValueError("not a STIX timestamp: %r" % (value,))
    base = dt.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    frac = (m.group(2) or "0")[:6].ljust(6, "0")
    return base.replace(microsecond=int(frac), tzinfo=dt.timezone.utc)


def is_ts(value):
    return isinstance(value, str) and _TS_RE.match(value) is not None


def fmt_ms(d):
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def js(obj):
    """A stix2 object as the JSON dict it is sent as."""
    return json.loads(obj.serialize())


def envelope(*objs):
    return {"objects": [js(o) if not isinstance(o, dict) else o for o in objs]}


def version_of(o):
    return o.get("modified") or o.get("created")


def objects_of(env):
    return env.get("objects", []) or []


def same_ts_list(a, b):
    return [ts(x) for x in a] == [ts(x) for x in b]


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def forged(url, user, can_read=True, can_write=True):
    """A Collection whose cached info claims the given rights, so that
    taxii2-client sends the request and the server has to refuse it."""
    cid = url.rstrip("/").rsplit("/", 1)[-1]
    info = {"id": cid, "title": "forged", "can_read": can_read, "can_write": can_write}
    return Collection(url, user=user, password=USERS[user][0], collection_info=info)


# --------------------------------------------------------------------------
# node set-up

class Node:
    def __init__(self, pacto, workdir, tls=False):
        self.pacto = pacto
        self.tls = tls
        self.workdir = workdir
        self.data = os.path.join(workdir, "data")
        self.env = dict(os.environ, PACTO_DATA_DIR=self.data, PACTO_LOG="warn")
        self.env.pop("PACTO_CONFIG", None)
        self.env.pop("PACTO_LISTEN", None)
        self.proc = None
        self.port = None
        self.stderr_path = os.path.join(workdir, "serve.stderr")

    def run(self, args, stdin=None):
        res = subprocess.run([self.pacto] + args, env=self.env, input=stdin,
                             capture_output=True, text=True, timeout=300)
        if res.returncode != 0:
            raise RuntimeError("pacto %s failed (%d):\n%s\n%s" % (
                " ".join(args), res.returncode, res.stdout, res.stderr))
        return res.stdout

    def setup(self, bulk_file):
        for name, title in COLLECTIONS.items():
            self.run(["collections", "create", name, "--title", title])
        for name, (password, read, write) in USERS.items():
            args = ["user", "add", name]
            if read:
                args += ["--read", read]
            if write:
                args += ["--write", write]
            self.run(args, stdin=password + "\n")
        # API tokens: one that reads alpha, and one revoked at once.
        self.token = self.run(["token", "create", "--name", "interop", "--read", "alpha"]).strip()
        self.revoked = self.run(["token", "create", "--name", "revoked", "--read", "alpha"]).strip()
        self.run(["token", "revoke", "revoked"])
        self.run(["import", "--create", bulk_file, "--collection", "bulk", "--no-progress"])

    def start(self):
        self.port = free_port()
        err = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(
            [self.pacto, "serve", "--listen", "127.0.0.1:%d" % self.port] + (["--node-tls"] if self.tls else []),
            env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        err.close()
        deadline = time.time() + 60
        announced = False
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("pacto serve exited with %s:\n%s" % (
                    self.proc.returncode, open(self.stderr_path).read()))
            if not announced:
                announced = "TAXII 2.1 at %s/taxii2/" % self.base in open(self.stderr_path).read()
            if announced:
                try:
                    # Under --node-tls the certificate is self-signed and pinned by fingerprint
                    # (checked in sec_client_certificate), not verified through a CA.
                    with requests.Session() as s:
                        s.trust_env = False
                        healthy = s.get(self.base + "/healthz", timeout=2, verify=False).status_code == 200
                    if healthy:
                        return
                except requests.RequestException:
                    pass
            time.sleep(0.1)
        raise RuntimeError("pacto serve not ready after 60 s:\n" + open(self.stderr_path).read())

    @property
    def base(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "killed after SIGTERM timeout"


# --------------------------------------------------------------------------
# the test content

class Content:
    """STIX objects built with stix2, with fixed, distinct timestamps."""

    def __init__(self):
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=123000)
        self.t0 = now - dt.timedelta(days=3)
        t = self.t0
        self.identity = Identity(
            name="pacto interop producer", identity_class="organization",
            created=fmt_ms(t), modified=fmt_ms(t))
        self.statement = MarkingDefinition(
            definition_type="statement", created=fmt_ms(t), created_by_ref=self.identity.id,
            definition=StatementMarking(statement="Copyright pacto interop test"))
        self.tlp = stix2.TLP_GREEN
        self.ind_v1 = Indicator(
            name="evil domain", description="first version",
            pattern="[domain-name:value = 'evil.example']", pattern_type="stix",
            valid_from=fmt_ms(t), created=fmt_ms(t), modified=fmt_ms(t),
            created_by_ref=self.identity.id, indicator_types=["malicious-activity"],
            object_marking_refs=[self.tlp.id, self.statement.id],
            labels=["interop"])
        self.ind_v2 = stix2.new_version(self.ind_v1, modified=fmt_ms(t + dt.timedelta(hours=1)),
                                        description="second version")
        self.ind_v3 = stix2.new_version(self.ind_v1, modified=fmt_ms(t + dt.timedelta(hours=2)),
                                        description="third version", confidence=80)
        self.malware = Malware(
            name="EvilBot", is_family=True, malware_types=["bot"],
            description="A bot with a marked description",
            created=fmt_ms(t), modified=fmt_ms(t), created_by_ref=self.identity.id,
            object_marking_refs=[self.tlp.id],
            granular_markings=[{"marking_ref": self.statement.id, "selectors": ["description"]}])
        self.rel = Relationship(
            relationship_type="indicates", source_ref=self.ind_v1.id, target_ref=self.malware.id,
            created=fmt_ms(t), modified=fmt_ms(t), created_by_ref=self.identity.id,
            object_marking_refs=[self.tlp.id, self.statement.id])
        self.ipv4 = stix2.IPv4Address(value="198.51.100.7")
        self.batch_a = [self.identity, self.tlp, self.statement, self.ind_v1,
                        self.malware, self.rel, self.ipv4]


# --------------------------------------------------------------------------
# sections

def sec_discovery(node, ctx):
    C.start("discovery (Server)")
    srv = Server(node.base + "/taxii2/", user="admin", password=USERS["admin"][0])
    C.ok("discovery has a title", bool(srv.title), srv._raw)
    roots = [r.url for r in srv.api_roots]
    C.eq("one API root, /api/", roots, [node.base + "/api/"])
    C.ok("default API root is /api/", srv.default is not None and srv.default.url == node.base + "/api/",
         srv._raw)
    C.eq("no unknown properties in the discovery resource", srv.custom_properties, {})
    r = requests.get(node.base + "/taxii2/", auth=("admin", USERS["admin"][0]),
                     headers={"Accept": TAXII_MT})
    C.eq("discovery Content-Type", r.headers.get("Content-Type", "").replace(" ", ""), TAXII_MT)
    ctx["server"] = srv


def sec_api_root(node, ctx):
    C.start("API root (ApiRoot)")
    root = ApiRoot(node.base + "/api/", user="admin", password=USERS["admin"][0])
    C.ok("API root has a title", bool(root.title), root._raw)
    C.ok("versions lists %s" % TAXII_MT, TAXII_MT in [v.replace(" ", "") for v in root.versions],
         root.versions)
    C.eq("max_content_length", root.max_content_length, MAX_CONTENT_LENGTH)
    # the ApiRoot reached through discovery is the same resource
    via = ctx["server"].api_roots[0]
    C.eq("API root via discovery has the same title", via.title, root.title)
    ctx["root"] = root


def sec_collections(node, ctx):
    C.start("collections (admin)")
    root = ctx["root"]
    cols = root.collections
    titles = {c.title: c for c in cols}
    C.eq("admin sees every collection", sorted(titles), sorted(COLLECTIONS.values()))
    ids = {}
    for name, title in COLLECTIONS.items():
        c = titles.get(title)
        if c is None:
            continue
        ids[name] = c.id
        good = True
        try:
            uuid.UUID(c.id)
        except ValueError:
            good = False
        C.ok("%s: id is a UUID" % name, good, c.id)
        C.ok("%s: can_read and can_write" % name, c.can_read is True and c.can_write is True, c._raw)
        C.ok("%s: media_types has %s" % (name, STIX_MT),
             STIX_MT in [m.replace(" ", "") for m in c.media_types], c.media_types)
    ctx["ids"] = ids
    ctx["url"] = {n: node.base + "/api/collections/%s/" % i for n, i in ids.items()}

    # Get a Collection, by id, through taxii2-client
    alone = Collection(ctx["url"]["alpha"], user="admin", password=USERS["admin"][0])
    alone.refresh()
    C.eq("Get a Collection by id: title", alone.title, COLLECTIONS["alpha"])
    C.eq("Get a Collection by id: id", alone.id, ids["alpha"])
    # by name (taxii2-client insists the id be in the URL, so use requests)
    r = requests.get(node.base + "/api/collections/alpha/", auth=("admin", USERS["admin"][0]),
                     headers={"Accept": TAXII_MT})
    C.eq("Get a Collection by name: status", r.status_code, 200)
    if r.status_code == 200:
        C.eq("Get a Collection by name: same id", r.json().get("id"), ids["alpha"])
    ctx["cols"] = {n: next(c for c in cols if c.id == i) for n, i in ids.items()}


def check_status(prefix, st, want_ok, want_fail=()):
    """want_ok: list of stix objects/dicts expected in successes; want_fail: ids expected in failures."""
    C.eq(prefix + ": status complete", st.status, "complete")
    C.eq(prefix + ": total_count", st.total_count, len(want_ok) + len(want_fail))
    C.eq(prefix + ": success_count", st.success_count, len(want_ok))
    C.eq(prefix + ": failure_count", st.failure_count, len(want_fail))
    C.eq(prefix + ": pending_count", st.pending_count, 0)
    C.eq(prefix + ": successes ids", sorted(x.get("id") for x in st.successes),
         sorted(o["id"] for o in want_ok))
    got_v = {x.get("id"): x.get("version") for x in st.successes}
    for o in want_ok:
        if version_of(o) and is_ts(got_v.get(o["id"])):
            C.ok(prefix + ": success version of %s" % o["id"].split("--")[0],
                 ts(got_v[o["id"]]) == ts(version_of(o)),
                 "got %s, object has %s" % (got_v[o["id"]], version_of(o)))
    C.ok(prefix + ": every success has a version (status-details.version is required)",
         all(is_ts(s.get("version")) for s in st.successes), st.successes)
    C.eq(prefix + ": failures ids", sorted(f.get("id") for f in st.failures), sorted(want_fail))
    C.ok(prefix + ": every failure has a message",
         all(isinstance(f.get("message"), str) and f["message"] for f in st.failures), st.failures)
    C.ok(prefix + ": request_timestamp is a timestamp (if present)",
         st.request_timestamp is None or is_ts(st.request_timestamp), st.request_timestamp)


def sec_add_objects(node, ctx):
    C.start("Add Objects + Status (alpha)")
    k = ctx["content"]
    col = ctx["cols"]["alpha"]
    st = col.add_objects(envelope(*k.batch_a))
    C.ok("add_objects returns a Status", isinstance(st, Status), type(st))
    check_status("batch A", st, [js(o) for o in k.batch_a])
    ctx["status_a"] = st.id
    # poll the status resource (Get Status) with the same user
    st.refresh()
    C.eq("status refresh: still complete", st.status, "complete")
    C.eq("status refresh: same success_count", st.success_count, len(k.batch_a))
    via_root = ctx["root"].get_status(st.id)
    C.eq("ApiRoot.get_status: same id", via_root.id, st.id)
    C.eq("ApiRoot.get_status: same successes",
         sorted(s["id"] for s in via_root.successes), sorted(o.id for o in k.batch_a))
    standalone = Status(node.base + "/api/status/%s/" % st.id, user="admin", password=USERS["admin"][0])
    C.eq("Status(url) fetch: total_count", standalone.total_count, len(k.batch_a))
    # versions 2 and 3 of the indicator, in two requests
    st2 = col.add_objects(envelope(k.ind_v2), wait_for_completion=False)
    check_status("indicator v2", st2, [js(k.ind_v2)])
    time.sleep(0.05)
    st3 = col.add_objects(envelope(k.ind_v3))
    check_status("indicator v3", st3, [js(k.ind_v3)])
    st3.wait_until_final(poll_interval=0.2, timeout=5)
    C.eq("wait_until_final: complete", st3.status, "complete")
    # Content-Type of the 202 response
    r = [x for x in _EXCHANGES if x.request.method == "POST"]
    if r:
        C.eq("POST answers 202", r[-1].status_code, 202)
        C.eq("POST answer Content-Type", r[-1].headers.get("Content-Type", "").replace(" ", ""), TAXII_MT)


def sec_get_objects(node, ctx):
    C.start("Get Objects (alpha): content, defaults, sorting")
    k = ctx["content"]
    col = ctx["cols"]["alpha"]
    env = col.get_objects()
    objs = objects_of(env)
    want_latest = [k.identity, k.tlp, k.statement, k.ind_v3, k.malware, k.rel, k.ipv4]
    C.eq("default: one object per id (latest version)", sorted(o["id"] for o in objs),
         sorted(o.id for o in want_latest))
    C.ok("default: more is absent or false", not env.get("more", False), env.get("more"))
    got = {o["id"]: o for o in objs}
    for o in want_latest:
        C.eq("content round-trips unchanged: %s" % o.id.split("--")[0], got.get(o.id), js(o))
    # manifest order == objects order, ascending date_added
    man = objects_of(col.get_manifest())
    C.eq("manifest lists the same ids in the same order", [m["id"] for m in man], [o["id"] for o in objs])
    dates = [m.get("date_added") for m in man]
    C.ok("manifest date_added are timestamps", all(is_ts(d) for d in dates), dates)
    if all(is_ts(d) for d in dates):
        C.ok("sorted ascending by date_added", [ts(d) for d in dates] == sorted(ts(d) for d in dates), dates)
    ctx["man_a"] = {m["id"]: m for m in man}


def sec_versions(node, ctx):
    C.start("match[version] and versions (alpha)")
    k = ctx["content"]
    col = ctx["cols"]["alpha"]
    iid = k.ind_v1.id
    v = [k.ind_v1, k.ind_v2, k.ind_v3]
    vts = [version_of(js(o)) for o in v]

    def get(**kw):
        return objects_of(col.get_objects(id=iid, **kw))

    C.eq("match[id] default (last)", get(), [js(k.ind_v3)])
    C.eq("match[version]=last", get(version="last"), [js(k.ind_v3)])
    C.eq("match[version]=first", get(version="first"), [js(k.ind_v1)])
    got_all = get(version="all")
    C.eq("match[version]=all: three versions", sorted(o["modified"] for o in got_all), sorted(vts))
    C.eq("match[version]=all: each version's content", sorted(got_all, key=lambda o: o["modified"]),
         [js(o) for o in v])
    C.eq("match[version]=<v2 timestamp>", get(version=vts[1]), [js(k.ind_v2)])
    C.eq("match[version]=<v2 as datetime> (client formats it)", get(version=ts(vts[1])), [js(k.ind_v2)])
    C.eq("match[version]=first,last", sorted(o["modified"] for o in get(version=["first", "last"])),
         sorted([vts[0], vts[2]]))
    C.eq("match[version]=<v1>,<v3>", sorted(o["modified"] for o in get(version=[vts[0], vts[2]])),
         sorted([vts[0], vts[2]]))
    C.eq("match[version]=<no such version> gives nothing",
         get(version=fmt_ms(ts(vts[0]) + dt.timedelta(minutes=1))), [])

    # Get an Object
    C.eq("get_object: latest", objects_of(col.get_object(iid)), [js(k.ind_v3)])
    C.eq("get_object version=first", objects_of(col.get_object(iid, version="first")), [js(k.ind_v1)])
    C.eq("get_object version=<v2>", objects_of(col.get_object(iid, version=vts[1])), [js(k.ind_v2)])
    allv = objects_of(col.get_object(iid, version="all"))
    C.eq("get_object version=all", sorted(allv, key=lambda o: o["modified"]), [js(o) for o in v])
    C.eq("get_object of an SCO", objects_of(col.get_object(k.ipv4.id)), [js(k.ipv4)])
    C.eq("get_object of a marking definition (no modified)", objects_of(col.get_object(k.tlp.id)),
         [js(k.tlp)])
    C.http_error("get_object of an unknown id",
                 lambda: col.get_object("indicator--" + str(uuid.uuid4())), 404)
    C.http_error("get_object of an id stored in another collection",
                 lambda: ctx["cols"]["paged"].get_object(iid), 404)

    # Get Object Versions
    vr = col.object_versions(iid)
    C.ok("versions: list of three", same_ts_list(vr.get("versions", []), vts), vr)
    C.ok("versions: more absent or false", not vr.get("more", False), vr)
    p1 = col.object_versions(iid, limit=2)
    C.ok("versions limit=2: first two, more=true",
         same_ts_list(p1.get("versions", []), vts[:2]) and p1.get("more") is True, p1)
    if p1.get("more") and p1.get("next"):
        p2 = col.object_versions(iid, limit=2, next=p1["next"])
        C.ok("versions limit=2 page 2: last one, more false",
             same_ts_list(p2.get("versions", []), vts[2:]) and not p2.get("more", False), p2)
    C.ok("versions of a marking definition = [created]",
         same_ts_list(col.object_versions(k.tlp.id).get("versions", []), [js(k.tlp)["created"]]))
    C.http_error("versions of an unknown id",
                 lambda: col.object_versions("malware--" + str(uuid.uuid4())), 404)

    # manifest with versions
    man = objects_of(col.get_manifest(id=iid, version="all"))
    C.ok("manifest version=all: three records", same_ts_list(sorted(m["version"] for m in man), sorted(vts)), man)
    C.ok("manifest records: id, date_added, version, media_type",
         all(m.get("id") == iid and is_ts(m.get("date_added")) and is_ts(m.get("version"))
             and m.get("media_type", STIX_MT).replace(" ", "") == STIX_MT for m in man), man)
    man_last = objects_of(col.get_manifest(id=iid))
    C.ok("manifest default: latest version only",
         len(man_last) == 1 and ts(man_last[0]["version"]) == ts(vts[2]), man_last)
    man_first = objects_of(col.get_manifest(id=iid, version="first"))
    C.ok("manifest version=first", len(man_first) == 1 and ts(man_first[0]["version"]) == ts(vts[0]), man_first)
    m_tlp = ctx["man_a"].get(k.tlp.id, {})
    C.ok("manifest version of a marking definition is its created",
         is_ts(m_tlp.get("version")) and ts(m_tlp["version"]) == ts(js(k.tlp)["created"]), m_tlp)
    m_ip = ctx["man_a"].get(k.ipv4.id, {})
    C.ok("manifest version of an SCO is a timestamp", is_ts(m_ip.get("version")), m_ip)
    if is_ts(m_ip.get("version")):
        sco_v = m_ip["version"]
        print("      (the SCO's manifest version is %s; its date_added is %s)" % (sco_v, m_ip.get("date_added")))
        vr = col.object_versions(k.ipv4.id)
        C.ok("versions of the SCO = [its manifest version]", same_ts_list(vr.get("versions", []), [sco_v]), vr)
        C.eq("match[version]=<the SCO's manifest version> finds it (objects)",
             objects_of(col.get_objects(id=k.ipv4.id, version=sco_v)), [js(k.ipv4)])
        C.eq("match[version]=<the SCO's manifest version> finds it (manifest)",
             [m["id"] for m in objects_of(col.get_manifest(id=k.ipv4.id, version=sco_v))], [k.ipv4.id])
        try:
            got = objects_of(col.get_object(k.ipv4.id, version=sco_v))
        except HTTPError as e:
            got = "HTTP %d" % e.response.status_code
        C.eq("match[version]=<the SCO's manifest version> finds it (object)", got, [js(k.ipv4)])

    # the same instant written with another precision is the same version
    v2 = ts(vts[1])
    six_digits = v2.strftime("%Y-%m-%dT%H:%M:%S.") + "%06dZ" % v2.microsecond
    C.eq("match[version] is compared as a timestamp (%s)" % six_digits, get(version=six_digits), [js(k.ind_v2)])

    # Get an Object pages too (limit/next on the object endpoint)
    pages = list(as_pages(col.get_object, per_request=1, obj_id=iid, version="all"))
    C.eq("as_pages(get_object, 1, version=all): page sizes", [len(objects_of(p)) for p in pages], [1, 1, 1])
    C.eq("as_pages(get_object): versions in date_added order",
         [o["modified"] for p in pages for o in objects_of(p)], vts)
    mpages = list(as_pages(col.get_manifest, per_request=2, id=iid, version="all"))
    C.eq("as_pages(get_manifest, 2, version=all)", [len(objects_of(p)) for p in mpages], [2, 1])


def sec_match_filters(node, ctx):
    C.start("match[type], match[id], match[spec_version] (alpha)")
    k = ctx["content"]
    col = ctx["cols"]["alpha"]

    def ids(**kw):
        return sorted(o["id"] for o in objects_of(col.get_objects(**kw)))

    C.eq("match[type]=indicator", ids(type="indicator"), [k.ind_v1.id])
    C.eq("match[type]=indicator,malware", ids(type=["indicator", "malware"]),
         sorted([k.ind_v1.id, k.malware.id]))
    C.eq("match[type]=marking-definition", ids(type="marking-definition"), sorted([k.tlp.id, k.statement.id]))
    C.eq("match[type]=ipv4-addr", ids(type="ipv4-addr"), [k.ipv4.id])
    C.eq("match[type]=campaign (none)", ids(type="campaign"), [])
    C.eq("match[id]=two ids", ids(id=[k.malware.id, k.rel.id]), sorted([k.malware.id, k.rel.id]))
    C.eq("match[id]+match[type] that disagree", ids(id=k.malware.id, type="indicator"), [])
    C.eq("match[type]=indicator + match[version]=all: three versions",
         len(objects_of(col.get_objects(type="indicator", version="all"))), 3)
    everything = sorted(o.id for o in k.batch_a)
    C.eq("match[spec_version]=2.1: everything", ids(spec_version="2.1"), everything)
    C.eq("match[spec_version]=2.0: nothing", ids(spec_version="2.0"), [])
    C.eq("match[spec_version]=2.0,2.1: everything", ids(spec_version=["2.0", "2.1"]), everything)
    C.eq("manifest match[type]=relationship",
         [m["id"] for m in objects_of(col.get_manifest(type="relationship"))], [k.rel.id])
    empty = col.get_objects(type="campaign")
    C.ok("no match is an empty envelope (200), not an error",
         not objects_of(empty) and not empty.get("more", False), empty)


def sec_added_after(node, ctx):
    C.start("added_after + X-TAXII-Date-Added headers (alpha)")
    k = ctx["content"]
    col = ctx["cols"]["alpha"]
    man = objects_of(col.get_manifest(version="all"))
    before = max(ts(m["date_added"]) for m in man)
    before_s = max((m["date_added"] for m in man), key=ts)
    time.sleep(0.05)
    b1 = Malware(name="Later 1", is_family=False, created_by_ref=k.identity.id)
    b2 = Indicator(pattern="[ipv4-addr:value = '203.0.113.9']", pattern_type="stix",
                   valid_from=fmt_ms(k.t0))
    col.add_objects(envelope(b1))
    time.sleep(0.05)
    col.add_objects(envelope(b2))
    C.eq("added_after=<last date_added of batch A> (string)",
         sorted(o["id"] for o in objects_of(col.get_objects(added_after=before_s))), sorted([b1.id, b2.id]))
    C.eq("added_after=<same, as datetime>",
         sorted(o["id"] for o in objects_of(col.get_objects(added_after=before))), sorted([b1.id, b2.id]))
    man_b = objects_of(col.get_manifest(added_after=before_s))
    C.eq("manifest added_after", [m["id"] for m in man_b], [b1.id, b2.id])
    if len(man_b) == 2:
        b1_added = man_b[0]["date_added"]
        C.eq("added_after is exclusive (= date_added of b1 gives only b2)",
             [o["id"] for o in objects_of(col.get_objects(added_after=b1_added))], [b2.id])
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    C.eq("added_after in the future: nothing", objects_of(col.get_objects(added_after=future)), [])
    C.eq("added_after + match[type]",
         [o["id"] for o in objects_of(col.get_objects(added_after=before_s, type="indicator"))], [b2.id])
    ctx["later"] = [b1, b2]

    # headers, through requests (taxii2-client does not return them)
    auth = ("admin", USERS["admin"][0])
    h = {"Accept": TAXII_MT}
    full = objects_of(col.get_manifest())
    for what, url, params, expect in [
        ("objects", col.objects_url, {}, full),
        ("manifest", col.url + "manifest/", {}, full),
        ("objects added_after", col.objects_url, {"added_after": before_s}, man_b),
        ("object", col.objects_url + k.malware.id + "/", {}, [ctx["man_a"][k.malware.id]]),
    ]:
        r = requests.get(url, auth=auth, headers=h, params=params)
        first, last = r.headers.get("X-TAXII-Date-Added-First"), r.headers.get("X-TAXII-Date-Added-Last")
        C.ok("%s: X-TAXII-Date-Added-First/Last present" % what, is_ts(first) and is_ts(last),
             "%r %r" % (first, last))
        if is_ts(first) and is_ts(last) and expect:
            dates = sorted(ts(m["date_added"]) for m in expect)
            C.ok("%s: headers = first/last date_added" % what,
                 ts(first) == dates[0] and ts(last) == dates[-1],
                 "headers %s .. %s; manifest %s .. %s" % (first, last, dates[0], dates[-1]))
    r = requests.get(col.objects_url + k.ind_v1.id + "/versions/", auth=auth, headers=h)
    C.ok("versions: X-TAXII-Date-Added-First/Last present",
         is_ts(r.headers.get("X-TAXII-Date-Added-First")) and is_ts(r.headers.get("X-TAXII-Date-Added-Last")),
         dict(r.headers))


def sec_paging(node, ctx):
    C.start("pagination: limit, next, as_pages (paged)")
    col = ctx["cols"]["paged"]
    base = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(days=1)
    sent = [Malware(name="paged-%02d" % i, is_family=True, malware_types=["worm"],
                    created=fmt_ms(base + dt.timedelta(seconds=i)),
                    modified=fmt_ms(base + dt.timedelta(seconds=i)))
            for i in range(PAGED_COUNT)]
    st = col.add_objects(envelope(*sent[:10]))
    C.eq("post 10: success_count", st.success_count, 10)
    st = col.add_objects(envelope(*sent[10:]))
    C.eq("post 15: success_count", st.success_count, 15)
    want = {o.id: js(o) for o in sent}

    pages = list(as_pages(col.get_objects, per_request=10))
    sizes = [len(objects_of(p)) for p in pages]
    C.eq("as_pages(get_objects, 10): page sizes", sizes, [10, 10, 5])
    C.eq("as_pages: more flags", [bool(p.get("more", False)) for p in pages], [True, True, False])
    C.ok("as_pages: next present while more", all(p.get("next") for p in pages[:-1]),
         [p.get("next") for p in pages])
    got = [o for p in pages for o in objects_of(p)]
    C.eq("as_pages: no duplicates", len(got), len({o["id"] for o in got}))
    C.eq("as_pages: every object once", sorted(o["id"] for o in got), sorted(want))
    C.ok("as_pages: content equal object by object", all(want.get(o["id"]) == o for o in got),
         [o["id"] for o in got if want.get(o["id"]) != o])
    C.eq("as_pages: order = post order (date_added)", [o["id"] for o in got], [o.id for o in sent])

    mpages = list(as_pages(col.get_manifest, per_request=7))
    C.eq("as_pages(get_manifest, 7): page sizes", [len(objects_of(p)) for p in mpages], [7, 7, 7, 4])
    C.eq("manifest pages: ids in order", [m["id"] for p in mpages for m in objects_of(p)],
         [o.id for o in sent])

    man = objects_of(col.get_manifest())
    cut = man[PAGED_COUNT - 8]["date_added"]
    apages = list(as_pages(col.get_objects, per_request=3, added_after=cut))
    C.eq("as_pages(3) with added_after: the last 7, in pages of 3",
         ([len(objects_of(p)) for p in apages], [o["id"] for p in apages for o in objects_of(p)]),
         ([3, 3, 1], [o.id for o in sent[-7:]]))

    one = col.get_objects(limit=PAGED_COUNT)
    C.ok("limit=25: everything, more false", len(objects_of(one)) == PAGED_COUNT and not one.get("more", False),
         {"n": len(objects_of(one)), "more": one.get("more")})
    big = col.get_objects(limit=100000)
    C.eq("limit=100000: everything", len(objects_of(big)), PAGED_COUNT)

    # paging with filters: match[type] + version=all, next must keep them
    upd = [stix2.new_version(o, modified=fmt_ms(ts(o.modified) + dt.timedelta(hours=1)), description="v2")
           for o in sent[:4]]
    col.add_objects(envelope(*upd))
    allp = list(as_pages(col.get_objects, per_request=6, type="malware", version="all"))
    gotv = [(o["id"], o["modified"]) for p in allp for o in objects_of(p)]
    C.eq("as_pages version=all: 29 object versions", len(gotv), PAGED_COUNT + 4)
    C.eq("as_pages version=all: no duplicate (id, modified)", len(set(gotv)), len(gotv))
    C.eq("as_pages version=all: page sizes", [len(objects_of(p)) for p in allp], [6, 6, 6, 6, 5])

    # limit must be positive; a bogus cursor is refused
    auth = ("admin", USERS["admin"][0])
    r = requests.get(col.objects_url, auth=auth, headers={"Accept": TAXII_MT},
                     params={"next": "definitely-not-a-cursor"})
    C.status_and_body("bogus next cursor", r, 400)
    r = requests.get(col.objects_url, auth=auth, headers={"Accept": TAXII_MT}, params={"limit": "-3"})
    C.status_and_body("limit=-3", r, 400)
    r = requests.get(col.objects_url, auth=auth, headers={"Accept": TAXII_MT},
                     params={"added_after": "yesterday"})
    C.status_and_body("added_after=yesterday", r, 400)


def sec_bulk(node, ctx):
    C.start("server page size over an imported collection (bulk)")
    col = ctx["cols"]["bulk"]
    want = ctx["bulk"]
    env = col.get_objects()
    C.eq("no limit: server page of 1000", len(objects_of(env)), 1000)
    C.ok("no limit: more=true and next", env.get("more") is True and bool(env.get("next")),
         {"more": env.get("more"), "next": env.get("next")})
    pages = list(as_pages(col.get_objects, per_request=5000))
    C.eq("as_pages(per_request=5000): pages capped at 1000", [len(objects_of(p)) for p in pages],
         [1000, BULK_COUNT - 1000])
    got = [o for p in pages for o in objects_of(p)]
    C.eq("as_pages: all imported ids", sorted(o["id"] for o in got), sorted(want))
    C.ok("imported objects come back unchanged", all(want.get(o["id"]) == o for o in got),
         [o["id"] for o in got if want.get(o["id"]) != o][:5])
    src = TAXIICollectionSource(col)  # items_per_page=5000 by default
    q = src.query()
    C.eq("TAXIICollectionSource.query() over 1205 objects", len(q), BULK_COUNT)
    C.eq("TAXIICollectionSource.query(): ids", sorted(o.id for o in q), sorted(want))
    mpages = list(as_pages(col.get_manifest, per_request=600))
    C.eq("manifest as_pages(600)", [len(objects_of(p)) for p in mpages], [600, 600, BULK_COUNT - 1200])


def sec_stix2_store(node, ctx):
    C.start("stix2 TAXIICollectionStore / Source / Sink (store)")
    k = ctx["content"]
    col = ctx["cols"]["store"]
    store = TAXIICollectionStore(col)
    t = k.t0
    ident = Identity(name="store producer", identity_class="organization",
                     created=fmt_ms(t), modified=fmt_ms(t))
    ind = Indicator(name="store ind", pattern="[file:hashes.'SHA-256' = "
                    "'4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877']",
                    pattern_type="stix", valid_from=fmt_ms(t), created=fmt_ms(t), modified=fmt_ms(t),
                    created_by_ref=ident.id, object_marking_refs=[stix2.TLP_AMBER.id])
    mal = Malware(name="StoreBot", is_family=False, created=fmt_ms(t), modified=fmt_ms(t),
                  created_by_ref=ident.id, object_marking_refs=[stix2.TLP_AMBER.id])
    rel = Relationship(ind, "indicates", mal, created=fmt_ms(t), modified=fmt_ms(t),
                       created_by_ref=ident.id, object_marking_refs=[stix2.TLP_AMBER.id])
    store.add([stix2.TLP_AMBER, ident, ind, mal])
    store.add(stix2.Bundle(rel))
    ind2 = stix2.new_version(ind, modified=fmt_ms(t + dt.timedelta(minutes=30)), confidence=50)
    ind3 = stix2.new_version(ind, modified=fmt_ms(t + dt.timedelta(minutes=60)), confidence=90)
    store.add(ind2)
    store.add(json.dumps(js(ind3)))  # a JSON string

    for o in [ident, mal, rel, stix2.TLP_AMBER]:
        got = store.get(o.id)
        C.eq("store.get(%s) content" % o.type, js(got) if got is not None else None, js(o))
    got = store.get(ind.id)
    C.eq("store.get(indicator) is the latest version", js(got) if got is not None else None, js(ind3))
    av = store.all_versions(ind.id)
    C.eq("store.all_versions(indicator): 3 versions in order",
         [js(o) for o in sorted(av, key=lambda o: o.modified)], [js(ind), js(ind2), js(ind3)])
    C.eq("store.get(unknown id) is None", store.get("malware--" + str(uuid.uuid4())), None)

    def qids(*filters):
        return sorted(o.id for o in store.query(list(filters)))

    C.eq("query type=indicator", qids(Filter("type", "=", "indicator")), [ind.id])
    C.eq("query type=indicator,malware (list)", qids(Filter("type", "=", ["indicator", "malware"])),
         sorted([ind.id, mal.id]))
    C.eq("query id=<malware>", qids(Filter("id", "=", mal.id)), [mal.id])
    vq = store.query([Filter("id", "=", ind.id), Filter("version", "=", ind2.modified)])
    C.eq("query id + version=<v2> (server side)", [js(o) for o in vq], [js(ind2)])
    vq = store.query([Filter("type", "=", "indicator"), Filter("version", "=", "all")])
    C.eq("query type=indicator version=all", len(vq), 3)
    vq = store.query([Filter("type", "=", "indicator"), Filter("version", "=", "first")])
    C.eq("query version=first", [js(o) for o in vq], [js(ind)])
    mq = store.query([Filter("type", "=", "indicator"), Filter("version", "=", "all"),
                      Filter("modified", ">", js(ind)["modified"])])
    C.eq("query modified > v1 (local filter)", sorted(o.modified for o in mq), sorted([ind2.modified, ind3.modified]))
    cq = store.query([Filter("confidence", ">=", 60)])
    C.eq("query confidence >= 60 (local filter)", [o.id for o in cq], [ind.id])
    lq = store.query([Filter("object_marking_refs", "contains", stix2.TLP_AMBER.id)])
    C.eq("query marked TLP:AMBER", sorted(o.id for o in lq), sorted([ind.id, mal.id, rel.id]))
    C.eq("query created_by_ref", qids(Filter("created_by_ref", "=", ident.id)),
         sorted([ind.id, mal.id, rel.id]))
    man = objects_of(col.get_manifest())
    last_added = max((m["date_added"] for m in man), key=ts)
    C.eq("query added_after=<last date_added> is empty",
         store.query([Filter("added_after", "=", last_added)]), [])
    C.eq("store.relationships(malware)", [r.id for r in store.relationships(mal)], [rel.id])
    C.eq("store.related_to(indicator)", [o.id for o in store.related_to(ind)], [mal.id])
    cr = store.creator_of(mal)
    C.eq("store.creator_of(malware)", cr.id if cr is not None else None, ident.id)

    # a separate Source and Sink on the same collection
    sink = TAXIICollectionSink(col)
    extra = Malware(name="via sink", is_family=False)
    sink.add(extra)
    src = TAXIICollectionSource(col, items_per_page=2)
    C.eq("TAXIICollectionSource(items_per_page=2).query() pages through everything",
         len(src.query()), 6)
    C.eq("TAXIICollectionSource.get after Sink.add", js(src.get(extra.id)), js(extra))

    # the reader can source alpha but not sink to it
    rcol = Collection(ctx["url"]["alpha"], user="reader", password=USERS["reader"][0])
    rsrc = TAXIICollectionSource(rcol)
    C.eq("reader: Source.get on alpha", js(rsrc.get(k.malware.id)), js(k.malware))
    try:
        TAXIICollectionSink(rcol)
        C.ok("reader: Sink refused (can_write false)", False, "no DataSourceError")
    except DataSourceError:
        C.ok("reader: Sink refused (can_write false)", True)
    # source on a collection the reader cannot see
    hcol = Collection(ctx["url"]["hidden"], user="reader", password=USERS["reader"][0])
    try:
        TAXIICollectionSource(hcol)
        C.ok("reader: Source on hidden fails (404 behind it)", False, "no DataSourceError")
    except DataSourceError as e:
        inner = [a for a in e.args if isinstance(a, HTTPError)]
        C.eq("reader: Source on hidden fails with 404", inner[0].response.status_code if inner else None, 404)


def sec_status_failures(node, ctx):
    C.start("Add Objects: invalid, conflicting and identical re-posts (alpha)")
    k = ctx["content"]
    col = ctx["cols"]["alpha"]
    good = Malware(name="good one", is_family=False)
    bad_order = js(Malware(name="bad", is_family=False))
    bad_order["id"] = "malware--" + str(uuid.uuid4())
    bad_order["modified"] = fmt_ms(ts(bad_order["created"]) - dt.timedelta(days=1))  # modified < created
    no_pattern = js(k.ind_v1)
    no_pattern["id"] = "indicator--" + str(uuid.uuid4())
    del no_pattern["pattern"]
    conflict = js(k.malware)
    conflict["name"] = "EvilBot renamed without a new modified"
    identical = js(k.rel)
    body = {"objects": [js(good), bad_order, no_pattern, conflict, identical]}
    st = col.add_objects(body)
    check_status("mixed post", st, [js(good), identical], [bad_order["id"], no_pattern["id"], conflict["id"]])
    for f in st.failures:
        print("      failure message: %s: %s" % (f.get("id"), f.get("message")))
    C.eq("the conflicting post did not replace the stored object",
         objects_of(col.get_object(k.malware.id)), [js(k.malware)])
    C.http_error("the invalid object was not stored", lambda: col.get_object(no_pattern["id"]), 404)
    C.eq("identical re-post left one version",
         len(objects_of(col.get_object(k.rel.id, version="all"))), 1)
    again = Status(node.base + "/api/status/%s/" % st.id, user="admin", password=USERS["admin"][0])
    C.eq("status poll keeps the failures", sorted(f["id"] for f in again.failures),
         sorted([bad_order["id"], no_pattern["id"], conflict["id"]]))
    C.http_error("status of an unknown id",
                 lambda: ctx["root"].get_status(str(uuid.uuid4())), 404)
    ctx["good"] = good


def sec_delete(node, ctx):
    C.start("Delete an Object (alpha)")
    k = ctx["content"]
    col = ctx["cols"]["alpha"]
    target = ctx["later"][0]  # a malware with one version
    res = col.delete_object(target.id)
    C.ok("delete_object returns without error", res is None, res)
    C.http_error("get_object after delete", lambda: col.get_object(target.id), 404)
    C.http_error("versions after delete", lambda: col.object_versions(target.id), 404)
    C.eq("get_objects match[id] after delete", objects_of(col.get_objects(id=target.id)), [])
    C.ok("manifest no longer lists it",
         target.id not in [m["id"] for m in objects_of(col.get_manifest())])
    C.http_error("delete it again", lambda: col.delete_object(target.id), 404)
    # delete one version only
    vts = [k.ind_v1.modified, k.ind_v2.modified, k.ind_v3.modified]
    col.delete_object(k.ind_v1.id, version=fmt_ms(vts[1]))
    vr = col.object_versions(k.ind_v1.id)
    C.ok("delete match[version]=<v2>: v1 and v3 remain",
         same_ts_list(vr.get("versions", []), [fmt_ms(vts[0]), fmt_ms(vts[2])]), vr)
    C.eq("get_object still answers the latest", objects_of(col.get_object(k.ind_v1.id)), [js(k.ind_v3)])
    col.delete_object(k.ind_v1.id, version="first")
    vr = col.object_versions(k.ind_v1.id)
    C.ok("delete match[version]=first: v3 remains", same_ts_list(vr.get("versions", []), [fmt_ms(vts[2])]), vr)
    # deleting in one collection leaves another alone
    pcol = ctx["cols"]["paged"]
    shared = Malware(name="in two collections", is_family=False)
    pcol.add_objects(envelope(shared))
    col.add_objects(envelope(shared))
    col.delete_object(shared.id)
    C.eq("delete is per collection", objects_of(pcol.get_object(shared.id)), [js(shared)])
    # status of a delete request? none; a delete with no rights
    C.http_error("reader delete (forged can_write)",
                 lambda: forged(ctx["url"]["alpha"], "reader").delete_object(k.malware.id), 403)
    C.eq("object still there after refused delete", objects_of(col.get_object(k.malware.id)), [js(k.malware)])


def sec_auth(node, ctx):
    C.start("authentication and authorization")
    urls = ctx["url"]
    k = ctx["content"]
    alpha = urls["alpha"]
    st_id = ctx["status_a"]
    endpoints = [
        ("discovery", node.base + "/taxii2/"),
        ("api root", node.base + "/api/"),
        ("collections", node.base + "/api/collections/"),
        ("collection", alpha),
        ("objects", alpha + "objects/"),
        ("manifest", alpha + "manifest/"),
        ("object", alpha + "objects/%s/" % k.malware.id),
        ("versions", alpha + "objects/%s/versions/" % k.malware.id),
        ("status", node.base + "/api/status/%s/" % st_id),
    ]
    for name, url in endpoints:
        r = requests.get(url, headers={"Accept": TAXII_MT})
        C.eq("no credentials, %s -> 401" % name, r.status_code, 401)
        C.ok("no credentials, %s: WWW-Authenticate Basic" % name,
             r.headers.get("WWW-Authenticate", "").lower().startswith("basic"), dict(r.headers))
    r = requests.post(alpha + "objects/", headers={"Accept": TAXII_MT, "Content-Type": TAXII_MT},
                      data=json.dumps(envelope(Malware(name="x", is_family=False))))
    C.eq("no credentials, POST objects -> 401", r.status_code, 401)
    r = requests.delete(alpha + "objects/%s/" % k.malware.id, headers={"Accept": TAXII_MT})
    C.eq("no credentials, DELETE object -> 401", r.status_code, 401)
    r = requests.get(node.base + "/api/", headers={"Accept": TAXII_MT}, auth=("admin", "wrong-password"))
    C.eq("wrong password -> 401", r.status_code, 401)
    try:
        body = r.json()
    except ValueError:
        body = None
    C.ok("401 body is a TAXII error (title, http_status '401')",
         isinstance(body, dict) and body.get("title") and body.get("http_status") == "401", r.text)
    C.eq("401 Content-Type", r.headers.get("Content-Type", "").replace(" ", ""), TAXII_MT)

    C.http_error("taxii2-client Server, no credentials", lambda: Server(node.base + "/taxii2/").refresh(), 401)
    C.http_error("taxii2-client Server, wrong password",
                 lambda: Server(node.base + "/taxii2/", user="admin", password="nope-nope").refresh(), 401)
    C.http_error("taxii2-client ApiRoot, unknown user",
                 lambda: ApiRoot(node.base + "/api/", user="mallory", password="whatever1").refresh(), 401)
    C.http_error("taxii2-client Collection.get_objects, wrong password",
                 lambda: Collection(alpha, user="reader", password="bad-password",
                                    collection_info={"id": ctx["ids"]["alpha"], "title": "x",
                                                     "can_read": True, "can_write": False}).get_objects(), 401)

    # API tokens: taxii2-client's TokenAuth (`Authorization: Token …`), a Bearer header (OpenCTI,
    # Elastic), stix2's TAXII data source over a token; a revoked token is 401 like a wrong password.
    troot = ApiRoot(node.base + "/api/", auth=TokenAuth(node.token))
    C.eq("token (taxii2-client TokenAuth): collection list is alpha only",
         [c.id for c in troot.collections], [ctx["ids"]["alpha"]])
    r = requests.get(node.base + "/api/collections/", headers={"Accept": TAXII_MT, "Authorization": "Bearer " + node.token})
    C.eq("token as Bearer -> 200", r.status_code, 200)
    tsrc = TAXIICollectionSource(Collection(alpha, auth=TokenAuth(node.token)))
    C.ok("stix2 TAXIICollectionSource reads alpha with a token", isinstance(tsrc.query([Filter("type", "=", "indicator")]), list))
    C.http_error("taxii2-client with a revoked token",
                 lambda: ApiRoot(node.base + "/api/", auth=TokenAuth(node.revoked)).refresh(), 401)

    # reader: sees alpha only, read-only
    rroot = ApiRoot(node.base + "/api/", user="reader", password=USERS["reader"][0])
    rcols = rroot.collections
    C.eq("reader's collection list is alpha only", [c.id for c in rcols], [ctx["ids"]["alpha"]])
    if rcols:
        C.ok("reader: alpha can_read true, can_write false",
             rcols[0].can_read is True and rcols[0].can_write is False, rcols[0]._raw)
        ra = rcols[0]
        C.ok("reader: get_objects on alpha works", len(objects_of(ra.get_objects())) > 0)
        try:
            ra.add_objects(envelope(Malware(name="nope", is_family=False)))
            C.ok("reader: taxii2-client refuses add_objects (can_write false)", False, "no AccessError")
        except AccessError:
            C.ok("reader: taxii2-client refuses add_objects (can_write false)", True)
    fr = forged(alpha, "reader")
    C.http_error("reader POST to alpha (forged can_write)",
                 lambda: fr.add_objects(envelope(Malware(name="nope", is_family=False))), 403)
    hidden = urls["hidden"]
    C.http_error("reader: Get a Collection hidden (by id)",
                 lambda: Collection(hidden, user="reader", password=USERS["reader"][0]).refresh(), 404)
    fh = forged(hidden, "reader")
    C.http_error("reader: hidden objects", lambda: fh.get_objects(), 404)
    C.http_error("reader: hidden manifest", lambda: fh.get_manifest(), 404)
    C.http_error("reader: hidden object", lambda: fh.get_object(k.malware.id), 404)
    C.http_error("reader: hidden versions", lambda: fh.object_versions(k.malware.id), 404)
    C.http_error("reader: hidden POST", lambda: fh.add_objects(envelope(Malware(name="n", is_family=False))), 404)
    C.http_error("reader: hidden DELETE", lambda: fh.delete_object(k.malware.id), 404)
    rauth = ("reader", USERS["reader"][0])
    for what, url in [("collection", node.base + "/api/collections/hidden/"),
                      ("objects", node.base + "/api/collections/hidden/objects/")]:
        r = requests.get(url, auth=rauth, headers={"Accept": TAXII_MT})
        C.status_and_body("reader: hidden by name, %s" % what, r, 404)
    r = requests.get(node.base + "/api/collections/%s/" % uuid.uuid4(), auth=rauth, headers={"Accept": TAXII_MT})
    C.eq("reader: unknown collection -> 404 (same as hidden)", r.status_code, 404)
    C.http_error("reader: admin's status resource", lambda: rroot.get_status(st_id), 404)

    # writer: write-only drop box
    wroot = ApiRoot(node.base + "/api/", user="writer", password=USERS["writer"][0])
    wcols = wroot.collections
    C.eq("writer's collection list is dropbox only", [c.id for c in wcols], [ctx["ids"]["dropbox"]])
    if wcols:
        wd = wcols[0]
        C.ok("writer: dropbox can_read false, can_write true",
             wd.can_read is False and wd.can_write is True, wd._raw)
        drop = [Indicator(pattern="[url:value = 'http://drop.example/x']", pattern_type="stix"),
                Malware(name="dropped", is_family=False)]
        st = wd.add_objects(envelope(*drop))
        check_status("writer post to dropbox", st, [js(o) for o in drop])
        C.eq("writer: polls its own status", wroot.get_status(st.id).success_count, 2)
        try:
            wd.get_objects()
            C.ok("writer: taxii2-client refuses get_objects (can_read false)", False, "no AccessError")
        except AccessError:
            C.ok("writer: taxii2-client refuses get_objects (can_read false)", True)
        fw = forged(urls["dropbox"], "writer")
        C.http_error("writer: GET objects (forged can_read)", lambda: fw.get_objects(), 403)
        C.http_error("writer: GET manifest", lambda: fw.get_manifest(), 403)
        C.http_error("writer: GET object", lambda: fw.get_object(drop[0].id), 403)
        C.http_error("writer: GET versions", lambda: fw.object_versions(drop[0].id), 403)
        admin_drop = ctx["cols"]["dropbox"]
        C.eq("admin reads what the writer dropped",
             sorted(o["id"] for o in objects_of(admin_drop.get_objects())), sorted(o.id for o in drop))
        C.http_error("reader: writer's status resource", lambda: rroot.get_status(st.id), 404)
    C.http_error("writer: alpha is invisible",
                 lambda: Collection(alpha, user="writer", password=USERS["writer"][0]).refresh(), 404)
    C.http_error("writer: POST to alpha (forged)",
                 lambda: forged(alpha, "writer").add_objects(envelope(Malware(name="n", is_family=False))), 404)


def sec_media_types(node, ctx):
    C.start("media types and request limits (requests)")
    auth = ("admin", USERS["admin"][0])
    objs = ctx["url"]["alpha"] + "objects/"
    cases = [
        ("Accept application/json", "application/json", 406),
        ("Accept application/taxii+json;version=2.0", "application/taxii+json;version=2.0", 406),
        ("Accept application/stix+json;version=2.1", STIX_MT, 406),
        ("Accept application/taxii+json (no version = latest)", "application/taxii+json", 200),
        ("Accept with a space before version", "application/taxii+json; version=2.1", 200),
        ("Accept exact", TAXII_MT, 200),
    ]
    for name, accept, want in cases:
        r = requests.get(objs, auth=auth, headers={"Accept": accept})
        C.eq(name + " -> %d" % want, r.status_code, want)
        if want == 200 and r.status_code == 200:
            C.eq(name + ": answer Content-Type", r.headers.get("Content-Type", "").replace(" ", ""), TAXII_MT)
    r = requests.get(node.base + "/taxii2/", auth=auth, headers={"Accept": "application/json"})
    C.eq("discovery with Accept application/json -> 406", r.status_code, 406)
    # taxii2-client with a wrong Accept raises the 406 too
    C.http_error("taxii2-client get_objects(accept=application/json)",
                 lambda: ctx["cols"]["alpha"].get_objects(accept="application/json"), 406)

    body = json.dumps(envelope(Malware(name="media", is_family=False)))
    for ct, want in [("application/json", 415), (STIX_MT, 415), ("text/plain", 415),
                     ("application/taxii+json;version=2.0", 415)]:
        r = requests.post(objs, auth=auth, data=body, headers={"Accept": TAXII_MT, "Content-Type": ct})
        C.status_and_body("POST Content-Type %s" % ct, r, want)
    r = requests.post(objs, auth=auth, data=body,
                      headers={"Accept": TAXII_MT, "Content-Type": "application/taxii+json; version=2.1"})
    C.eq("POST Content-Type with a space before version -> 202", r.status_code, 202)
    r = requests.post(objs, auth=auth, data=body, headers={"Accept": "application/json", "Content-Type": TAXII_MT})
    C.eq("POST with Accept application/json -> 406", r.status_code, 406)
    r = requests.post(objs, auth=auth, data=b"{not json",
                      headers={"Accept": TAXII_MT, "Content-Type": TAXII_MT})
    C.status_and_body("POST malformed JSON", r, 400)

    # 413 beyond max_content_length
    filler = "x" * (MAX_CONTENT_LENGTH + 1024)
    big = json.dumps(envelope(Malware(name="huge", is_family=False, description=filler)))
    try:
        r = requests.post(objs, auth=auth, data=big.encode(), headers={"Accept": TAXII_MT, "Content-Type": TAXII_MT})
        C.status_and_body("POST over max_content_length", r, 413)
    except requests.RequestException as e:
        C.ok("POST over max_content_length -> 413", False, "connection error instead: %s" % e, show_http=False)
    # the limit is in bytes: 0.6 * limit two-byte characters is 1.2 * limit bytes
    wide = json.dumps(envelope(Malware(name="wide", is_family=False,
                                       description="\u00e9" * int(MAX_CONTENT_LENGTH * 0.6))),
                      ensure_ascii=False).encode("utf-8")
    try:
        r = requests.post(objs, auth=auth, data=wide, headers={"Accept": TAXII_MT, "Content-Type": TAXII_MT})
        C.status_and_body("POST of %d bytes in fewer characters than the limit" % len(wide), r, 413)
    except requests.RequestException as e:
        C.ok("POST over max_content_length in bytes -> 413", False, "connection error instead: %s" % e,
             show_http=False)
    # just under the limit is accepted
    room = MAX_CONTENT_LENGTH - len(json.dumps(envelope(Malware(name="nearly", is_family=False,
                                                                  description="")))) - 4096
    near = Malware(name="nearly", is_family=False, description="y" * room)
    r = requests.post(objs, auth=auth, data=json.dumps(envelope(near)).encode(),
                      headers={"Accept": TAXII_MT, "Content-Type": TAXII_MT})
    C.eq("POST just under max_content_length -> 202", r.status_code, 202)
    if r.status_code == 202:
        C.eq("big object stored whole", len(objects_of(ctx["cols"]["alpha"].get_object(near.id))[0]["description"]), room)

    # a method that the endpoint does not have
    r = requests.put(objs, auth=auth, data=body, headers={"Accept": TAXII_MT, "Content-Type": TAXII_MT})
    C.eq("PUT objects -> 405", r.status_code, 405)

    # collections addressed by name give the same objects as by id
    byname = requests.get(node.base + "/api/collections/paged/objects/", auth=auth,
                          headers={"Accept": TAXII_MT}, params={"limit": "5"})
    byid = requests.get(ctx["url"]["paged"] + "objects/", auth=auth,
                        headers={"Accept": TAXII_MT}, params={"limit": "5"})
    C.ok("objects by name == objects by id",
         byname.status_code == 200 and byname.json().get("objects") == byid.json().get("objects"),
         byname.text[:300])


def sec_misc(node, ctx):
    C.start("fidelity, custom content, paging under writes, odd credentials (misc)")
    col = ctx["cols"]["misc"]
    uni = Malware(name="\u00dcn\u00efc\u00f6d\u00e9 \U0001F40D \u540d\u524d", is_family=False,
                  description='quotes " and \\ backslash, tab\t, newline\n, LS \u2028, NUL-free')
    cust = Indicator(pattern="[ipv4-addr:value = '192.0.2.1']", pattern_type="stix", allow_custom=True,
                     x_pacto_float=0.1, x_pacto_small=1e-7, x_pacto_big=9007199254740991,
                     x_pacto_nested={"a": [1, 2, {"b": True, "c": "d"}], "e": -1.5})
    tnow = fmt_ms(dt.datetime.now(dt.timezone.utc))
    custom_obj = {"type": "x-pacto-thing", "spec_version": "2.1", "id": "x-pacto-thing--" + str(uuid.uuid4()),
                  "created": tnow, "modified": tnow, "x_pacto_note": "a custom object type"}
    st = col.add_objects(envelope(uni, cust, custom_obj))
    check_status("unicode, custom properties, custom object", st, [js(uni), js(cust), custom_obj])
    for name, o in [("unicode text", js(uni)), ("custom properties (floats, 2^53-1, nesting)", js(cust)),
                    ("custom object type", custom_obj)]:
        got = objects_of(col.get_object(o["id"])) if o["id"] in [x["id"] for x in st.successes] else []
        C.eq("round trip: " + name, got, [o])
    src = TAXIICollectionSource(col)
    g = src.get(cust.id)
    C.eq("stix2 source parses the custom properties", (g.x_pacto_big, g.x_pacto_float) if g else None,
         (9007199254740991, 0.1))

    # paging while objects are added between pages: nothing skipped, nothing twice
    base = [Identity(name="misc-%02d" % i, identity_class="individual") for i in range(12)]
    col.add_objects(envelope(*base))
    before = {o["id"] for o in objects_of(col.get_objects())}
    p = col.get_objects(limit=5)
    seen = [o["id"] for o in objects_of(p)]
    newcomer = Identity(name="arrived while paging", identity_class="individual")
    col.add_objects(envelope(newcomer))
    guard = 0
    while p.get("more") and guard < 20:
        p = col.get_objects(limit=5, next=p["next"])
        seen += [o["id"] for o in objects_of(p)]
        guard += 1
    C.eq("paging during writes: no duplicates", len(seen), len(set(seen)))
    C.ok("paging during writes: every object present at the start is seen", before <= set(seen),
         sorted(before - set(seen)))
    C.eq("paging during writes: the newcomer comes last (ascending date_added)",
         seen[-1] if seen else None, newcomer.id)

    # deleting the last version makes the previous one the latest
    m1 = Malware(name="two versions", is_family=False, created=fmt_ms(ctx["content"].t0),
                 modified=fmt_ms(ctx["content"].t0))
    m2 = stix2.new_version(m1, modified=fmt_ms(ctx["content"].t0 + dt.timedelta(hours=5)), description="later")
    col.add_objects(envelope(m1, m2))
    C.eq("two versions stored", len(objects_of(col.get_object(m1.id, version="all"))), 2)
    col.delete_object(m1.id, version="last")
    C.eq("delete version=last: get_object now answers v1", objects_of(col.get_object(m1.id)), [js(m1)])
    col.delete_object(m1.id, version="last")
    C.http_error("delete the remaining version: object gone", lambda: col.get_object(m1.id), 404)

    # a duplicate inside one envelope
    dup = Malware(name="twice in one post", is_family=False)
    st = col.add_objects({"objects": [js(dup), js(dup)]})
    C.eq("same object twice in one envelope: total_count 2", st.total_count, 2)
    C.eq("same object twice in one envelope: stored once",
         len(objects_of(col.get_object(dup.id, version="all"))), 1)

    # a STIX 2.0 object (no spec_version) is not STIX 2.1
    old = {"type": "malware", "id": "malware--" + str(uuid.uuid4()), "created": tnow, "modified": tnow,
           "name": "2.0 style", "labels": ["bot"]}
    st = col.add_objects({"objects": [old]})
    C.eq("STIX 2.0 object refused in the status", [f.get("id") for f in st.failures], [old["id"]])

    # a password with colons; the colon user sees misc only
    croot = ApiRoot(node.base + "/api/", user="colon", password=USERS["colon"][0])
    C.eq("password with colons authenticates", [c.id for c in croot.collections], [ctx["ids"]["misc"]])

    r = requests.get(node.base + "/api/collections/", headers={"Accept": TAXII_MT},
                     auth=(b"unicode", USERS["unicode"][0].encode("utf-8")))
    C.eq("UTF-8 password authenticates", r.status_code, 200)

    # concurrent writers
    batches = [[Identity(name="concurrent %d/%d" % (t, i), identity_class="individual") for i in range(25)]
               for t in range(4)]
    results = [None] * 4

    def post(t):
        c = Collection(ctx["url"]["misc"], user="admin", password=USERS["admin"][0])
        try:
            results[t] = c.add_objects(envelope(*batches[t])).success_count
        except Exception as e:  # noqa: BLE001
            results[t] = repr(e)

    threads = [threading.Thread(target=post, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    C.eq("4 concurrent POSTs of 25: each status has 25 successes", results, [25] * 4)
    want_ids = sorted(o.id for b in batches for o in b)
    got_ids = sorted(o["id"] for o in objects_of(col.get_objects(id=want_ids)))
    C.eq("4 concurrent POSTs: all 100 stored", got_ids, want_ids)

    # chunked bodies (no Content-Length)
    def chunks(data, size=65536):
        for i in range(0, len(data), size):
            yield data[i:i + size]

    small = json.dumps(envelope(Identity(name="chunked", identity_class="individual"))).encode()
    r = requests.post(ctx["url"]["misc"] + "objects/", auth=("admin", USERS["admin"][0]), data=chunks(small),
                      headers={"Accept": TAXII_MT, "Content-Type": TAXII_MT})
    C.eq("chunked POST -> 202", r.status_code, 202)
    huge = json.dumps(envelope(Identity(name="chunked huge", identity_class="individual",
                                        description="z" * (MAX_CONTENT_LENGTH + 10)))).encode()
    try:
        r = requests.post(ctx["url"]["misc"] + "objects/", auth=("admin", USERS["admin"][0]), data=chunks(huge),
                          headers={"Accept": TAXII_MT, "Content-Type": TAXII_MT})
        C.status_and_body("chunked POST over max_content_length", r, 413)
    except requests.RequestException as e:
        C.ok("chunked POST over max_content_length -> 413", False, "connection error: %s" % e, show_http=False)

    # informational: what a write-only user gets for DELETE (the spec ties DELETE to write access)
    drop_obj = Malware(name="writer deletes", is_family=False)
    ctx["cols"]["dropbox"].add_objects(envelope(drop_obj))
    r = requests.delete(ctx["url"]["dropbox"] + "objects/%s/" % drop_obj.id,
                        auth=("writer", USERS["writer"][0]), headers={"Accept": TAXII_MT})
    print("      (info) write-only user DELETE in its drop box -> %d" % r.status_code)


def sec_shutdown(node, ctx):
    C.start("graceful shutdown")
    rc = node.stop()
    C.eq("SIGTERM: pacto serve exits 0", rc, 0)


SECTIONS = [sec_discovery, sec_api_root, sec_collections, sec_add_objects, sec_get_objects,
            sec_versions, sec_match_filters, sec_added_after, sec_paging, sec_bulk,
            sec_stix2_store, sec_status_failures, sec_delete, sec_auth, sec_misc, sec_media_types]


def sec_client_certificate(pacto, work):
    """A partner's node authenticates with its certificate (mutual TLS): taxii2-client and
    stix2's data source presenting the certificate `pacto node id` made; a certificate bound to
    no partner, and none at all, are 401."""
    C.start("mutual TLS: a partner's node by its certificate (taxii2-client cert=)")
    import hashlib
    import ssl
    import urllib3
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    mx = Node(pacto, os.path.join(work, "mtls-mx"), tls=True)
    us = Node(pacto, os.path.join(work, "mtls-us"))
    eve = Node(pacto, os.path.join(work, "mtls-eve"))
    us_fp = us.run(["node", "id"]).strip()
    eve.run(["node", "id"])
    mx_fp = mx.run(["node", "id"]).strip()
    mx.run(["collections", "create", "shared"])
    content = Content()
    bundle = os.path.join(work, "mtls.json")
    with open(bundle, "w") as f:
        json.dump({"type": "bundle", "id": "bundle--" + str(uuid.uuid4()), "objects": [js(content.identity)]}, f)
    mx.run(["import", "--create", bundle, "--collection", "shared", "--no-progress"])
    agreement = os.path.join(work, "us.toml")
    with open(agreement, "w") as f:
        f.write('partner = "us"\n[[share]]\ncollection = "shared"\nmax_tlp = "red"\ninclude_unmarked = true\n')
    mx.run(["partner", "add", "us", "--agreement", agreement, "--cert", us_fp])
    mx.start()
    try:
        pem = ssl.get_server_certificate(("127.0.0.1", mx.port))
        C.eq("the server presents the certificate `pacto node id` names",
             hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest(), mx_fp)
        def conn(cert):
            # The server's self-signed certificate is pinned by fingerprint (checked above), not
            # verified through a CA; the environment's CA bundle must not override that.
            c = _HTTPConnection(verify=False, cert=cert, version="2.1")
            c.session.trust_env = False
            return c

        cert = (os.path.join(us.data, "node-cert.pem"), os.path.join(us.data, "node-tls-key.pem"))
        root = ApiRoot(mx.base + "/api/", conn=conn(cert))
        cols = root.collections
        C.eq("taxii2-client with the partner node's certificate: its granted collection", [c.title for c in cols],
             ["shared"])
        if cols:
            src = TAXIICollectionSource(Collection(cols[0].url, conn=conn(cert)))
            C.eq("stix2 TAXIICollectionSource over mutual TLS reads what is shared",
                 [o["id"] for o in src.query([Filter("type", "=", "identity")])], [content.identity.id])
        other = (os.path.join(eve.data, "node-cert.pem"), os.path.join(eve.data, "node-tls-key.pem"))
        C.http_error("taxii2-client with a certificate bound to no partner",
                     lambda: ApiRoot(mx.base + "/api/", conn=conn(other)).refresh(), 401)
        C.http_error("taxii2-client with no certificate and no credentials",
                     lambda: ApiRoot(mx.base + "/api/", conn=conn(None)).refresh(), 401)
    finally:
        mx.stop()


def make_bulk(path):
    base = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    objs = {}
    for i in range(BULK_COUNT):
        t = fmt_ms(base + dt.timedelta(seconds=i))
        o = Identity(name="bulk identity %04d" % i, identity_class="organization", created=t, modified=t)
        objs[o.id] = js(o)
    with open(path, "w") as f:
        json.dump({"type": "bundle", "id": "bundle--" + str(uuid.uuid4()), "objects": list(objs.values())}, f)
    return objs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pacto", required=True, help="path of the pacto binary")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = ap.parse_args()
    pacto = os.path.abspath(args.pacto)
    if not os.access(pacto, os.X_OK):
        print("not an executable: %s" % pacto, file=sys.stderr)
        return 2

    work = tempfile.mkdtemp(prefix="pacto-taxii-interop-")
    node = Node(pacto, work)
    ctx = {"content": Content()}
    try:
        C.start("set-up")
        ctx["bulk"] = make_bulk(os.path.join(work, "bulk.json"))
        node.setup(os.path.join(work, "bulk.json"))
        node.start()
        C.ok("pacto serve announced itself and /healthz is 200", True)
        for sec in SECTIONS:
            try:
                sec(node, ctx)
            except Exception as e:  # noqa: BLE001
                C.crash(e)
        sec_shutdown(node, ctx)
        try:
            sec_client_certificate(pacto, work)
        except Exception as e:  # noqa: BLE001
            C.crash(e)
    except Exception as e:  # noqa: BLE001
        C.crash(e)
    finally:
        node.stop()
        if args.keep:
            print("\ndata kept in %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)

    if C.failed_names:
        print("\nfailed checks:")
        for n in C.failed_names:
            print("  - " + n)
    print("%d passed, %d failed" % (C.passed, C.failed))
    return 1 if C.failed else 0


if __name__ == "__main__":
    sys.exit(main())
