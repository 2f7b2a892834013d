#!/usr/bin/env python3
"""Generate the `pacto validate` interop corpus.

Writes tests/interop/corpus/validate/{valid,invalid}/NNN-slug.json and
tests/interop/corpus/validate/cases.tsv. The hand-written core cases come from
corpus_core.py; the bulk is produced here by mutating one valid base object
per STIX type (corpus_base.py) so that each invalid case carries exactly one
problem.

The output is a pure function of the source files: no randomness, no clock,
so running the script twice leaves the tree unchanged. Files the script did
not write are removed from valid/ and invalid/ (the directories are owned by
the generator). reference-differences.tsv is maintained by hand.

Usage: python tests/interop/gen_corpus.py [--out DIR] [--check]
  --check   do not write; exit 1 if the tree differs from what would be written
"""

import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

from corpus_base import (ALL_TYPES, BASES, EXAMPLE_ID, META_TYPES, SCO_TYPES,  # noqa: E402
                         SDO_TYPES, SPEC_SECTION, SRO_TYPES, base_obj, category)
from corpus_common import (IDENTITY_ID, TLP, Case, Raw, bundle, json_text)  # noqa: E402
import corpus_core  # noqa: E402

# ---------------------------------------------------------------------------
# Mutation tables
# ---------------------------------------------------------------------------

# Values of the wrong JSON type for each property kind.
WRONG_TYPE = {
    "string": (42, "a JSON number"),
    "integer": ("42", "a string"),
    "float": ("48.85", "a string"),
    "boolean": ("true", "the string \"true\""),
    "timestamp": (1614834367, "a JSON number (epoch seconds)"),
    "identifier": (12345, "a JSON number"),
    "list-string": ("single value", "a bare string instead of a list"),
    "list-identifier": (None, "a bare identifier instead of a list"),
    "list-ov": ("single-value", "a bare string instead of a list"),
    "list-enum": ("property-extension", "a bare string instead of a list"),
    "ov": (7, "a JSON number"),
    "enum": (3, "a JSON number"),
    "dictionary": (["key", "value"], "a JSON array"),
    "hashes": ("SHA-256:abc", "a string"),
    "hex": (77, "a JSON number"),
    "binary": (12345, "a JSON number"),
    "kcp-list": (None, "a single object instead of a list"),
    "extref-list": (None, "a single object instead of a list"),
    "object": ("text", "a string"),
}

TYPE_SECTION = {
    "string": "2.14", "integer": "2.10", "float": "2.6", "boolean": "2.2",
    "timestamp": "2.15", "identifier": "2.9", "list-string": "2.12",
    "list-identifier": "2.12", "list-ov": "2.12", "list-enum": "2.12", "ov": "2.13",
    "enum": "2.4", "dictionary": "2.3", "hashes": "2.7", "hex": "2.8", "binary": "2.1",
    "kcp-list": "2.11", "extref-list": "2.5", "object": None,
}

# Malformed timestamps: (slug, value). All are invalid for any timestamp
# property (section 2.15).
BAD_TIMESTAMPS = [
    ("lowercase-t", "2021-03-04t05:06:07.890Z"),
    ("lowercase-z", "2021-03-04T05:06:07.890z"),
    ("utc-offset", "2021-03-04T05:06:07.890+00:00"),
    ("nonutc-offset", "2021-03-04T06:06:07.890+01:00"),
    ("no-timezone", "2021-03-04T05:06:07.890"),
    ("date-only", "2021-03-04"),
    ("space-separator", "2021-03-04 05:06:07.890Z"),
    ("month-13", "2021-13-04T05:06:07.890Z"),
    ("day-32", "2021-03-32T05:06:07.890Z"),
    ("april-31", "2021-04-31T05:06:07.890Z"),
    ("feb-29-non-leap", "2021-02-29T05:06:07.890Z"),
    ("hour-24", "2021-03-04T24:06:07.890Z"),
    ("minute-60", "2021-03-04T05:60:07.890Z"),
    ("second-61", "2021-03-04T05:06:61.890Z"),
    ("empty-fraction", "2021-03-04T05:06:07.Z"),
    ("comma-fraction", "2021-03-04T05:06:07,890Z"),
    ("two-digit-year", "21-03-04T05:06:07.890Z"),
    ("no-seconds", "2021-03-04T05:06Z"),
    ("trailing-space", "2021-03-04T05:06:07.890Z "),
    ("basic-format", "20210304T050607.890Z"),
    ("empty-string", ""),
    ("one-digit-month", "2021-3-04T05:06:07.890Z"),
]

