#!/usr/bin/env python3
"""Generate the STIX patterning differential corpus.

Writes tests/interop/corpus/patterns/:

  parse.jsonl                 {"id", "pattern", "valid", "why"}
  match.jsonl                 {"id", "pattern", "observations", "expect", "why"}
  observations/NAME.json      {"spec_version": "2.1"|"2.0", "objects": [...]}
  reference-differences.tsv   cases where stix2-patterns / stix2-matcher
                              disagree with the verdict written in the corpus

Verdicts follow the STIX 2.1 specification (chapter 9, Patterning). Where the
OASIS reference tools (stix2-patterns 2.1.2, stix2-matcher 3.0.0) agree with
the spec they and the corpus say the same thing; where they do not, the case
carries the spec's verdict and a row in reference-differences.tsv that names
the tool, what it says, the section and the reason. The hand-written cases
carry a verdict written by hand, and the generator refuses to write a corpus
in which a reference tool disagrees with a hand verdict unless that case is
annotated as a difference (and refuses stale annotations too). The random
grammar cases take their verdict from stix2-patterns, overridden where
spec_violations() finds a rule of chapter 9 that the validator does not check.

The output is a pure function of this file and the two pinned reference
tools: `random` is seeded, identifiers are derived from fixed strings, and no
clock or network is used.

Usage: python tests/interop/gen_patterns.py [--out DIR] [--check]
  --check   do not write; exit 1 if the files on disk differ from what would
            be written
"""

import argparse
import base64
import datetime
import hashlib
import os
import random
import re
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

from pattern_ref import (CORPUS, dump_differences, dump_json, dump_jsonl,  # noqa: E402
                         reference_match, reference_validate)

SEED = 20240521

# ---------------------------------------------------------------------------
# Identifiers and small helpers
# ---------------------------------------------------------------------------


