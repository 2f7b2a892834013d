"""Shared pieces for the `pacto validate` interop corpus.

Everything here is deterministic: identifiers are derived from fixed strings,
so regenerating the corpus gives byte-identical files.

Section numbers cited in the corpus follow STIX Version 2.1 (OASIS Standard,
June 2021). In chapter 2 of that document Open Vocabulary is 2.13, String 2.14
and Timestamp 2.15 (the 2025 errata draft inserts a section 2.13 and shifts
those by one).
"""

import copy
import hashlib
import json
import uuid

# ---------------------------------------------------------------------------
# Identifiers
# ---------------------------------------------------------------------------

# Namespace that STIX 2.1 section 2.9 fixes for deterministic SCO identifiers.
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")


def v4(key):
    """A UUIDv4-shaped UUID derived from `key` (deterministic, not random)."""
    raw = bytearray(hashlib.sha256(("pacto-corpus:" + key).encode()).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return str(uuid.UUID(bytes=bytes(raw)))


def v1_like(key):
    """A UUID with version nibble 1 (still RFC 4122 compliant)."""
    raw = bytearray(hashlib.sha256(("pacto-corpus-v1:" + key).encode()).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x10
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def sdo_id(type_, key=None):
    return "%s--%s" % (type_, v4("%s:%s" % (type_, key or "base")))


def canonical_json(value):
    """JSON text in the canonical form used for SCO id names (RFC 8785 for the
    simple values used in this corpus: sorted keys, no whitespace, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


HASH_PREFERENCE = ["MD5", "SHA-1", "SHA-256", "SHA-512"]

# ID Contributing Properties per SCO type (STIX 2.1 chapter 6).
ID_CONTRIBUTING = {
    "artifact": ["hashes", "payload_bin"],
    "autonomous-system": ["number"],
    "directory": ["path"],
    "domain-name": ["value"],
    "email-addr": ["value"],
    "email-message": ["from_ref", "subject", "body"],
    "file": ["hashes", "name", "extensions", "parent_directory_ref"],
    "ipv4-addr": ["value"],
    "ipv6-addr": ["value"],
    "mac-addr": ["value"],
    "mutex": ["name"],
    "network-traffic": ["start", "end", "src_ref", "dst_ref", "src_port",
                        "dst_port", "protocols", "extensions"],
    "process": [],
    "software": ["name", "cpe", "swid", "vendor", "version"],
    "url": ["value"],
    "user-account": ["account_type", "user_id", "account_login"],
    "windows-registry-key": ["key", "values"],
    "x509-certificate": ["hashes", "serial_number"],
}


def sco_id(obj):
    """Deterministic identifier for an SCO following STIX 2.1 section 2.9:
    UUIDv5 over the canonical JSON of its ID Contributing Properties, or a
    (here: fixed) UUIDv4 when none are present."""
    type_ = obj["type"]
    names = ID_CONTRIBUTING[type_]
    contrib = {}
    for name in names:
        if name not in obj:
            continue
        value = obj[name]
        if name == "hashes":
            for algo in HASH_PREFERENCE:
                if algo in value:
                    value = {algo: value[algo]}
                    break
            else:
                key = sorted(value)[0]
                value = {key: value[key]}
        contrib[name] = value
    if not contrib:
        return "%s--%s" % (type_, v4("sco:" + canonical_json(obj)))
    return "%s--%s" % (type_, uuid.uuid5(SCO_NAMESPACE, canonical_json(contrib)))


def with_sco_id(obj):
    obj = dict(obj)
    ident = sco_id(obj)
    out = {"type": obj.pop("type"), "spec_version": obj.pop("spec_version", "2.1"), "id": ident}
    out.update(obj)
    return out


# ---------------------------------------------------------------------------
# Timestamps and well-known objects
# ---------------------------------------------------------------------------

T_CREATED = "2021-03-04T05:06:07.890Z"
T_MODIFIED = "2021-03-05T11:12:13.456Z"
T_EARLY = "2020-06-01T00:00:00Z"
T_LATE = "2020-09-30T23:59:59Z"

IDENTITY_ID = sdo_id("identity", "creator")
# The four TLP 1.0 marking definitions, exactly as STIX 2.1 section 7.2.1.4
# fixes them.
TLP = {
    "white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}


def tlp_marking(level):
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP[level],
        "created": "2017-01-20T00:00:00.000Z",
        "definition_type": "tlp",
        "name": "TLP:%s" % level.upper(),
        "definition": {"tlp": level},
    }


def creator_identity():
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": IDENTITY_ID,
        "created": T_CREATED,
        "modified": T_CREATED,
        "name": "Pacto Corpus Authors",
        "identity_class": "organization",
    }


def bundle(slug, *objects):
    return {"type": "bundle", "id": "bundle--" + v4("bundle:" + slug), "objects": list(objects)}


class Raw:
    """Case content given as literal JSON text (for things a dict cannot hold,
    such as duplicate member names)."""

    def __init__(self, text):
        self.text = text


class Case:
    __slots__ = ("slug", "expected", "rule", "spec", "note", "content")

    def __init__(self, slug, expected, rule, spec, note, content):
        assert expected in ("valid", "invalid"), expected
        assert "\t" not in note and "\n" not in note
        self.slug = slug
        self.expected = expected
        self.rule = rule
        self.spec = spec
        self.note = note
        self.content = content


def json_text(value):
    """The JSON text the generator writes for `value`."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def deep(obj):
    return copy.deepcopy(obj)


# Hash values of the right shape for each algorithm.
MD5 = "0f343b0931126a20f133d67c2b018a3b"
SHA1 = "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
SHA512 = ("ee26b0dd4af7e749aa1a8ee3c10ae9923f618980772e473f8819a5d4940e0db2"
          "7ac185f8a0e1d5f84f88bc887fd67b143732c304cc5fa9ad8e6f57f50028a8ff")