# Sub-millisecond precision violations for created/modified (section 3.2).
BAD_PRECISION = [
    ("no-fraction", "2021-03-04T05:06:07Z", "has no fractional seconds"),
    ("one-digit", "2021-03-04T05:06:07.8Z", "has only one fractional digit"),
    ("two-digits", "2021-03-04T05:06:07.89Z", "has only two fractional digits"),
]


def bad_ids(type_, good):
    """Malformed identifiers for an object of `type_` whose id is `good`."""
    u = good.split("--", 1)[1]
    variant_c = u[:19] + "c" + u[20:]
    version_0 = u[:14] + "0" + u[15:]
    return [
        ("no-separator", type_ + u, "has no '--' separator"),
        ("single-hyphen", type_ + "-" + u, "uses a single hyphen as separator"),
        ("not-a-uuid", type_ + "--not-a-uuid", "has a non-UUID suffix"),
        ("short-uuid", type_ + "--" + u[:-1], "has a UUID one digit short"),
        ("uuid-without-dashes", type_ + "--" + u.replace("-", ""), "has a UUID without dashes"),
        ("uppercase-type", type_.upper() + "--" + u, "has an uppercase type prefix"),
        ("bad-variant", type_ + "--" + variant_c, "has a UUID whose variant is not RFC 4122"),
        ("version-0", type_ + "--" + version_0, "has a UUID with version nibble 0"),
        ("non-hex", type_ + "--" + u[:-1] + "g", "has a non-hex digit in the UUID"),
        ("empty-string", "", "is an empty string"),
        ("type-only", type_ + "--", "has no UUID after the separator"),
    ]


_WRONG_TARGET_TURN = [0]


def wrong_target(allowed):
    """Pick an object type that is not an allowed reference target, rotating
    through the candidates so that different properties get different
    wrong targets."""
    sdo_ok = "<sdo>" in allowed
    sco_ok = "<sco>" in allowed
    picks = []
    for cand in ["url", "indicator", "file", "relationship", "identity", "autonomous-system",
                 "marking-definition", "malware", "language-content", "software"]:
        if cand in allowed:
            continue
        if sdo_ok and category(cand) == "sdo":
            continue
        if sco_ok and category(cand) == "sco":
            continue
        picks.append(cand)
    turn = _WRONG_TARGET_TURN[0]
    _WRONG_TARGET_TURN[0] += 1
    return picks[turn % len(picks)]