def v4(key):
    """A UUIDv4-shaped UUID derived from `key` (deterministic)."""
    raw = bytearray(hashlib.sha256(("pacto-patterns:" + key).encode()).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def oid(type_, key):
    return "%s--%s" % (type_, v4(type_ + ":" + key))


def b64(data):
    return base64.b64encode(data).decode("ascii")


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def sha1(s):
    return hashlib.sha1(s.encode()).hexdigest()


def sha256(s):
    return hashlib.sha256(s.encode()).hexdigest()


def sha512(s):
    return hashlib.sha512(s.encode()).hexdigest()


def lit(s):
    """A STIX pattern string literal for the Python string s."""
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


CREATED = "2021-01-01T00:00:00.000Z"

# ---------------------------------------------------------------------------
# Observation sets
# ---------------------------------------------------------------------------


class Sets:
    """Builds the named observation sets."""

    def __init__(self):
        self.sets = {}

    # -- STIX 2.1: observed-data with object_refs, SCOs alongside -----------

    @staticmethod
    def sco(type_, id_key, **props):
        obj = {"type": type_, "spec_version": "2.1", "id": oid(type_, id_key)}
        obj.update(props)
        return obj

    @staticmethod
    def od21(key, refs, first, last=None, n=1):
        return {
            "type": "observed-data",
            "spec_version": "2.1",
            "id": oid("observed-data", key),
            "created": CREATED,
            "modified": CREATED,
            "first_observed": first,
            "last_observed": last or first,
            "number_observed": n,
            "object_refs": [r["id"] for r in refs],
        }

    def add21(self, name, objects):
        assert name not in self.sets
        self.sets[name] = {"spec_version": "2.1", "objects": objects}

    # -- STIX 2.0: observed-data with embedded objects -----------------------

    @staticmethod
    def od20(key, objects, first, last=None, n=1):
        return {
            "type": "observed-data",
            "id": oid("observed-data", key),
            "created": CREATED,
            "modified": CREATED,
            "first_observed": first,
            "last_observed": last or first,
            "number_observed": n,
            "objects": objects,
        }

    def add20(self, name, ods):
        assert name not in self.sets
        self.sets[name] = {"spec_version": "2.0", "objects": ods}


def build_sets():
    S = Sets()
    sco, od = S.sco, S.od21

    # files21: hashes, names, sizes, timestamps, pebinary sections, archive
    # contains_refs (one target outside object_refs), directory refs.
    hidden = sco("file", "files21-hidden", name="hidden.txt", size=12)
    fa = sco("file", "files21-report", name="report.pdf", size=1024,
             hashes={"MD5": md5("report"), "SHA-256": sha256("report")},
             mime_type="application/pdf", created="2021-02-28T12:00:00Z",
             modified="2021-03-01T08:30:00.123Z",
             x_flags=[3, 1, 4, 1, 5], x_ratio=0.5, x_enabled=True,
             x_tags=["alpha", "beta", "gamma"])
    d = sco("directory", "files21-dir", path="C:\\Windows\\System32")
    fb = sco("file", "files21-mal", name="mal.exe", size=73802,
             hashes={"SHA-256": sha256("mal"), "SHA-1": sha1("mal")},
             parent_directory_ref=d["id"], created="2020-12-24T23:59:59.999Z",
             extensions={"windows-pebinary-ext": {
                 "pe_type": "exe", "number_of_sections": 2,
                 "optional_header": {"entry_point": 4096},
                 "sections": [
                     {"name": ".text", "size": 4096, "entropy": 7.8},
                     {"name": ".data", "size": 512, "entropy": 1.25}]}})
    d["contains_refs"] = [fb["id"]]
    fz = sco("file", "files21-zip", name="bundle.zip", size=2048,
             extensions={"archive-ext": {"contains_refs": [fa["id"], hidden["id"]],
                                         "comment": "quarterly"}})
    S.add21("files21", [od("files21", [fa, fb, fz, d], "2021-03-01T10:00:00Z"),
                        fa, fb, fz, hidden, d])

    # network21: IPv4 only, refs (one to an address outside object_refs),
    # protocols lists, an extension with a dictionary.
    mac = sco("mac-addr", "net21-mac", value="00:11:22:33:44:55")
    ip1 = sco("ipv4-addr", "net21-ip1", value="10.0.0.5", resolves_to_refs=[mac["id"]])
    ip2 = sco("ipv4-addr", "net21-ip2", value="198.51.100.7")
    ipout = sco("ipv4-addr", "net21-ipout", value="203.0.113.99")
    nt1 = sco("network-traffic", "net21-nt1", src_ref=ip1["id"], dst_ref=ip2["id"],
              src_port=49152, dst_port=443, protocols=["ipv4", "tcp", "http"],
              is_active=True, start="2021-04-01T00:00:00Z",
              extensions={"http-request-ext": {
                  "request_method": "get", "request_value": "/index.html",
                  "request_header": {"User-Agent": "Mozilla/5.0", "Host": "example.com"}}})
    nt2 = sco("network-traffic", "net21-nt2", src_ref=ip2["id"], dst_ref=ipout["id"],
              dst_port=8080, protocols=["ipv4", "tcp"], src_byte_count=1500)
    S.add21("network21", [od("network21", [nt1, nt2, ip1, ip2, mac], "2021-04-01T00:00:00Z"),
                          nt1, nt2, ip1, ip2, ipout, mac])

    # network6_21: IPv6 traffic.
    ip6a = sco("ipv6-addr", "net6-a", value="2001:db8::10")
    ip6b = sco("ipv6-addr", "net6-b", value="2001:db8:ffff::1")
    nt6 = sco("network-traffic", "net6-nt", src_ref=ip6a["id"], dst_ref=ip6b["id"],
              dst_port=53, protocols=["ipv6", "udp", "dns"])
    S.add21("network6_21", [od("network6_21", [nt6, ip6a, ip6b], "2021-04-02T00:00:00Z"),
                            nt6, ip6a, ip6b])

    # mixed21: the example of STIX 2.1 section 9.5 (two network-traffic
    # objects each referencing one address) plus a file in the same
    # observed-data.
    ma = sco("ipv4-addr", "mixed-a", value="203.0.113.10")
    mb = sco("ipv4-addr", "mixed-b", value="198.51.100.58")
    nta = sco("network-traffic", "mixed-nta", src_ref=ma["id"], protocols=["tcp"])
    ntb = sco("network-traffic", "mixed-ntb", dst_ref=mb["id"], protocols=["tcp"])
    mf = sco("file", "mixed-file", name="x.dll", size=77)
    S.add21("mixed21", [od("mixed21", [nta, ntb, ma, mb, mf], "2019-10-20T00:12:01Z",
                           "2019-10-20T00:51:02Z"), nta, ntb, ma, mb, mf])

    # ips21: plain IPv4 addresses; cidrs21: CIDR blocks; ips6_21: IPv6.
    ips = [sco("ipv4-addr", "ips-%d" % i, value=v) for i, v in
           enumerate(["192.168.1.10", "172.16.5.4", "203.0.113.77"])]
    S.add21("ips21", [od("ips21", ips, "2021-05-01T00:00:00Z")] + ips)
    cidrs = [sco("ipv4-addr", "cidrs-%d" % i, value=v) for i, v in
             enumerate(["10.0.0.0/8", "172.16.5.0/24", "198.51.100.0/25"])]
    S.add21("cidrs21", [od("cidrs21", cidrs, "2021-05-01T00:00:00Z")] + cidrs)
    ip6s = [sco("ipv6-addr", "ips6-%d" % i, value=v) for i, v in
            enumerate(["2001:db8::1", "2001:db8:abcd::/48"])]
    S.add21("ips6_21", [od("ips6_21", ip6s, "2021-05-01T00:00:00Z")] + ip6s)

    # email21: from_ref, to_refs, cc_refs, multipart body with a raw ref.
    a1 = sco("email-addr", "em-alice", value="alice@example.com", display_name="Alice")
    b1 = sco("email-addr", "em-bob", value="bob@example.org", display_name="Bob")
    c1 = sco("email-addr", "em-carol", value="carol@example.net")
    d1 = sco("email-addr", "em-dave", value="dave@example.com", display_name="Dave")
    att = sco("file", "em-att", name="Final Report 2021.exe", size=10240)
    em = sco("email-message", "em-msg", is_multipart=True, date="2021-06-01T09:00:00Z",
             subject="Quarterly report", from_ref=a1["id"], to_refs=[b1["id"], c1["id"]],
             cc_refs=[d1["id"]],
             additional_header_fields={"X-Mailer": "Foo 1.0",
                                       "Received": ["from a by b", "from c by d"]},
             body_multipart=[
                 {"content_type": "text/plain; charset=utf-8",
                  "body": "Hello Bob,\nsee the attachment."},
                 {"content_type": "application/octet-stream",
                  "content_disposition": "attachment; filename=\"Final Report 2021.exe\"",
                  "body_raw_ref": att["id"]}])
    S.add21("email21", [od("email21", [em, a1, b1, c1, d1, att], "2021-06-01T09:00:05Z"),
                        em, a1, b1, c1, d1, att])

    # domain21: resolves_to_refs (to IPv4s and to another domain), url.
    ra = sco("ipv4-addr", "dom-a", value="198.51.100.1")
    rb = sco("ipv4-addr", "dom-b", value="198.51.100.2")
    dn1 = sco("domain-name", "dom-1", value="example.com", resolves_to_refs=[ra["id"], rb["id"]])
    dn2 = sco("domain-name", "dom-2", value="www.example.com", resolves_to_refs=[dn1["id"]])
    url = sco("url", "dom-url", value="https://www.example.com/login?next=%2Fhome")
    S.add21("domain21", [od("domain21", [dn1, dn2, ra, rb, url], "2021-06-02T00:00:00Z"),
                         dn1, dn2, ra, rb, url])

    # process21: child_refs chains, image_ref, creator_user_ref, dictionaries.
    fimg = sco("file", "proc-img", name="explorer.exe")
    fimg2 = sco("file", "proc-img2", name="whoami.exe")
    ua = sco("user-account", "proc-user", user_id="1001", account_login="jdoe")
    p4 = sco("process", "proc-4", pid=4567, command_line="whoami.exe", image_ref=fimg2["id"])
    p3 = sco("process", "proc-3", pid=3456, command_line="notepad.exe")
    p2 = sco("process", "proc-2", pid=2345, command_line="cmd.exe /c whoami",
             child_refs=[p4["id"]])
    p1 = sco("process", "proc-1", pid=1234, command_line="C:\\Windows\\explorer.exe /e",
             created_time="2021-07-01T12:00:00Z", image_ref=fimg["id"],
             child_refs=[p2["id"], p3["id"]], creator_user_ref=ua["id"], is_hidden=False,
             environment_variables={"PATH": "C:\\Windows", "TEMP": "C:\\Temp"},
             extensions={"windows-process-ext": {"aslr_enabled": True,
                                                 "priority": "NORMAL_PRIORITY_CLASS",
                                                 "window_title": "Explorer"}})
    p2["parent_ref"] = p1["id"]
    S.add21("process21", [od("process21", [p1, p2, p3, p4, fimg, fimg2, ua],
                             "2021-07-01T12:00:01Z"), p1, p2, p3, p4, fimg, fimg2, ua])

    # user21: user accounts with booleans, timestamps and an extension.
    u1 = sco("user-account", "usr-peter", user_id="1007", account_login="peter",
             account_type="unix", is_privileged=False, can_escalate_privs=True,
             account_created="2019-01-01T00:00:00Z",
             account_last_login="2021-08-01T06:30:00.25Z",
             extensions={"unix-account-ext": {"gid": 1007, "groups": ["users", "docker"],
                                              "home_dir": "/home/peter", "shell": "/bin/bash"}})
    u2 = sco("user-account", "usr-root", user_id="0", account_login="root",
             account_type="unix", is_privileged=True)
    S.add21("user21", [od("user21", [u1, u2], "2021-08-01T07:00:00Z"), u1, u2])

    # registry21: windows-registry-key with a values list.
    ua2 = sco("user-account", "reg-user", user_id="500", account_login="admin")
    rk = sco("windows-registry-key", "reg-run",
             key="HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
             values=[{"name": "Updater", "data": "C:\\Users\\Public\\upd.exe",
                      "data_type": "REG_SZ"},
                     {"name": "Count", "data": "7", "data_type": "REG_DWORD"}],
             modified_time="2021-09-09T09:09:09Z", number_of_subkeys=2,
             creator_user_ref=ua2["id"])
    rk2 = sco("windows-registry-key", "reg-empty", key="HKEY_CURRENT_USER\\Software\\Empty")
    S.add21("registry21", [od("registry21", [rk, rk2, ua2], "2021-09-09T09:10:00Z"),
                           rk, rk2, ua2])

    # artifact21: binary (payload_bin, base64) and hex (x_thing_hex) values.
    ar1 = sco("artifact", "art-1", mime_type="text/plain",
              payload_bin=b64(b"this is a test"), x_thing_hex="deadbeef",
              hashes={"SHA-256": sha256("this is a test")})
    ar2 = sco("artifact", "art-2", mime_type="application/vnd.tcpdump.pcap",
              payload_bin=b64(bytes([0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00])),
              x_thing_hex="00ff")
    S.add21("artifact21", [od("artifact21", [ar1, ar2], "2021-10-10T10:10:10Z"), ar1, ar2])

    # custom21: custom object types and properties of every JSON shape.
    xf = sco("x-foo-bar", "cust-1", level="high", count=5, score=3.14, delta=-7,
             flag=True, off=False, one=1, seen="2021-05-05T05:05:05.5Z",
             tags=["alpha", "beta", "gamma"], counts=[10, 20, 30],
             nested={"inner": {"deep": 42, "label": "x"},
                     "list": [{"k": "a", "v": 1}, {"k": "b", "v": 2}]},
             keys={"key with space": "s", "it's": "q", "a.b": "dot",
                   "back\\slash": "bs", "SHA-256": "h", "": "empty"},
             w_dec="o\u0300", w_pre="\u00f2", cafe="caf\u00e9", cafe_dec="cafe\u0301",
             emoji="\U0001F600 smile", x_ml="first\nsecond", x_nl="line1\n",
             x_bad_ts="not a timestamp", path="C:\\Windows\\System32\\drivers",
             quote="it's", pct="100%_done", empty="", x_thing_hex="cafe")
    xf2 = sco("x-foo-bar", "cust-2", level="low", count=6)
    xb = sco("x-baz", "cust-baz", value="baz", weight=2.5)
    S.add21("custom21", [od("custom21", [xf, xf2, xb], "2021-11-11T11:11:11Z"), xf, xf2, xb])

    # scalars21: one object carrying one value of each JSON type, so that a
    # comparison matches exactly when it holds for that value.
    xs = sco("x-scalar", "scalar-1", s="high", i=5, f=3.14, n=-7, b=True,
             t="2021-05-05T05:05:05.5Z", l=["alpha", "beta"], d={"k": "v"})
    S.add21("scalars21", [od("scalars21", [xs], "2021-12-12T12:12:12Z"), xs])

    # certs21: x509 certificates (booleans, timestamps, dictionaries).
    c1x = sco("x509-certificate", "cert-1", is_self_signed=True,
              serial_number="4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28",
              issuer="CN=WEBMAIL", validity_not_before="2016-03-12T12:00:00Z",
              validity_not_after="2016-08-21T12:00:00Z", version="3",
              hashes={"SHA-256": sha256("cert-1")},
              x509_v3_extensions={"basic_constraints": "critical,CA:TRUE"})
    c2x = sco("x509-certificate", "cert-2", is_self_signed=False, issuer="CN=Example CA",
              validity_not_before="2020-01-01T00:00:00Z",
              validity_not_after="2030-01-01T00:00:00Z")
    S.add21("certs21", [od("certs21", [c1x, c2x], "2021-12-01T00:00:00Z"), c1x, c2x])

    # software21: software, mutex, autonomous-system.
    sw = sco("software", "sw-word", name="Word", vendor="Microsoft", version="2002",
             cpe="cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*", languages=["en", "fr"])
    mx = sco("mutex", "sw-mutex", name="__CLEANSWEEP__")
    asn = sco("autonomous-system", "sw-as", number=15139, name="Slime Industries", rir="ARIN")
    S.add21("software21", [od("software21", [sw, mx, asn], "2021-12-02T00:00:00Z"),
                           sw, mx, asn])

    # timeline21: several observed-data at different times (points and
    # intervals), one with number_observed 3.
    tl = []

    def tl_od(key, name, first, last=None, n=1, extra=()):
        f = sco("file", "tl-" + key, name=name)
        objs = [f] + list(extra)
        tl.append(od("tl-" + key, objs, first, last, n))
        tl.extend(objs)

    tl_od("A", "a.exe", "2022-01-01T00:00:00Z")
    tl_od("B", "b.exe", "2022-01-01T00:00:10Z")
    tl_od("C", "a.exe", "2022-01-01T00:00:20Z")
    tl_od("D", "c.exe", "2022-01-01T00:01:00Z", "2022-01-01T00:02:00Z")
    tl_od("E", "d.exe", "2022-01-01T00:05:00Z", n=3)
    tl_od("F", "e.exe", "2022-01-01T00:20:00.5Z")
    tl_od("G", "f.exe", "2022-01-01T00:30:00Z", "2022-01-01T00:30:30Z",
          extra=[sco("ipv4-addr", "tl-G-ip", value="10.1.1.1")])
    S.add21("timeline21", tl)

    # burst21: pairs close together, for WITHIN combined with REPEATS.
    bu = []

    def bu_od(key, name, first, n=1):
        f = sco("file", "bu-" + key, name=name)
        bu.append(od("bu-" + key, [f], first, None, n))
        bu.append(f)

    bu_od("x1", "x.bin", "2023-01-01T00:00:00Z")
    bu_od("x2", "x.bin", "2023-01-01T00:00:01Z")
    bu_od("y1", "y.bin", "2023-01-01T00:00:02Z")
    bu_od("y2", "y.bin", "2023-01-01T00:00:03Z")
    bu_od("z1", "z.bin", "2023-01-01T00:01:00Z", n=2)
    bu_od("z2", "z.bin", "2023-01-01T00:01:30Z")
    S.add21("burst21", bu)

    # split21: a reference to an SCO that only another observed-data lists.
    sp_ip = sco("ipv4-addr", "split-ip", value="192.0.2.1")
    sp_nt = sco("network-traffic", "split-nt", dst_ref=sp_ip["id"], dst_port=22,
                protocols=["tcp", "ssh"])
    S.add21("split21", [od("split21-a", [sp_nt], "2021-02-02T00:00:00Z"),
                        od("split21-b", [sp_ip], "2021-02-02T00:00:01Z"), sp_nt, sp_ip])

    # STIX 2.0 sets: embedded objects dictionaries, local references.
    S.add20("files20", [S.od20("files20", {
        "0": {"type": "file", "name": "a.dll", "size": 300,
              "hashes": {"MD5": md5("a.dll"), "SHA-256": sha256("a.dll")},
              "parent_directory_ref": "2"},
        "1": {"type": "file", "name": "b.zip", "size": 4000,
              "extensions": {"archive-ext": {"contains_refs": ["0", "3"]}}},
        "2": {"type": "directory", "path": "C:\\Windows"},
        "3": {"type": "file", "name": "readme.txt", "size": 10}},
        "2020-02-02T02:02:02Z")])
    S.add20("network20", [S.od20("network20", {
        "0": {"type": "ipv4-addr", "value": "10.2.3.4"},
        "1": {"type": "ipv4-addr", "value": "10.9.8.7"},
        "2": {"type": "network-traffic", "src_ref": "0", "dst_ref": "1", "dst_port": 80,
              "protocols": ["tcp", "http"]},
        "3": {"type": "domain-name", "value": "evil.example", "resolves_to_refs": ["1"]}},
        "2020-03-03T03:03:03Z")])
    S.add20("email20", [S.od20("email20", {
        "0": {"type": "email-message", "is_multipart": True, "subject": "Invoice",
              "from_ref": "1", "to_refs": ["2"],
              "body_multipart": [{"content_type": "text/plain", "body": "see attached"},
                                 {"content_type": "application/zip", "body_raw_ref": "3"}]},
        "1": {"type": "email-addr", "value": "billing@example.com"},
        "2": {"type": "email-addr", "value": "victim@example.org"},
        "3": {"type": "file", "name": "invoice.zip"}},
        "2020-04-04T04:04:04Z")])
    S.add20("timeline20", [
        S.od20("tl20-p1", {"0": {"type": "file", "name": "p.exe"}}, "2020-05-05T00:00:00Z"),
        S.od20("tl20-q", {"0": {"type": "file", "name": "q.exe"}}, "2020-05-05T00:00:30Z"),
        S.od20("tl20-p2", {"0": {"type": "file", "name": "p.exe"}}, "2020-05-05T00:01:00Z",
               n=2),
        S.od20("tl20-r", {"0": {"type": "file", "name": "r.exe"},
                          "1": {"type": "ipv4-addr", "value": "10.5.5.5"}},
               "2020-05-05T00:02:00Z", "2020-05-05T00:03:00Z")])
    return S.sets


# ---------------------------------------------------------------------------
# Parse cases written by hand
# ---------------------------------------------------------------------------

# Section numbers are those of STIX Version 2.1 chapter 9 (Patterning).
S_CONST = "9.2"
S_PATTERN = "9.4"
S_OBSEXPR = "9.5"
S_QUAL = "9.5.1"
S_OBSOP = "9.5.2"
S_COMPEXPR = "9.6"
S_COMPOP = "9.6.1"
S_NATIVE = "9.6.4"
S_LIST = "9.7.2"
S_REFS = "9.7.4"

TS = "t'2020-01-01T00:00:00Z'"
TS2 = "t'2020-06-01T00:00:00Z'"
MD5_OK = md5("x")
SHA1_OK = sha1("x")
SHA256_OK = sha256("x")
SHA512_OK = sha512("x")
# SHA-256 values used by the examples of STIX 2.1 section 9.8
AEC = "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"
BF0 = "bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c"


class ParseCases:
    def __init__(self):
        self.rows = []

    def add(self, pattern, valid, why, diff=None):
        """diff: (section, reason) when stix2-patterns is expected to disagree
        with `valid` (the spec's verdict)."""
        self.rows.append({"pattern": pattern, "valid": valid, "why": why, "diff": diff})


# Literal forms for the operator matrix: (text, kind).
MATRIX_LITERALS = [
    ("42", "int"), ("-42", "int"), ("0", "int"), ("4.2", "float"), ("-0.5", "float"),
    ("'x'", "str"), ("true", "bool"), ("false", "bool"), (TS, "ts"),
    ("h'00ff'", "hex"), ("b'AP8='", "bin"), ("('a', 'b')", "set"), ("()", "set"),
]
EQ_OPS = ["=", "==", "!=", "<>"]
ORDER_OPS = ["<", "<=", ">", ">="]
STRING_OPS = ["LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"]


def matrix_valid(op, kind):
    if op in EQ_OPS:
        return kind != "set"
    if op in ORDER_OPS:
        return kind not in ("set", "bool")
    if op == "IN":
        return kind == "set"
    return kind == "str"


def hand_parse_cases():
    C = ParseCases()
    add = C.add

    # -- every comparison operator, with and without NOT, against every
    #    literal form (grammar: propTestEqual/Order/Set/Like/Regex/...)
    path = "x-acme-sensor:reading"
    for op in EQ_OPS + ORDER_OPS + ["IN"] + STRING_OPS:
        for text, kind in MATRIX_LITERALS:
            for neg in (False, True):
                p = "[%s %s%s %s]" % (path, "NOT " if neg else "", op, text)
                ok = matrix_valid(op, kind)
                add(p, ok, "%s%s with a %s %s" % ("NOT " if neg else "", op, kind,
                                                   "constant" if ok else "constant is not allowed"))
    # EXISTS forms
    add("[EXISTS file:name]", True, "EXISTS on a property")
    add("[NOT EXISTS file:name]", True, "NOT before EXISTS")
    add("[EXISTS file:extensions.'windows-pebinary-ext'.sections[*].name]", True,
        "EXISTS on an extension list path")
    add("[EXISTS windows-registry-key:values]", True, "EXISTS example of section 9.6.1")
    add("[EXISTS file:name AND file:size > 10]", True, "EXISTS joined with AND")
    add("[file:size > 10 OR EXISTS file:name]", True, "EXISTS joined with OR")
    add("[(EXISTS file:name)]", True, "parenthesised EXISTS")
    add("[file:name EXISTS]", False, "EXISTS after the path")
    add("[EXISTS NOT file:name]", False, "NOT between EXISTS and the path")
    add("[file:name NOT EXISTS]", False, "NOT EXISTS after the path")
    add("[EXISTS file:name = 'a']", False, "EXISTS takes no constant")
    add("[EXISTS (file:name)]", False, "EXISTS of a parenthesised path")
    add("[EXISTS]", False, "EXISTS without a path")
    add("[exists file:name]", False, "lower-case exists")
    add("[NOT NOT EXISTS file:name]", False, "double NOT")
    add("[EXISTS EXISTS file:name]", False, "double EXISTS")
    add("[EXISTS 'name']", False, "EXISTS of a constant")
    # NOT placement
    add("[NOT file:name = 'a']", False, "NOT before the object path")
    add("[file:name = NOT 'a']", False, "NOT after the operator")
    add("[file:name NOT NOT = 'a']", False, "double NOT")
    add("[NOT (file:name = 'a')]", False, "NOT before a parenthesised comparison")
    add("[file:name NOT 'a']", False, "NOT without an operator")
    add("[file:name not = 'a']", False, "lower-case not")
    add("[file:name Not IN ('a')]", False, "mixed-case Not")
    add("[file:name NOT= 'a']", True, "NOT directly followed by =")
    add("[file:size NOT<5]", True, "NOT< without spaces")
    add("[file:name NOT IN('a')]", True, "NOT IN without a space before the set")
    add("[file:name NOTLIKE 'a%']", False, "NOTLIKE run together")
    add("[file:name = ! 'a']", False, "a lone ! is not an operator")
    add("[file:name ! = 'a']", False, "! and = separated")
    add("[file:name < > 'a']", False, "< and > separated")
    add("[file:name =< 'a']", False, "=< is not an operator")
    add("[file:name => 'a']", False, "=> is not an operator")
    add("[file:name === 'a']", False, "=== is not an operator")
    add("[file:name =? 'a']", False, "=? is not an operator")
    add("[file:name <=> 'a']", False, "<=> is not an operator")
    add("[file:name in ('a')]", False, "lower-case in")
    add("[file:name like 'a%']", False, "lower-case like")
    add("[file:name Matches 'a']", False, "mixed-case Matches")
    add("[ipv4-addr:value issubset '10.0.0.0/8']", False, "lower-case issubset")
    add("[file:name LIKE 'a' 'b']", False, "two constants")
    add("[file:name MATCHES /a.*/]", False, "regex delimited by slashes")
    add("[file:name LIKE \"a%\"]", False, "double-quoted constant")
    add("[file:name IN 'a']", False, "IN needs a set")
    add("[file:name IN ['a']]", False, "IN set in square brackets")
    add("[file:name IN {'a'}]", False, "IN set in braces")
    add("[file:name IN ('a',)]", False, "trailing comma in a set")
    add("[file:name IN (,'a')]", False, "leading comma in a set")
    add("[file:name IN ('a' 'b')]", False, "set without commas")
    add("[file:name IN ('a';'b')]", False, "set with semicolons")
    add("[file:name IN (('a'))]", False, "nested set")
    add("[file:name IN ('a', ('b'))]", False, "set inside a set")
    add("[file:name IN ( )]", True, "empty set with a space")
    add("[file:size IN (1,2,3)]", True, "integer set without spaces")
    add("[file:size IN (1, 2.5)]", True, "set of integers and floats (both numeric)")
    add("[file:size IN (-1, -2.5, 0)]", True, "negative numbers in a set")
    add("[x:t IN (%s, %s)]" % (TS, TS2), True, "set of timestamps")
    add("[x:b IN (true, false)]", True, "set of booleans")
    add("[x:h IN (h'00', h'ff', h'')]", True, "set of hex constants")
    add("[x:h IN (b'AAAA', b'AP8=')]", True, "set of binary constants")
    add("[x:v IN (1, 'a')]", False, "set mixing integer and string",
        (S_COMPOP, "IN: set values MUST be constants of homogeneous data type; "
                   "stix2-patterns does not check"))
    add("[x:v IN ('a', true)]", False, "set mixing string and boolean",
        (S_COMPOP, "IN: set values MUST be of homogeneous data type"))
    add("[x:v IN (%s, 'x')]" % TS, False, "set mixing timestamp and string",
        (S_COMPOP, "IN: set values MUST be of homogeneous data type"))
    add("[x:v IN (h'00', b'AA==')]", False, "set mixing hex and binary constants",
        (S_COMPOP, "IN: set values MUST be of homogeneous data type"))
    add("[x:v IN (1, true)]", False, "set mixing integer and boolean",
        (S_COMPOP, "IN: set values MUST be of homogeneous data type"))
    add("[x:v NOT IN ('a', 2)]", False, "NOT IN with a mixed set",
        (S_COMPOP, "IN: set values MUST be of homogeneous data type"))

    # -- comparison expressions: AND / OR / parentheses inside [ ]
    add("[file:name = 'a' AND file:size = 1]", True, "AND of two comparisons")
    add("[file:name = 'a' OR file:size = 1]", True, "OR of two comparisons")
    add("[file:name = 'a' AND file:size = 1 OR file:size = 2]", True, "AND binds tighter than OR")
    add("[file:name = 'a' AND (file:size = 1 OR file:size = 2)]", True, "parenthesised OR")
    add("[(file:name = 'a' AND file:size = 1) OR (ipv4-addr:value = '1.2.3.4')]", True,
        "OR of two parenthesised groups on different types")
    add("[(type-a:property-j = 'W')]", False, "property names cannot contain hyphens")
    add("[(type-a:property_j = 'W' AND type-a:property_k = 'X') OR "
        "(type-b:property_m = 'Y' AND type-b:property_n = 'Z')]", True,
        "example of section 9.5 with underscores")
    add("[((file:name = 'a'))]", True, "doubly parenthesised comparison")
    add("[(((file:name = 'a')) AND ((file:size = 1)))]", True, "nested parentheses")
    add("[file:name = 'a' AND ipv4-addr:value = '1.2.3.4']", True,
        "AND across object types is grammatical (it can never match one object)")
    add("[file:name = 'a' AND]", False, "trailing AND")
    add("[AND file:name = 'a']", False, "leading AND")
    add("[file:name = 'a' OR]", False, "trailing OR")
    add("[file:name = 'a' AND AND file:size = 1]", False, "doubled AND")
    add("[file:name = 'a' file:size = 1]", False, "two comparisons without an operator")
    add("[file:name = 'a' and file:size = 1]", False, "lower-case and")
    add("[file:name = 'a' Or file:size = 1]", False, "mixed-case Or")
    add("[file:name = 'a' && file:size = 1]", False, "&& is not an operator")
    add("[file:name = 'a' || file:size = 1]", False, "|| is not an operator")
    add("[file:name = 'a' FOLLOWEDBY file:size = 1]", False,
        "FOLLOWEDBY inside an observation expression")
    add("[file:name = 'a' , file:size = 1]", False, "comma between comparisons")
    add("[(file:name = 'a']", False, "unclosed parenthesis inside brackets")
    add("[file:name = 'a')]", False, "stray closing parenthesis inside brackets")
    add("[()]", False, "empty parentheses inside brackets")
    add("[file:name = ('a')]", False, "parenthesised constant")
    add("[file:name = 'a' AND (file:size = 1]", False, "unbalanced parenthesis after AND")
    add("[file:name]", False, "object path without operator")
    add("[= 'a']", False, "operator without object path")
    add("['a' = file:name]", False, "constant on the left")
    add("[file:name = file:size]", False, "object path on the right")
    add("[file:name = 'a' = 'b']", False, "chained comparison")
    add("[file:size > 1 < 5]", False, "chained order comparison")

    # -- observation expressions and observation operators
    A, B, Cc = "[file:name = 'a']", "[file:name = 'b']", "[ipv4-addr:value = '10.0.0.1']"
    add("%s AND %s" % (A, B), True, "observation AND")
    add("%s OR %s" % (A, B), True, "observation OR")
    add("%s FOLLOWEDBY %s" % (A, B), True, "FOLLOWEDBY")
    add("%s FOLLOWEDBY %s FOLLOWEDBY %s" % (A, B, Cc), True, "chained FOLLOWEDBY")
    add("%s AND %s OR %s" % (A, B, Cc), True, "observation AND binds tighter than OR")
    add("%s OR %s FOLLOWEDBY %s" % (A, B, Cc), True, "OR binds tighter than FOLLOWEDBY")
    add("(%s OR %s) AND %s" % (A, B, Cc), True, "parenthesised observation OR")
    add("(%s FOLLOWEDBY %s) AND %s" % (A, B, Cc), True, "parenthesised FOLLOWEDBY")
    add("((%s) AND (%s))" % (A, B), True, "nested parentheses around observations")
    add("(%s)" % A, True, "parenthesised observation")
    add("((((%s))))" % A, True, "deeply parenthesised observation")
    add("(%s AND (%s OR (%s FOLLOWEDBY %s)))" % (A, B, Cc, A), True, "nested groups")
    add("%s %s" % (A, B), False, "two observations without an operator")
    add("%s AND" % A, False, "trailing observation AND")
    add("AND %s" % A, False, "leading observation AND")
    add("%s OR OR %s" % (A, B), False, "doubled OR")
    add("%s FOLLOWEDBY" % A, False, "trailing FOLLOWEDBY")
    add("%s followedby %s" % (A, B), False, "lower-case followedby")
    add("%s FOLLOWED BY %s" % (A, B), False, "FOLLOWED BY as two words")
    add("%s FollowedBy %s" % (A, B), False, "mixed-case FollowedBy")
    add("%s and %s" % (A, B), False, "lower-case observation and")
    add("%s NOT %s" % (A, B), False, "NOT between observations")
    add("%s AND NOT %s" % (A, B), False, "AND NOT between observations")
    add("NOT %s" % A, False, "NOT before an observation")
    add("(%s" % A, False, "unclosed parenthesis")
    add("%s)" % A, False, "stray closing parenthesis")
    add("((%s)" % A, False, "unbalanced parentheses")
    add("(%s))" % A, False, "unbalanced parentheses (extra close)")
    add("()", False, "empty parentheses")
    add("(%s) (%s)" % (A, B), False, "two groups without an operator")
    add("%s AND ()" % A, False, "AND with an empty group")
    add("[[file:name = 'a']]", False, "nested square brackets")
    add("[]", False, "empty observation expression")
    add("[ ]", False, "empty observation expression with a space")
    add("[file:name = 'a'", False, "missing closing bracket")
    add("file:name = 'a']", False, "missing opening bracket")
    add("file:name = 'a'", False, "bare comparison without brackets")
    add("file:size = 1280", False, "bare comparison (stix2-patterns test case)")
    add("(file:name = 'a')", False, "parenthesised bare comparison")
    add("[file:name = 'a'];", False, "trailing semicolon")
    add("[file:name = 'a'], [file:name = 'b']", False, "comma between observations")
    add("[file:name = 'a'] [", False, "trailing bracket")
    add("[file:name = 'a'] AND [file:name = 'b'", False, "second observation unclosed")
    add("{file:name = 'a'}", False, "braces instead of brackets")
    add("<file:name = 'a'>", False, "angle brackets instead of square brackets")

    # -- qualifiers
    for q, ok, why in [
        ("WITHIN 5 SECONDS", True, "WITHIN with an integer"),
        ("WITHIN 5.5 SECONDS", True, "WITHIN with a float"),
        ("WITHIN .5 SECONDS", True, "WITHIN with a float without leading digit"),
        ("WITHIN 0.001 SECONDS", True, "WITHIN with a small float"),
        ("WITHIN 86400 SECONDS", True, "WITHIN a day"),
        ("WITHIN 5 SECOND", False, "SECOND is not SECONDS"),
        ("WITHIN 5 MINUTES", False, "only SECONDS is a unit"),
        ("WITHIN 5 HOURS", False, "only SECONDS is a unit (stix2-patterns test)"),
        ("WITHIN 5", False, "WITHIN without a unit"),
        ("WITHIN SECONDS", False, "WITHIN without a value"),
        ("WITHIN -5 SECONDS", False, "negative WITHIN"),
        ("WITHIN -0.5 SECONDS", False, "negative float WITHIN"),
        ("WITHIN '5' SECONDS", False, "WITHIN with a string"),
        ("WITHIN 05 SECONDS", False, "WITHIN with a leading zero"),
        ("WITHIN 5. SECONDS", False, "WITHIN with a trailing dot"),
        ("WITHIN 1e3 SECONDS", False, "WITHIN with an exponent"),
        ("WITHIN 5 seconds", False, "lower-case seconds"),
        ("within 5 SECONDS", False, "lower-case within"),
        ("WITHIN5 SECONDS", False, "WITHIN run into its value"),
        ("WITHIN 5SECONDS", True, "value directly followed by SECONDS"),
        ("REPEATS 5 TIMES", True, "REPEATS"),
        ("REPEATS 1 TIMES", True, "REPEATS 1"),
        ("REPEATS 1000 TIMES", True, "REPEATS 1000"),
        ("REPEATS -1 TIMES", False, "negative REPEATS"),
        ("REPEATS 1.5 TIMES", False, "REPEATS with a float"),
        ("REPEATS 5", False, "REPEATS without TIMES"),
        ("REPEATS TIMES", False, "REPEATS without a count"),
        ("REPEATS 5 TIME", False, "TIME is not TIMES"),
        ("repeats 5 times", False, "lower-case repeats"),
        ("REPEATS 05 TIMES", False, "REPEATS with a leading zero"),
        ("START %s STOP %s" % (TS, TS2), True, "START/STOP"),
        ("START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z'", True,
         "START/STOP with fractional seconds"),
        ("START %s STOP %s" % (TS2, TS), True,
         "START after STOP is grammatical (matches nothing)"),
        ("START %s STOP %s" % (TS, TS), True, "START equal to STOP is grammatical"),
        ("START '2016-01-01T00:00:00Z' STOP '2017-01-01T00:00:00Z'", False,
         "START/STOP with strings (STIX 2.0 form) is not 2.1"),
        ("START %s" % TS, False, "START without STOP"),
        ("STOP %s" % TS, False, "STOP without START"),
        ("STOP %s START %s" % (TS2, TS), False, "STOP before START"),
        ("START %s STOP" % TS, False, "STOP without a timestamp"),
        ("START 1 STOP 2", False, "START/STOP with integers"),
        ("start %s stop %s" % (TS, TS2), False, "lower-case start/stop"),
        ("LAST 5 SECONDS", False, "LAST is reserved, not a qualifier"),
        ("WITHIN 5 SECONDS REPEATS 2 TIMES", True, "WITHIN then REPEATS"),
        ("REPEATS 2 TIMES WITHIN 5 SECONDS", True, "REPEATS then WITHIN"),
        ("START %s STOP %s WITHIN 5 SECONDS REPEATS 2 TIMES" % (TS, TS2), True,
         "three qualifiers of different types"),
        ("REPEATS 2 TIMES START %s STOP %s" % (TS, TS2), True, "REPEATS then START/STOP"),
        ("WITHIN 1 SECONDS WITHIN 2 SECONDS", False, "two WITHIN on one observation"),
        ("REPEATS 2 TIMES REPEATS 3 TIMES", False, "two REPEATS on one observation"),
        ("START %s STOP %s START %s STOP %s" % (TS, TS2, TS, TS2), False,
         "two START/STOP on one observation"),
        ("WITHIN 1 SECONDS REPEATS 2 TIMES WITHIN 2 SECONDS", False,
         "WITHIN repeated after REPEATS"),
        ("REPEATS 2 TIMES WITHIN 1 SECONDS REPEATS 3 TIMES", False,
         "REPEATS repeated after WITHIN"),
    ]:
        add("[file:name = 'a'] " + q, ok, why)
    add("[file:name = 'a'] WITHIN 0 SECONDS", False, "WITHIN 0",
        (S_QUAL, "WITHIN x: x MUST be a positive floating-point or integer value"))
    add("[file:name = 'a'] WITHIN 0.0 SECONDS", False, "WITHIN 0.0",
        (S_QUAL, "WITHIN x: x MUST be a positive floating-point or integer value"))
    add("[file:name = 'a'] WITHIN .0 SECONDS", False, "WITHIN .0",
        (S_QUAL, "WITHIN x: x MUST be a positive floating-point or integer value"))
    add("[file:name = 'a'] REPEATS 0 TIMES", False, "REPEATS 0",
        (S_QUAL, "REPEATS x: x MUST be a positive integer"))
    add("([file:name = 'a'] AND [file:name = 'b']) REPEATS 0 TIMES", False,
        "REPEATS 0 on a group", (S_QUAL, "REPEATS x: x MUST be a positive integer"))
    add("WITHIN 5 SECONDS [file:name = 'a']", False, "qualifier before the expression")
    add("REPEATS 2 TIMES [file:name = 'a']", False, "REPEATS before the expression")
    add("[file:name = 'a' WITHIN 5 SECONDS]", False, "qualifier inside the brackets")
    add("[file:name = 'a' REPEATS 2 TIMES]", False, "REPEATS inside the brackets")
    add("[file:name = 'a'] AND WITHIN 5 SECONDS [file:name = 'b']", False,
        "qualifier between operator and expression")
    add("([file:name = 'a'] AND [file:name = 'b']) WITHIN 300 SECONDS", True,
        "WITHIN on a parenthesised group")
    add("[file:name = 'a'] AND [file:name = 'b'] WITHIN 300 SECONDS", True,
        "WITHIN binds to the second observation only")
    add("([file:name = 'a'] WITHIN 5 SECONDS) WITHIN 6 SECONDS", True,
        "WITHIN inside and outside a group (different expressions)")
    add("(([file:name = 'a'] REPEATS 2 TIMES) REPEATS 3 TIMES)", True,
        "REPEATS inside and outside a group")
    add("([file:name = 'a'] START %s STOP %s) START %s STOP %s" % (TS, TS2, TS, TS2), True,
        "START/STOP inside and outside a group")
    add("(([file:name = 'a']) WITHIN 1 SECONDS) WITHIN 2 SECONDS", True,
        "stacked WITHIN separated by parentheses")
    add("([win-registry-key:key = 'hkey'] REPEATS 2 TIMES REPEATS 3 TIMES)", False,
        "duplicate REPEATS inside a group (stix2-patterns test)")
    add("[file:name = 'a'] AND [file:name = 'b'] WITHIN 1 SECONDS WITHIN 2 SECONDS", False,
        "duplicate WITHIN on the second observation")
    dup_group = (S_QUAL, "an Observation Expression MUST NOT have more than one Qualifier of "
                         "a type; stix2-patterns only checks qualifiers on [ ] expressions")
    add("([file:name = 'a'] AND [file:name = 'b']) WITHIN 1 SECONDS WITHIN 2 SECONDS", False,
        "duplicate WITHIN on a parenthesised group", dup_group)
    add("([file:name = 'a']) WITHIN 1 SECONDS WITHIN 2 SECONDS", False,
        "duplicate WITHIN on a parenthesised observation", dup_group)
    add("([file:name = 'a'] OR [file:name = 'b']) REPEATS 2 TIMES REPEATS 3 TIMES", False,
        "duplicate REPEATS on a group", dup_group)
    add("([file:name = 'a']) START %s STOP %s START %s STOP %s" % (TS, TS2, TS, TS2), False,
        "duplicate START/STOP on a group", dup_group)
    add("([file:name = 'a'] FOLLOWEDBY [file:name = 'b']) REPEATS 2 TIMES WITHIN 9 SECONDS "
        "REPEATS 3 TIMES", False, "REPEATS twice around WITHIN on a group", dup_group)
    add("[file:name = 'a'] AND ([file:name = 'b']) WITHIN 1 SECONDS WITHIN 2 SECONDS", False,
        "duplicate WITHIN on the second, parenthesised, observation", dup_group)

    # -- object paths
    for p, ok, why in [
        ("[file:name = 'a']", True, "simple property"),
        ("[x-foo-bar:prop = 1]", True, "custom type with hyphens"),
        ("[x-foo-bar-baz-qux:prop = 1]", True, "custom type with several hyphens"),
        ("[x_foo:prop = 1]", True, "type with an underscore"),
        ("[_x:y = 1]", True, "identifiers may start with an underscore"),
        ("[X:Y = 1]", True, "upper-case identifiers"),
        ("[ipv4-addr:value = '1.2.3.4']", True, "type containing a digit"),
        ("[x509-certificate:issuer = 'a']", True, "type starting with a letter, digits inside"),
        ("[1file:name = 'a']", False, "type starting with a digit"),
        ("[-file:name = 'a']", False, "type starting with a hyphen"),
        ("[file:-name = 'a']", False, "property starting with a hyphen"),
        ("[file:prop-x = 1]", False, "property containing a hyphen"),
        ("[file:'prop-x' = 1]", True, "quoted first property containing a hyphen"),
        ("[file:'name' = 'a']", True, "quoted first property"),
        ("[file:1name = 'a']", False, "property starting with a digit"),
        ("[file:x.1y = 1]", False, "key starting with a digit"),
        ("[file:x.'1y' = 1]", True, "quoted key starting with a digit"),
        ("[file.name = 'a']", False, "dot instead of colon (stix2-patterns test)"),
        ("[file::name = 'a']", False, "double colon"),
        ("[file: = 'a']", False, "no property"),
        ("[:name = 'a']", False, "no type"),
        ("[file:name. = 'a']", False, "trailing dot"),
        ("[file:name..x = 'a']", False, "double dot"),
        ("[file:.name = 'a']", False, "dot after colon"),
        ("[file:name:x = 'a']", False, "second colon"),
        ("[file:hashes.\"SHA-256\" = '%s']" % SHA256_OK, False, "double-quoted key"),
        ("[file:hashes.SHA-256 = '%s']" % SHA256_OK, False, "unquoted key with a hyphen"),
        ("[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]", True,
         "extension path with a list (section 9.7.2 example)"),
        ("[file:extensions.'raster-image-ext'.image_height > 100]", True,
         "extension dictionary path (section 9.7.3 example)"),
        ("[network-traffic:protocols[0] = 'tcp']", True, "list index 0"),
        ("[network-traffic:protocols[10] = 'tcp']", True, "list index 10"),
        ("[network-traffic:protocols[*] = 'tcp']", True, "list index *"),
        ("[network-traffic:protocols[ * ] = 'tcp']", True, "list index * with spaces"),
        ("[network-traffic:protocols [0] = 'tcp']", True, "space before [index]"),
        ("[network-traffic:protocols[01] = 'tcp']", False, "list index with leading zero"),
        ("[network-traffic:protocols[1.5] = 'tcp']", False, "float list index"),
        ("[network-traffic:protocols['a'] = 'tcp']", False, "string list index"),
        ("[network-traffic:protocols[] = 'tcp']", False, "empty list index"),
        ("[network-traffic:protocols[*] [*] = 'tcp']", True, "two index steps"),
        ("[network-traffic:protocols[x] = 'tcp']", False, "identifier list index"),
        ("[network-traffic:protocols[%] = 'tcp']", False, "% list index"),
        ("[network-traffic:[0] = 'tcp']", False, "index without a property"),
        ("[email-message:body_multipart[*].body_raw_ref.name = 'a']", True,
         "list of dictionaries with a reference"),
        ("[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$']", True,
         "reference then property (section 9.8 example)"),
        ("[directory:contains_refs[*].name = 'a']", True, "reference list (section 9.7.4 example)"),
        ("[file:x.'key with space' = 1]", True, "quoted key with spaces"),
        ("[file:x.'it\\'s' = 1]", True, "quoted key with an escaped quote"),
        ("[file:x.'back\\\\slash' = 1]", True, "quoted key with an escaped backslash"),
        ("[file:x.'a.b' = 1]", True, "quoted key with a dot"),
        ("[file:x.'' = 1]", True, "empty quoted key"),
        ("[file:x.'caf\u00e9' = 1]", True, "quoted key with non-ASCII"),
        ("[file:x.caf\u00e9 = 1]", False, "unquoted non-ASCII key"),
        ("[f\u00efle:name = 'a']", False, "non-ASCII type name"),
        ("[file:x.'a'.'b'.'c' = 1]", True, "several quoted keys"),
        ("[file:x.'unterminated = 1]", False, "unterminated quoted key"),
        ("[file:x.'a\\b' = 1]", False, "bad escape in a quoted key"),
        ("[file:AND = 1]", False, "keyword AND as a property"),
        ("[file:and = 1]", True, "lower-case and is an identifier"),
        ("[file:within = 1]", True, "lower-case within is an identifier"),
        ("[file:true = 1]", False, "true is a constant, not a property"),
        ("[file:IN = 1]", False, "keyword IN as a property"),
        ("[file:'IN' = 1]", True, "quoted keyword as a property"),
        ("[file:x.OR = 1]", False, "keyword OR as a key"),
        ("[AND:x = 1]", False, "keyword AND as a type"),
        ("[file:x.t = 1]", True, "key t"),
        ("[file:b = 1]", True, "property b"),
        ("[file:h = 1]", True, "property h"),
        ("[ file : name = 'a' ]", True, "spaces around the colon"),
        ("[file:x . y = 1]", True, "spaces around a dot"),
        ("[file:name[*] = 'a']", True, "index after a scalar is grammatical"),
        ("[file:x.'y'[0].z[*].'w' = 1]", True, "mixed steps"),
        ("[file:x.y[-2] = 1]", True, "negative list index"),
    ]:
        add(p, ok, why)
    neg_index = (S_LIST, "negative list index is grammatical (an out-of-range index makes the "
                         "comparison false); stix2-patterns crashes in its inspector")
    for i in range(len(C.rows)):
        if C.rows[i]["pattern"] == "[file:x.y[-2] = 1]":
            C.rows[i]["diff"] = neg_index
    add("[network-traffic:protocols[-1] = 'tcp']", True, "list index -1", neg_index)
    add("[x-foo:hashes[0] = 'a']", True, "index step right after hashes",
        (S_LIST, "grammatical; stix2-patterns' hash check crashes on an integer last step"))

    # -- constants: strings
    for p, ok, why in [
        ("[x:s = '']", True, "empty string"),
        ("[x:s = 'it\\'s']", True, "escaped quote"),
        ("[x:s = 'C:\\\\Windows']", True, "escaped backslash"),
        ("[x:s = '\\\\']", True, "a single escaped backslash"),
        ("[x:s = '\\'']", True, "a single escaped quote"),
        ("[x:s = '\\'\\'\\\\\\\\']", True, "several escapes"),
        ("[x:s = 'a\\nb']", False, "backslash-n is not an escape"),
        ("[x:s = 'a\\tb']", False, "backslash-t is not an escape"),
        ("[x:s = 'a\\\"b']", False, "backslash before a double quote"),
        ("[x:s = 'a\\u0041']", False, "backslash-u is not an escape"),
        ("[x:s = 'a\\']", False, "escaped closing quote leaves the string open"),
        ("[x:s = 'unterminated]", False, "unterminated string"),
        ("[x:s = 'it's']", False, "unescaped quote"),
        ("[x:s = \"double\"]", False, "double-quoted string"),
        ("[x:s = `tick`]", False, "backtick string"),
        ("[x:s = 'a\"b']", True, "double quote inside a string"),
        ("[x:s = 'line1\nline2']", True, "literal line feed inside a string"),
        ("[x:s = 'tab\there']", True, "literal tab inside a string"),
        ("[x:s = 'cr\r\nlf']", True, "literal CR LF inside a string"),
        ("[x:s = 'caf\u00e9']", True, "non-ASCII string"),
        ("[x:s = '\U0001F600']", True, "astral-plane character"),
        ("[x:s = '\u05e9\u05dc\u05d5\u05dd']", True, "right-to-left text"),
        ("[x:s = 'a\u0000b']", True, "NUL inside a string"),
        ("[x:s = '/* not a comment */']", True, "comment markers inside a string"),
        ("[x:s = '// not a comment']", True, "line-comment marker inside a string"),
        ("[x:s = ']']", True, "bracket inside a string"),
        ("[x:s = 'a' 'b']", False, "two adjacent strings"),
        ("[x:s = s'abc']", False, "unknown literal prefix s"),
    ]:
        add(p, ok, why)

    # -- constants: integers and floats
    plus = (S_CONST, "positive integer and float constants MUST omit the plus sign; the "
                     "grammar accepts it")
    rng = (S_CONST, "integer constants are limited to the range of section 2.10 "
                    "(-(2^53)+1 .. 2^53-1); the grammar has no limit")
    for p, ok, why, d in [
        ("[x:n = 0]", True, "zero", None),
        ("[x:n = 1]", True, "one", None),
        ("[x:n = -1]", True, "minus one", None),
        ("[x:n = 123456789]", True, "large integer", None),
        ("[x:n = 9007199254740991]", True, "2^53-1", None),
        ("[x:n = -9007199254740991]", True, "-(2^53-1)", None),
        ("[x:n = 9007199254740992]", False, "2^53 is out of range", rng),
        ("[x:n = -9007199254740992]", False, "-(2^53) is out of range", rng),
        ("[x:n = 99999999999999999999999]", False, "huge integer", rng),
        ("[x:n = +1]", False, "explicit plus sign on an integer", plus),
        ("[x:n = +0.5]", False, "explicit plus sign on a float", plus),
        ("[x:n = 01]", False, "integer with a leading zero", None),
        ("[x:n = 00]", False, "double zero", None),
        ("[x:n = -01]", False, "negative with a leading zero", None),
        ("[x:n = 1_000]", False, "underscore digit separator", None),
        ("[x:n = 1,000]", False, "comma digit separator", None),
        ("[x:n = 0x10]", False, "hexadecimal integer", None),
        ("[x:n = - 1]", False, "space between minus and digits", None),
        ("[x:n = --1]", False, "double minus", None),
        ("[x:n = 1.5]", True, "float", None),
        ("[x:n = -1.5]", True, "negative float", None),
        ("[x:n = .5]", True, "float without leading digit", None),
        ("[x:n = -.5]", True, "negative float without leading digit", None),
        ("[x:n = 0.0]", True, "float zero", None),
        ("[x:n = 3.14159265358979]", True, "long fraction", None),
        ("[x:n = 1.]", False, "float with a trailing dot", None),
        ("[x:n = .]", False, "lone dot", None),
        ("[x:n = 1.5.5]", False, "two dots", None),
        ("[x:n = 1e3]", False, "exponent", None),
        ("[x:n = 1.5e3]", False, "float with exponent", None),
        ("[x:n = 1.5E-3]", False, "float with negative exponent", None),
        ("[x:n = NaN]", False, "NaN", None),
        ("[x:n = Infinity]", False, "Infinity", None),
        ("[x:n < -0.5]", True, "order comparison with a negative float", None),
        ("[x:n >= 0]", True, "order comparison with zero", None),
    ]:
        add(p, ok, why, d)

    # -- constants: booleans
    for p, ok, why in [
        ("[x:b = true]", True, "true"),
        ("[x:b = false]", True, "false"),
        ("[x:b != true]", True, "!= true"),
        ("[x:b = TRUE]", False, "TRUE is not a constant"),
        ("[x:b = True]", False, "True is not a constant"),
        ("[x:b = FALSE]", False, "FALSE is not a constant"),
        ("[x:b = 'true']", True, "quoted true is a string"),
        ("[x:b = t]", False, "t alone"),
        ("[x:b = yes]", False, "yes is not a constant"),
        ("[x:b = 1]", True, "integer against a boolean property is grammatical"),
        ("[x:b < true]", False, "booleans are not orderable"),
        ("[x:b LIKE true]", False, "LIKE needs a string"),
    ]:
        add(p, ok, why)

    # -- constants: timestamps
    cal = (S_CONST, "timestamp constants are STIX timestamps (section 2.16, RFC 3339); the "
                    "grammar does not check days per month")
    for ts, ok, why, d in [
        ("t'2016-01-01T00:00:00Z'", True, "timestamp", None),
        ("t'2016-01-01T00:00:00.1Z'", True, "timestamp with one fractional digit", None),
        ("t'2016-01-01T00:00:00.123Z'", True, "timestamp with milliseconds", None),
        ("t'2016-01-01T00:00:00.123456789Z'", True, "timestamp with nanoseconds", None),
        ("t'2024-02-29T12:00:00Z'", True, "leap day in a leap year", None),
        ("t'2000-02-29T12:00:00Z'", True, "leap day in 2000", None),
        ("t'2016-12-31T23:59:60Z'", True, "leap second", None),
        ("t'0001-01-01T00:00:00Z'", True, "year 1", None),
        ("t'9999-12-31T23:59:59Z'", True, "year 9999", None),
        ("t'2016-13-01T00:00:00Z'", False, "month 13", None),
        ("t'2016-00-01T00:00:00Z'", False, "month 00", None),
        ("t'2016-01-32T00:00:00Z'", False, "day 32", None),
        ("t'2016-01-00T00:00:00Z'", False, "day 00", None),
        ("t'2016-01-01T24:00:00Z'", False, "hour 24", None),
        ("t'2016-01-01T00:60:00Z'", False, "minute 60", None),
        ("t'2016-01-01T00:00:61Z'", False, "second 61", None),
        ("t'2016-01-01t00:00:00Z'", False, "lower-case t separator", None),
        ("t'2016-01-01T00:00:00z'", False, "lower-case z", None),
        ("T'2016-01-01T00:00:00Z'", False, "upper-case T prefix", None),
        ("t'2016-01-01T00:00:00'", False, "missing Z", None),
        ("t'2016-01-01T00:00:00+00:00'", False, "numeric offset instead of Z", None),
        ("t'2016-01-01 00:00:00Z'", False, "space instead of T", None),
        ("t'2016-01-01'", False, "date only", None),
        ("t'2016-01-01T00:00Z'", False, "no seconds", None),
        ("t'2016-1-01T00:00:00Z'", False, "one-digit month", None),
        ("t'16-01-01T00:00:00Z'", False, "two-digit year", None),
        ("t'12016-01-01T00:00:00Z'", False, "five-digit year", None),
        ("t'2016-01-01T00:00:00.Z'", False, "dot without fraction digits", None),
        ("t'2016-01-01T00:00:00,5Z'", False, "comma as decimal separator", None),
        ("t''", False, "empty timestamp", None),
        ("t'not-a-timestamp'", False, "not a timestamp", None),
        ("t'2024/01/15T12:30:45Z'", False, "slashes in the date", None),
        ("t\"2016-01-01T00:00:00Z\"", False, "double-quoted timestamp", None),
        ("t '2016-01-01T00:00:00Z'", False, "space after t", None),
        ("t'2457-73-22T32:81:84.1Z'", False, "garbage date (stix2-patterns test)", None),
        ("t'2023-02-29T12:00:00Z'", False, "29 February in a common year", cal),
        ("t'2024-02-30T12:00:00Z'", False, "30 February", cal),
        ("t'2024-04-31T12:00:00Z'", False, "31 April", cal),
        ("t'1900-02-29T00:00:00Z'", False, "29 February 1900 (not a leap year)", cal),
    ]:
        add("[x:t = %s]" % ts, ok, why, d)
    add("[x:t > t'2016-01-01T00:00:00Z' AND x:t < t'2017-01-01T00:00:00Z']", True,
        "timestamp range")

    # -- constants: hex and binary
    for c, ok, why, d in [
        ("h''", True, "empty hex", None),
        ("h'00'", True, "one byte of hex", None),
        ("h'deadbeef'", True, "hex", None),
        ("h'0123456789abcdef'", True, "every lower-case hex digit", None),
        ("h'abc'", False, "odd number of hex digits", None),
        ("h'0'", False, "single hex digit", None),
        ("h'0g'", False, "non-hex character", None),
        ("h'00 ff'", False, "space inside hex", None),
        ("H'00'", False, "upper-case H prefix", None),
        ("h\"00\"", False, "double-quoted hex", None),
        ("h 'ff'", False, "space after h", None),
        ("b'AAAA'", True, "base64 without padding", None),
        ("b'AAA='", True, "base64 with one padding character", None),
        ("b'AA=='", True, "base64 with two padding characters", None),
        ("b'dGhpcyBpcyBhIHRlc3Q='", True, "base64 of 'this is a test' (section 9.6.4)", None),
        ("b'a+/b'", True, "base64 with + and /", None),
        ("b'AAAAAAAA'", True, "two base64 groups", None),
        ("b'A==='", False, "three padding characters", None),
        ("b'===='", False, "padding only (stix2-patterns test)", None),
        ("b'AAA'", False, "missing padding", None),
        ("b'AAAAA'", False, "five base64 characters", None),
        ("b'AA=A'", False, "padding in the middle", None),
        ("b'AA==AAAA'", False, "padding before more data", None),
        ("b'a-_b'", False, "URL-safe base64 alphabet", None),
        ("b'AA AA'", False, "space inside base64", None),
        ("B'AAAA'", False, "upper-case B prefix", None),
        ("b'AAAA\nAAAA'", True, "line feed inside base64",
         (S_CONST, "binary constants: line feeds in the base64 data MUST be supported and "
                   "ignored; the grammar rejects them")),
        ("b'dGhp\ncyBp\ncyBh'", True, "several line feeds inside base64",
         (S_CONST, "binary constants: line feeds in the base64 data MUST be supported and "
                   "ignored; the grammar rejects them")),
    ]:
        add("[artifact:payload_bin = %s]" % c, ok, why, d)

    # -- hash values (stix2-patterns' extra check on `hashes` paths)
    misapplied = (S_COMPOP, "the hash-value check is applied to a LIKE/MATCHES pattern or an "
                            "IN set, which are not hash values")
    for p, ok, why, d in [
        ("[file:hashes.MD5 = '%s']" % MD5_OK, True, "valid MD5", None),
        ("[file:hashes.MD5 = '%s']" % MD5_OK.upper(), True, "upper-case MD5", None),
        ("[file:hashes.MD5 = '%s']" % MD5_OK[:-1], False, "MD5 one digit short", None),
        ("[file:hashes.MD5 = '%sg']" % MD5_OK[:-1], False, "MD5 with a non-hex digit", None),
        ("[file:hashes.'MD5' = '%s0']" % MD5_OK, False, "quoted MD5 one digit long", None),
        ("[file:hashes.md5 = 'abc']", False, "lower-case md5 key, bad value", None),
        ("[file:hashes.'SHA-1' = '%s']" % SHA1_OK, True, "valid SHA-1", None),
        ("[file:hashes.'SHA-1' = '%s']" % MD5_OK, False, "MD5-length SHA-1", None),
        ("[file:hashes.'SHA-256' = '%s']" % SHA256_OK, True, "valid SHA-256", None),
        ("[file:hashes.'SHA-256' = 'f00']", False, "malformed SHA-256 (stix2-patterns test)",
         None),
        ("[file:hashes.'SHA-256' = '%s']" % SHA256_OK[:63], False, "SHA-256 one short", None),
        ("[file:hashes.'SHA-512' = '%s']" % SHA512_OK, True, "valid SHA-512", None),
        ("[file:hashes.'SHA-512' = '%s']" % SHA256_OK, False, "SHA-256 given as SHA-512", None),
        ("[file:hashes.'SHA3-256' = '%s']" % SHA256_OK, True, "valid SHA3-256", None),
        ("[file:hashes.'SHA3-512' = '%s']" % SHA256_OK, False, "short SHA3-512", None),
        ("[file:hashes.SSDEEP = '3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C']", True,
         "valid SSDEEP", None),
        ("[file:hashes.SSDEEP = 'not a hash!']", False, "SSDEEP with spaces", None),
        ("[file:hashes.TLSH = 'anything goes']", True, "TLSH is not checked", None),
        ("[file:hashes.'x-custom' = 'zz']", True, "custom hash name is not checked", None),
        ("[file:hashes[*] = 'zz']", True, "hashes[*] is not checked", None),
        ("[file:hashes.MD5 != '%s']" % MD5_OK, True, "!= with a valid MD5", None),
        ("[file:hashes.MD5 != 'short']", False, "!= with a malformed MD5", None),
        ("[file:hashes.MD5 NOT = 'short']", False, "NOT = with a malformed MD5", None),
        ("[artifact:hashes.'SHA-256' = 'f00']", False, "hash check on another type", None),
        ("[file:extensions.'ntfs-ext'.alternate_data_streams[*].hashes.MD5 = 'zz']", False,
         "hash check on a nested hashes dictionary", None),
        ("[file:hashes.MD5 LIKE '%s%%']" % MD5_OK[:8], True, "LIKE prefix on an MD5",
         misapplied),
        ("[file:hashes.MD5 MATCHES '^%s']" % MD5_OK[:8], True, "MATCHES prefix on an MD5",
         misapplied),
        ("[file:hashes.MD5 IN ('%s', '%s')]" % (MD5_OK, md5("y")), True,
         "IN set of valid MD5 values", misapplied),
        ("[EXISTS file:hashes.MD5]", True, "EXISTS on a hash", None),
    ]:
        add(p, ok, why, d)

    # -- whitespace, comments, Unicode
    base = "[file:name = 'a']"
    lead = (S_PATTERN, "comments are skipped by the grammar; stix2-patterns' bracket "
                       "pre-check rejects a pattern whose first non-space character is not ( or [")
    for p, ok, why, d in [
        ("  " + base + "  ", True, "leading and trailing spaces", None),
        ("\t" + base + "\n", True, "tab and line feed around", None),
        ("\r\n" + base + "\r\n", True, "CR LF around", None),
        ("[\nfile:name\n=\n'a'\n]", True, "line feeds between tokens", None),
        ("[file:name\t=\t'a']", True, "tabs between tokens", None),
        ("[file:name\u00a0=\u00a0'a']", True, "no-break spaces between tokens", None),
        ("[file:name\u3000=\u3000'a']", True, "ideographic spaces between tokens", None),
        ("[file:name\u2028=\u2029'a']", True, "line and paragraph separators", None),
        ("[file:name\u0085=\u000b'a'\u000c]", True, "NEL, VT and FF between tokens", None),
        ("[file:name\u2003=\u200a'a'\u202f]", True, "em, hair and narrow spaces", None),
        ("\u3000" + base, True, "leading ideographic space", None),
        ("[file:name\u200b= 'a']", False, "zero-width space is not whitespace", None),
        ("\ufeff" + base, False, "byte-order mark before the pattern", None),
        ("[file:name\u180e= 'a']", False, "U+180E is not whitespace", None),
        ("\u001c" + base, False, "information separator is not whitespace", None),
        ("[file:name='a']", True, "no spaces at all", None),
        ("[file:name = 'a']AND[file:name = 'b']", True, "no spaces around AND", None),
        ("([file:name='a'])WITHIN 5 SECONDS", True, "no space before WITHIN", None),
        ("[file:name = 'a'] AND[file:name = 'b']", True, "AND touching a bracket", None),
        ("[file:name = 'a' AND(file:size = 1)]", True, "AND touching a parenthesis", None),
        ("[file:nameAND = 'a']", True, "identifier nameAND", None),
        ("[file:name = 'a'ANDfile:size = 1]", False, "AND run into the next path", None),
        ("[file:name /* comment */ = 'a']", True, "block comment between tokens", None),
        ("[file:name = 'a'] /* trailing */", True, "trailing block comment", None),
        ("[file:name = 'a'] // trailing", True, "trailing line comment", None),
        ("[file:name = 'a' // line comment\n AND file:size = 1]", True,
         "line comment inside brackets", None),
        ("[file:name = 'a'] /* a */ AND /* b */ [file:name = 'b']", True,
         "comments around an observation operator", None),
        ("[file:name = 'a'] /* multi\nline */", True, "multi-line block comment", None),
        ("[file:name = 'a'] /**/", True, "empty block comment", None),
        ("[file:name = 'a'] /* /* */", True, "block comments do not nest", None),
        ("[file:name = 'a'] /* /* */ */", False, "text after a non-nesting comment", None),
        ("[file:name = 'a'] /* unterminated", False, "unterminated block comment", None),
        ("[file:name = 'a'] /", False, "lone slash", None),
        ("[file:name = 'a'] # comment", False, "# is not a comment", None),
        ("[file:name = 'a'] -- comment", False, "-- is not a comment", None),
        ("/* only a comment */", False, "comment only", None),
        ("// only a comment", False, "line comment only", None),
        ("/* leading */ " + base, True, "leading block comment", lead),
        ("// leading\n" + base, True, "leading line comment", lead),
        ("( /* c */ [file:name = 'a'])", True, "comment after the opening parenthesis", lead),
        ("[file:name = 'a'] AND /* c */", False, "comment after a trailing AND", None),
        ("[file:name = '\u00e9t\u00e9']", True, "accented string", None),
        ("[file:name = '\u6587\u4ef6.exe']", True, "CJK string", None),
        ("[file:name = 'e\u0301']", True, "combining mark in a string", None),
        ("[file:name = 'a'] AND [file:name = '\u0431']", True, "Cyrillic string", None),
    ]:
        add(p, ok, why, d)
    add("", False, "empty pattern",
        (S_PATTERN, "an empty string is not a pattern; stix2-patterns' bracket pre-check "
                    "raises UnboundLocalError"))
    add(" ", False, "whitespace-only pattern")
    add("\n\t", False, "line feed and tab only")
    add("[", False, "a lone bracket")
    add("]", False, "a lone closing bracket")
    add("(", False, "a lone parenthesis")

    # -- spec examples (section 9.8 and the stix2-patterns suites)
    for p in [
        "[file:hashes.'SHA-256' = '%s']" % AEC,
        "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND "
        "email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
        "[file:hashes.'SHA-256' = '%s' AND file:mime_type = 'application/x-pdf']" % AEC,
        "[file:hashes.'SHA-256' = '%s' OR file:hashes.MD5 = "
        "'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = '%s']" % (BF0, AEC),
        "([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY "
        "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS",
        "[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND "
        "user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND "
        "user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND "
        "[user-account:account_type = 'unix' AND user-account:user_id = '1009' AND "
        "user-account:account_login = 'Mary']",
        "[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES "
        "'\\\\xd4\\\\xc3\\\\xb2\\\\xa1\\\\x02\\\\x00\\\\x04\\\\x00']",
        "[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\\\Windows\\\\System32']",
        "[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']",
        "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
        "'203.0.113.33/32']",
        "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = "
        "'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
        "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = "
        "'198.51.100.1/32']",
        "[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']",
        "[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = "
        "'4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']",
        "[windows-registry-key:key = 'HKEY_CURRENT_USER\\\\Software\\\\CryptoLocker\\\\Files' OR "
        "windows-registry-key:key = "
        "'HKEY_CURRENT_USER\\\\Software\\\\Microsoft\\\\CurrentVersion\\\\Run"
        "\\\\CryptoLocker_0388']",
        "[(file:name = 'pdf.exe' OR file:size = '371712') AND file:created = "
        "t'2014-01-13T07:03:17Z']",
        "[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = "
        "'Conference Info']",
        "[x-usb-device:usbdrive.serial_number = '575833314133343231313937']",
        "[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] "
        "FOLLOWEDBY [process:command_line MATCHES'^.+>-add GlobalSign.cer -c -s -r "
        "localMachineTrustedPublisher$'] WITHIN 300 SECONDS",
        "[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']",
        "([file:name = 'foo.dll'] AND [win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar'])"
        " OR [process:name = 'fooproc' OR process:name = 'procfoo']",
        "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR "
        "ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] REPEATS 5 TIMES",
        "([ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR "
        "ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] FOLLOWEDBY "
        "[domain-name:value = 'example.com']) WITHIN 600 SECONDS",
        "[file:name = 'foo.dll'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
        "[directory:path LIKE 'C:\\\\Windows\\\\%\\\\foo']",
        "[directory:path MATCHES '^C:\\\\\\\\Windows\\\\w+$']",
        "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
        "[ipv4-addr:value ISSUPERSET '198.51.100.0/24']",
        "[process:name IN ('proccy', 'proximus', 'badproc')]",
        "[artifact:payload_bin = h'7468697320697320612074657374']",
        "( [(network-traffic:dst_port IN(443,6443,8443) AND network-traffic:src_packets != 0) ])",
        "[network-traffic:src_port = 37020 AND user-account:user_id = 'root'] START "
        "t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z' OR "
        "[ipv4-addr:value = '192.168.122.83'] START t'2016-06-01T03:55:00.123Z' STOP "
        "t'2016-06-01T04:30:24.743Z'",
        "[x_whatever:detected == t'2018-03-22T12:11:14.1Z']",
        "[foo:bar=1] REPEATS 9 TIMES",
        "[file:file_name IN ('test.txt', 'test2.exe', 'README')]",
    ]:
        add(p, True, "specification / reference example")
    for p, why in [
        ("[file:size = ]", "missing constant (stix2-patterns test)"),
        ("[file:hashes.MD5 = cead3f77f6cda6ec00f57d76c9a6879f]", "unquoted string"),
        ("[win-registry-key:key = 'hkey'] WITHIN ]", "missing qualifier value"),
        ("[network-traffic:dst_ref.value ISSUBSET ]", "missing ISSUBSET operand"),
        ("[foo:bar=1] within 2 seconds", "lower-case qualifier keywords"),
        ("[x_whatever:detected == t'2457-73-22T32:81:84.1Z']", "invalid timestamp"),
    ]:
        add(p, False, why)
    return C.rows


# ---------------------------------------------------------------------------
# Rules of chapter 9 that stix2-patterns does not check
# ---------------------------------------------------------------------------

MAX_INT = 2 ** 53 - 1


def spec_violations(pattern):
    """Rules of STIX 2.1 chapter 9 that a grammatical pattern can still break
    and that stix2-patterns does not check. Returns [(section, reason), ...].
    Uses the stix2-patterns parse tree only as a parser; call it only for a
    pattern that stix2-patterns accepts."""
    from stix2patterns.v21.grammars.STIXPatternListener import STIXPatternListener
    from stix2patterns.v21.grammars.STIXPatternParser import STIXPatternParser as P
    from stix2patterns.v21.pattern import Pattern

    tree = Pattern(pattern)
    found = []
    qual_types = {P.ObservationExpressionWithinContext: "WITHIN",
                  P.ObservationExpressionRepeatedContext: "REPEATS",
                  P.ObservationExpressionStartStopContext: "START/STOP"}

    def kind(tok):
        t = tok.symbol.type
        if t in (P.IntPosLiteral, P.IntNegLiteral, P.FloatPosLiteral, P.FloatNegLiteral):
            return "number"
        return t

    class L(STIXPatternListener):
        def visitTerminal(self, node):
            t, text = node.symbol.type, node.getText()
            if t in (P.IntPosLiteral, P.FloatPosLiteral) and text.startswith("+"):
                found.append((S_CONST, "explicit plus sign"))
            if t in (P.IntPosLiteral, P.IntNegLiteral) and abs(int(text)) > MAX_INT:
                found.append((S_CONST, "integer out of range"))
            if t == P.TimestampLiteral:
                body = text[2:-1]
                try:
                    datetime.date(int(body[0:4]), int(body[5:7]), int(body[8:10]))
                except ValueError:
                    found.append((S_CONST, "timestamp is not a calendar date"))

        def enterWithinQualifier(self, ctx):
            if float((ctx.IntPosLiteral() or ctx.FloatPosLiteral()).getText()) <= 0:
                found.append((S_QUAL, "WITHIN value is not positive"))

        def enterRepeatedQualifier(self, ctx):
            if int(ctx.IntPosLiteral().getText()) <= 0:
                found.append((S_QUAL, "REPEATS value is not positive"))

        def enterSetLiteral(self, ctx):
            kinds = {kind(_first_terminal(c)) for c in ctx.primitiveLiteral()}
            if len(kinds) > 1:
                found.append((S_COMPOP, "IN set is not homogeneous"))

        def _chain(self, ctx):
            seen = []
            while type(ctx) in qual_types:
                seen.append(qual_types[type(ctx)])
                ctx = ctx.observationExpression()
            return seen

        def enterEveryRule(self, ctx):
            if type(ctx) in qual_types and type(ctx.parentCtx) not in qual_types:
                chain = self._chain(ctx)
                if len(chain) != len(set(chain)):
                    found.append((S_QUAL, "duplicate qualifier type"))

    tree.walk(L())
    return found


def _first_terminal(ctx):
    while not hasattr(ctx, "symbol"):
        ctx = ctx.getChild(0)
    return ctx


# ---------------------------------------------------------------------------
# Random patterns from the grammar, and mutations of them
# ---------------------------------------------------------------------------

WORDS = ["alpha", "beta", "gamma", "delta", "evil", "report", "svchost", "payload", "cmd",
         "Final Report", "C:\\Windows", "it's", "caf\u00e9", "\u6587\u4ef6", "a b c", "x%y_z",
         "100%", "", "O'Brien\\tmp", "line\nbreak", "\U0001F600"]
TYPES_PATHS = [
    ("file", ["name"], "str"),
    ("file", ["size"], "int"),
    ("file", ["hashes", ".", "MD5"], "md5"),
    ("file", ["hashes", ".", "'SHA-256'"], "sha256"),
    ("file", ["hashes", ".", "'SHA-1'"], "sha1"),
    ("file", ["created"], "ts"),
    ("file", ["extensions", ".", "'windows-pebinary-ext'", ".", "sections", "[*]", ".",
              "entropy"], "float"),
    ("file", ["extensions", ".", "'archive-ext'", ".", "contains_refs", "[*]", ".", "name"],
     "str"),
    ("file", ["parent_directory_ref", ".", "path"], "str"),
    ("directory", ["path"], "str"),
    ("network-traffic", ["dst_port"], "int"),
    ("network-traffic", ["src_ref", ".", "value"], "ip"),
    ("network-traffic", ["dst_ref", ".", "value"], "ip"),
    ("network-traffic", ["protocols", "[0]"], "str"),
    ("network-traffic", ["protocols", "[*]"], "str"),
    ("network-traffic", ["extensions", ".", "'http-request-ext'", ".", "request_header", ".",
                         "'User-Agent'"], "str"),
    ("ipv4-addr", ["value"], "ip"),
    ("ipv6-addr", ["value"], "str"),
    ("domain-name", ["value"], "str"),
    ("domain-name", ["resolves_to_refs", "[*]", ".", "value"], "ip"),
    ("email-message", ["from_ref", ".", "value"], "str"),
    ("email-message", ["to_refs", "[1]", ".", "value"], "str"),
    ("email-message", ["body_multipart", "[*]", ".", "body_raw_ref", ".", "name"], "str"),
    ("email-message", ["is_multipart"], "bool"),
    ("x509-certificate", ["is_self_signed"], "bool"),
    ("x509-certificate", ["validity_not_before"], "ts"),
    ("artifact", ["payload_bin"], "bin"),
    ("artifact", ["x_thing_hex"], "bin"),
    ("windows-registry-key", ["values", "[*]", ".", "name"], "str"),
    ("windows-registry-key", ["values", "[2]", ".", "data"], "str"),
    ("process", ["pid"], "int"),
    ("process", ["child_refs", "[*]", ".", "command_line"], "str"),
    ("user-account", ["extensions", ".", "'unix-account-ext'", ".", "gid"], "int"),
    ("user-account", ["is_privileged"], "bool"),
    ("x-foo-bar", ["score"], "float"),
    ("x-foo-bar", ["nested", ".", "inner", ".", "deep"], "int"),
    ("x-foo-bar", ["'key with space'"], "str"),
    ("x-acme-widget", ["labels", ".", "'a.b'", "[0]"], "str"),
    ("autonomous-system", ["number"], "int"),
    ("mutex", ["name"], "str"),
]
KEYWORDS = {"AND", "OR", "NOT", "FOLLOWEDBY", "LIKE", "MATCHES", "ISSUPERSET", "ISSUBSET",
            "EXISTS", "IN", "START", "STOP", "SECONDS", "WITHIN", "REPEATS", "TIMES"}
PUNCT = set("[]():,=<>!")


class RandomPatterns:
    def __init__(self, rnd):
        self.r = rnd

    # -- constants
    def r_str(self):
        w = self.r.choice(WORDS)
        if self.r.random() < 0.3:
            w += str(self.r.randint(0, 999))
        return lit(w)

    def r_int(self):
        return str(self.r.choice([0, 1, 7, 42, 80, 443, 1024, 65535, 123456, -1, -300]))

    def r_float(self):
        return self.r.choice(["0.5", "7.0", "1.25", "-2.5", ".75", "3.14159", "0.0", "99.9"])

    def r_ts(self):
        r = self.r
        frac = r.choice(["", "", ".1", ".123", ".123456"])
        return "t'%04d-%02d-%02dT%02d:%02d:%02d%sZ'" % (
            r.randint(1990, 2030), r.randint(1, 12), r.randint(1, 28), r.randint(0, 23),
            r.randint(0, 59), r.randint(0, 59), frac)

    def r_hex(self):
        return "h'%s'" % "".join(self.r.choice("0123456789abcdef")
                                  for _ in range(2 * self.r.randint(0, 6)))

    def r_bin(self):
        data = bytes(self.r.randint(0, 255) for _ in range(self.r.randint(1, 9)))
        return "b'%s'" % b64(data)

    def r_ip(self):
        r = self.r
        ip = "%d.%d.%d.%d" % (r.randint(1, 223), r.randint(0, 255), r.randint(0, 255),
                              r.randint(0, 255))
        if r.random() < 0.6:
            ip += "/%d" % r.randint(1, 32)
        return lit(ip)

    def r_regex(self):
        return lit(self.r.choice(["^evil", "\\.exe$", "[0-9]+", "^a.*z$", "(foo|bar)",
                                  "^C:\\\\Windows", "\\d{3}", "x{2,}", "(?i)report"]))

    def r_like(self):
        return lit(self.r.choice(["%evil%", "a_c", "C:\\Windows\\%", "%.exe", "_", "%"]))

    def literal_for(self, kind):
        return {"str": self.r_str, "int": self.r_int, "float": self.r_float,
                "ts": self.r_ts, "ip": self.r_ip,
                "md5": lambda: lit(md5(str(self.r.random()))),
                "sha1": lambda: lit(sha1(str(self.r.random()))),
                "sha256": lambda: lit(sha256(str(self.r.random()))),
                "bool": lambda: self.r.choice(["true", "false"]),
                "bin": lambda: self.r.choice([self.r_bin, self.r_hex])()}[kind]()

    # -- comparisons
    def comparison(self, type_=None):
        r = self.r
        cands = [tp for tp in TYPES_PATHS if type_ is None or tp[0] == type_]
        t, steps, kind = r.choice(cands)
        path = [t, ":"] + list(steps)
        if r.random() < 0.05:
            return ["EXISTS"] + path if r.random() < 0.7 else ["NOT", "EXISTS"] + path
        neg = ["NOT"] if r.random() < 0.15 else []
        choices = ["eq"]
        if kind in ("str", "int", "float", "ts", "bin"):
            choices += ["order", "in"]
        if kind in ("bool", "md5", "sha1", "sha256"):
            choices += ["in"] if kind == "bool" else []
        if kind == "str":
            choices += ["like", "regex"]
        if kind == "ip":
            choices += ["subset", "superset", "regex"]
        c = r.choice(choices)
        if c == "eq":
            return path + neg + [r.choice(["=", "==", "!=", "<>"]), self.literal_for(kind)]
        if c == "order":
            return path + neg + [r.choice(["<", "<=", ">", ">="]), self.literal_for(kind)]
        if c == "in":
            n = r.randint(0, 4)
            if kind == "bin":
                f = r.choice([self.r_bin, self.r_hex])
                items = [f() for _ in range(n)]
            else:
                items = [self.literal_for(kind) for _ in range(n)]
            toks = ["("]
            for i, it in enumerate(items):
                if i:
                    toks.append(",")
                toks.append(it)
            return path + neg + ["IN"] + toks + [")"]
        if c == "like":
            return path + neg + ["LIKE", self.r_like()]
        if c == "regex":
            return path + neg + ["MATCHES", self.r_regex()]
        if c == "subset":
            return path + neg + ["ISSUBSET", self.r_ip()]
        return path + neg + ["ISSUPERSET", self.r_ip()]

    def comparison_expr(self, depth, type_):
        r = self.r
        if depth <= 0 or r.random() < 0.45:
            return self.comparison(type_)
        op = r.choice(["AND", "OR", "OR", "()"])
        if op == "()":
            return ["("] + self.comparison_expr(depth - 1, type_) + [")"]
        right_type = type_ if op == "AND" or r.random() < 0.6 else None
        return (self.comparison_expr(depth - 1, type_) + [op]
                + self.comparison_expr(depth - 1, right_type))

    # -- observations
    def qualifiers(self):
        r = self.r
        out = []
        kinds = ["WITHIN", "REPEATS", "START"]
        r.shuffle(kinds)
        for k in kinds[:r.choice([0, 0, 1, 1, 2, 3])]:
            if k == "WITHIN":
                out += ["WITHIN", r.choice(["1", "5", "60", "300", "0.5", "1.5", "86400"]),
                        "SECONDS"]
            elif k == "REPEATS":
                out += ["REPEATS", str(r.randint(1, 12)), "TIMES"]
            else:
                a, b = sorted([self.r_ts(), self.r_ts()])
                out += ["START", a, "STOP", b]
        return out

    def observation(self, depth):
        r = self.r
        if depth <= 0 or r.random() < 0.55:
            type_ = r.choice(TYPES_PATHS)[0] if r.random() < 0.8 else None
            toks = ["["] + self.comparison_expr(r.randint(0, 2), type_) + ["]"]
        else:
            toks = ["("] + self.observations(depth - 1) + [")"]
        return toks + self.qualifiers()

    def observations(self, depth):
        r = self.r
        toks = self.observation(depth)
        for _ in range(r.choice([0, 0, 1, 1, 2])):
            toks += [r.choice(["AND", "OR", "FOLLOWEDBY"])] + self.observation(depth - 1)
        return toks

    def pattern_tokens(self):
        return self.observations(self.r.choice([0, 0, 1, 1, 1, 2]))

    # -- rendering
    def join(self, toks):
        r = self.r
        out = [toks[0]]
        opened = toks[0] == "["
        for prev, tok in zip(toks, toks[1:]):
            glue_ok = prev[-1] in PUNCT or tok[0] in PUNCT
            x = r.random()
            if glue_ok and x < 0.35:
                sep = ""
            elif x < 0.85:
                sep = " "
            else:
                sep = r.choice(["  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2028",
                                " /* c */ ", "/**/"])
                if sep == "/**/" and not glue_ok:
                    sep = " /**/ "
                if "/*" in sep and not opened:
                    sep = " "  # stix2-patterns rejects a comment before the first [
            out.append(sep)
            out.append(tok)
            opened = opened or tok == "["
        text = "".join(out)
        if r.random() < 0.05:
            text += " // end"
        return text

    def mutate(self, toks):
        r = self.r
        toks = list(toks)
        how = r.choice(["drop", "drop", "dup", "swap", "lower", "chardel", "insert"])
        i = r.randrange(len(toks))
        if how == "drop" and len(toks) > 1:
            del toks[i]
            what = "a token dropped"
        elif how == "dup":
            toks.insert(i, toks[i])
            what = "a token duplicated"
        elif how == "swap" and len(toks) > 1:
            i = min(i, len(toks) - 2)
            toks[i], toks[i + 1] = toks[i + 1], toks[i]
            what = "two tokens swapped"
        elif how == "lower":
            kws = [j for j, t in enumerate(toks) if t in KEYWORDS]
            if not kws:
                return self.mutate(toks)
            j = r.choice(kws)
            toks[j] = toks[j].lower()
            what = "a keyword in lower case"
        elif how == "chardel":
            lits = [j for j, t in enumerate(toks) if len(t) > 2 and (t[0] in "'thb" or
                                                                     t[0].isdigit())]
            if not lits:
                return self.mutate(toks)
            j = r.choice(lits)
            k = r.randrange(len(toks[j]))
            toks[j] = toks[j][:k] + toks[j][k + 1:]
            what = "a character deleted in a constant"
        else:
            toks.insert(i, r.choice(["AND", "OR", "]", "[", "(", ")", ",", "'", "=", "NOT",
                                     "WITHIN", "5", "x", ":", ".", "*"]))
            what = "a stray token inserted"
        return toks, what


def random_parse_cases(n_valid=620, n_mutated=380):
    """Returns [(pattern, why, mutated)]."""
    rnd = random.Random(SEED)
    gen = RandomPatterns(rnd)
    out, seen = [], set()
    bases = []
    while len(bases) < n_valid:
        toks = gen.pattern_tokens()
        text = gen.join(toks)
        if text in seen:
            continue
        seen.add(text)
        bases.append(toks)
        out.append((text, "random pattern from the grammar", False))
    made = 0
    while made < n_mutated:
        toks, what = gen.mutate(rnd.choice(bases))
        text = " ".join(toks)
        if text in seen or not text.strip():
            continue
        seen.add(text)
        out.append((text, "random pattern with " + what, True))
        made += 1
    return out


# ---------------------------------------------------------------------------
# Match cases
# ---------------------------------------------------------------------------

M_WITHIN = (S_QUAL, "WITHIN: the latest observation MUST be strictly earlier than the earliest "
                    "plus the window; stix2-matcher also accepts a span exactly equal to it")
M_NOT_ORDER = (S_COMPOP, "incompatible types make < <= > >= false and NOT negates the "
                         "comparison; stix2-matcher returns false before applying NOT")
M_BOOL_IN = (S_COMPOP, "boolean and integer are incompatible; stix2-matcher's IN uses Python "
                       "set membership, where true == 1")
M_IPV6 = ("9.6.1", "ISSUBSET/ISSUPERSET are defined for ipv4-addr and ipv6-addr; stix2-matcher "
                   "only parses IPv4 and raises on IPv6")
M_SINGLE_IP = ("9.6.1", "ISSUBSET/ISSUPERSET: identical single addresses compare true; "
                        "stix2-matcher raises unless its container side is in CIDR form")
M_SLASH0 = ("9.6.1", "a /0 block is a valid CIDR subnet containing every address; "
                     "stix2-matcher rejects prefix length 0")
M_LIKE_NL = ("9.6.1", "LIKE: '%' is 0 or more characters and '_' one character, line feeds "
                      "included; stix2-matcher's translation to a Python regex does not let "
                      "them match a line feed")
M_LIKE_END = ("9.6.1", "LIKE matches the whole value; stix2-matcher anchors with '$', which "
                       "also matches before a final line feed")
M_DOTALL = ("9.6.1", "MATCHES: the DOTALL option MUST be specified; stix2-matcher compiles "
                     "without it, so '.' does not match a line feed")
M_EXISTS_AND = ("9.6.1", "EXISTS combines with AND/OR like any comparison; stix2-matcher has no "
                         "EXISTS handler and fails when it meets another comparison")
M_NOT_EXISTS = ("9.6.1", "NOT EXISTS negates EXISTS; stix2-matcher ignores the NOT")
M_SUBMICRO = (S_CONST, "timestamp constants are STIX timestamps with any number of fractional "
                       "digits (section 2.16); stix2-matcher truncates them to microseconds")
P_NEG_INDEX = (S_LIST, "negative list index is grammatical (an out-of-range index makes the "
                       "comparison false); stix2-patterns crashes in its inspector")
PACTO_REGEX = ("9.6.1", "MATCHES uses PCRE; pacto's regex engine has no look-around or "
                        "back-references and reports an error for this pattern")
PACTO_BAD_TS = ("9.6.1", "pacto treats a string that is not a timestamp as a value of another "
                         "type than the t'' constant (not equal, no order), the rule for every "
                         "type mismatch, rather than failing the whole evaluation on one "
                         "malformed property")


class MatchCases:
    def __init__(self):
        self.rows = []

    def add(self, pattern, obs, expect, why, diff=None, pdiff=None, pacto=None):
        assert expect in ("match", "nomatch", "error"), expect
        self.rows.append({"pattern": pattern, "observations": obs, "expect": expect,
                          "why": why, "diff": diff, "pdiff": pdiff, "pacto": pacto})


def parse_ts(s):
    """A STIX timestamp string to an aware datetime; ValueError if it is not one."""
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$", s)
    if not m:
        raise ValueError(s)
    frac = (m.group(7) or "")[:6].ljust(6, "0")
    return datetime.datetime(*[int(g) for g in m.groups()[:6]], int(frac),
                             tzinfo=datetime.timezone.utc)


def yn(b):
    return "match" if b else "nomatch"


# Values of the single x-scalar object in scalars21, and constants to compare
# them with: (pattern text, kind, Python value).
SCALAR_PROPS = {"s": "high", "i": 5, "f": 3.14, "n": -7, "b": True,
                "t": "2021-05-05T05:05:05.5Z", "l": ["alpha", "beta"], "d": {"k": "v"}}
SCALAR_LITS = {
    "str": [("'high'", "high"), ("'low'", "low"), ("'zzz'", "zzz"), ("'hig'", "hig"),
            ("'higher'", "higher"), ("''", "")],
    "int": [("5", 5), ("4", 4), ("6", 6), ("-7", -7), ("0", 0)],
    "float": [("3.14", 3.14), ("5.0", 5.0), ("-7.5", -7.5), ("3.15", 3.15)],
    "bool": [("true", True), ("false", False)],
    "ts": [("t'2021-05-05T05:05:05.5Z'", parse_ts("2021-05-05T05:05:05.5Z")),
           ("t'2021-05-05T05:05:05.500Z'", parse_ts("2021-05-05T05:05:05.500Z")),
           ("t'2021-01-01T00:00:00Z'", parse_ts("2021-01-01T00:00:00Z")),
           ("t'2022-01-01T00:00:00Z'", parse_ts("2022-01-01T00:00:00Z"))],
}
PROP_KIND = {"s": "str", "i": "num", "f": "num", "n": "num", "b": "bool", "t": "ts",
             "l": "list", "d": "dict"}
KIND_NAMES = {"str": "string", "num": "number", "int": "integer", "float": "float",
              "bool": "boolean", "ts": "timestamp", "list": "list", "dict": "dictionary"}
PY_OPS = {"=": lambda a, b: a == b, "==": lambda a, b: a == b,
          "!=": lambda a, b: a != b, "<>": lambda a, b: a != b,
          "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
          ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def scalar_expect(prop, op, lkind, lval, neg):
    """Spec verdict for [x-scalar:prop (NOT) op constant] on scalars21.
    Returns (expect, diff)."""
    v = SCALAR_PROPS[prop]
    pk = PROP_KIND[prop]
    if lkind == "ts" and pk in ("str", "ts"):
        try:
            v = parse_ts(v)
        except ValueError:
            return "error", None
        pk = "ts"
    compatible = ((pk == "num" and lkind in ("int", "float")) or
                  (pk == "str" and lkind == "str") or
                  (pk == "bool" and lkind == "bool") or
                  (pk == "ts" and lkind == "ts" and isinstance(v, datetime.datetime)))
    if compatible:
        base = PY_OPS[op](v, lval)
    else:
        base = op in ("!=", "<>")
    if not neg:
        return yn(base), None
    diff = M_NOT_ORDER if (not compatible and op in ("<", "<=", ">", ">=")) else None
    return yn(not base), diff


def scalar_matrix(C):
    """Every comparison operator on every JSON value type, including type
    mismatches, on the one-object set scalars21."""
    not_order_done = set()
    for prop, pk in PROP_KIND.items():
        for lkind, lits in SCALAR_LITS.items():
            same = ((pk == "num" and lkind in ("int", "float")) or pk == lkind or
                    (pk == "ts" and lkind == "ts"))
            if pk == "ts" and lkind == "str":
                continue  # timestamp-looking string vs string constant: schema-dependent
            use = lits if same else lits[:1]
            for text, val in use:
                if same:
                    ops = ["=", "!=", "<", "<=", ">", ">="] if lkind != "bool" else ["=", "!="]
                    negs = [("=", True), ("<", True)] if lkind != "bool" else [("=", True)]
                else:
                    ops = ["=", "!="] + (["<", ">="] if lkind != "bool" else [])
                    negs = [("=", True)]
                    if lkind != "bool" and (prop, "NOT<") not in not_order_done and \
                            prop in ("i", "s", "b", "l"):
                        negs.append(("<", True))
                        not_order_done.add((prop, "NOT<"))
                for op, neg in [(o, False) for o in ops] + negs:
                    exp, diff = scalar_expect(prop, op, lkind, val, neg)
                    why = "%s%s, %s value, %s constant" % (
                        "NOT " if neg else "", op, KIND_NAMES[pk], KIND_NAMES[lkind])
                    if exp == "error":
                        why += " (value is no timestamp: stix2-matcher raises)"
                    C.add("[x-scalar:%s %s%s %s]" % (prop, "NOT " if neg else "", op, text),
                          "scalars21", exp, why, diff,
                          pacto=PACTO_BAD_TS if exp == "error" else None)
    # operator spellings
    C.add("[x-scalar:i == 5]", "scalars21", "match", "== is =")
    C.add("[x-scalar:i <> 5]", "scalars21", "nomatch", "<> is !=")
    C.add("[x-scalar:i <> 4]", "scalars21", "match", "<> is != (different value)")
    C.add("[x-scalar:s == 'high']", "scalars21", "match", "== on a string")
    C.add("[x-scalar:s NOT <> 'high']", "scalars21", "match", "NOT <>")
    # IN on each type
    for p, exp, why in [
        ("[x-scalar:s IN ('low', 'high')]", "match", "IN set of strings containing the value"),
        ("[x-scalar:s IN ('low', 'HIGH')]", "nomatch", "IN is case-sensitive"),
        ("[x-scalar:s NOT IN ('low')]", "match", "NOT IN"),
        ("[x-scalar:s NOT IN ('high')]", "nomatch", "NOT IN containing the value"),
        ("[x-scalar:s IN ()]", "nomatch", "IN the empty set"),
        ("[x-scalar:s NOT IN ()]", "match", "NOT IN the empty set"),
        ("[x-scalar:i IN (1, 5, 9)]", "match", "IN set of integers"),
        ("[x-scalar:i IN (5.0)]", "match", "integer value IN a float set"),
        ("[x-scalar:i IN (4.5, 5)]", "match", "IN a mixed integer/float set"),
        ("[x-scalar:f IN (3.14, 2.0)]", "match", "float IN a float set"),
        ("[x-scalar:f IN (3, 4)]", "nomatch", "float IN an integer set without it"),
        ("[x-scalar:n IN (-7)]", "match", "negative integer IN"),
        ("[x-scalar:i IN ('5')]", "nomatch", "integer IN a string set"),
        ("[x-scalar:i NOT IN ('5')]", "match", "integer NOT IN a string set"),
        ("[x-scalar:b IN (true)]", "match", "boolean IN"),
        ("[x-scalar:b IN (false)]", "nomatch", "boolean IN without it"),
        ("[x-scalar:b NOT IN (false)]", "match", "boolean NOT IN"),
        ("[x-scalar:t IN (t'2021-05-05T05:05:05.5Z', t'2020-01-01T00:00:00Z')]", "match",
         "timestamp IN"),
        ("[x-scalar:t IN (t'2020-01-01T00:00:00Z')]", "nomatch", "timestamp IN without it"),
        ("[x-scalar:l IN ('alpha')]", "nomatch", "a list is not IN a set of strings"),
        ("[x-scalar:l[*] IN ('alpha')]", "match", "list element IN"),
        ("[x-scalar:d IN ('v')]", "nomatch", "a dictionary is not IN a set"),
        ("[x-scalar:d.k IN ('v')]", "match", "dictionary value IN"),
    ]:
        C.add(p, "scalars21", exp, why)
    # LIKE / MATCHES / ISSUBSET on each type
    for p, exp, why in [
        ("[x-scalar:s LIKE 'hi%']", "match", "LIKE prefix"),
        ("[x-scalar:s LIKE '%gh']", "match", "LIKE suffix"),
        ("[x-scalar:s LIKE '%i%']", "match", "LIKE infix"),
        ("[x-scalar:s LIKE 'h_gh']", "match", "LIKE with _"),
        ("[x-scalar:s LIKE 'h__h']", "match", "LIKE with two _"),
        ("[x-scalar:s LIKE 'h_h']", "nomatch", "_ is exactly one character"),
        ("[x-scalar:s LIKE 'hi']", "nomatch", "LIKE matches the whole value"),
        ("[x-scalar:s LIKE 'high']", "match", "LIKE without wildcards"),
        ("[x-scalar:s LIKE 'HIGH']", "nomatch", "LIKE is case-sensitive"),
        ("[x-scalar:s LIKE '%']", "match", "LIKE %"),
        ("[x-scalar:s LIKE '%%%%']", "match", "LIKE with several %"),
        ("[x-scalar:s LIKE '____']", "match", "LIKE with four _"),
        ("[x-scalar:s LIKE '_____']", "nomatch", "LIKE with five _"),
        ("[x-scalar:s LIKE 'h.gh']", "nomatch", "a dot is literal in LIKE"),
        ("[x-scalar:s LIKE 'h*']", "nomatch", "* is literal in LIKE"),
        ("[x-scalar:s NOT LIKE 'hi%']", "nomatch", "NOT LIKE"),
        ("[x-scalar:s NOT LIKE 'lo%']", "match", "NOT LIKE (true)"),
        ("[x-scalar:s MATCHES '^h']", "match", "MATCHES anchored start"),
        ("[x-scalar:s MATCHES 'gh$']", "match", "MATCHES anchored end"),
        ("[x-scalar:s MATCHES 'ig']", "match", "MATCHES searches"),
        ("[x-scalar:s MATCHES '^ig']", "nomatch", "MATCHES anchored, no match"),
        ("[x-scalar:s MATCHES '^HIGH$']", "nomatch", "MATCHES is case-sensitive"),
        ("[x-scalar:s MATCHES '(?i)^HIGH$']", "match", "MATCHES with an inline flag"),
        ("[x-scalar:s MATCHES '^h[a-z]{3}$']", "match", "MATCHES with a class and a count"),
        ("[x-scalar:s MATCHES '^(low|high)$']", "match", "MATCHES with alternation"),
        ("[x-scalar:s MATCHES '\\\\w+']", "match", "MATCHES \\w"),
        ("[x-scalar:s MATCHES '\\\\d']", "nomatch", "MATCHES \\d"),
        ("[x-scalar:s MATCHES '']", "match", "empty regex matches"),
        ("[x-scalar:s NOT MATCHES 'z']", "match", "NOT MATCHES"),
        ("[x-scalar:s NOT MATCHES 'h']", "nomatch", "NOT MATCHES (false)"),
        ("[x-scalar:i LIKE '5']", "nomatch", "LIKE on an integer"),
        ("[x-scalar:i NOT LIKE '5']", "match", "NOT LIKE on an integer"),
        ("[x-scalar:i MATCHES '5']", "nomatch", "MATCHES on an integer"),
        ("[x-scalar:i NOT MATCHES '5']", "match", "NOT MATCHES on an integer"),
        ("[x-scalar:b LIKE 'true']", "nomatch", "LIKE on a boolean"),
        ("[x-scalar:l LIKE 'alpha']", "nomatch", "LIKE on a list"),
        ("[x-scalar:l[*] LIKE 'al%']", "match", "LIKE on list elements"),
        ("[x-scalar:l[*] MATCHES '^b']", "match", "MATCHES on list elements"),
        ("[x-scalar:d MATCHES 'v']", "nomatch", "MATCHES on a dictionary"),
        ("[x-scalar:i ISSUBSET '10.0.0.0/8']", "nomatch", "ISSUBSET on an integer"),
        ("[x-scalar:i NOT ISSUBSET '10.0.0.0/8']", "match", "NOT ISSUBSET on an integer"),
        ("[x-scalar:b ISSUPERSET '10.0.0.1']", "nomatch", "ISSUPERSET on a boolean"),
        ("[x-scalar:nope = 1]", "nomatch", "absent property ="),
        ("[x-scalar:nope != 1]", "nomatch", "absent property !="),
        ("[x-scalar:nope NOT = 1]", "nomatch", "absent property NOT ="),
        ("[x-scalar:nope NOT IN (1)]", "nomatch", "absent property NOT IN"),
        ("[x-scalar:nope NOT LIKE 'a']", "nomatch", "absent property NOT LIKE"),
        ("[x-scalar:d.nope != 'v']", "nomatch", "absent dictionary key !="),
        ("[x-scalar:l[5] != 'v']", "nomatch", "index out of range !="),
        ("[x-scalar:s[0] = 'h']", "nomatch", "index step on a string"),
        ("[x-scalar:s.x = 'h']", "nomatch", "key step on a string"),
        ("[x-scalar:l.x = 'h']", "nomatch", "key step on a list"),
        ("[x-scalar:d[0] = 'v']", "nomatch", "index step on a dictionary"),
        ("[x-scalar:d[*] = 'v']", "nomatch", "[*] on a dictionary"),
        ("[x-scalar:l[*][*] = 'alpha']", "nomatch", "[*] on a string element"),
        ("[x-other:s = 'high']", "nomatch", "no object of that type"),
    ]:
        C.add(p, "scalars21", exp, why)



def hand_match_cases(C):
    add = C.add
    ip1_id = oid("ipv4-addr", "net21-ip1")

    # -- binary and hex values (artifact21)
    ART = "artifact21"
    TXT = "artifact:mime_type = 'text/plain' AND "
    for p, exp, why, d in [
        ("[artifact:payload_bin = 'this is a test']", "match",
         "binary value = string constant (section 9.6.4 example)", None),
        ("[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']", "match", "binary = binary constant",
         None),
        ("[artifact:payload_bin = h'7468697320697320612074657374']", "match",
         "binary = hex constant", None),
        ("[artifact:payload_bin = 'dGhpcyBpcyBhIHRlc3Q=']", "nomatch",
         "the base64 text as a string is not the value (section 9.6.4 example)", None),
        ("[artifact:payload_bin = 'this is a tesT']", "nomatch", "binary = other string", None),
        ("[%sartifact:payload_bin != 'this is a test']" % TXT, "nomatch", "binary != same", None),
        ("[%sartifact:payload_bin != 'this is a tesT']" % TXT, "match", "binary != other", None),
        ("[%sartifact:payload_bin > 'this is a']" % TXT, "match",
         "a longer binary value with the same prefix is greater (section 9.6.3)", None),
        ("[%sartifact:payload_bin < 'this is a']" % TXT, "nomatch", "binary < its prefix", None),
        ("[%sartifact:payload_bin <= 'this is a test']" % TXT, "match", "binary <= equal", None),
        ("[%sartifact:payload_bin < 'this is a tesu']" % TXT, "match", "binary < next value",
         None),
        ("[%sartifact:payload_bin >= h'7468697320697320612074657375']" % TXT, "nomatch",
         "binary >= a greater hex constant", None),
        ("[%sartifact:payload_bin > b'AA==']" % TXT, "match", "binary > a single zero byte",
         None),
        ("[artifact:payload_bin = 't\u0100st']", "nomatch",
         "string with a code point above U+00FF never equals binary", None),
        ("[%sartifact:payload_bin != 't\u0100st']" % TXT, "match",
         "!= with an unconvertible string is true (section 9.6.4)", None),
        ("[%sartifact:payload_bin < '\u0100']" % TXT, "nomatch",
         "< with an unconvertible string is false", None),
        ("[%sartifact:payload_bin NOT < '\u0100']" % TXT, "match",
         "NOT < with an unconvertible string", None),
        ("[artifact:payload_bin MATCHES 'is a']", "match", "MATCHES on binary", None),
        ("[artifact:payload_bin MATCHES '^this']", "match", "anchored MATCHES on binary", None),
        ("[artifact:payload_bin MATCHES 'TEST']", "nomatch", "MATCHES on binary, no match", None),
        ("[artifact:payload_bin MATCHES '\\\\xd4\\\\xc3']", "match",
         "MATCHES binary bytes given as \\x escapes", None),
        ("[artifact:payload_bin MATCHES '^\\\\xd4\\\\xc3\\\\xb2\\\\xa1']", "match",
         "anchored MATCHES on binary bytes", None),
        ("[artifact:payload_bin MATCHES '\\\\xa1\\\\xb2']", "nomatch",
         "MATCHES binary bytes in the wrong order", None),
        ("[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES "
         "'\\\\xd4\\\\xc3\\\\xb2\\\\xa1\\\\x02\\\\x00\\\\x04\\\\x00']", "match",
         "pcap magic number (section 9.8 example)", None),
        ("[artifact:payload_bin = 5]", "nomatch", "binary = integer", None),
        ("[artifact:payload_bin != 5]", "match", "binary != integer", None),
        ("[artifact:payload_bin = true]", "nomatch", "binary = boolean", None),
        ("[artifact:payload_bin = t'2021-01-01T00:00:00Z']", "nomatch", "binary = timestamp",
         None),
        ("[artifact:payload_bin IN (b'dGhpcyBpcyBhIHRlc3Q=', b'AA==')]", "match",
         "binary IN a binary set", None),
        ("[artifact:payload_bin IN (b'AA==')]", "nomatch", "binary IN a set without it", None),
        ("[artifact:x_thing_hex = h'deadbeef']", "match", "_hex value = hex constant", None),
        ("[artifact:x_thing_hex = h'dead']", "nomatch", "_hex value = its prefix", None),
        ("[artifact:x_thing_hex = b'3q2+7w==']", "match", "_hex value = binary constant", None),
        ("[artifact:x_thing_hex = '\u00de\u00ad\u00be\u00ef']", "match",
         "_hex value = string of the same octets", None),
        ("[artifact:x_thing_hex = 'deadbeef']", "nomatch",
         "the hex digits as a string are not the value", None),
        ("[artifact:x_thing_hex > h'dead']", "match", "_hex > prefix", None),
        ("[artifact:x_thing_hex < h'0100']", "match", "00ff < 0100 (unsigned octets)", None),
        ("[artifact:x_thing_hex < h'00']", "nomatch", "nothing is below a single zero byte",
         None),
        ("[artifact:x_thing_hex >= h'ff']", "nomatch", "de.. and 00.. are below ff", None),
        ("[artifact:x_thing_hex IN (h'00ff', h'11')]", "match", "_hex IN a hex set", None),
        ("[artifact:x_thing_hex IN (h'11', h'')]", "nomatch", "_hex IN a set without it", None),
        ("[artifact:x_thing_hex NOT IN (h'11')]", "match", "_hex NOT IN", None),
        ("[artifact:mime_type = 'text/plain' AND artifact:x_thing_hex = h'00ff']", "nomatch",
         "the values belong to different artifacts", None),
        ("[artifact:hashes.'SHA-256' = '%s']" % sha256("this is a test"), "match",
         "artifact hash", None),
        ("[artifact:payload_bin = h'd4c3b2a102000400' OR artifact:mime_type = 'none']",
         "match", "binary = hex constant, second artifact", None),
    ]:
        add(p, ART, exp, why, d)
    add("[x-foo-bar:x_thing_hex = h'cafe']", "custom21", "match", "custom _hex property")
    add("[x-foo-bar:x_thing_hex = 'cafe']", "custom21", "nomatch",
        "custom _hex property against its digits as a string")

    # -- strings, Unicode, escapes, dictionaries, lists (custom21)
    CU = "custom21"
    for p, exp, why, d in [
        ("[x-foo-bar:cafe = 'caf\u00e9']", "match", "precomposed = precomposed", None),
        ("[x-foo-bar:cafe = 'cafe\u0301']", "nomatch",
         "= does not normalise (section 9.6.2)", None),
        ("[x-foo-bar:cafe_dec = 'cafe\u0301']", "match", "decomposed = decomposed", None),
        ("[x-foo-bar:cafe_dec = 'caf\u00e9']", "nomatch", "decomposed != precomposed", None),
        ("[x-foo-bar:cafe LIKE 'cafe\u0301']", "match", "LIKE normalises the constant (NFC)",
         None),
        ("[x-foo-bar:cafe MATCHES '^caf\u00e9$']", "match", "MATCHES with non-ASCII", None),
        ("[x-foo-bar:w_pre > 'z']", "match", "U+00F2 > z by code point (section 9.6.2)", None),
        ("[x-foo-bar:w_dec > 'oz']", "match", "o U+0300 > oz by code point", None),
        ("[x-foo-bar:w_dec < 'z']", "match", "o U+0300 < z by code point", None),
        ("[x-foo-bar:w_dec > 'o']", "match", "longer string with the same prefix is greater",
         None),
        ("[x-foo-bar:w_pre = 'o\u0300']", "nomatch", "no normalisation for =", None),
        ("[x-foo-bar:w_dec < 'oz']", "nomatch", "o U+0300 is not < oz", None),
        ("[x-foo-bar:emoji = '\U0001F600 smile']", "match", "astral-plane character", None),
        ("[x-foo-bar:emoji LIKE '_ smile']", "match", "_ is one code point, even astral", None),
        ("[x-foo-bar:emoji LIKE '__ smile']", "nomatch", "two _ are two code points", None),
        ("[x-foo-bar:emoji MATCHES '^. smile$']", "match", ". is one code point", None),
        ("[x-foo-bar:x_ml = 'first\nsecond']", "match", "string with a line feed", None),
        ("[x-foo-bar:x_ml MATCHES '^first']", "match", "^ at the start", None),
        ("[x-foo-bar:x_ml MATCHES '^second']", "nomatch", "^ is not multi-line", None),
        ("[x-foo-bar:x_ml MATCHES 'first\\\\nsecond']", "match", "regex \\n", None),
        ("[x-foo-bar:x_ml MATCHES '(?s)first.second']", "match", "(?s) lets . match \\n",
         None),
        ("[x-foo-bar:x_ml MATCHES 'first.second']", "match", ". matches a line feed (DOTALL)",
         M_DOTALL),
        ("[x-foo-bar:x_ml MATCHES '^first.*d$']", "match", ".* crosses a line feed (DOTALL)",
         M_DOTALL),
        ("[x-foo-bar:x_ml LIKE 'first%second']", "match", "% spans a line feed", M_LIKE_NL),
        ("[x-foo-bar:x_ml LIKE 'first_second']", "match", "_ matches a line feed", M_LIKE_NL),
        ("[x-foo-bar:x_ml LIKE '%']", "match", "% matches a value with a line feed", M_LIKE_NL),
        ("[x-foo-bar:x_ml NOT LIKE 'first%']", "nomatch", "NOT LIKE across a line feed",
         M_LIKE_NL),
        ("[x-foo-bar:x_nl = 'line1\n']", "match", "trailing line feed", None),
        ("[x-foo-bar:x_nl = 'line1']", "nomatch", "trailing line feed matters for =", None),
        ("[x-foo-bar:x_nl LIKE 'line1%']", "match", "% matches a final line feed", None),
        ("[x-foo-bar:x_nl LIKE 'line1']", "nomatch", "LIKE must match the whole value",
         M_LIKE_END),
        ("[x-foo-bar:x_nl LIKE 'line1_']", "match", "_ matches the final line feed", M_LIKE_NL),
        ("[x-foo-bar:path = %s]" % lit("C:\\Windows\\System32\\drivers"), "match",
         "escaped backslashes", None),
        ("[x-foo-bar:path LIKE %s]" % lit("C:\\Windows\\%"), "match",
         "backslash is literal in LIKE", None),
        ("[x-foo-bar:path LIKE %s]" % lit("C:\\Windows\\S%\\drivers"), "match",
         "LIKE with backslashes around %", None),
        ("[x-foo-bar:path MATCHES %s]" % lit("^C:\\\\Windows\\\\"), "match",
         "escaped backslash in a regex", None),
        ("[x-foo-bar:path MATCHES %s]" % lit("\\\\System32\\\\"), "match",
         "regex backslashes", None),
        ("[x-foo-bar:path = %s]" % lit("C:/Windows/System32/drivers"), "nomatch",
         "slashes are not backslashes", None),
        ("[x-foo-bar:quote = 'it\\'s']", "match", "escaped quote", None),
        ("[x-foo-bar:quote LIKE 'it_s']", "match", "_ matches a quote", None),
        ("[x-foo-bar:quote MATCHES '\\'']", "match", "regex of a quote", None),
        ("[x-foo-bar:pct = '100%_done']", "match", "% and _ are literal in =", None),
        ("[x-foo-bar:pct LIKE '100%']", "match", "% wildcard over % and _", None),
        ("[x-foo-bar:pct LIKE '100__done']", "match", "_ matches % and _", None),
        ("[x-foo-bar:pct LIKE '100_done']", "nomatch", "one _ is one character", None),
        ("[x-foo-bar:empty = '']", "match", "empty string", None),
        ("[x-foo-bar:empty != '']", "nomatch", "!= empty where the other object lacks it", None),
        ("[x-foo-bar:empty LIKE '']", "match", "LIKE empty", None),
        ("[x-foo-bar:empty LIKE '%']", "match", "LIKE % on empty", None),
        ("[x-foo-bar:empty LIKE '_']", "nomatch", "LIKE _ on empty", None),
        ("[x-foo-bar:empty MATCHES '^$']", "match", "MATCHES ^$ on empty", None),
        ("[x-foo-bar:empty MATCHES '.']", "nomatch", "MATCHES . on empty", None),
        ("[x-foo-bar:empty < 'a']", "match", "empty is the least string", None),
        ("[x-foo-bar:level = 'low']", "match", "second object", None),
        ("[x-foo-bar:level != 'high']", "match", "!= satisfied by the other object", None),
        ("[x-foo-bar:level != 'high' AND x-foo-bar:count = 5]", "nomatch",
         "AND needs one object", None),
        ("[x-foo-bar:level = 'high' AND x-foo-bar:count = 6]", "nomatch",
         "AND of properties of two different objects", None),
        ("[x-foo-bar:level = 'high' OR x-foo-bar:count = 6]", "match", "OR across objects",
         None),
        ("[x-foo-bar:level = 'low' AND x-foo-bar:count = 6]", "match", "AND on one object",
         None),
        ("[x-foo-bar:level = 'high' AND x-foo-bar:count = 5 AND x-foo-bar:flag = true]", "match",
         "AND of three on one object", None),
        ("[x-foo-bar:level = 'high' AND (x-foo-bar:count = 6 OR x-foo-bar:score > 3)]", "match",
         "AND with a parenthesised OR", None),
        ("[(x-foo-bar:level = 'high' AND x-foo-bar:count = 6) OR x-foo-bar:count = 6]", "match",
         "OR of an impossible AND and a true comparison", None),
        ("[x-foo-bar:level = 'low' AND x-foo-bar:count = 6 OR x-foo-bar:level = 'none']",
         "match", "AND binds tighter than OR", None),
        ("[x-foo-bar:level = 'none' OR x-foo-bar:level = 'low' AND x-foo-bar:count = 5]",
         "nomatch", "AND binds tighter than OR (false)", None),
        ("[x-baz:value = 'baz']", "match", "custom type", None),
        ("[x-baz:weight > 2]", "match", "float > integer", None),
        ("[x-baz:weight = 2.5 AND x-foo-bar:count = 5]", "nomatch",
         "AND across two object types never matches one object", None),
        ("[x-baz:weight = 2.5 OR x-foo-bar:count = 5]", "match", "OR across object types",
         None),
        ("[x-baz:weight = 9 OR x-foo-bar:count = 5]", "match",
         "OR across object types, second side true", None),
        ("[x-baz:weight = 9 OR x-nothing:count = 5]", "nomatch", "OR across types, both false",
         None),
        ("[x-baz:value = 'baz'] AND [x-foo-bar:count = 5]", "nomatch",
         "observation AND needs two observations; there is one", None),
        ("[x-baz:value = 'baz'] OR [x-foo-bar:count = 5]", "match", "observation OR", None),
        ("[x-foo-bar:keys.'key with space' = 's']", "match", "key with spaces", None),
        ("[x-foo-bar:keys.'it\\'s' = 'q']", "match", "key with a quote", None),
        ("[x-foo-bar:keys.'a.b' = 'dot']", "match", "key with a dot", None),
        ("[x-foo-bar:keys.a.b = 'dot']", "nomatch", "unquoted a.b is two steps", None),
        ("[x-foo-bar:keys.'back\\\\slash' = 'bs']", "match", "key with a backslash", None),
        ("[x-foo-bar:keys.'SHA-256' = 'h']", "match", "key with a hyphen", None),
        ("[x-foo-bar:keys.'sha-256' = 'h']", "nomatch", "keys are case-sensitive", None),
        ("[x-foo-bar:keys.'' = 'empty']", "match", "empty key", None),
        ("[x-foo-bar:'keys'.'key with space' = 's']", "match", "quoted first property", None),
        ("[x-foo-bar:nested.inner.deep = 42]", "match", "nested dictionary", None),
        ("[x-foo-bar:nested.inner.deep = 42.0]", "match", "integer = float constant", None),
        ("[x-foo-bar:nested.inner.deep > 41.5]", "match", "integer > float constant", None),
        ("[x-foo-bar:nested.'inner'.'deep' = 42]", "match", "quoted nested keys", None),
        ("[x-foo-bar:nested.inner = 42]", "nomatch", "dictionary = integer", None),
        ("[x-foo-bar:nested.inner != 42]", "match", "dictionary != integer (incompatible)",
         None),
        ("[x-foo-bar:nested.missing.deep = 1]", "nomatch", "absent intermediate key", None),
        ("[x-foo-bar:nested.missing.deep != 1]", "nomatch", "absent intermediate key, !=",
         None),
        ("[x-foo-bar:nested.list[*].k = 'b']", "match", "list of dictionaries", None),
        ("[x-foo-bar:nested.list[1].v = 2]", "match", "indexed list of dictionaries", None),
        ("[x-foo-bar:nested.list[0].v = 2]", "nomatch", "wrong index", None),
        ("[x-foo-bar:nested.list[2].k = 'a']", "nomatch", "index out of range", None),
        ("[x-foo-bar:nested.list[*].v = 2 AND x-foo-bar:nested.list[*].k = 'a']", "match",
         "AND may use different list elements of one object", None),
        ("[x-foo-bar:nested.list[*].k != 'a']", "match", "[*] != is true if any element differs",
         None),
        ("[x-foo-bar:tags[*] = 'beta']", "match", "[*] on a list", None),
        ("[x-foo-bar:tags[0] = 'alpha']", "match", "[0]", None),
        ("[x-foo-bar:tags[0] = 'beta']", "nomatch", "[0] wrong value", None),
        ("[x-foo-bar:tags[2] = 'gamma']", "match", "last index", None),
        ("[x-foo-bar:tags[3] = 'gamma']", "nomatch", "index past the end", None),
        ("[x-foo-bar:tags[3] != 'x']", "nomatch", "index past the end with !=", None),
        ("[x-foo-bar:tags[*] != 'alpha']", "match", "[*] != (another element differs)", None),
        ("[x-foo-bar:tags[*] NOT = 'alpha']", "match", "[*] NOT =", None),
        ("[x-foo-bar:tags = 'alpha']", "nomatch", "a list is not a string", None),
        ("[x-foo-bar:tags != 'alpha']", "match", "list != string (incompatible)", None),
        ("[x-foo-bar:tags[*] LIKE 'g%']", "match", "LIKE over list elements", None),
        ("[x-foo-bar:tags[*] IN ('x', 'beta')]", "match", "IN over list elements", None),
        ("[x-foo-bar:tags[*] > 'b']", "match", "order over list elements", None),
        ("[x-foo-bar:tags[*] < 'a']", "nomatch", "no element below a", None),
        ("[x-foo-bar:tags[*] MATCHES '^[a-c]']", "match", "MATCHES over list elements", None),
        ("[x-foo-bar:counts[*] > 25]", "match", "integer list element > 25", None),
        ("[x-foo-bar:counts[*] > 30]", "nomatch", "no element > 30", None),
        ("[x-foo-bar:counts[1] = 20]", "match", "integer list index", None),
        ("[x-foo-bar:counts[*] IN (15, 30)]", "match", "integer list IN", None),
        ("[x-foo-bar:counts[*] = 20.0]", "match", "integer list element = float", None),
        ("[x-foo-bar:counts[*][*] = 10]", "nomatch", "[*] on integers", None),
        ("[x-foo-bar:tags[-1] = 'gamma']", "nomatch",
         "negative index is out of range (section 9.7.2)", None),
        ("[x-foo-bar:score = 3.14]", "match", "float =", None),
        ("[x-foo-bar:score > 3]", "match", "float > integer", None),
        ("[x-foo-bar:score < 3.15]", "match", "float <", None),
        ("[x-foo-bar:score = 3]", "nomatch", "float = integer (not truncated)", None),
        ("[x-foo-bar:score != 3]", "match", "float != integer", None),
        ("[x-foo-bar:delta = -7]", "match", "negative integer", None),
        ("[x-foo-bar:delta < -6]", "match", "negative <", None),
        ("[x-foo-bar:delta > -8]", "match", "negative >", None),
        ("[x-foo-bar:delta = -7.0]", "match", "negative integer = float", None),
        ("[x-foo-bar:delta > -7]", "nomatch", "negative >, equal", None),
        ("[x-foo-bar:flag = true]", "match", "boolean true", None),
        ("[x-foo-bar:flag = false]", "nomatch", "boolean false", None),
        ("[x-foo-bar:flag != false]", "match", "boolean !=", None),
        ("[x-foo-bar:flag = 1]", "nomatch", "boolean = integer", None),
        ("[x-foo-bar:flag != 1]", "match", "boolean != integer (incompatible)", None),
        ("[x-foo-bar:flag = 'true']", "nomatch", "boolean = string", None),
        ("[x-foo-bar:off = false]", "match", "boolean false value", None),
        ("[x-foo-bar:off != true]", "match", "boolean false != true", None),
        ("[x-foo-bar:one = 1]", "match", "integer 1", None),
        ("[x-foo-bar:one = true]", "nomatch", "integer 1 = true", None),
        ("[x-foo-bar:one = 1.0]", "match", "integer 1 = 1.0", None),
        ("[x-foo-bar:one IN (true)]", "nomatch", "integer 1 IN (true)", M_BOOL_IN),
        ("[x-foo-bar:flag IN (1, 2)]", "nomatch", "true IN (1, 2)", M_BOOL_IN),
        ("[x-foo-bar:off IN (0)]", "nomatch", "false IN (0)", M_BOOL_IN),
        ("[x-foo-bar:count IN (true)]", "nomatch", "5 IN (true)", None),
        ("[x-foo-bar:count IN (5, 6)]", "match", "IN", None),
        ("[x-foo-bar:count NOT IN (5, 6)]", "nomatch", "NOT IN, both objects in the set", None),
        ("[x-foo-bar:count NOT IN (5)]", "match", "NOT IN, second object", None),
        ("[x-foo-bar:count IN ()]", "nomatch", "IN ()", None),
        ("[x-foo-bar:count NOT IN ()]", "match", "NOT IN ()", None),
        ("[x-foo-bar:seen = t'2021-05-05T05:05:05.5Z']", "match", "timestamp = timestamp",
         None),
        ("[x-foo-bar:seen = t'2021-05-05T05:05:05.500Z']", "match",
         "timestamps compare as instants, not text", None),
        ("[x-foo-bar:seen = t'2021-05-05T05:05:05Z']", "nomatch", "fraction matters", None),
        ("[x-foo-bar:seen > t'2021-05-05T05:05:05Z']", "match", "timestamp >", None),
        ("[x-foo-bar:seen < t'2021-05-05T05:05:05.49Z']", "nomatch", "timestamp <", None),
        ("[x-foo-bar:seen IN (t'2021-05-05T05:05:05.5Z', t'2020-01-01T00:00:00Z')]", "match",
         "timestamp IN", None),
        ("[x-foo-bar:seen != t'2021-05-05T05:05:05.5Z']", "nomatch", "timestamp !=", None),
        ("[x-foo-bar:seen = t'2021-05-05T05:05:05.5000001Z']", "nomatch",
         "timestamps differing in the seventh fractional digit", M_SUBMICRO),
        ("[x-foo-bar:seen < t'2021-05-05T05:05:05.5000001Z']", "match",
         "timestamp < a constant 100 ns later", M_SUBMICRO),
        ("[x-foo-bar:seen < t'2021-05-05T05:05:05.500001Z']", "match",
         "timestamp < a constant 1 microsecond later", None),
    ]:
        add(p, CU, exp, why, d, pdiff=P_NEG_INDEX if "[-1]" in p else None)
    for p, why in [
        ("[x-foo-bar:x_bad_ts = t'2021-01-01T00:00:00Z']", "timestamp constant, value is no "
                                                           "timestamp: stix2-matcher raises"),
        ("[x-foo-bar:x_bad_ts > t'2021-01-01T00:00:00Z']", "order with a timestamp constant, "
                                                           "value is no timestamp"),
        ("[x-foo-bar:level IN (t'2021-01-01T00:00:00Z')]", "timestamp set, value is no "
                                                           "timestamp"),
    ]:
        add(p, CU, "error", why, pacto=PACTO_BAD_TS)
    for p, why in [
        ("[x-foo-bar:level IN ('high', 1)]", "set of a string and an integer: stix2-matcher "
                                             "raises (the spec requires homogeneous sets)"),
        ("[x-foo-bar:count IN (5, 'a', true)]", "set of three types: stix2-matcher raises"),
        ("[x-foo-bar:level MATCHES '(unclosed']", "invalid regular expression"),
        ("[x-foo-bar:level MATCHES '[z-a]']", "invalid character range"),
        ("[x-foo-bar:level = 'high'] WITHIN 0 SECONDS", "WITHIN 0 (the spec requires a "
                                                        "positive value)"),
        ("[x-foo-bar:level = 'high'] REPEATS 0 TIMES", "REPEATS 0 (the spec requires a "
                                                       "positive integer)"),
        ("[x-foo-bar:seen = t'2021-02-29T00:00:00Z']", "timestamp constant that is no "
                                                       "calendar date"),
    ]:
        add(p, CU, "error", why)

    # -- regular expressions pacto does not support (look-around, back-references)
    add("[x-foo-bar:level MATCHES '^hi(?=gh)']", CU, "match", "regex look-ahead", pacto=PACTO_REGEX)
    add("[x-foo-bar:level MATCHES '(?<!x)high']", CU, "match", "regex look-behind",
        pacto=PACTO_REGEX)
    add("[x-foo-bar:tags[*] MATCHES '^(a).*\\\\1$']", CU, "match", "regex back-reference",
        pacto=PACTO_REGEX)
    add("[file:name MATCHES '^(?!report)']", "files21", "match", "regex negative look-ahead",
        pacto=PACTO_REGEX)

    # -- files21
    F = "files21"
    for p, exp, why, d in [
        ("[file:name = 'report.pdf']", "match", "file name", None),
        ("[file:name = 'REPORT.PDF']", "nomatch", "= is case-sensitive", None),
        ("[file:name LIKE '%.pdf']", "match", "LIKE suffix", None),
        ("[file:name LIKE '%.PDF']", "nomatch", "LIKE is case-sensitive", None),
        ("[file:name MATCHES '\\\\.exe$']", "match", "MATCHES suffix", None),
        ("[file:name IN ('a', 'bundle.zip')]", "match", "IN", None),
        ("[file:name = 'hidden.txt']", "nomatch",
         "an SCO no observed-data lists is not observed (section 9.7.4)", None),
        ("[file:size > 70000]", "match", "integer >", None),
        ("[file:size = 1024]", "match", "integer =", None),
        ("[file:size = 1024.0]", "match", "integer = float", None),
        ("[file:size = '1024']", "nomatch", "integer = string", None),
        ("[file:name = 'report.pdf' AND file:size != '1024']", "match",
         "integer != string (incompatible)", None),
        ("[file:size < 100]", "nomatch", "no file that small", None),
        ("[file:size >= 73802 AND file:size <= 73802]", "match", "closed range", None),
        ("[file:hashes.MD5 = '%s']" % md5("report"), "match", "MD5", None),
        ("[file:hashes.MD5 = '%s']" % md5("report").upper(), "nomatch",
         "hash strings are compared as strings", None),
        ("[file:hashes.'SHA-256' = '%s']" % sha256("report"), "match", "SHA-256", None),
        ("[file:hashes.'SHA-256' = '%s']" % sha256("mal"), "match", "SHA-256 of another file",
         None),
        ("[file:hashes.'SHA-1' = '%s' AND file:name = 'mal.exe']" % sha1("mal"), "match",
         "hash AND name on one file", None),
        ("[file:hashes.'SHA-1' = '%s' AND file:name = 'report.pdf']" % sha1("mal"), "nomatch",
         "hash and name of different files", None),
        ("[file:hashes.'SHA-256' = '%s' AND file:mime_type = 'application/pdf']"
         % sha256("report"), "match", "hash and MIME type (section 9.8 example shape)", None),
        ("[file:hashes[*] = '%s']" % sha1("mal"), "nomatch", "[*] on a dictionary", None),
        ("[file:hashes.md5 = '%s']" % md5("report"), "nomatch", "hash keys are case-sensitive",
         None),
        ("[file:created = t'2021-02-28T12:00:00Z']", "match", "timestamp =", None),
        ("[file:created > t'2021-01-01T00:00:00Z']", "match", "timestamp >", None),
        ("[file:created < t'2020-12-25T00:00:00Z']", "match", "timestamp <", None),
        ("[file:created = t'2020-12-24T23:59:59.999Z']", "match", "timestamp with milliseconds",
         None),
        ("[file:created = t'2020-12-24T23:59:59.999000Z']", "match",
         "timestamp with trailing zeros", None),
        ("[file:created <= t'2020-12-24T23:59:59.998Z']", "nomatch", "timestamp <= (false)",
         None),
        ("[file:created IN (t'2021-02-28T12:00:00Z')]", "match", "timestamp IN", None),
        ("[file:modified = t'2021-03-01T08:30:00.123Z']", "match", "modified timestamp", None),
        ("[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]", "match",
         "section 9.8 example", None),
        ("[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.8]", "nomatch",
         "no section above 7.8", None),
        ("[file:extensions.'windows-pebinary-ext'.sections[*].entropy = 7.8]", "match",
         "float =", None),
        ("[file:extensions.'windows-pebinary-ext'.sections[1].entropy = 1.25]", "match",
         "indexed section", None),
        ("[file:extensions.'windows-pebinary-ext'.sections[*].name = '.data']", "match",
         "section name", None),
        ("[file:extensions.'windows-pebinary-ext'.sections[0].name = '.data']", "nomatch",
         "first section is .text", None),
        ("[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0 AND "
         "file:extensions.'windows-pebinary-ext'.sections[*].name = '.data']", "match",
         "AND may use different sections of one file", None),
        ("[file:extensions.'windows-pebinary-ext'.pe_type = 'exe']", "match", "extension string",
         None),
        ("[file:extensions.'windows-pebinary-ext'.optional_header.entry_point = 4096]", "match",
         "extension nested dictionary", None),
        ("[file:extensions.'windows-pebinary-ext'.number_of_sections = 2]", "match",
         "extension integer", None),
        ("[file:extensions.'archive-ext'.comment = 'quarterly']", "match", "archive comment",
         None),
        ("[file:extensions.'archive-ext'.contains_refs[*].name = 'report.pdf']", "match",
         "reference list in an extension", None),
        ("[file:extensions.'archive-ext'.contains_refs[*].name = 'hidden.txt']", "nomatch",
         "reference to an SCO outside object_refs (section 9.7.4)", None),
        ("[file:extensions.'archive-ext'.contains_refs[0].size = 1024]", "match",
         "indexed reference", None),
        ("[file:extensions.'archive-ext'.contains_refs[1].name = 'hidden.txt']", "nomatch",
         "indexed reference outside object_refs", None),
        ("[file:extensions.'archive-ext'.contains_refs[*].hashes.MD5 = '%s']" % md5("report"),
         "match", "hash through a reference", None),
        ("[file:extensions.'archive-ext'.contains_refs[1].name != 'x']", "nomatch",
         "!= through an unresolvable reference", None),
        ("[file:parent_directory_ref.path = %s]" % lit("C:\\Windows\\System32"), "match",
         "reference then property", None),
        ("[file:name = 'mal.exe' AND file:parent_directory_ref.path = %s]"
         % lit("C:\\Windows\\System32"), "match", "name AND referenced path", None),
        ("[file:parent_directory_ref.path LIKE %s]" % lit("C:\\Windows\\%"), "match",
         "LIKE through a reference", None),
        ("[file:parent_directory_ref.contains_refs[*].name = 'mal.exe']", "match",
         "reference, then reference list", None),
        ("[file:parent_directory_ref.contains_refs[*].parent_directory_ref.path = %s]"
         % lit("C:\\Windows\\System32"), "match", "reference cycle", None),
        ("[file:parent_directory_ref = %s]" % lit(oid("directory", "files21-dir")), "nomatch",
         "a dereferenced object is not its identifier", None),
        ("[directory:path = %s]" % lit("C:\\Windows\\System32"), "match", "directory", None),
        ("[directory:contains_refs[*].name = 'mal.exe']", "match", "section 9.7.4 example shape",
         None),
        ("[directory:contains_refs[*].size > 70000]", "match", "integer through a reference",
         None),
        ("[directory:contains_refs.name = 'mal.exe']", "nomatch",
         "a reference list needs an index step", None),
        ("[file:x_flags[*] = 1]", "match", "custom list property", None),
        ("[file:x_flags[4] = 5]", "match", "custom list index", None),
        ("[file:x_ratio = 0.5]", "match", "custom float", None),
        ("[file:x_ratio = .5]", "match", "float without a leading digit", None),
        ("[file:x_enabled = true]", "match", "custom boolean", None),
        ("[file:x_tags[*] = 'gamma']", "match", "custom string list", None),
        ("[file:name = 'report.pdf' AND file:size = 73802]", "nomatch",
         "AND of properties of different files", None),
        ("[file:name = 'report.pdf' OR file:size = 73802]", "match", "OR across files", None),
        ("[file:name = 'report.pdf' AND directory:path = %s]" % lit("C:\\Windows\\System32"),
         "nomatch", "AND across object types", None),
        ("[file:name = 'report.pdf' OR directory:path = 'x']", "match", "OR across types", None),
        ("[file:name = 'report.pdf'] AND [file:name = 'mal.exe']", "nomatch",
         "observation AND on one observed-data", None),
        ("[file:name = 'report.pdf'] OR [file:name = 'nope']", "match", "observation OR", None),
        ("[file:name = 'nope']", "nomatch", "no such file", None),
        ("[file:size IN (1024, 2048) AND file:name = 'bundle.zip']", "match", "IN AND =", None),
        ("[EXISTS file:name]", "match", "EXISTS", None),
        ("[EXISTS file:nope]", "nomatch", "EXISTS on an absent property", None),
        ("[EXISTS file:parent_directory_ref]", "match", "EXISTS on a reference", None),
        ("[EXISTS file:parent_directory_ref.path]", "match", "EXISTS through a reference", None),
        ("[EXISTS file:x_flags[9]]", "nomatch", "EXISTS on an index past the end", None),
        ("[EXISTS file:x_flags[*]]", "match", "EXISTS on [*]", None),
        ("[EXISTS file:extensions.'windows-pebinary-ext']", "match", "EXISTS on an extension",
         None),
        ("[EXISTS file:extensions.'archive-ext'.contains_refs[1].name]", "nomatch",
         "EXISTS through an unresolvable reference", None),
        ("[EXISTS file:hashes.MD5]", "match", "EXISTS on a hash", None),
        ("[NOT EXISTS file:name]", "nomatch", "every observed file has a name", M_NOT_EXISTS),
        ("[NOT EXISTS file:size]", "nomatch", "every observed file has a size", M_NOT_EXISTS),
        ("[EXISTS file:name AND file:size = 1024]", "match", "EXISTS AND a comparison",
         M_EXISTS_AND),
        ("[file:size = 1024 AND EXISTS file:hashes.MD5]", "match", "a comparison AND EXISTS",
         M_EXISTS_AND),
        ("[EXISTS file:name OR file:size = 1]", "match", "EXISTS OR a false comparison",
         None),
        ("[EXISTS file:name OR file:size = 1024]", "match", "EXISTS OR a true comparison",
         M_EXISTS_AND),
        ("[EXISTS file:nope OR file:size = 1024]", "match",
         "EXISTS (false) OR a comparison", None),
    ]:
        add(p, F, exp, why, d)

    # -- network21 / network6_21 / mixed21 / split21
    N = "network21"
    for p, exp, why in [
        ("[network-traffic:src_ref.value = '10.0.0.5']", "match", "src_ref"),
        ("[network-traffic:dst_ref.value = '198.51.100.7']", "match", "dst_ref"),
        ("[network-traffic:dst_ref.value = '10.0.0.5']", "nomatch", "dst_ref, wrong value"),
        ("[network-traffic:src_ref.type = 'ipv4-addr']", "match", "type of the referent"),
        ("[network-traffic:src_ref.id = '%s']" % ip1_id, "match", "id of the referent"),
        ("[network-traffic:src_ref.resolves_to_refs[*].value = '00:11:22:33:44:55']", "match",
         "chained references"),
        ("[network-traffic:src_ref.resolves_to_refs[0].value = '00:11:22:33:44:55']", "match",
         "chained indexed reference"),
        ("[network-traffic:dst_ref.resolves_to_refs[*].value = '00:11:22:33:44:55']",
         "nomatch", "chained reference that the referent lacks"),
        ("[network-traffic:dst_port = 8080 AND network-traffic:dst_ref.value = '203.0.113.99']",
         "nomatch", "dst_ref outside object_refs does not resolve (section 9.7.4)"),
        ("[network-traffic:dst_port = 8080 AND network-traffic:dst_ref.value != '1.1.1.1']",
         "nomatch", "!= through an unresolvable reference"),
        ("[ipv4-addr:value = '203.0.113.99']", "nomatch", "an unlisted SCO is not observed"),
        ("[network-traffic:src_ref.value = '10.0.0.5' AND network-traffic:dst_ref.value = "
         "'198.51.100.7']", "match", "both references from one object"),
        ("[network-traffic:protocols[*] = 'http']", "match", "protocols list"),
        ("[network-traffic:protocols[0] = 'ipv4']", "match", "protocols[0]"),
        ("[network-traffic:protocols[2] = 'http']", "match", "protocols[2]"),
        ("[network-traffic:protocols[2] = 'tcp']", "nomatch", "protocols[2], wrong value"),
        ("[network-traffic:protocols[5] = 'x']", "nomatch", "index past the end"),
        ("[network-traffic:protocols[*] != 'ipv4']", "match", "[*] !="),
        ("[network-traffic:protocols[*] = 'tcp' AND network-traffic:protocols[*] = 'http']",
         "match", "two elements of one list"),
        ("[network-traffic:protocols[*] = 'http' AND network-traffic:dst_port = 8080]",
         "nomatch", "properties of different flows"),
        ("[network-traffic:src_port = 49152 AND network-traffic:dst_port = 443]", "match",
         "two integers of one flow"),
        ("[network-traffic:dst_port IN (80, 443)]", "match", "port IN"),
        ("[network-traffic:dst_port > 8000]", "match", "port >"),
        ("[network-traffic:dst_port NOT IN (443, 8080)]", "nomatch", "NOT IN every port"),
        ("[network-traffic:is_active = true]", "match", "boolean"),
        ("[network-traffic:start = t'2021-04-01T00:00:00Z']", "match", "timestamp"),
        ("[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = "
         "'Mozilla/5.0']", "match", "dictionary key with a hyphen"),
        ("[network-traffic:extensions.'http-request-ext'.request_header.Host = 'example.com']",
         "match", "dictionary key"),
        ("[network-traffic:extensions.'http-request-ext'.request_header.'user-agent' LIKE "
         "'Mozilla%']", "nomatch", "dictionary keys are case-sensitive"),
        ("[network-traffic:extensions.'http-request-ext'.request_method = 'get']", "match",
         "extension string"),
        ("[network-traffic:src_ref.value ISSUBSET '10.0.0.0/8']", "match", "ISSUBSET via ref"),
        ("[network-traffic:dst_ref.value ISSUBSET '10.0.0.0/8']", "nomatch",
         "ISSUBSET via ref, outside"),
        ("[network-traffic:src_ref.value NOT ISSUBSET '10.0.0.0/8']", "match",
         "NOT ISSUBSET via ref"),
        ("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", "match", "ISSUBSET"),
        ("[ipv4-addr:resolves_to_refs[*].value = '00:11:22:33:44:55']", "match",
         "ipv4 resolves_to_refs"),
        ("[mac-addr:value = '00:11:22:33:44:55']", "match", "mac-addr"),
        ("[EXISTS network-traffic:extensions.'http-request-ext']", "match", "EXISTS extension"),
        ("[EXISTS network-traffic:src_ref.value]", "match", "EXISTS through a reference"),
        ("[network-traffic:src_ref.value = '10.0.0.5'] AND [network-traffic:dst_port = 8080]",
         "nomatch", "observation AND within one observed-data"),
    ]:
        add(p, N, exp, why)
    N6 = "network6_21"
    for p, exp, why, d in [
        ("[network-traffic:src_ref.value = '2001:db8::10']", "match", "IPv6 src_ref", None),
        ("[network-traffic:dst_ref.type = 'ipv6-addr']", "match", "IPv6 referent type", None),
        ("[network-traffic:protocols[*] = 'dns' AND network-traffic:dst_port = 53]", "match",
         "DNS flow", None),
        ("[ipv6-addr:value = '2001:db8::10']", "match", "IPv6 =", None),
        ("[network-traffic:src_ref.value ISSUBSET '2001:db8::/32']", "match",
         "IPv6 ISSUBSET via ref", M_IPV6),
        ("[network-traffic:dst_ref.value ISSUBSET '2001:db8:ffff::/48']", "match",
         "IPv6 ISSUBSET via ref (/48)", M_IPV6),
    ]:
        add(p, N6, exp, why, d)
    MX = "mixed21"
    for p, exp, why in [
        ("[network-traffic:src_ref.value = '203.0.113.10' AND network-traffic:dst_ref.value = "
         "'198.51.100.58']", "nomatch",
         "section 9.5 example: no single flow references both addresses"),
        ("[network-traffic:src_ref.value = '203.0.113.10' OR network-traffic:dst_ref.value = "
         "'198.51.100.58']", "match", "section 9.5 example with OR"),
        ("[network-traffic:src_ref.value = '203.0.113.10' AND network-traffic:protocols[*] = "
         "'tcp']", "match", "reference and list of one flow"),
        ("[network-traffic:src_ref.value = '203.0.113.10'] AND [network-traffic:dst_ref.value = "
         "'198.51.100.58']", "nomatch", "observation AND needs two observed-data"),
        ("[file:name = 'x.dll' OR ipv4-addr:value = '203.0.113.10']", "match",
         "OR across types"),
        ("[file:name = 'x.dll' AND ipv4-addr:value = '203.0.113.10']", "nomatch",
         "AND across types"),
        ("[file:name = 'nope' OR ipv4-addr:value = '203.0.113.10']", "match",
         "OR across types, second true"),
        ("[file:name = 'x.dll' AND file:size = 77]", "match", "AND on one file"),
        ("[(file:name = 'x.dll' AND file:size = 77) OR (ipv4-addr:value = 'x' AND "
         "ipv4-addr:value = 'y')]", "match", "section 9.5 type-a/type-b shape"),
        ("[(file:name = 'x.dll' AND file:size = 78) OR (ipv4-addr:value = '198.51.100.58' AND "
         "ipv4-addr:value = '203.0.113.10')]", "nomatch",
         "neither group is satisfied by one object"),
    ]:
        add(p, MX, exp, why)
    add("[network-traffic:dst_ref.value = '192.0.2.1']", "split21", "nomatch",
        "the referent is listed by another observed-data only (section 9.7.4)")
    add("[ipv4-addr:value = '192.0.2.1']", "split21", "match",
        "the address is observed by the second observed-data")
    add("[network-traffic:dst_port = 22] AND [ipv4-addr:value = '192.0.2.1']", "split21",
        "match", "observation AND over the two observed-data")
    add("[network-traffic:dst_port = 22] FOLLOWEDBY [ipv4-addr:value = '192.0.2.1']", "split21",
        "match", "FOLLOWEDBY, one second apart")
    add("[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [network-traffic:dst_port = 22]", "split21",
        "nomatch", "FOLLOWEDBY in the wrong order")

    # -- ISSUBSET / ISSUPERSET
    for p, obs, exp, why, d in [
        ("[ipv4-addr:value ISSUBSET '192.168.0.0/16']", "ips21", "match", "address in /16", None),
        ("[ipv4-addr:value ISSUBSET '192.168.1.10/32']", "ips21", "match", "address in its /32",
         None),
        ("[ipv4-addr:value ISSUBSET '192.168.1.11/32']", "ips21", "nomatch",
         "address not in another /32", None),
        ("[ipv4-addr:value ISSUBSET '10.0.0.0/8']", "ips21", "nomatch", "no address in 10/8",
         None),
        ("[ipv4-addr:value ISSUBSET '172.16.0.0/12']", "ips21", "match", "address in /12", None),
        ("[ipv4-addr:value ISSUBSET '203.0.113.0/24']", "ips21", "match", "address in /24", None),
        ("[ipv4-addr:value ISSUBSET '203.0.113.128/25']", "ips21", "nomatch",
         "address in the other half", None),
        ("[ipv4-addr:value ISSUBSET '0.0.0.0/1']", "ips21", "nomatch", "no address below 128",
         None),
        ("[ipv4-addr:value ISSUBSET '128.0.0.0/1']", "ips21", "match", "addresses above 128",
         None),
        ("[ipv4-addr:value NOT ISSUBSET '192.168.0.0/16']", "ips21", "match", "NOT ISSUBSET",
         None),
        ("[ipv4-addr:value = '192.168.1.10' AND ipv4-addr:value ISSUBSET '192.168.1.0/24']",
         "ips21", "match", "= AND ISSUBSET", None),
        ("[ipv4-addr:value ISSUBSET '0.0.0.0/0']", "ips21", "match", "/0 contains everything",
         M_SLASH0),
        ("[ipv4-addr:value ISSUBSET '192.168.1.10']", "ips21", "match",
         "identical single addresses", M_SINGLE_IP),
        ("[ipv4-addr:value ISSUPERSET '192.168.1.10']", "ips21", "match",
         "identical single addresses (ISSUPERSET)", M_SINGLE_IP),
        ("[ipv4-addr:value ISSUPERSET '172.16.5.4/32']", "ips21", "match",
         "single address and its /32", M_SINGLE_IP),
        ("[ipv4-addr:value ISSUBSET '10.0.0.0/33']", "ips21", "error",
         "invalid prefix length: stix2-matcher raises", None),
        ("[ipv4-addr:value ISSUBSET 'not-an-ip']", "ips21", "error",
         "constant is not a subnet: stix2-matcher raises", None),
        ("[ipv4-addr:value ISSUBSET '172.16.0.0/12']", "cidrs21", "match", "/24 inside /12",
         None),
        ("[ipv4-addr:value ISSUBSET '10.0.0.0/9']", "cidrs21", "nomatch",
         "a /8 is not inside a /9", None),
        ("[ipv4-addr:value ISSUBSET '10.0.0.0/8']", "cidrs21", "match", "identical subnets",
         None),
        ("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", "cidrs21", "match", "/25 inside /24",
         None),
        ("[ipv4-addr:value ISSUPERSET '10.1.2.3']", "cidrs21", "match", "/8 contains an address",
         None),
        ("[ipv4-addr:value ISSUPERSET '10.1.2.0/24']", "cidrs21", "match", "/8 contains a /24",
         None),
        ("[ipv4-addr:value ISSUPERSET '11.0.0.0/24']", "cidrs21", "nomatch",
         "no block contains 11.0.0.0/24", None),
        ("[ipv4-addr:value ISSUPERSET '172.16.5.128/25']", "cidrs21", "match",
         "/24 contains its upper /25", None),
        ("[ipv4-addr:value ISSUPERSET '172.16.0.0/16']", "cidrs21", "nomatch",
         "a /24 does not contain a /16", None),
        ("[ipv4-addr:value ISSUPERSET '198.51.100.127']", "cidrs21", "match",
         "last address of a /25", None),
        ("[ipv4-addr:value ISSUPERSET '198.51.100.128']", "cidrs21", "nomatch",
         "first address after a /25", None),
        ("[ipv4-addr:value NOT ISSUPERSET '10.1.2.3']", "cidrs21", "match", "NOT ISSUPERSET",
         None),
        ("[ipv4-addr:value ISSUPERSET '10.0.0.0/8']", "cidrs21", "match",
         "identical subnets (ISSUPERSET)", None),
        ("[ipv6-addr:value = '2001:db8::1']", "ips6_21", "match", "IPv6 =", None),
        ("[ipv6-addr:value ISSUBSET '2001:db8::/32']", "ips6_21", "match", "IPv6 ISSUBSET",
         M_IPV6),
        ("[ipv6-addr:value ISSUBSET '2001:db8:ab00::/40']", "ips6_21", "match",
         "IPv6 /48 inside a /40", M_IPV6),
        ("[ipv6-addr:value ISSUPERSET '2001:db8:abcd:1::/64']", "ips6_21", "match",
         "IPv6 /48 contains a /64", M_IPV6),
        ("[ipv6-addr:value NOT ISSUBSET '2001:db8::/32']", "ips6_21", "nomatch",
         "IPv6 NOT ISSUBSET, every address inside", M_IPV6),
        ("[ipv6-addr:value ISSUBSET '2001:db9::/32']", "ips6_21", "nomatch",
         "IPv6 ISSUBSET, outside", M_IPV6),
    ]:
        add(p, obs, exp, why, d)

    # -- email21
    E = "email21"
    for p, exp, why, d in [
        ("[email-message:from_ref.value = 'alice@example.com']", "match", "from_ref", None),
        ("[email-message:from_ref.value MATCHES %s]" % lit(".+\\@example\\.com$"), "match",
         "section 9.8 regex example", None),
        ("[email-message:from_ref.display_name = 'Alice']", "match", "from_ref display name",
         None),
        ("[email-message:to_refs[*].value = 'carol@example.net']", "match", "to_refs[*]", None),
        ("[email-message:to_refs[0].value = 'bob@example.org']", "match", "to_refs[0]", None),
        ("[email-message:to_refs[1].value = 'bob@example.org']", "nomatch", "to_refs[1]", None),
        ("[email-message:to_refs[2].value = 'bob@example.org']", "nomatch",
         "to_refs index past the end", None),
        ("[email-message:to_refs.value = 'bob@example.org']", "nomatch",
         "reference list without an index step", None),
        ("[email-message:cc_refs[*].display_name = 'Dave']", "match", "cc_refs", None),
        ("[email-message:to_refs[*].display_name = 'Carol']", "nomatch",
         "property the referents lack", None),
        ("[email-message:body_multipart[*].body_raw_ref.name MATCHES %s]"
         % lit("^Final Report.+\\.exe$"), "match", "attachment name (section 9.8 example)", None),
        ("[email-message:from_ref.value MATCHES %s AND email-message:body_multipart[*]."
         "body_raw_ref.name MATCHES %s]" % (lit(".+\\@example\\.com$"),
                                             lit("^Final Report.+\\.exe$")),
         "match", "section 9.8 example", None),
        ("[email-message:body_multipart[1].body_raw_ref.size = 10240]", "match",
         "indexed MIME part reference", None),
        ("[email-message:body_multipart[0].body_raw_ref.name = 'Final Report 2021.exe']", "nomatch",
         "first MIME part has no body_raw_ref", None),
        ("[email-message:body_multipart[*].content_type LIKE 'text/plain%']", "match",
         "LIKE on a MIME part", None),
        ("[email-message:body_multipart[0].body MATCHES '^Hello']", "match",
         "MATCHES at the start of a multi-line body", None),
        ("[email-message:body_multipart[0].body MATCHES 'attachment\\\\.$']", "match",
         "MATCHES at the end of a multi-line body", None),
        ("[email-message:body_multipart[0].body LIKE 'Hello%']", "match",
         "LIKE % across the line feed of the body", M_LIKE_NL),
        ("[email-message:body_multipart[0].body LIKE '%attachment.']", "match",
         "LIKE % before the line feed", M_LIKE_NL),
        ("[email-message:from_ref.value = 'alice@example.com' AND email-message:to_refs[*].value"
         " = 'bob@example.org']", "match", "two references of one message", None),
        ("[email-message:subject = 'Quarterly report' AND email-message:is_multipart = true]",
         "match", "string and boolean", None),
        ("[email-message:date > t'2021-05-31T00:00:00Z']", "match", "date", None),
        ("[email-message:additional_header_fields.'X-Mailer' = 'Foo 1.0']", "match",
         "header dictionary", None),
        ("[email-message:additional_header_fields.Received[1] = 'from c by d']", "match",
         "header list value", None),
        ("[email-message:additional_header_fields.Received[*] LIKE 'from a%']", "match",
         "LIKE over a header list", None),
        ("[email-message:additional_header_fields.Received = 'from a by b']", "nomatch",
         "a list is not a string", None),
        ("[email-addr:value = 'dave@example.com']", "match", "email-addr", None),
        ("[email-addr:display_name = 'Alice' AND email-addr:value = 'bob@example.org']",
         "nomatch", "two different addresses", None),
        ("[file:name = 'Final Report 2021.exe']", "match", "attachment file", None),
    ]:
        add(p, E, exp, why, d)

    # -- domain21
    D = "domain21"
    for p, exp, why in [
        ("[domain-name:value = 'example.com']", "match", "domain"),
        ("[domain-name:resolves_to_refs[*].value = '198.51.100.2']", "match", "resolves_to_refs"),
        ("[domain-name:resolves_to_refs[0].value = '198.51.100.1']", "match",
         "resolves_to_refs[0]"),
        ("[domain-name:resolves_to_refs[*].resolves_to_refs[*].value = '198.51.100.1']", "match",
         "two levels of reference lists"),
        ("[domain-name:value = 'www.example.com' AND domain-name:resolves_to_refs[*].value = "
         "'example.com']", "match", "domain referring to a domain"),
        ("[domain-name:value = 'example.com' AND domain-name:resolves_to_refs[*].value = "
         "'example.com']", "nomatch", "the referent of another domain"),
        ("[domain-name:resolves_to_refs[*].type = 'domain-name']", "match", "referent type"),
        ("[url:value = 'https://www.example.com/login?next=%2Fhome']", "match", "url"),
        ("[url:value LIKE 'https://%.example.com/%']", "match", "LIKE on a url"),
        ("[url:value LIKE '%2Fhome']", "match", "LIKE % before a literal % in the value"),
        ("[url:value MATCHES '^https?://']", "match", "MATCHES on a url"),
        ("[url:value MATCHES '\\\\?next=']", "match", "escaped ? in a regex"),
        ("[url:value = 'https://www.example.com/login']", "nomatch", "url without the query"),
    ]:
        add(p, D, exp, why)

    # -- process21
    P = "process21"
    for p, exp, why in [
        ("[process:pid = 1234]", "match", "pid"),
        ("[process:child_refs[*].pid = 3456]", "match", "child_refs"),
        ("[process:child_refs[*].child_refs[*].pid = 4567]", "match", "grandchild"),
        ("[process:child_refs[*].child_refs[*].image_ref.name = 'whoami.exe']", "match",
         "three references deep"),
        ("[process:child_refs[0].command_line LIKE 'cmd.exe%']", "match", "child_refs[0]"),
        ("[process:child_refs[1].command_line = 'notepad.exe']", "match", "child_refs[1]"),
        ("[process:image_ref.name = 'explorer.exe']", "match", "image_ref"),
        ("[process:parent_ref.pid = 1234]", "match", "parent_ref"),
        ("[process:parent_ref.image_ref.name = 'explorer.exe']", "match", "parent then image"),
        ("[process:creator_user_ref.account_login = 'jdoe']", "match", "creator_user_ref"),
        ("[process:environment_variables.PATH = %s]" % lit("C:\\Windows"), "match",
         "environment dictionary"),
        ("[process:environment_variables.path = %s]" % lit("C:\\Windows"), "nomatch",
         "dictionary keys are case-sensitive"),
        ("[process:extensions.'windows-process-ext'.aslr_enabled = true]", "match",
         "extension boolean"),
        ("[process:extensions.'windows-process-ext'.priority LIKE '%NORMAL%']", "match",
         "extension LIKE"),
        ("[process:is_hidden = false]", "match", "boolean false"),
        ("[process:created_time = t'2021-07-01T12:00:00Z']", "match", "created_time"),
        ("[process:command_line MATCHES %s]" % lit("^C:\\\\Windows\\\\"), "match",
         "regex with backslashes"),
        ("[process:pid = 1234 AND process:child_refs[*].pid = 4567]", "nomatch",
         "4567 is a grandchild"),
        ("[process:pid = 2345 AND process:child_refs[*].pid = 4567]", "match", "child of 2345"),
        ("[process:child_refs[*].name = 'cmd.exe']", "nomatch", "property the children lack"),
        ("[process:pid = 1234] AND [process:pid = 2345]", "nomatch",
         "observation AND within one observed-data"),
        ("[process:pid = 1234] FOLLOWEDBY [process:pid = 2345]", "nomatch",
         "FOLLOWEDBY within one observed-data"),
        ("[user-account:user_id = '1001']", "match", "user-account"),
    ]:
        add(p, P, exp, why)

    # -- user21
    U = "user21"
    for p, exp, why in [
        ("[user-account:user_id = '1007']", "match", "user_id string"),
        ("[user-account:user_id = 1007]", "nomatch", "string = integer"),
        ("[user-account:account_login = 'peter' AND user-account:user_id != 1007]", "match",
         "string != integer (incompatible)"),
        ("[user-account:account_login = 'root' AND user-account:is_privileged = true]", "match",
         "root is privileged"),
        ("[user-account:account_login = 'peter' AND user-account:is_privileged = true]",
         "nomatch", "peter is not privileged"),
        ("[user-account:can_escalate_privs = true]", "match", "boolean"),
        ("[user-account:extensions.'unix-account-ext'.gid = 1007]", "match", "extension integer"),
        ("[user-account:extensions.'unix-account-ext'.groups[*] = 'docker']", "match",
         "extension list"),
        ("[user-account:extensions.'unix-account-ext'.groups[1] = 'docker']", "match",
         "extension list index"),
        ("[user-account:account_created < t'2020-01-01T00:00:00Z']", "match", "timestamp <"),
        ("[user-account:account_last_login = t'2021-08-01T06:30:00.25Z']", "match",
         "timestamp with fraction"),
        ("[user-account:account_last_login = t'2021-08-01T06:30:00.250000Z']", "match",
         "same instant, more digits"),
        ("[user-account:account_last_login > t'2021-08-01T06:30:00.2Z']", "match",
         "sub-second >"),
        ("[user-account:account_last_login < t'2021-08-01T06:30:00.25Z']", "nomatch",
         "sub-second <, equal"),
        ("[user-account:is_privileged = false]", "match", "boolean false"),
        ("[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND "
         "user-account:account_login = 'peter']", "match", "three comparisons on one account"),
        ("[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND "
         "user-account:account_login = 'Peter']", "nomatch", "case matters"),
        ("[user-account:account_created = t'2019-01-01T00:00:00Z' AND "
         "user-account:extensions.'unix-account-ext'.shell = '/bin/bash']", "match",
         "timestamp and extension"),
    ]:
        add(p, U, exp, why)

    # -- registry21
    R = "registry21"
    for p, exp, why in [
        ("[windows-registry-key:key = %s]"
         % lit("HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"),
         "match", "registry key with backslashes"),
        ("[windows-registry-key:key LIKE %s]" % lit("HKEY_LOCAL_MACHINE\\%"), "match",
         "LIKE on a key"),
        ("[windows-registry-key:key MATCHES %s]" % lit("(?i)\\\\currentversion\\\\run$"),
         "match", "case-insensitive regex"),
        ("[windows-registry-key:values[*].name = 'Updater']", "match", "values list"),
        ("[windows-registry-key:values[*].data LIKE '%.exe']", "match", "values data LIKE"),
        ("[windows-registry-key:values[0].data_type = 'REG_SZ']", "match", "values[0]"),
        ("[windows-registry-key:values[1].name = 'Count']", "match", "values[1]"),
        ("[windows-registry-key:values[*].name = 'Count' AND "
         "windows-registry-key:values[*].data_type = 'REG_SZ']", "match",
         "AND may use different list elements"),
        ("[windows-registry-key:values[2].name = 'Count']", "nomatch", "values past the end"),
        ("[windows-registry-key:values[*].data = 7]", "nomatch", "string data = integer"),
        ("[windows-registry-key:values[*].name != 'Updater']", "match", "[*] !="),
        ("[windows-registry-key:modified_time >= t'2021-09-09T09:09:09Z']", "match",
         "timestamp >="),
        ("[windows-registry-key:number_of_subkeys = 2]", "match", "integer"),
        ("[windows-registry-key:creator_user_ref.account_login = 'admin']", "match",
         "creator_user_ref"),
        ("[EXISTS windows-registry-key:values]", "match", "section 9.6.1 EXISTS example"),
        ("[EXISTS windows-registry-key:values[5]]", "nomatch", "EXISTS past the end"),
        ("[windows-registry-key:key = %s AND windows-registry-key:values[*].name = 'Updater']"
         % lit("HKEY_CURRENT_USER\\Software\\Empty"), "nomatch",
         "the empty key has no values"),
    ]:
        add(p, R, exp, why)

    # -- certs21 / software21
    for p, obs, exp, why in [
        ("[x509-certificate:is_self_signed = true]", "certs21", "match", "boolean"),
        ("[x509-certificate:is_self_signed = true AND x509-certificate:issuer = 'CN=WEBMAIL']",
         "certs21", "match", "boolean AND string"),
        ("[x509-certificate:is_self_signed = false AND x509-certificate:issuer = 'CN=WEBMAIL']",
         "certs21", "nomatch", "different certificates"),
        ("[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = "
         "'4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']", "certs21", "match",
         "section 9.8 example"),
        ("[x509-certificate:validity_not_before < t'2017-01-01T00:00:00Z']", "certs21", "match",
         "timestamp <"),
        ("[x509-certificate:validity_not_after > t'2029-12-31T00:00:00Z']", "certs21", "match",
         "timestamp >"),
        ("[x509-certificate:version = '3']", "certs21", "match", "version string"),
        ("[x509-certificate:version = 3]", "certs21", "nomatch", "string = integer"),
        ("[x509-certificate:x509_v3_extensions.basic_constraints LIKE '%CA:TRUE']", "certs21",
         "match", "v3 extensions dictionary"),
        ("[x509-certificate:is_self_signed IN (true)]", "certs21", "match", "boolean IN"),
        ("[x509-certificate:is_self_signed != true]", "certs21", "match",
         "boolean != (second certificate)"),
        ("[x509-certificate:hashes.'SHA-256' = '%s']" % sha256("cert-1"), "certs21", "match",
         "certificate hash"),
        ("[software:cpe LIKE 'cpe:2.3:a:microsoft:word:%']", "software21", "match", "cpe LIKE"),
        ("[software:languages[*] = 'fr']", "software21", "match", "languages list"),
        ("[software:languages = 'fr']", "software21", "nomatch", "list = string"),
        ("[software:vendor = 'Microsoft' AND software:version = '2002']", "software21", "match",
         "two strings"),
        ("[mutex:name = '__CLEANSWEEP__']", "software21", "match", "mutex"),
        ("[mutex:name LIKE '__CLEAN%']", "software21", "match", "LIKE with leading _"),
        ("[autonomous-system:number = 15139]", "software21", "match", "AS number"),
        ("[autonomous-system:number > 15000 AND autonomous-system:rir = 'ARIN']", "software21",
         "match", "integer and string"),
        ("[autonomous-system:number = '15139']", "software21", "nomatch", "integer = string"),
    ]:
        add(p, obs, exp, why)

    # -- observation operators and qualifiers (timeline21)
    T = "timeline21"
    a, b, c = "[file:name = 'a.exe']", "[file:name = 'b.exe']", "[file:name = 'c.exe']"
    dd, e, f = "[file:name = 'd.exe']", "[file:name = 'e.exe']", "[file:name = 'f.exe']"
    zz, yy = "[file:name = 'zz.exe']", "[file:name = 'yy.exe']"
    ip = "[ipv4-addr:value = '10.1.1.1']"

    def ts(hms):
        return "t'2022-01-01T%sZ'" % hms

    def ss(start, stop):
        return " START %s STOP %s" % (ts(start), ts(stop))

    for p, exp, why, d in [
        ("%s AND %s" % (a, b), "match", "observation AND", None),
        ("%s AND %s" % (a, a), "match", "a.exe was observed twice", None),
        ("%s AND %s" % (b, b), "nomatch", "b.exe was observed once", None),
        ("%s AND %s" % (dd, dd), "match", "number_observed 3 counts as three observations",
         None),
        ("%s AND %s AND %s" % (dd, dd, dd), "match", "three of number_observed 3", None),
        ("%s AND %s AND %s AND %s" % (dd, dd, dd, dd), "nomatch", "four of number_observed 3",
         None),
        ("%s OR %s" % (a, zz), "match", "observation OR", None),
        ("%s OR %s" % (zz, yy), "nomatch", "observation OR, both false", None),
        ("%s AND %s" % (a, zz), "nomatch", "observation AND, one false", None),
        ("%s AND (%s OR %s)" % (b, zz, a), "match", "AND with a parenthesised OR", None),
        ("%s REPEATS 2 TIMES" % a, "match", "REPEATS 2 over two observed-data", None),
        ("%s REPEATS 3 TIMES" % a, "nomatch", "REPEATS 3, only two", None),
        ("%s REPEATS 3 TIMES" % dd, "match", "REPEATS 3 over number_observed 3", None),
        ("%s REPEATS 4 TIMES" % dd, "nomatch", "REPEATS 4 over number_observed 3", None),
        ("%s REPEATS 1 TIMES" % b, "match", "REPEATS 1", None),
        ("(%s OR %s) REPEATS 3 TIMES" % (a, b), "match", "REPEATS over an OR", None),
        ("(%s OR %s) REPEATS 4 TIMES" % (a, b), "nomatch", "REPEATS over an OR, too many", None),
        ("[file:name LIKE '%.exe'] REPEATS 9 TIMES", "match", "nine observations in all", None),
        ("[file:name LIKE '%.exe'] REPEATS 10 TIMES", "nomatch", "not ten", None),
        ("%s FOLLOWEDBY %s" % (a, b), "match", "FOLLOWEDBY", None),
        ("%s FOLLOWEDBY %s" % (b, a), "match", "b then the second a", None),
        ("%s FOLLOWEDBY %s" % (c, a), "nomatch", "no a after c", None),
        ("%s FOLLOWEDBY %s" % (a, c), "match", "a then c", None),
        ("%s FOLLOWEDBY %s" % (e, a), "nomatch", "FOLLOWEDBY in the wrong order", None),
        ("%s FOLLOWEDBY %s" % (dd, dd), "match",
         "two observations of one observed-data have equal times", None),
        ("%s FOLLOWEDBY %s" % (b, b), "nomatch", "FOLLOWEDBY needs two observations", None),
        ("%s FOLLOWEDBY %s FOLLOWEDBY %s" % (a, b, a), "match", "a, b, a", None),
        ("%s FOLLOWEDBY %s FOLLOWEDBY %s" % (b, a, b), "nomatch", "b, a, b", None),
        ("%s FOLLOWEDBY %s" % (c, c), "nomatch", "one observation of c", None),
        ("%s FOLLOWEDBY %s" % (f, ip), "nomatch", "two SCOs of one observation", None),
        ("%s AND %s" % (f, ip), "nomatch", "observation AND of one observation", None),
        ("[file:name = 'f.exe' OR ipv4-addr:value = '10.1.1.1']", "match",
         "both SCOs in one observation, OR", None),
        ("%s FOLLOWEDBY %s REPEATS 2 TIMES" % (b, a), "nomatch",
         "REPEATS binds to the right operand: one a after b", None),
        ("%s FOLLOWEDBY %s REPEATS 2 TIMES" % (a, dd), "match", "a then two d", None),
        ("(%s FOLLOWEDBY %s) REPEATS 2 TIMES" % (a, b), "nomatch", "only one b for two pairs",
         None),
        ("(%s AND %s) WITHIN 10 SECONDS" % (a, b), "nomatch",
         "observed exactly 10 seconds apart", M_WITHIN),
        ("(%s AND %s) WITHIN 10.001 SECONDS" % (a, b), "match", "just over the span", None),
        ("(%s AND %s) WITHIN 9 SECONDS" % (a, b), "nomatch", "under the span", None),
        ("(%s AND %s) WITHIN 11 SECONDS" % (a, b), "match", "over the span", None),
        ("(%s AND %s) WITHIN 50 SECONDS" % (b, c), "nomatch",
         "interval starts exactly 50 seconds later", M_WITHIN),
        ("(%s AND %s) WITHIN 50.5 SECONDS" % (b, c), "match", "interval within reach", None),
        ("(%s AND %s) WITHIN 49 SECONDS" % (b, c), "nomatch", "interval out of reach", None),
        ("(%s AND %s) WITHIN 180 SECONDS" % (c, dd), "nomatch",
         "interval ends exactly 180 seconds before", M_WITHIN),
        ("(%s AND %s) WITHIN 181 SECONDS" % (c, dd), "match", "interval end within reach", None),
        ("(%s AND %s) WITHIN 179 SECONDS" % (c, dd), "nomatch", "interval end out of reach",
         None),
        ("(%s AND %s) WITHIN 900.5 SECONDS" % (dd, e), "nomatch",
         "fractional span exactly equal", M_WITHIN),
        ("(%s AND %s) WITHIN 900.6 SECONDS" % (dd, e), "match", "fractional span, over", None),
        ("(%s AND %s) WITHIN 900 SECONDS" % (dd, e), "nomatch", "fractional span, under", None),
        ("%s REPEATS 2 TIMES WITHIN 20 SECONDS" % a, "nomatch",
         "two a exactly 20 seconds apart", M_WITHIN),
        ("%s REPEATS 2 TIMES WITHIN 21 SECONDS" % a, "match", "two a within 21 seconds", None),
        ("%s REPEATS 2 TIMES WITHIN 19 SECONDS" % a, "nomatch", "two a not within 19 seconds",
         None),
        ("%s WITHIN 1 SECONDS" % b, "match", "WITHIN on one observation", None),
        ("(%s FOLLOWEDBY %s) WITHIN 15 SECONDS" % (a, b), "match", "FOLLOWEDBY WITHIN", None),
        ("(%s FOLLOWEDBY %s) WITHIN 15 SECONDS" % (b, a), "match",
         "FOLLOWEDBY WITHIN (b then second a)", None),
        ("(%s FOLLOWEDBY %s) WITHIN 1000 SECONDS" % (c, a), "nomatch",
         "FOLLOWEDBY fails regardless of WITHIN", None),
        ("%s REPEATS 3 TIMES WITHIN 0.5 SECONDS" % dd, "match",
         "number_observed 3 at one instant", None),
        ("(%s AND %s) WITHIN 100 SECONDS" % (a, c), "match", "a and the interval of c", None),
        ("(%s OR %s) REPEATS 2 TIMES WITHIN 10.5 SECONDS" % (a, b), "match",
         "two of a/b within 10.5 seconds", None),
        ("(%s OR %s) REPEATS 2 TIMES WITHIN 5 SECONDS" % (a, b), "nomatch",
         "no two of a/b within 5 seconds", None),
        ("(%s OR %s) WITHIN 5 SECONDS REPEATS 2 TIMES" % (a, b), "match",
         "WITHIN applies to each single observation, then REPEATS", None),
        ("(%s AND %s) WITHIN 15 SECONDS REPEATS 2 TIMES" % (a, b), "nomatch",
         "two disjoint a/b pairs need two b", None),
        ("((%s AND %s) WITHIN 11 SECONDS) AND %s" % (a, b, c), "match", "qualified group AND",
         None),
        ("%s%s" % (a, ss("00:00:00", "00:00:01")), "match", "START is inclusive", None),
        ("%s%s" % (b, ss("00:00:00", "00:00:10")), "nomatch", "STOP is exclusive", None),
        ("%s%s" % (b, ss("00:00:10", "00:00:10.001")), "match", "a one-millisecond window",
         None),
        ("%s%s" % (c, ss("00:01:30", "00:01:31")), "match",
         "window inside the observation interval", None),
        ("%s%s" % (c, ss("00:02:00", "00:03:00")), "match",
         "interval ends at START (inclusive)", None),
        ("%s%s" % (c, ss("00:02:00.001", "00:03:00")), "nomatch", "interval ends before START",
         None),
        ("%s%s" % (c, ss("00:00:00", "00:01:00")), "nomatch",
         "interval starts at STOP (exclusive)", None),
        ("%s%s" % (c, ss("00:00:00", "00:01:00.001")), "match", "interval starts before STOP",
         None),
        ("%s%s" % (a, ss("00:00:05", "00:00:25")), "match", "second a in the window", None),
        ("%s%s" % (a, ss("00:00:01", "00:00:20")), "nomatch", "no a in the window", None),
        ("%s%s" % (a, ss("00:00:00", "00:00:00")), "nomatch", "START equal to STOP", None),
        ("%s%s" % (a, ss("00:00:30", "00:00:00")), "nomatch", "START after STOP", None),
        ("(%s AND %s)%s" % (a, b, ss("00:00:00", "00:00:11")), "match",
         "START/STOP on a group", None),
        ("(%s AND %s)%s" % (a, b, ss("00:00:00", "00:00:10")), "nomatch",
         "START/STOP on a group, b excluded", None),
        ("%s%s REPEATS 2 TIMES" % (a, ss("00:00:00", "00:00:30")), "match",
         "START/STOP then REPEATS", None),
        ("%s REPEATS 2 TIMES%s" % (a, ss("00:00:00", "00:00:15")), "nomatch",
         "REPEATS then START/STOP", None),
        ("%s%s REPEATS 3 TIMES" % (dd, ss("00:05:00", "00:05:01")), "match",
         "number_observed 3 in a window", None),
        ("%s%s" % (e, ss("00:20:00.5", "00:20:00.6")), "match", "sub-second START", None),
        ("%s%s" % (e, ss("00:20:00.4", "00:20:00.5")), "nomatch", "sub-second STOP", None),
        ("%s%s" % (f, ss("00:30:15", "00:30:16")), "match", "window inside an interval", None),
        ("(%s FOLLOWEDBY %s)%s WITHIN 25 SECONDS" % (a, b, ss("00:00:00", "00:00:11")),
         "match", "FOLLOWEDBY with START/STOP and WITHIN", None),
        ("%s OR %s%s" % (zz, a, ss("00:00:00", "00:00:01")), "match",
         "qualifier binds to the second operand", None),
    ]:
        add(p, T, exp, why, d)

    # -- burst21: WITHIN and REPEATS together
    B = "burst21"
    x, y, z = "[file:name = 'x.bin']", "[file:name = 'y.bin']", "[file:name = 'z.bin']"
    for p, exp, why in [
        ("(%s AND %s) WITHIN 5 SECONDS REPEATS 2 TIMES" % (x, y), "match",
         "two x/y pairs, each within 5 seconds"),
        ("(%s AND %s) WITHIN 5 SECONDS REPEATS 3 TIMES" % (x, y), "nomatch",
         "no third pair"),
        ("(%s AND %s) WITHIN 2.5 SECONDS REPEATS 2 TIMES" % (x, y), "match",
         "pairs two seconds apart"),
        ("(%s AND %s) WITHIN 1.5 SECONDS REPEATS 2 TIMES" % (x, y), "nomatch",
         "only one pair within 1.5 seconds"),
        ("(%s AND %s) REPEATS 2 TIMES WITHIN 3.5 SECONDS" % (x, y), "match",
         "all four within 3.5 seconds"),
        ("(%s AND %s) REPEATS 2 TIMES WITHIN 2.5 SECONDS" % (x, y), "nomatch",
         "the four span 3 seconds"),
        ("%s REPEATS 3 TIMES" % z, "match", "number_observed 2 plus one"),
        ("%s REPEATS 4 TIMES" % z, "nomatch", "only three z"),
        ("%s REPEATS 3 TIMES WITHIN 10 SECONDS" % z, "nomatch", "the third z is 30 s later"),
        ("%s REPEATS 2 TIMES WITHIN 10 SECONDS" % z, "match", "two z at one instant"),
        ("%s FOLLOWEDBY %s REPEATS 2 TIMES" % (x, y), "match", "x then two y"),
        ("(%s FOLLOWEDBY %s) REPEATS 2 TIMES" % (x, y), "match", "two x-then-y pairs"),
        ("(%s FOLLOWEDBY %s) REPEATS 2 TIMES" % (y, x), "nomatch", "no x after a y"),
        ("(%s FOLLOWEDBY %s) WITHIN 60 SECONDS" % (x, z), "match", "x then z within 60 s"),
        ("(%s FOLLOWEDBY %s) WITHIN 58 SECONDS" % (x, z), "nomatch", "x then z not within 58 s"),
        ("%s AND %s AND %s AND %s AND %s" % (x, y, z, z, z), "match", "five observations"),
        ("(%s AND %s) REPEATS 2 TIMES" % (x, z), "match", "two x and two z"),
        ("(%s AND %s) REPEATS 3 TIMES" % (x, z), "nomatch", "three pairs need three x"),
        ("([file:name = 'x.bin'] OR [file:name = 'y.bin']) REPEATS 4 TIMES WITHIN 3.5 SECONDS",
         "match", "four of x/y within 3.5 seconds"),
    ]:
        add(p, B, exp, why)

    # -- STIX 2.0 observation sets (embedded objects, local references)
    for p, obs, exp, why, d in [
        ("[file:name = 'a.dll']", "files20", "match", "2.0 file", None),
        ("[file:parent_directory_ref.path = %s]" % lit("C:\\Windows"), "files20", "match",
         "2.0 local reference", None),
        ("[file:extensions.'archive-ext'.contains_refs[*].name = 'readme.txt']", "files20",
         "match", "2.0 reference list", None),
        ("[file:extensions.'archive-ext'.contains_refs[0].size = 300]", "files20", "match",
         "2.0 indexed reference", None),
        ("[file:hashes.MD5 = '%s']" % md5("a.dll"), "files20", "match", "2.0 hash", None),
        ("[file:hashes.'SHA-256' = '%s']" % sha256("a.dll"), "files20", "match",
         "2.0 quoted hash key", None),
        ("[file:size > 1000 AND file:name = 'b.zip']", "files20", "match", "2.0 AND, one object",
         None),
        ("[file:size > 1000 AND file:name = 'a.dll']", "files20", "nomatch",
         "2.0 AND, two objects", None),
        ("[directory:path LIKE %s]" % lit("C:\\%"), "files20", "match", "2.0 LIKE", None),
        ("[file:name = 'a.dll'] AND [file:name = 'b.zip']", "files20", "nomatch",
         "2.0 observation AND in one observed-data", None),
        ("[file:name = 'a.dll' OR directory:path = 'x']", "files20", "match", "2.0 OR across types",
         None),
        ("[network-traffic:src_ref.value = '10.2.3.4']", "network20", "match", "2.0 src_ref",
         None),
        ("[network-traffic:dst_ref.value ISSUBSET '10.9.0.0/16']", "network20", "match",
         "2.0 ISSUBSET", None),
        ("[network-traffic:protocols[*] = 'http']", "network20", "match", "2.0 list", None),
        ("[domain-name:resolves_to_refs[*].value = '10.9.8.7']", "network20", "match",
         "2.0 resolves_to_refs", None),
        ("[ipv4-addr:value ISSUBSET '10.0.0.0/8']", "network20", "match", "2.0 ISSUBSET", None),
        ("[network-traffic:dst_port IN (80, 8080)]", "network20", "match", "2.0 IN", None),
        ("[network-traffic:src_ref.value = '10.2.3.4' AND network-traffic:dst_ref.value = "
         "'10.9.8.7']", "network20", "match", "2.0 two references of one flow", None),
        ("[network-traffic:src_ref.value = '10.9.8.7']", "network20", "nomatch",
         "2.0 wrong reference", None),
        ("[email-message:from_ref.value = 'billing@example.com']", "email20", "match",
         "2.0 from_ref", None),
        ("[email-message:to_refs[0].value LIKE '%@example.org']", "email20", "match",
         "2.0 to_refs", None),
        ("[email-message:body_multipart[1].body_raw_ref.name = 'invoice.zip']", "email20",
         "match", "2.0 body_raw_ref", None),
        ("[email-message:body_multipart[*].body = 'see attached']", "email20", "match",
         "2.0 MIME part body", None),
        ("[email-message:subject = 'Invoice' AND email-message:is_multipart = true]", "email20",
         "match", "2.0 string and boolean", None),
        ("[file:name = 'p.exe'] AND [file:name = 'q.exe']", "timeline20", "match",
         "2.0 observation AND", None),
        ("[file:name = 'p.exe'] REPEATS 3 TIMES", "timeline20", "match",
         "2.0 REPEATS with number_observed 2", None),
        ("[file:name = 'p.exe'] REPEATS 4 TIMES", "timeline20", "nomatch", "2.0 REPEATS 4",
         None),
        ("[file:name = 'q.exe'] FOLLOWEDBY [file:name = 'p.exe']", "timeline20", "match",
         "2.0 FOLLOWEDBY", None),
        ("[file:name = 'r.exe'] FOLLOWEDBY [file:name = 'q.exe']", "timeline20", "nomatch",
         "2.0 FOLLOWEDBY, wrong order", None),
        ("([file:name = 'p.exe'] AND [file:name = 'q.exe']) WITHIN 30 SECONDS", "timeline20",
         "nomatch", "2.0 WITHIN, exactly 30 seconds apart", M_WITHIN),
        ("([file:name = 'p.exe'] AND [file:name = 'q.exe']) WITHIN 31 SECONDS", "timeline20",
         "match", "2.0 WITHIN, over", None),
        ("([file:name = 'p.exe'] AND [file:name = 'q.exe']) WITHIN 29 SECONDS", "timeline20",
         "nomatch", "2.0 WITHIN, under", None),
        ("[file:name = 'r.exe' AND ipv4-addr:value = '10.5.5.5']", "timeline20", "nomatch",
         "2.0 AND across types", None),
        ("[file:name = 'r.exe' OR ipv4-addr:value = '10.5.5.5']", "timeline20", "match",
         "2.0 OR across types", None),
        ("[file:name = 'r.exe'] AND [ipv4-addr:value = '10.5.5.5']", "timeline20", "nomatch",
         "2.0 observation AND in one observed-data", None),
        ("([file:name = 'p.exe'] FOLLOWEDBY [file:name = 'r.exe']) WITHIN 61 SECONDS",
         "timeline20", "match", "2.0 FOLLOWEDBY WITHIN", None),
        ("[file:name = 'p.exe'] AND [file:name = 'p.exe'] AND [file:name = 'p.exe']",
         "timeline20", "match", "2.0 three observations of p", None),
    ]:
        add(p, obs, exp, why, d)


# ---------------------------------------------------------------------------
# Building the corpus
# ---------------------------------------------------------------------------


def section(s):
    return "\u00a79.%s" % s[2:] if s.startswith("9.") else s


def diff_row(case_id, tool, ref_says, spec_says, d):
    sec, reason = d
    return {"id": case_id, "tool": tool, "reference_says": ref_says, "spec_says": spec_says,
            "section": "STIX 2.1 " + section(sec), "reason": reason}


def build(log=print):
    """Returns {relative path: text} for every file of the corpus."""
    sets = build_sets()
    problems = []

    # -- parse cases
    hand = hand_parse_cases()
    seen = set()
    for r in hand:
        if r["pattern"] in seen:
            problems.append("duplicate hand parse case: %r" % r["pattern"])
        seen.add(r["pattern"])
    parse_rows, diffs_p = [], []
    for r in hand:
        verdict, detail = reference_validate(r["pattern"])
        want = "valid" if r["valid"] else "invalid"
        if r["diff"] is None:
            if verdict != want:
                problems.append("parse %r: stix2-patterns says %s (%s), hand verdict %s"
                                % (r["pattern"], verdict, detail, want))
            elif verdict == "valid" and spec_violations(r["pattern"]):
                problems.append("parse %r: hand verdict valid but %r"
                                % (r["pattern"], spec_violations(r["pattern"])))
        elif verdict == want:
            problems.append("parse %r: annotated as a difference but stix2-patterns agrees (%s)"
                            % (r["pattern"], want))
        parse_rows.append((r["pattern"], r["valid"], r["why"], r["diff"], verdict))
    n_rand_diff = 0
    for text, why, mutated in random_parse_cases():
        if text in seen:
            continue
        seen.add(text)
        verdict, detail = reference_validate(text)
        if verdict == "crash":
            problems.append("random %r: stix2-patterns crashed (%s)" % (text, detail))
            continue
        valid, d = verdict == "valid", None
        if valid:
            v = spec_violations(text)
            if v:
                valid = False
                d = (v[0][0], v[0][1] + "; stix2-patterns does not check this")
                n_rand_diff += 1
        if not mutated and not valid:
            problems.append("generator made an invalid pattern: %r (%s %s)"
                            % (text, verdict, detail))
        parse_rows.append((text, valid, why, d, verdict))
    out_parse = []
    for i, (pattern, valid, why, d, verdict) in enumerate(parse_rows, 1):
        cid = "p%04d" % i
        out_parse.append({"id": cid, "pattern": pattern, "valid": valid, "why": why})
        if d is not None:
            diffs_p.append(diff_row(cid, "stix2-patterns", verdict,
                                    "valid" if valid else "invalid", d))

    # -- match cases
    C = MatchCases()
    scalar_matrix(C)
    hand_match_cases(C)
    seen = set()
    out_match, diffs_m = [], []
    for i, r in enumerate(C.rows, 1):
        cid = "m%04d" % i
        key = (r["pattern"], r["observations"])
        if key in seen:
            problems.append("duplicate match case: %r on %s" % key)
        seen.add(key)
        if r["observations"] not in sets:
            problems.append("%s: unknown observation set %s" % (cid, r["observations"]))
            continue
        pverdict, pdetail = reference_validate(r["pattern"])
        if r["pdiff"] is None and pverdict != "valid":
            problems.append("match %r: stix2-patterns says %s (%s)"
                            % (r["pattern"], pverdict, pdetail))
        if r["pdiff"] is not None:
            if pverdict == "valid":
                problems.append("match %r: pdiff annotated but stix2-patterns says valid"
                                % r["pattern"])
            diffs_m.append(diff_row(cid, "stix2-patterns", pverdict, "valid", r["pdiff"]))
        mverdict, mdetail = reference_match(r["pattern"], sets[r["observations"]])
        if r["diff"] is None and mverdict != r["expect"]:
            problems.append("match %r on %s: stix2-matcher says %s %s, hand verdict %s"
                            % (r["pattern"], r["observations"], mverdict, mdetail, r["expect"]))
        if r["diff"] is not None:
            if mverdict == r["expect"]:
                problems.append("match %r on %s: annotated as a difference but stix2-matcher "
                                "agrees (%s)" % (r["pattern"], r["observations"], mverdict))
            diffs_m.append(diff_row(cid, "stix2-matcher", mverdict, r["expect"], r["diff"]))
        if r["pacto"] is not None:
            diffs_m.append(diff_row(cid, "pacto", mverdict, r["expect"], r["pacto"]))
        out_match.append({"id": cid, "pattern": r["pattern"], "observations": r["observations"],
                          "expect": r["expect"], "why": r["why"]})

    if problems:
        for p in problems:
            log("gen_patterns: " + p)
        raise SystemExit("gen_patterns: %d problem(s); nothing written" % len(problems))

    files = {
        "parse.jsonl": dump_jsonl(out_parse),
        "match.jsonl": dump_jsonl(out_match),
        "reference-differences.tsv": dump_differences(diffs_p + diffs_m),
    }
    for name, obs in sorted(sets.items()):
        files["observations/%s.json" % name] = dump_json(obs)
    log("gen_patterns: %d parse cases (%d valid), %d match cases, %d observation sets, "
        "%d documented differences (%d from random cases)"
        % (len(out_parse), sum(1 for r in out_parse if r["valid"]), len(out_match), len(sets),
           len(diffs_p) + len(diffs_m), n_rand_diff))
    return files


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=CORPUS, help="corpus directory (default: %(default)s)")
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if the files on disk differ")
    args = ap.parse_args(argv)
    try:
        import stix2matcher  # noqa: F401
        import stix2patterns  # noqa: F401
    except ImportError as exc:
        sys.exit("gen_patterns: %s; install tests/interop/requirements.txt" % exc)
    files = build()
    obs_dir = os.path.join(args.out, "observations")
    on_disk = set()
    if os.path.isdir(obs_dir):
        on_disk = {"observations/" + n for n in os.listdir(obs_dir) if n.endswith(".json")}
    stale = sorted(on_disk - set(files))
    if args.check:
        bad = []
        for rel, text in sorted(files.items()):
            path = os.path.join(args.out, rel)
            try:
                with open(path, encoding="utf-8", newline="") as fh:
                    if fh.read() != text:
                        bad.append(rel + " differs")
            except FileNotFoundError:
                bad.append(rel + " is missing")
        bad += [rel + " is not generated" for rel in stale]
        for b in bad:
            print("gen_patterns --check: " + b)
        if bad:
            print("gen_patterns --check: corpus is stale; run tests/interop/gen_patterns.py")
            return 1
        print("gen_patterns --check: corpus is up to date (%d files)" % len(files))
        return 0
    os.makedirs(obs_dir, exist_ok=True)
    for rel, text in files.items():
        with open(os.path.join(args.out, rel), "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    for rel in stale:
        os.remove(os.path.join(args.out, rel))
    print("gen_patterns: wrote %d files to %s" % (len(files), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