def slugify(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# ---------------------------------------------------------------------------
# Generated cases
# ---------------------------------------------------------------------------


def one(slug, expected, rule, spec, note, obj):
    return Case(slug, expected, rule, spec, note, bundle(slug, obj))


def gen_base_valid():
    for t in ALL_TYPES:
        yield one("base-%s" % t, "valid", "base-object", SPEC_SECTION[t],
                  "Unmodified base %s object with most optional properties set." % t,
                  base_obj(t))


def gen_required():
    for t in ALL_TYPES:
        sec = SPEC_SECTION[t]
        for prop in BASES[t]["required"]:
            if prop == "type" and t not in ("indicator", "file", "relationship", "marking-definition"):
                continue  # dropping 'type' is covered for one type per category
            obj = base_obj(t)
            del obj[prop]
            note = "%s without its required '%s' property." % (t, prop)
            if t == "marking-definition" and prop in ("definition_type", "definition"):
                note = ("marking-definition without extensions and without '%s', which is "
                        "then required." % prop)
            yield one("%s-missing-%s" % (t, prop), "invalid", "required-property",
                      sec if prop not in ("type", "id", "created", "modified", "spec_version")
                      else "3.2", note, obj)


def gen_wrong_type():
    for t in ALL_TYPES:
        sec = SPEC_SECTION[t]
        for prop, kind in BASES[t]["props"].items():
            obj = base_obj(t)
            value, how = WRONG_TYPE[kind]
            if kind in ("list-identifier", "kcp-list", "extref-list"):
                value = obj[prop][0]
            obj[prop] = value
            yield one("%s-%s-wrong-type" % (t, prop), "invalid", "property-type", sec,
                      "%s.%s is %s; the property is of type %s." % (t, prop, how, kind), obj)


def gen_list_element_type():
    """One list element of the wrong type, for each list-of-string property."""
    for t in ALL_TYPES:
        for prop, kind in BASES[t]["props"].items():
            if kind not in ("list-string", "list-ov"):
                continue
            obj = base_obj(t)
            obj[prop] = list(obj[prop]) + [17]
            yield one("%s-%s-element-wrong-type" % (t, prop), "invalid", "property-type",
                      "2.12", "%s.%s holds a number among its strings." % (t, prop), obj)


def gen_empty():
    for t in ALL_TYPES:
        for prop, kind in BASES[t]["props"].items():
            if kind.startswith("list-") or kind in ("kcp-list", "extref-list"):
                obj = base_obj(t)
                obj[prop] = []
                yield one("%s-%s-empty-list" % (t, prop), "invalid", "empty-list", "2.12",
                          "%s.%s is an empty list." % (t, prop), obj)
            elif kind in ("dictionary", "hashes"):
                obj = base_obj(t)
                obj[prop] = {}
                yield one("%s-%s-empty-dictionary" % (t, prop), "invalid", "empty-dictionary",
                          "2.3" if kind == "dictionary" else "2.7",
                          "%s.%s is an empty dictionary." % (t, prop), obj)


def timestamp_props(t):
    props = [p for p, k in BASES[t]["props"].items() if k == "timestamp"]
    if "created" in BASES[t]["obj"]:
        props = ["created"] + (["modified"] if "modified" in BASES[t]["obj"] else []) + props
    return props


def gen_timestamps():
    counter = 0
    for t in ALL_TYPES:
        for prop in timestamp_props(t):
            kind, value = BAD_TIMESTAMPS[counter % len(BAD_TIMESTAMPS)]
            counter += 1
            obj = base_obj(t)
            obj[prop] = value
            yield one("%s-%s-timestamp-%s" % (t, prop, kind), "invalid", "timestamp-format",
                      "2.15", "%s.%s is malformed (%s): %r." % (t, prop, kind, value), obj)
    # Every malformation once on one property, so each is covered independently
    # of the rotation above.
    for kind, value in BAD_TIMESTAMPS:
        obj = base_obj("indicator")
        obj["valid_from"] = value
        yield one("indicator-valid_from-%s" % kind, "invalid", "timestamp-format", "2.15",
                  "indicator.valid_from is malformed (%s): %r." % (kind, value), obj)


def gen_precision():
    for t in SDO_TYPES + SRO_TYPES + META_TYPES:
        for prop in ("created", "modified"):
            if prop not in BASES[t]["obj"]:
                continue
            for kind, value, why in BAD_PRECISION:
                if prop == "modified":
                    if kind != "no-fraction":
                        continue
                    value = "2021-03-05T11:12:13Z"  # still later than created
                obj = base_obj(t)
                obj[prop] = value
                yield one("%s-%s-precision-%s" % (t, prop, kind), "invalid",
                          "timestamp-precision", "3.2",
                          "%s.%s %s; created/modified need at least millisecond precision."
                          % (t, prop, why), obj)


def gen_modified_before_created():
    for t in SDO_TYPES + SRO_TYPES + ["language-content", "extension-definition"]:
        obj = base_obj(t)
        obj["modified"] = "2021-03-04T05:06:07.889Z"  # one millisecond before created
        yield one("%s-modified-before-created" % t, "invalid", "modified-before-created", "3.2",
                  "%s.modified is one millisecond earlier than created." % t, obj)


def gen_ids():
    counter = 0
    for t in ALL_TYPES:
        obj = base_obj(t)
        u = obj["id"].split("--", 1)[1]
        other = "campaign" if t != "campaign" else "intrusion-set"
        obj["id"] = other + "--" + u
        yield one("%s-id-type-mismatch" % t, "invalid", "id-type-mismatch", "2.9",
                  "%s carries an id with the '%s' prefix." % (t, other), obj)
        bad = bad_ids(t, base_obj(t)["id"])
        kind, value, why = bad[counter % len(bad)]
        counter += 1
        obj = base_obj(t)
        obj["id"] = value
        yield one("%s-id-%s" % (t, kind), "invalid", "id-format", "2.9",
                  "%s.id %s." % (t, why), obj)
    for kind, value, why in bad_ids("malware", base_obj("malware")["id"]):
        obj = base_obj("malware")
        obj["id"] = value
        yield one("malware-id-all-%s" % kind, "invalid", "id-format", "2.9",
                  "malware.id %s." % why, obj)


def gen_refs():
    for t in ALL_TYPES:
        sec = SPEC_SECTION[t]
        for prop, allowed in BASES[t]["refs"].items():
            wrong = wrong_target(allowed)
            obj = base_obj(t)
            if isinstance(obj[prop], list):
                obj[prop] = list(obj[prop]) + [EXAMPLE_ID[wrong]]
            else:
                obj[prop] = EXAMPLE_ID[wrong]
            yield one("%s-%s-refers-to-%s" % (t, prop, wrong), "invalid", "ref-type", sec,
                      "%s.%s points to a %s, which is not an allowed target." % (t, prop, wrong),
                      obj)
        # A malformed reference for every reference property of the base object.
        for prop, kind in BASES[t]["props"].items():
            if kind not in ("identifier", "list-identifier"):
                continue
            obj = base_obj(t)
            bad = "identity--1234"
            if kind == "list-identifier":
                obj[prop] = list(obj[prop]) + [bad]
            else:
                obj[prop] = bad
            yield one("%s-%s-malformed-ref" % (t, prop), "invalid", "id-format", "2.9",
                      "%s.%s contains the malformed identifier %r." % (t, prop, bad), obj)
    # Common embedded references (section 3.2).
    for t in SDO_TYPES + SRO_TYPES + META_TYPES:
        obj = base_obj(t)
        obj["created_by_ref"] = EXAMPLE_ID["malware" if t != "malware" else "tool"]
        yield one("%s-created_by_ref-not-identity" % t, "invalid", "ref-type", "3.2",
                  "%s.created_by_ref points to a non-identity object." % t, obj)
    for t in ["indicator", "relationship", "file", "language-content", "url", "report"]:
        obj = base_obj(t)
        obj["object_marking_refs"] = [TLP["green"], IDENTITY_ID]
        yield one("%s-object_marking_refs-not-marking" % t, "invalid", "ref-type", "3.2",
                  "%s.object_marking_refs lists an identity id." % t, obj)


def gen_spec_version():
    for t in SDO_TYPES + SRO_TYPES + META_TYPES:
        obj = base_obj(t)
        obj["spec_version"] = "2.0"
        yield one("%s-spec_version-2-0" % t, "invalid", "spec-version", "3.2",
                  "%s says spec_version 2.0; STIX 2.1 objects must say 2.1." % t, obj)
    for slug, value, why in [("number", 2.1, "the JSON number 2.1"),
                             ("2-1-0", "2.1.0", "\"2.1.0\""), ("2", "2", "\"2\""),
                             ("21", "21", "\"21\""), ("padded", " 2.1", "\" 2.1\"")]:
        obj = base_obj("campaign")
        obj["spec_version"] = value
        yield one("campaign-spec_version-%s" % slug, "invalid", "spec-version", "3.2",
                  "campaign.spec_version is %s." % why, obj)
    for t in ["url", "file", "network-traffic"]:
        obj = base_obj(t)
        obj["spec_version"] = "2.0"
        yield one("%s-spec_version-2-0" % t, "invalid", "spec-version", "3.2",
                  "SCO %s has spec_version 2.0; when present it must be 2.1." % t, obj)
    for t in SCO_TYPES:
        obj = base_obj(t)
        del obj["spec_version"]
        yield one("%s-without-spec_version" % t, "valid", "spec-version", "3.2",
                  "%s without spec_version: the property is optional on SCOs." % t, obj)


def gen_common_props():
    """Common SDO/SRO properties on each SDO/SRO/meta type."""
    for t in SDO_TYPES + SRO_TYPES:
        obj = base_obj(t)
        obj["confidence"] = 101
        yield one("%s-confidence-101" % t, "invalid", "range", "3.2",
                  "%s.confidence is 101; the range is 0-100." % t, obj)
    for t in ["indicator", "relationship", "note", "sighting"]:
        obj = base_obj(t)
        obj["confidence"] = -1
        yield one("%s-confidence-negative" % t, "invalid", "range", "3.2",
                  "%s.confidence is -1." % t, obj)
    for value, slug, how in [(50.5, "fraction", "a non-integer number"),
                             ("50", "string", "a string")]:
        obj = base_obj("campaign")
        obj["confidence"] = value
        yield one("campaign-confidence-%s" % slug, "invalid", "property-type", "3.2",
                  "campaign.confidence is %s." % how, obj)
    for t in SDO_TYPES + SRO_TYPES:
        obj = base_obj(t)
        obj["defanged"] = True
        yield one("%s-defanged" % t, "invalid", "defanged-sco-only", "3.2",
                  "defanged is only allowed on SCOs but appears on %s." % t, obj)
    for t in ["campaign", "relationship", "language-content"]:
        obj = base_obj(t)
        obj["revoked"] = "false"
        yield one("%s-revoked-wrong-type" % t, "invalid", "property-type", "3.2",
                  "%s.revoked is the string \"false\"." % t, obj)
    for t in ["indicator", "sighting", "extension-definition"]:
        obj = base_obj(t)
        obj["labels"] = []
        yield one("%s-labels-empty" % t, "invalid", "empty-list", "2.12",
                  "%s.labels is an empty list." % t, obj)
        obj = base_obj(t)
        obj["labels"] = "label"
        yield one("%s-labels-wrong-type" % t, "invalid", "property-type", "3.2",
                  "%s.labels is a bare string." % t, obj)
    for t in ["malware", "relationship", "file", "marking-definition"]:
        obj = base_obj(t)
        obj["object_marking_refs"] = []
        yield one("%s-object_marking_refs-empty" % t, "invalid", "empty-list", "2.12",
                  "%s.object_marking_refs is an empty list." % t, obj)
    for t in ["tool", "sighting", "language-content"]:
        obj = base_obj(t)
        obj["external_references"] = []
        yield one("%s-external_references-empty" % t, "invalid", "empty-list", "2.12",
                  "%s.external_references is an empty list." % t, obj)
        obj = base_obj(t)
        obj["granular_markings"] = []
        yield one("%s-granular_markings-empty" % t, "invalid", "empty-list", "2.12",
                  "%s.granular_markings is an empty list." % t, obj)
    for t in ["indicator", "file", "relationship"]:
        obj = base_obj(t)
        obj["extensions"] = {}
        yield one("%s-extensions-empty" % t, "invalid", "empty-dictionary", "2.3",
                  "%s.extensions is an empty dictionary." % t, obj)


def gen_time_order():
    pairs = [
        ("campaign", "first_seen", "last_seen", "4.2"),
        ("infrastructure", "first_seen", "last_seen", "4.8"),
        ("intrusion-set", "first_seen", "last_seen", "4.9"),
        ("malware", "first_seen", "last_seen", "4.11"),
        ("threat-actor", "first_seen", "last_seen", "4.17"),
        ("observed-data", "first_observed", "last_observed", "4.14"),
        ("sighting", "first_seen", "last_seen", "5.2"),
        ("network-traffic", "start", "end", "6.12"),
    ]
    for t, first, last, sec in pairs:
        obj = base_obj(t)
        obj[last] = "2020-05-31T23:59:59.999Z"  # just before T_EARLY
        yield one("%s-%s-before-%s" % (t, last, first), "invalid", "time-order", sec,
                  "%s.%s is earlier than %s." % (t, last, first), obj)
        obj = base_obj(t)
        obj[last] = obj[first]
        yield one("%s-%s-equals-%s" % (t, last, first), "valid", "time-order", sec,
                  "%s.%s equal to %s is allowed (greater than or equal)." % (t, last, first), obj)
    strict = [("indicator", "valid_from", "valid_until", "4.7"),
              ("relationship", "start_time", "stop_time", "5.1")]
    for t, first, last, sec in strict:
        obj = base_obj(t)
        obj[last] = obj[first]
        yield one("%s-%s-equals-%s" % (t, last, first), "invalid", "time-order", sec,
                  "%s.%s must be strictly later than %s; here they are equal." % (t, last, first),
                  obj)
        obj = base_obj(t)
        obj[last] = "2020-05-31T23:59:59Z"
        yield one("%s-%s-before-%s" % (t, last, first), "invalid", "time-order", sec,
                  "%s.%s is earlier than %s." % (t, last, first), obj)
        obj = base_obj(t)
        obj[last] = "2020-06-01T00:00:00.001Z"
        yield one("%s-%s-one-ms-after-%s" % (t, last, first), "valid", "time-order", sec,
                  "%s.%s one millisecond after %s is fine." % (t, last, first), obj)


def gen_closed_vocab():
    cases = [
        ("opinion", ["opinion"], "Agree", "4.15", "opinion-enum value in the wrong case"),
        ("opinion", ["opinion"], "somewhat-agree", "4.15", "value not in opinion-enum"),
        ("artifact", ["encryption_algorithm"], "aes-256-gcm", "6.1",
         "encryption-algorithm-enum value in the wrong case"),
        ("artifact", ["encryption_algorithm"], "RSA", "6.1",
         "value not in encryption-algorithm-enum"),
        ("extension-definition", ["extension_types"], ["property-extension", "new-thing"],
         "7.3", "value not in extension-type-enum"),
        ("extension-definition", ["extension_types"], ["Property-Extension"],
         "7.3", "extension-type-enum value in the wrong case"),
        ("windows-registry-key", ["values", 0, "data_type"], "REG_STRING", "6.17",
         "value not in windows-registry-datatype-enum"),
        ("windows-registry-key", ["values", 0, "data_type"], "reg_sz", "6.17",
         "windows-registry-datatype-enum value in the wrong case"),
    ]
    for t, path, value, sec, why in cases:
        obj = base_obj(t)
        target = obj
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        yield one("%s-%s-%s" % (t, "-".join(str(p) for p in path), slugify(str(value))),
                  "invalid", "closed-vocab", sec, "%s.%s: %s." % (t, path[-1], why), obj)
    for value in ["strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"]:
        obj = base_obj("opinion")
        obj["opinion"] = value
        yield one("opinion-valid-value-%s" % value, "valid", "closed-vocab", "4.15",
                  "opinion %r is a member of opinion-enum." % value, obj)
    for value in ["AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated"]:
        obj = base_obj("artifact")
        obj["encryption_algorithm"] = value
        yield one("artifact-encryption-%s" % slugify(value), "valid", "closed-vocab", "6.1",
                  "encryption_algorithm %r is a member of the enumeration." % value, obj)


def gen_custom_names():
    """Custom property names (sections 3.1 and 11.1) on one object per category."""
    bad = [
        ("uppercase", "x_Acme_score", "contains uppercase letters"),
        ("hyphen", "x-acme-score", "contains hyphens"),
        ("two-chars", "xa", "is only two characters long"),
        ("too-long", "x_" + "a" * 249, "is 251 characters long"),
        ("leading-digit", "9x_acme", "does not begin with a letter"),
        ("leading-underscore", "_x_acme", "does not begin with a letter"),
        ("space", "x_acme score", "contains a space"),
        ("non-ascii", "x_acme_\u00e9cart", "contains a non-ASCII letter"),
        ("dot", "x_acme.score", "contains a dot"),
    ]
    carriers = ["indicator", "relationship", "url", "marking-definition"]
    for i, (slug, name, why) in enumerate(bad):
        for t in carriers if i < 4 else carriers[:2]:
            obj = base_obj(t)
            obj[name] = "v"
            yield one("%s-custom-property-%s" % (t, slug), "invalid", "property-name-form",
                      "11.1", "Custom property name on %s %s." % (t, why), obj)
    good = [("min-length", "x_a"), ("max-length", "x_" + "a" * 248),
            ("digits", "x_acme_2nd_score"), ("no-x-prefix", "acme_score")]
    for slug, name in good:
        for t in ["indicator", "file"]:
            obj = base_obj(t)
            obj[name] = 1
            yield one("%s-custom-property-%s" % (t, slug), "valid", "property-name-form", "11.1",
                      "Custom property %r (%d characters) on %s is well formed." % (
                          name if len(name) < 20 else name[:12] + "...", len(name), t), obj)


def gen_reserved():
    for name in ["severity", "username", "phone_number", "action"]:
        for t in ["indicator", "course-of-action"] if name == "action" else ["indicator"]:
            obj = base_obj(t)
            obj[name] = "x"
            yield one("%s-reserved-%s" % (t, name), "invalid", "reserved-name", "3.8",
                      "'%s' is a reserved property name and must not appear." % name, obj)


def gen_ranges():
    specs = [
        ("location", "latitude", 90.5, "invalid", "4.10", "above 90"),
        ("location", "latitude", -90.000001, "invalid", "4.10", "below -90"),
        ("location", "longitude", 180.25, "invalid", "4.10", "above 180"),
        ("location", "longitude", -181, "invalid", "4.10", "below -180"),
        ("location", "latitude", 90, "valid", "4.10", "exactly 90 (inclusive bound)"),
        ("location", "latitude", -90.0, "valid", "4.10", "exactly -90.0"),
        ("location", "longitude", 180, "valid", "4.10", "exactly 180"),
        ("location", "longitude", -180.0, "valid", "4.10", "exactly -180.0"),
        ("location", "precision", 0, "valid", "4.10", "zero"),
        ("observed-data", "number_observed", 0, "invalid", "4.14", "zero"),
        ("observed-data", "number_observed", -3, "invalid", "4.14", "negative"),
        ("observed-data", "number_observed", 1000000000, "invalid", "4.14", "one billion"),
        ("observed-data", "number_observed", 1, "valid", "4.14", "the lower bound 1"),
        ("observed-data", "number_observed", 999999999, "valid", "4.14",
         "the upper bound 999999999"),
        ("sighting", "count", -1, "invalid", "5.2", "negative"),
        ("sighting", "count", 1000000000, "invalid", "5.2", "one billion"),
        ("sighting", "count", 0, "valid", "5.2", "zero (not seen at all)"),
        ("sighting", "count", 999999999, "valid", "5.2", "the upper bound 999999999"),
        ("network-traffic", "src_port", -1, "invalid", "6.12", "negative"),
        ("network-traffic", "src_port", 65536, "invalid", "6.12", "65536"),
        ("network-traffic", "dst_port", 100000, "invalid", "6.12", "100000"),
        ("network-traffic", "src_port", 0, "valid", "6.12", "zero"),
        ("network-traffic", "dst_port", 65535, "valid", "6.12", "65535"),
        ("file", "size", -1, "invalid", "6.7", "negative"),
        ("file", "size", 0, "valid", "6.7", "zero"),
        ("file", "size", 9007199254740991, "valid", "2.10", "2^53-1, the largest allowed integer"),
        ("autonomous-system", "number", 9007199254740992, "invalid", "2.10",
         "2^53, outside the 54-bit signed range"),
        ("autonomous-system", "number", 9007199254740991, "valid", "2.10", "2^53-1"),
        ("process", "pid", -9007199254740992, "invalid", "2.10", "-(2^53), outside the range"),
        ("process", "pid", 0, "valid", "6.13", "zero"),
        ("x509-certificate", "subject_public_key_exponent", 18446744073709551617,
         "invalid", "2.10", "2^64+1"),
    ]
    for t, prop, value, expected, sec, why in specs:
        obj = base_obj(t)
        obj[prop] = value
        slug = "%s-%s-%s" % (t, prop, slugify(why))
        yield one(slug, expected, "range", sec, "%s.%s is %s." % (t, prop, why), obj)
    for value, expected in [(0, "valid"), (100, "valid")]:
        obj = base_obj("campaign")
        obj["confidence"] = value
        yield one("campaign-confidence-%d" % value, expected, "range", "3.2",
                  "confidence %d is inside the inclusive 0-100 range." % value, obj)


def gen_float_int():
    specs = [("sighting", "count", 2.5), ("observed-data", "number_observed", 1.5),
             ("network-traffic", "src_port", 80.5), ("file", "size", 12.25),
             ("autonomous-system", "number", 64500.1), ("process", "pid", 3.75)]
    for t, prop, value in specs:
        obj = base_obj(t)
        obj[prop] = value
        yield one("%s-%s-fractional" % (t, prop), "invalid", "property-type", "2.10",
                  "%s.%s is the non-integer number %s." % (t, prop, value), obj)


def gen_id_uniqueness():
    # Same UUID used for two objects of different types (section 2.9).
    for t1, t2 in [("indicator", "malware"), ("file", "url"), ("campaign", "relationship")]:
        a = base_obj(t1)
        b = base_obj(t2)
        b["id"] = t2 + "--" + a["id"].split("--", 1)[1]
        slug = "uuid-reused-%s-%s" % (t1, t2)
        yield Case(slug, "invalid", "uuid-reuse", "2.9",
                   "The %s and the %s share one UUID; a producer must not reuse it across "
                   "types." % (t1, t2), bundle(slug, a, b))


GENERATORS = [gen_base_valid, gen_required, gen_wrong_type, gen_list_element_type, gen_empty,
              gen_timestamps, gen_precision, gen_modified_before_created, gen_ids, gen_refs,
              gen_spec_version, gen_common_props, gen_time_order, gen_closed_vocab,
              gen_custom_names, gen_reserved, gen_ranges, gen_float_int, gen_id_uniqueness]


def generated_cases():
    for gen in GENERATORS:
        for case in gen():
            yield case


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def render(content):
    if isinstance(content, Raw):
        text = content.text
    else:
        text = json_text(content)
    if not text.endswith("\n"):
        text += "\n"
    return text


# Generated cases are numbered from here on, so that adding a hand-written
# case does not renumber the generated ones (and vice versa).
GENERATED_START = 1001


def plan(core, generated):
    """Return {relative path: text} and the TSV text."""
    seen = set()
    for c in core + generated:
        if c.slug in seen:
            raise SystemExit("duplicate slug: " + c.slug)
        seen.add(c.slug)
    if len(core) >= GENERATED_START:
        raise SystemExit("too many core cases for the numbering scheme")
    numbered = list(enumerate(core, 1)) + list(enumerate(generated, GENERATED_START))
    width = max(4, len(str(numbered[-1][0])))
    files = {}
    rows = ["file\texpected\trule\tspec\tnote"]
    for n, c in numbered:
        name = "%0*d-%s.json" % (width, n, slugify(c.slug))
        rel = "%s/%s" % (c.expected, name)
        files[rel] = render(c.content)
        rows.append("\t".join([rel, c.expected, c.rule, c.spec, c.note]))
    return files, "\n".join(rows) + "\n"




def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "corpus", "validate"))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()

    files, tsv = plan(list(corpus_core.cases()), list(generated_cases()))
    want = dict(files)
    want["cases.tsv"] = tsv

    have = {}
    for sub in ("valid", "invalid"):
        d = os.path.join(args.out, sub)
        if os.path.isdir(d):
            for name in os.listdir(d):
                with open(os.path.join(d, name), encoding="utf-8") as fh:
                    have["%s/%s" % (sub, name)] = fh.read()
    tsv_path = os.path.join(args.out, "cases.tsv")
    if os.path.exists(tsv_path):
        with open(tsv_path, encoding="utf-8") as fh:
            have["cases.tsv"] = fh.read()

    stale = sorted(set(have) - set(want))
    changed = sorted(k for k in want if have.get(k) != want[k])
    if args.check:
        if stale or changed:
            print("corpus out of date: %d to write, %d to remove" % (len(changed), len(stale)))
            for k in (changed + stale)[:20]:
                print("  " + k)
            return 1
        print("corpus up to date (%d cases)" % (len(want) - 1))
        return 0

    for sub in ("valid", "invalid"):
        os.makedirs(os.path.join(args.out, sub), exist_ok=True)
    for rel in stale:
        os.remove(os.path.join(args.out, rel))
    for rel in changed:
        with open(os.path.join(args.out, rel), "w", encoding="utf-8", newline="\n") as fh:
            fh.write(want[rel])
    n_valid = sum(1 for k in files if k.startswith("valid/"))
    print("%d cases (%d valid, %d invalid); wrote %d files, removed %d"
          % (len(files), n_valid, len(files) - n_valid, len(changed), len(stale)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
