"""Hand-written core cases for the `pacto validate` interop corpus.

Each case is one STIX 2.1 bundle (or, where noted, a bare object) that is
either valid or carries exactly one problem. The generator (gen_corpus.py)
writes these first, then the mutation-generated bulk.

To add a case: append a Case(...) in the right group below and rerun
`python tests/interop/gen_corpus.py`.
"""

from corpus_base import (ALL_TYPES, ARTIFACT, ARTIFACT_2, DIRECTORY, FILE_2, IPV4_DST, MAC,
                         SUPPORT_SCOS, URL, base_obj)
from corpus_common import (IDENTITY_ID, MD5, SHA1, SHA256, SHA512, T_CREATED, TLP, Case, Raw,
                           bundle, creator_identity, deep, json_text, sdo_id, tlp_marking,
                           v1_like, v4, with_sco_id)

VALID, INVALID = "valid", "invalid"


def C(slug, expected, rule, spec, note, *objects, bare=None, content=None):
    if content is None:
        content = bare if bare is not None else bundle(slug, *objects)
    return Case(slug, expected, rule, spec, note, content)


def ind(**changes):
    """The base indicator with some properties replaced (None deletes)."""
    obj = base_obj("indicator")
    for k, v in changes.items():
        if v is None:
            obj.pop(k, None)
        else:
            obj[k] = v
    return obj


def obj_of(type_, **changes):
    obj = base_obj(type_)
    for k, v in changes.items():
        if v is None:
            obj.pop(k, None)
        else:
            obj[k] = v
    return obj


EXT_DEF_PROP = {
    "type": "extension-definition", "spec_version": "2.1",
    "id": "extension-definition--" + v4("ext:score"),
    "created": T_CREATED, "modified": T_CREATED, "created_by_ref": IDENTITY_ID,
    "name": "Risk score", "description": "Adds a numeric risk score.",
    "schema": "https://example.com/schemas/risk-score.json", "version": "1.2.0",
    "extension_types": ["property-extension"],
}
EXT_DEF_TOP = {
    "type": "extension-definition", "spec_version": "2.1",
    "id": "extension-definition--" + v4("ext:toplevel"),
    "created": T_CREATED, "modified": T_CREATED, "created_by_ref": IDENTITY_ID,
    "name": "Top-level triage fields", "schema": "Plain-text definition: adds triage_rank.",
    "version": "0.1.0", "extension_types": ["toplevel-property-extension"],
    "extension_properties": ["triage_rank", "triage_owner"],
}
EXT_DEF_NEW_SDO = {
    "type": "extension-definition", "spec_version": "2.1",
    "id": "extension-definition--" + v4("ext:new-sdo"),
    "created": T_CREATED, "modified": T_CREATED, "created_by_ref": IDENTITY_ID,
    "name": "Sensor summary object", "schema": "https://example.com/schemas/sensor-summary.json",
    "version": "2.0.0", "extension_types": ["new-sdo"],
}
EXT_DEF_NEW_SCO = {
    "type": "extension-definition", "spec_version": "2.1",
    "id": "extension-definition--" + v4("ext:new-sco"),
    "created": T_CREATED, "modified": T_CREATED, "created_by_ref": IDENTITY_ID,
    "name": "Cryptocurrency wallet", "schema": "https://example.com/schemas/wallet.json",
    "version": "1.0.0", "extension_types": ["new-sco"],
}
EXT_DEF_TLP2 = {
    "type": "extension-definition", "spec_version": "2.1",
    "id": "extension-definition--" + v4("ext:tlp2"),
    "created": T_CREATED, "modified": T_CREATED, "created_by_ref": IDENTITY_ID,
    "name": "TLP 2.0 (corpus copy)", "schema": "https://example.com/schemas/tlp2.json",
    "version": "1.0.0", "extension_types": ["property-extension"],
}


def tlp2_marking(level):
    return {
        "type": "marking-definition", "spec_version": "2.1",
        "id": "marking-definition--" + v4("tlp2:" + level), "created": T_CREATED,
        "created_by_ref": IDENTITY_ID, "name": "TLP:" + level.upper(),
        "extensions": {EXT_DEF_TLP2["id"]: {"extension_type": "property-extension",
                                            "tlp_2_0": level}},
    }


def statement_marking(key="copyright", text="Copyright 2021 Example Corp"):
    return {"type": "marking-definition", "spec_version": "2.1",
            "id": "marking-definition--" + v4("statement:" + key), "created": T_CREATED,
            "definition_type": "statement", "definition": {"statement": text}}


def custom_object(type_="x-acme-widget", **extra):
    obj = {"type": type_, "spec_version": "2.1", "id": "%s--%s" % (type_, v4("custom:" + type_)),
           "created": T_CREATED, "modified": T_CREATED, "name": "Widget", "x_acme_size": 3}
    obj.update(extra)
    return obj


def cases():
    out = []
    add = out.append

    # ------------------------------------------------------------------
    # Bundle structure (section 8)
    # ------------------------------------------------------------------
    everything = [creator_identity()] + [tlp_marking(l) for l in ("white", "green", "amber", "red")]
    everything += [base_obj(t) for t in ALL_TYPES] + [deep(o) for o in SUPPORT_SCOS
                                                        if o["id"] not in {base_obj(t)["id"]
                                                                           for t in ALL_TYPES}]
    add(C("kitchen-sink", VALID, "bundle-form", "8",
          "One bundle holding every base object, the four TLP markings and supporting SCOs.",
          *everything))
    add(C("bundle-without-objects", VALID, "bundle-form", "8.1",
          "A bundle may omit the optional objects property.",
          content={"type": "bundle", "id": "bundle--" + v4("bundle:no-objects")}))
    add(C("bundle-objects-empty", INVALID, "empty-list", "2.12",
          "objects is present but empty; lists must have at least one value.",
          content={"type": "bundle", "id": "bundle--" + v4("bundle:empty"), "objects": []}))
    add(C("bundle-wrong-type-value", INVALID, "bundle-form", "8.1",
          "Bundle type is 'Bundle' instead of 'bundle'.",
          content={"type": "Bundle", "id": "bundle--" + v4("bundle:caps"),
                   "objects": [creator_identity()]}))
    add(C("bundle-id-wrong-prefix", INVALID, "id-type-mismatch", "8.1",
          "Bundle id uses the 'report' prefix.",
          content={"type": "bundle", "id": "report--" + v4("bundle:prefix"),
                   "objects": [creator_identity()]}))
    add(C("bundle-missing-id", INVALID, "required-property", "8.1",
          "Bundle has no id.", content={"type": "bundle", "objects": [creator_identity()]}))
    add(C("bundle-id-not-uuid", INVALID, "id-format", "8.1",
          "Bundle id has no UUID part.",
          content={"type": "bundle", "id": "bundle--12345", "objects": [creator_identity()]}))
    add(C("bundle-objects-not-list", INVALID, "property-type", "8.1",
          "objects is a single object, not a list.",
          content={"type": "bundle", "id": "bundle--" + v4("bundle:notlist"),
                   "objects": creator_identity()}))
    add(C("bundle-objects-contains-string", INVALID, "bundle-form", "8.1",
          "objects holds a string next to a valid identity.",
          content={"type": "bundle", "id": "bundle--" + v4("bundle:string"),
                   "objects": [creator_identity(), "identity--" + v4("x")]}))
    add(C("bundle-object-without-type", INVALID, "required-property", "3.2",
          "An object in the bundle has no type property.",
          content={"type": "bundle", "id": "bundle--" + v4("bundle:notype"),
                   "objects": [{k: v for k, v in creator_identity().items() if k != "type"}]}))
    add(C("bare-indicator", VALID, "bare-object", "4.7",
          "A single valid indicator object not wrapped in a bundle.", bare=base_obj("indicator")))
    add(C("bare-file", VALID, "bare-object", "6.7",
          "A single valid file SCO not wrapped in a bundle.", bare=base_obj("file")))
    add(C("bare-indicator-missing-pattern", INVALID, "required-property", "4.7",
          "A bare indicator without its required pattern.", bare=ind(pattern=None)))
    dup = ('{\n  "type": "bundle",\n  "id": "bundle--%s",\n  "objects": [\n    {\n'
           '      "type": "campaign",\n      "spec_version": "2.1",\n'
           '      "id": "%s",\n      "created": "%s",\n      "modified": "%s",\n'
           '      "name": "Operation One",\n      "name": "Operation Two"\n    }\n  ]\n}\n'
           % (v4("bundle:dup"), sdo_id("campaign", "dup"), T_CREATED, T_CREATED))
    add(C("duplicate-member-name", INVALID, "duplicate-key", "1",
          "The campaign has the member 'name' twice; I-JSON (RFC 7493) forbids duplicate names.",
          content=Raw(dup)))
    proc = base_obj("process")
    dup_dict = json_text(bundle("duplicate-dictionary-key", proc)).replace(
        '"TEMP": "C:\\\\Windows\\\\Temp",',
        '"TEMP": "C:\\\\Windows\\\\Temp",\n            "TEMP": "D:\\\\Scratch",', 1)
    assert dup_dict.count('"TEMP"') == 2
    add(C("duplicate-dictionary-key", INVALID, "duplicate-key", "2.3",
          "environment_variables has the key 'TEMP' twice; dictionary keys must be unique.",
          content=Raw(dup_dict)))
    add(C("bundle-with-version-duplicates", VALID, "versioning", "3.6",
          "Two versions of one indicator (same id, different modified) in one bundle.",
          ind(), ind(modified="2021-03-06T00:00:00.000Z", description="Updated text.")))

    # ------------------------------------------------------------------
    # Timestamps (2.15, 3.2) — valid edge cases
    # ------------------------------------------------------------------
    add(C("created-nanoseconds", VALID, "timestamp-precision", "3.2",
          "created/modified with nanosecond precision (9 fractional digits).",
          obj_of("campaign", created="2021-03-04T05:06:07.890123456Z",
                 modified="2021-03-04T05:06:07.890123457Z")))
    add(C("created-microseconds", VALID, "timestamp-precision", "3.2",
          "created/modified with microsecond precision.",
          obj_of("malware", created="2021-03-04T05:06:07.890123Z",
                 modified="2021-03-04T05:06:07.890124Z")))
    add(C("created-twelve-digits", VALID, "timestamp-precision", "2.15",
          "Sub-second part with 12 digits; the format allows one or more digits.",
          obj_of("tool", created="2021-03-04T05:06:07.890123456789Z",
                 modified="2021-03-04T05:06:07.890123456789Z")))
    add(C("modified-equals-created", VALID, "modified-before-created", "3.2",
          "modified equal to created (first version of an object).",
          obj_of("identity", modified=T_CREATED)))
    add(C("modified-later-by-one-ns", VALID, "modified-before-created", "3.2",
          "modified one nanosecond after created.",
          obj_of("identity", created="2021-03-04T05:06:07.890000000Z",
                 modified="2021-03-04T05:06:07.890000001Z")))
    add(C("modified-earlier-in-fourth-digit", INVALID, "modified-before-created", "3.2",
          "modified is earlier than created only in the 4th fractional digit.",
          obj_of("identity", created="2021-03-04T05:06:07.8905Z",
                 modified="2021-03-04T05:06:07.8904Z")))
    add(C("leap-day", VALID, "timestamp-format", "2.15",
          "Timestamps on 29 February of a leap year.",
          obj_of("campaign", created="2024-02-29T12:00:00.000Z",
                 modified="2024-02-29T12:00:00.000Z", first_seen="2000-02-29T00:00:00Z",
                 last_seen="2024-02-29T23:59:59Z")))
    add(C("feb-29-century-non-leap", INVALID, "timestamp-format", "2.15",
          "1900-02-29 does not exist (1900 is not a leap year).",
          obj_of("campaign", first_seen="1900-02-29T00:00:00Z")))
    add(C("leap-second", VALID, "timestamp-format", "2.15",
          "RFC 3339 allows second 60; 2016-12-31T23:59:60Z was a real leap second.",
          obj_of("campaign", last_seen="2016-12-31T23:59:60Z", first_seen="2016-01-01T00:00:00Z")))
    add(C("year-0001-and-9999", VALID, "timestamp-format", "2.15",
          "Extreme four-digit years.",
          obj_of("campaign", first_seen="0001-01-01T00:00:00Z",
                 last_seen="9999-12-31T23:59:59.999999999Z")))
    add(C("valid-from-one-fraction-digit", VALID, "timestamp-format", "2.15",
          "Non created/modified timestamps need no millisecond precision.",
          ind(valid_from="2020-06-01T00:00:00.5Z")))
    add(C("created-lowercase-t-and-z", INVALID, "timestamp-format", "2.15",
          "created uses a lowercase 't' and 'z' (RFC 3339 allows it, STIX requires 'T'/'Z').",
          obj_of("campaign", created="2021-03-04t05:06:07.890z")))
    add(C("created-offset-zero", INVALID, "timestamp-format", "2.15",
          "created carries '+00:00' instead of 'Z'.",
          obj_of("indicator", created="2021-03-04T05:06:07.890+00:00")))
    add(C("created-minus-zero-offset", INVALID, "timestamp-format", "2.15",
          "created carries the RFC 3339 unknown-offset form '-00:00'.",
          obj_of("indicator", created="2021-03-04T05:06:07.890-00:00")))
    add(C("sco-timestamp-offset", INVALID, "timestamp-format", "2.15",
          "file.mtime uses a '+02:00' offset.",
          obj_of("file", mtime="2020-09-30T23:59:59+02:00")))
    add(C("nested-timestamp-bad", INVALID, "timestamp-format", "2.15",
          "x509_v3_extensions.private_key_usage_period_not_before lacks the 'Z'.",
          obj_of("x509-certificate", x509_v3_extensions={
              "basic_constraints": "CA:FALSE",
              "private_key_usage_period_not_before": "2021-01-01T00:00:00"})))

    # ------------------------------------------------------------------
    # Identifiers (2.9)
    # ------------------------------------------------------------------
    add(C("sdo-uuid-v1", VALID, "id-format", "2.9",
          "An SDO may use any RFC 4122 UUID; v4 is only recommended.",
          obj_of("identity", id="identity--" + v1_like("identity"))))
    add(C("sco-uuid-v4-with-contributing-props", VALID, "id-format", "2.9",
          "A UUIDv4 SCO id although contributing properties exist (UUIDv5 is a SHOULD).",
          obj_of("url", id="url--" + v4("url:random"))))
    add(C("sco-uuid-v5-other-namespace", VALID, "id-format", "2.9",
          "SCO id that is a UUIDv5 but not the deterministic one.",
          obj_of("domain-name", id="domain-name--6ba7b810-9dad-51d1-80b4-00c04fd430c8")))
    add(C("process-uuid-v5", INVALID, "id-format", "2.9",
          "Process has no ID contributing properties, so its id must be a UUIDv4.",
          obj_of("process", id="process--6ba7b811-9dad-51d1-80b4-00c04fd430c8")))
    em = with_sco_id({"type": "email-message", "is_multipart": False,
                      "date": "2021-03-01T10:00:00Z"})
    em["id"] = "email-message--0c57a381-2a17-5e61-8754-5ef96efb286c"
    add(C("email-message-no-contributing-uuid-v5", INVALID, "id-format", "2.9",
          "No contributing property present, so a UUIDv4 is required, but the id is a UUIDv5.",
          em))
    add(C("id-with-whitespace", INVALID, "id-format", "2.9",
          "id has a leading space.", obj_of("campaign", id=" " + base_obj("campaign")["id"])))
    add(C("ref-to-unknown-custom-type", VALID, "ref-type", "3.3",
          "object_refs may point at objects not in the bundle, including custom types.",
          obj_of("note", object_refs=["x-acme-widget--" + v4("w1"), sdo_id("campaign")])))

    # ------------------------------------------------------------------
    # Common properties: external references, kill chain, markings
    # ------------------------------------------------------------------
    add(C("extref-source-name-only", INVALID, "external-reference", "2.5.2",
          "An external reference with only source_name.",
          obj_of("campaign", external_references=[{"source_name": "acme"}])))
    add(C("extref-missing-source-name", INVALID, "required-property", "2.5.1",
          "An external reference without source_name.",
          obj_of("campaign", external_references=[{"url": "https://example.com/r"}])))
    add(C("extref-description-only", VALID, "external-reference", "2.5.2",
          "source_name plus description is enough.",
          obj_of("campaign", external_references=[{"source_name": "acme",
                                                    "description": "Offline report"}])))
    add(C("extref-hashes", VALID, "external-reference", "2.5",
          "External reference with url and a SHA-256 hash.",
          obj_of("campaign", external_references=[{"source_name": "acme",
                                                    "url": "https://example.com/r.pdf",
                                                    "hashes": {"SHA-256": SHA256}}])))
    add(C("extref-hash-key-too-short", INVALID, "hash-key", "2.7",
          "Hash key 'md' is shorter than the 3-character minimum.",
          obj_of("campaign", external_references=[{"source_name": "acme",
                                                    "url": "https://example.com/r.pdf",
                                                    "hashes": {"md": MD5}}])))
    add(C("extref-url-wrong-type", INVALID, "property-type", "2.5.1",
          "external_references[0].url is a number.",
          obj_of("campaign", external_references=[{"source_name": "acme", "url": 7}])))
    add(C("capec-id-malformed", INVALID, "external-reference", "4.1",
          "A capec reference must have external_id 'CAPEC-[id]'.",
          obj_of("attack-pattern", external_references=[{"source_name": "capec",
                                                          "external_id": "163"}])))
    add(C("cve-reference", VALID, "external-reference", "4.19",
          "CVE reference in the form the spec gives.", base_obj("vulnerability")))
    add(C("kill-chain-missing-phase", INVALID, "required-property", "2.11",
          "kill_chain_phases entry without phase_name.",
          obj_of("attack-pattern", kill_chain_phases=[{"kill_chain_name": "mitre-attack"}])))
    add(C("kill-chain-missing-name", INVALID, "required-property", "2.11",
          "kill_chain_phases entry without kill_chain_name.",
          obj_of("tool", kill_chain_phases=[{"phase_name": "exploitation"}])))
    add(C("kill-chain-phase-number", INVALID, "property-type", "2.11",
          "phase_name is a number.",
          obj_of("tool", kill_chain_phases=[{"kill_chain_name": "x", "phase_name": 3}])))
    add(C("kill-chain-uppercase", VALID, "kill-chain-phase", "2.11",
          "Mixed-case kill chain names are only discouraged (SHOULD).",
          obj_of("tool", kill_chain_phases=[{"kill_chain_name": "Lockheed Martin",
                                             "phase_name": "Actions On Objectives"}])))
    add(C("object-markings-tlp", VALID, "marking", "7.2.2",
          "Indicator marked TLP:AMBER with the marking definition in the bundle.",
          tlp_marking("amber"), ind(object_marking_refs=[TLP["amber"]])))
    add(C("all-four-tlp1", VALID, "tlp-marking", "7.2.1.4",
          "The four TLP 1.0 marking definitions exactly as the spec defines them.",
          *[tlp_marking(l) for l in ("white", "green", "amber", "red")]))
    tlp_bad_id = tlp_marking("green")
    tlp_bad_id["id"] = "marking-definition--" + v4("my-own-green")
    add(C("tlp-nonstandard-id", INVALID, "tlp-marking", "7.2.1.4",
          "A TLP marking definition other than the four predefined instances.", tlp_bad_id))
    tlp_bad_created = tlp_marking("red")
    tlp_bad_created["created"] = "2020-01-01T00:00:00.000Z"
    add(C("tlp-altered-created", INVALID, "tlp-marking", "7.2.1.4",
          "The TLP:RED id with a different created timestamp is not the predefined instance.",
          tlp_bad_created))
    tlp_swapped = tlp_marking("white")
    tlp_swapped["definition"] = {"tlp": "red"}
    add(C("tlp-id-level-mismatch", INVALID, "tlp-marking", "7.2.1.4",
          "The TLP:WHITE id carrying the red level.", tlp_swapped))
    tlp_purple = tlp_marking("green")
    tlp_purple["id"] = "marking-definition--" + v4("purple")
    tlp_purple["definition"] = {"tlp": "purple"}
    tlp_purple["name"] = "TLP:PURPLE"
    add(C("tlp-unknown-level", INVALID, "tlp-marking", "7.2.1.4",
          "A made-up TLP level.", tlp_purple))
    add(C("tlp2-extension-markings", VALID, "marking", "7.2.1",
          "TLP 2.0 style marking definitions expressed with a property-extension.",
          creator_identity(), EXT_DEF_TLP2, tlp2_marking("clear"), tlp2_marking("amber+strict"),
          ind(object_marking_refs=[tlp2_marking("clear")["id"]])))
    tlp2_ext = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
    tlp2_official = []
    for level, ident in [("clear", "94868c89-83c2-464b-929b-a1a8aa3c8487"),
                         ("green", "bab4a63c-aed9-4cf5-a766-dfca5abac2bb"),
                         ("amber", "55d920b0-5e8b-4f79-9ee9-91f868d9b421"),
                         ("amber+strict", "939a9414-2ddd-4d32-a0cd-375ea402b003")]:
        tlp2_official.append({
            "type": "marking-definition", "spec_version": "2.1",
            "id": "marking-definition--" + ident, "created": "2022-10-01T00:00:00.000Z",
            "name": "TLP:" + level.upper(),
            "extensions": {tlp2_ext: {"extension_type": "property-extension", "tlp_2_0": level}}})
    add(C("tlp2-published-markings", VALID, "marking", "7.2.1",
          "The published TLP 2.0 marking definitions (extension form, no definition_type).",
          *(tlp2_official + [ind(object_marking_refs=[tlp2_official[3]["id"]])])))
    tlp2_dt = deep(tlp2_official[0])
    tlp2_dt["definition_type"] = "TLP:CLEAR"
    add(C("tlp2-with-definition-type", VALID, "open-vocab", "7.2.1",
          "Extension-form marking that also carries definition_type 'TLP:CLEAR' (an open "
          "vocabulary value).", tlp2_dt))
    add(C("statement-marking", VALID, "marking", "7.2.1.3",
          "A statement marking applied to an indicator.",
          statement_marking(), ind(object_marking_refs=[statement_marking()["id"]])))
    sm = statement_marking("nostatement")
    sm["definition"] = {"text": "Copyright"}
    add(C("statement-marking-without-statement", INVALID, "required-property", "7.2.1.3",
          "Statement marking whose definition lacks the required statement.", sm))
    sm = statement_marking("numstatement")
    sm["definition"] = {"statement": 2021}
    add(C("statement-marking-number", INVALID, "property-type", "7.2.1.3",
          "Statement marking whose statement is a number.", sm))
    md_def_only = statement_marking("nodeftype")
    del md_def_only["definition_type"]
    add(C("marking-definition-without-definition-type", INVALID, "required-property", "7.2.1",
          "No extensions, so definition_type is required.", md_def_only))
    md_open = statement_marking("ov")
    md_open["definition_type"] = "acme-handling"
    md_open["definition"] = {"handling": "internal only"}
    add(C("marking-definition-custom-definition-type", VALID, "open-vocab", "7.2.1",
          "definition_type is an open vocabulary (SHOULD be statement or tlp).", md_open))
    md_self = statement_marking("selfmark")
    md_self["object_marking_refs"] = [md_self["id"]]
    add(C("marking-definition-marks-itself", INVALID, "marking", "3.2",
          "A marking definition listing itself in object_marking_refs (circular).", md_self))
    md_marked = statement_marking("marked")
    md_marked["object_marking_refs"] = [TLP["green"]]
    add(C("marking-definition-marked-by-tlp", VALID, "marking", "7.2.2",
          "A marking definition may itself carry markings.", tlp_marking("green"), md_marked))
    gm_both = obj_of("campaign", granular_markings=[{"marking_ref": TLP["red"], "lang": "de",
                                                     "selectors": ["description"]}])
    add(C("granular-marking-lang-and-ref", INVALID, "granular-marking", "7.2.3",
          "A granular marking with both lang and marking_ref.", gm_both))
    add(C("granular-marking-neither", INVALID, "granular-marking", "7.2.3",
          "A granular marking with neither lang nor marking_ref.",
          obj_of("campaign", granular_markings=[{"selectors": ["description"]}])))
    add(C("granular-marking-no-selectors", INVALID, "required-property", "7.2.3",
          "A granular marking without selectors.",
          obj_of("campaign", granular_markings=[{"marking_ref": TLP["red"]}])))
    add(C("granular-marking-empty-selectors", INVALID, "empty-list", "2.12",
          "A granular marking with an empty selectors list.",
          obj_of("campaign", granular_markings=[{"marking_ref": TLP["red"], "selectors": []}])))
    add(C("granular-marking-absent-property", INVALID, "granular-marking", "7.2.3",
          "Selector 'pattern' names a property the campaign does not have.",
          obj_of("campaign", granular_markings=[{"marking_ref": TLP["red"],
                                                 "selectors": ["pattern"]}])))
    add(C("granular-marking-index-out-of-range", INVALID, "granular-marking", "7.2.3",
          "Selector 'aliases.[3]' points past the end of a one-element list.",
          obj_of("campaign", granular_markings=[{"marking_ref": TLP["red"],
                                                 "selectors": ["aliases.[3]"]}])))
    add(C("granular-marking-index-into-string", INVALID, "granular-marking", "7.2.3",
          "Selector 'description.[0]' indexes into a string.",
          obj_of("campaign", granular_markings=[{"marking_ref": TLP["red"],
                                                 "selectors": ["description.[0]"]}])))
    add(C("granular-marking-ref-not-marking", INVALID, "ref-type", "7.2.3",
          "marking_ref points to an identity.",
          obj_of("campaign", granular_markings=[{"marking_ref": IDENTITY_ID,
                                                 "selectors": ["description"]}])))
    add(C("granular-markings-not-list", INVALID, "property-type", "3.2",
          "granular_markings is a single object instead of a list.",
          obj_of("campaign", granular_markings={"marking_ref": TLP["red"],
                                                "selectors": ["description"]})))
    add(C("granular-marking-selectors-string", INVALID, "property-type", "7.2.3",
          "selectors is a bare string instead of a list of strings.",
          obj_of("campaign", granular_markings=[{"marking_ref": TLP["red"],
                                                 "selectors": "description"}])))
    add(C("granular-marking-ref-malformed", INVALID, "id-format", "2.9",
          "marking_ref is not an identifier.",
          obj_of("campaign", granular_markings=[{"marking_ref": "tlp-red",
                                                 "selectors": ["description"]}])))
    add(C("extref-element-string", INVALID, "property-type", "2.5",
          "external_references holds a URL string instead of an external-reference object.",
          obj_of("campaign", external_references=["https://example.com/report"])))
    add(C("kill-chain-element-string", INVALID, "property-type", "2.11",
          "kill_chain_phases holds a string instead of a kill-chain-phase object.",
          obj_of("attack-pattern", kill_chain_phases=["delivery"])))
    add(C("granular-markings-valid", VALID, "granular-marking", "7.2.3",
          "Granular markings with nested list and dictionary selectors and a language marking.",
          tlp_marking("amber"),
          obj_of("campaign", external_references=[{"source_name": "acme",
                                                   "url": "https://example.com/x"}],
                 granular_markings=[
                     {"marking_ref": TLP["amber"],
                      "selectors": ["description", "external_references.[0].url"]},
                     {"lang": "de", "selectors": ["aliases.[0]"]}])))
    add(C("granular-marking-on-sco", VALID, "granular-marking", "7.2.3",
          "SCOs may carry granular markings.",
          obj_of("file", granular_markings=[{"marking_ref": TLP["green"],
                                             "selectors": ["hashes.MD5", "name"]}])))

    # ------------------------------------------------------------------
    # Language (lang, language-content)
    # ------------------------------------------------------------------
    add(C("lang-region-script", VALID, "language-code", "3.2",
          "lang 'sr-Latn-RS' is a well-formed RFC 5646 tag.", obj_of("campaign", lang="sr-Latn-RS")))
    add(C("lang-en-us", VALID, "language-code", "3.2",
          "lang 'en-US'.", obj_of("campaign", lang="en-US")))
    add(C("lang-underscore", INVALID, "language-code", "3.2",
          "lang 'en_US' is not an RFC 5646 tag (underscore).", obj_of("campaign", lang="en_US")))
    add(C("lang-wrong-type", INVALID, "property-type", "3.2",
          "lang is a list.", obj_of("campaign", lang=["en"])))
    add(C("language-content-list-translation", VALID, "language-content", "7.1",
          "Partial list translation with an empty string for the untranslated item.",
          obj_of("language-content", contents={"fr": {"aliases": [""]},
                                               "ja": {"name": "静かな港作戦"}})))
    add(C("language-content-key-not-language", INVALID, "language-code", "7.1",
          "contents key 'de_DE' is not an RFC 5646 language tag (underscore).",
          obj_of("language-content", contents={"de_DE": {"name": "Hafen"}})))
    add(C("language-content-value-not-dict", INVALID, "property-type", "7.1",
          "contents['de'] is a string instead of a dictionary.",
          obj_of("language-content", contents={"de": "Operation Stiller Hafen"})))
    add(C("language-content-object-modified-mismatch-format", INVALID, "timestamp-format", "2.15",
          "object_modified is not a timestamp.",
          obj_of("language-content", object_modified="last tuesday")))

    # ------------------------------------------------------------------
    # Custom content and extensions (7.3, 11)
    # ------------------------------------------------------------------
    add(C("custom-properties-nested", VALID, "custom-property", "11.1",
          "Custom properties with nested dictionary and list values on an SDO.",
          ind(x_acme_score={"impact": "high", "history": [1, 2, 3]}, x_acme_tags=["a", "b"])))
    add(C("custom-property-on-sro", VALID, "custom-property", "11.1",
          "Custom property on a relationship.",
          obj_of("relationship", x_acme_weight=0.75)))
    add(C("custom-property-on-sco", VALID, "custom-property", "11.1",
          "Custom property on an SCO.", obj_of("url", x_acme_first_hit="2021-01-01")))
    add(C("custom-object", VALID, "custom-object", "11.2",
          "A custom object type x-acme-widget with the SDO common properties.", custom_object()))
    add(C("custom-object-no-x-prefix", VALID, "custom-object", "11.2",
          "Custom type without the x- prefix (only a SHOULD).", custom_object("acme-widget")))
    add(C("custom-object-long-type", VALID, "type-name-form", "11.2",
          "Custom object type of exactly 250 characters.",
          custom_object("x-" + "w" * 248)))
    for slug, tname, why in [
            ("uppercase", "x-Acme-widget", "contains uppercase letters"),
            ("underscore", "x_acme_widget", "contains underscores"),
            ("double-hyphen", "x-acme--widget", "contains two consecutive hyphens"),
            ("two-chars", "xw", "is only two characters"),
            ("too-long", "x-" + "w" * 249, "is 251 characters"),
            ("leading-digit", "1x-widget", "starts with a digit"),
            ("dot", "x-acme.widget", "contains a dot")]:
        add(C("custom-object-type-%s" % slug, INVALID, "type-name-form", "11.2",
              "Custom object type %s." % why, custom_object(tname)))
    co = custom_object()
    co["Widget_Size"] = 4
    add(C("custom-object-bad-property-name", INVALID, "property-name-form", "11.2",
          "Property name with uppercase letters inside a custom object.", co))
    co = custom_object()
    co["id"] = "x-acme-gadget--" + v4("gadget")
    add(C("custom-object-id-mismatch", INVALID, "id-type-mismatch", "11.2",
          "Custom object whose id prefix differs from its type.", co))
    co = custom_object()
    co["spec_version"] = "2.0"
    add(C("custom-object-spec-version-20", INVALID, "spec-version", "3.2",
          "Custom SDO-like object claiming spec_version 2.0.", co))
    add(C("extension-property-extension", VALID, "extension", "7.3",
          "property-extension used on an indicator, definition in the bundle.",
          creator_identity(), EXT_DEF_PROP,
          ind(extensions={EXT_DEF_PROP["id"]: {"extension_type": "property-extension",
                                               "rank": 5, "toxicity": 8}})))
    add(C("extension-property-extension-definition-absent", VALID, "extension", "7.3",
          "The extension definition need not be in the same bundle.",
          ind(extensions={EXT_DEF_PROP["id"]: {"extension_type": "property-extension",
                                               "rank": 5}})))
    add(C("extension-toplevel", VALID, "extension", "7.3",
          "toplevel-property-extension with extension_properties and the new properties.",
          creator_identity(), EXT_DEF_TOP,
          ind(triage_rank=1, triage_owner="team-a",
              extensions={EXT_DEF_TOP["id"]: {"extension_type": "toplevel-property-extension"}})))
    add(C("extension-new-sdo", VALID, "extension", "7.3",
          "A new SDO type defined through an extension definition.",
          creator_identity(), EXT_DEF_NEW_SDO,
          {"type": "sensor-summary", "spec_version": "2.1",
           "id": "sensor-summary--" + v4("sensor"), "created": T_CREATED,
           "modified": T_CREATED, "name": "Sensor 12 weekly", "event_count": 1200,
           "extensions": {EXT_DEF_NEW_SDO["id"]: {"extension_type": "new-sdo"}}}))
    add(C("extension-new-sco", VALID, "extension", "7.3",
          "A new SCO type defined through an extension definition.",
          creator_identity(), EXT_DEF_NEW_SCO,
          {"type": "cryptocurrency-wallet", "spec_version": "2.1",
           "id": "cryptocurrency-wallet--" + v4("wallet"), "value": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
           "extensions": {EXT_DEF_NEW_SCO["id"]: {"extension_type": "new-sco"}}}))
    add(C("extension-new-sdo-missing-modified", INVALID, "required-property", "7.3",
          "An object declared as a new SDO through its extension lacks the SDO common "
          "property modified.",
          creator_identity(), EXT_DEF_NEW_SDO,
          {"type": "sensor-summary", "spec_version": "2.1",
           "id": "sensor-summary--" + v4("sensor2"), "created": T_CREATED,
           "name": "Sensor 13 weekly",
           "extensions": {EXT_DEF_NEW_SDO["id"]: {"extension_type": "new-sdo"}}}))
    add(C("standard-type-uppercase", INVALID, "type-name-form", "3.1",
          "An object of type 'Indicator' (type names must be lowercase).",
          dict(ind(), type="Indicator", id="Indicator--" + v4("upper-indicator"))))
    add(C("extension-missing-extension-type", INVALID, "extension", "3.2",
          "Extension keyed by an extension-definition id without extension_type.",
          ind(extensions={EXT_DEF_PROP["id"]: {"rank": 5}})))
    add(C("extension-bad-extension-type", INVALID, "closed-vocab", "10.5",
          "extension_type 'property' is not in extension-type-enum.",
          ind(extensions={EXT_DEF_PROP["id"]: {"extension_type": "property", "rank": 5}})))
    add(C("extension-bad-inner-property-name", INVALID, "property-name-form", "7.3.2.1",
          "Extension property 'Rank-Score' breaks the a-z0-9_ rule.",
          ind(extensions={EXT_DEF_PROP["id"]: {"extension_type": "property-extension",
                                               "Rank-Score": 5}})))
    ed = deep(EXT_DEF_PROP)
    ed["extension_properties"] = ["rank"]
    add(C("extension-properties-without-toplevel", INVALID, "extension", "7.3.1",
          "extension_properties used although extension_types lacks toplevel-property-extension.",
          ed))
    ed = deep(EXT_DEF_PROP)
    del ed["created_by_ref"]
    add(C("extension-definition-missing-created-by", INVALID, "required-property", "7.3.1",
          "created_by_ref is required on extension-definition.", ed))
    add(C("extension-definition-hybrid", VALID, "extension", "7.3",
          "One extension definition declaring several extension types.",
          dict(deep(EXT_DEF_PROP), id="extension-definition--" + v4("ext:hybrid"),
               extension_types=["new-sdo", "new-sco", "property-extension"])))
    add(C("sco-predefined-extensions", VALID, "extension", "6.7",
          "File with archive, NTFS, PDF, raster-image and PE extensions.",
          with_sco_id({"type": "file", "name": "bundle.zip", "hashes": {"SHA-512": SHA512},
                       "extensions": {
                           "archive-ext": {"contains_refs": [FILE_2["id"], DIRECTORY["id"]],
                                           "comment": "nested"},
                           "ntfs-ext": {"sid": "S-1-5-18", "alternate_data_streams": [
                               {"name": "Zone.Identifier", "size": 26,
                                "hashes": {"SHA-256": SHA256}}]},
                           "pdf-ext": {"version": "1.7", "is_optimized": False,
                                       "document_info_dict": {"Title": "Invoice"},
                                       "pdfid0": "DFCE52BD", "pdfid1": "57A1E0F9"},
                           "raster-image-ext": {"image_height": 768, "image_width": 1024,
                                                "bits_per_pixel": 24,
                                                "exif_tags": {"Make": "Acme", "XResolution": 72}},
                           "windows-pebinary-ext": {
                               "pe_type": "exe", "imphash": MD5, "machine_hex": "014c",
                               "number_of_sections": 4, "time_date_stamp": "2016-01-22T12:31:12Z",
                               "pointer_to_symbol_table_hex": "74726144",
                               "number_of_symbols": 4542568, "size_of_optional_header": 224,
                               "characteristics_hex": "818f",
                               "optional_header": {"magic_hex": "010b", "size_of_code": 4096,
                                                   "address_of_entry_point": 4096},
                               "sections": [{"name": "CODE", "entropy": 0.061,
                                             "size": 4096, "hashes": {"SHA-256": SHA256}}]}}})))
    add(C("sco-custom-extension", VALID, "extension", "11.3",
          "Deprecated custom SCO extension 'x-acme-meta-ext'.",
          obj_of("file", extensions={"x-acme-meta-ext": {"scanner": "acme", "verdict": "clean"}})))
    add(C("sco-custom-extension-without-ext-suffix", INVALID, "extension", "11.3",
          "Custom SCO extension name must end with '-ext'.",
          obj_of("file", extensions={"x-acme-meta": {"scanner": "acme"}})))
    add(C("sco-custom-extension-empty", INVALID, "extension", "11.3",
          "A custom SCO extension must have at least one property.",
          obj_of("file", extensions={"x-acme-meta-ext": {}})))
    add(C("ntfs-ext-empty", INVALID, "at-least-one", "6.7.3",
          "ntfs-ext must contain at least one property.",
          obj_of("file", extensions={"ntfs-ext": {}})))
    add(C("pdf-ext-empty", INVALID, "at-least-one", "6.7.4",
          "pdf-ext must contain at least one property.",
          obj_of("file", extensions={"pdf-ext": {}})))
    add(C("archive-ext-missing-contains", INVALID, "required-property", "6.7.2",
          "archive-ext requires contains_refs.",
          obj_of("file", extensions={"archive-ext": {"comment": "empty"}})))
    add(C("archive-ext-contains-url", INVALID, "ref-type", "6.7.2",
          "archive-ext contains_refs must point to file or directory objects.",
          obj_of("file", extensions={"archive-ext": {"contains_refs": [URL["id"]]}})))
    add(C("pe-ext-missing-pe-type", INVALID, "required-property", "6.7.6",
          "windows-pebinary-ext requires pe_type.",
          obj_of("file", extensions={"windows-pebinary-ext": {"number_of_sections": 3}})))
    add(C("ads-missing-name", INVALID, "required-property", "6.7.3.2",
          "An alternate data stream without name.",
          obj_of("file", extensions={"ntfs-ext": {"alternate_data_streams": [{"size": 12}]}})))
    add(C("ads-negative-size", INVALID, "range", "6.7.3.2",
          "Alternate data stream size is negative.",
          obj_of("file", extensions={"ntfs-ext": {"alternate_data_streams": [
              {"name": "s", "size": -12}]}})))

    # ------------------------------------------------------------------
    # Common-data-type details (2.1, 2.3, 2.7, 2.8)
    # ------------------------------------------------------------------
    add(C("hash-md5-wrong-length", INVALID, "hash-value", "2.7",
          "MD5 value with 31 hex digits.", obj_of("file", hashes={"MD5": MD5[:-1]})))
    add(C("hash-sha256-non-hex", INVALID, "hash-value", "2.7",
          "SHA-256 value containing a 'z'.", obj_of("file", hashes={"SHA-256": SHA256[:-1] + "z"})))
    add(C("hash-value-number", INVALID, "property-type", "2.7",
          "Hash value is a number.", obj_of("file", hashes={"SHA-1": 1234})))
    add(C("hash-key-space", INVALID, "hash-key", "2.7",
          "Hash key 'SHA 256' contains a space.", obj_of("file", hashes={"SHA 256": SHA256})))
    add(C("hashes-all-vocab", VALID, "hash-value", "2.7",
          "Hashes using several hash-algorithm-ov names.",
          obj_of("file", hashes={"MD5": MD5, "SHA-1": SHA1, "SHA-256": SHA256,
                                 "SHA-512": SHA512, "SSDEEP": "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C"})))
    add(C("hex-odd-length", INVALID, "hex-format", "2.8",
          "magic_number_hex has an odd number of digits.", obj_of("file", magic_number_hex="4d5")))
    add(C("hex-non-hex", INVALID, "hex-format", "2.8",
          "magic_number_hex contains 'zz'.", obj_of("file", magic_number_hex="4dzz")))
    add(C("hex-prefixed", INVALID, "hex-format", "2.8",
          "hex value with a '0x' prefix.", obj_of("file", magic_number_hex="0x4d5a")))
    add(C("binary-not-base64", INVALID, "binary-format", "2.1",
          "payload_bin is not base64.", obj_of("artifact", payload_bin="not base64!")))
    add(C("binary-bad-padding", INVALID, "binary-format", "2.1",
          "payload_bin has a length that is not a multiple of four.",
          obj_of("artifact", payload_bin="aGVsbG8")))
    add(C("dictionary-key-with-space", INVALID, "dictionary-key", "2.3",
          "Dictionary key 'TEMP DIR' contains a space.",
          obj_of("process", environment_variables={"TEMP DIR": "C:\\Temp"})))
    add(C("dictionary-key-non-ascii", INVALID, "dictionary-key", "2.3",
          "Dictionary key with a non-ASCII letter.",
          obj_of("process", environment_variables={"R\u00c9PERTOIRE": "C:\\Temp"})))
    add(C("dictionary-key-too-long", INVALID, "dictionary-key", "2.3",
          "Dictionary key of 251 characters.",
          obj_of("process", environment_variables={"K" * 251: "v"})))
    add(C("dictionary-key-250", VALID, "dictionary-key", "2.3",
          "Dictionary key of exactly 250 characters.",
          obj_of("process", environment_variables={"K" * 250: "v"})))
    add(C("dictionary-key-mixed-case-hyphen", VALID, "dictionary-key", "2.3",
          "Keys may use uppercase letters, digits, hyphens and underscores.",
          obj_of("process", environment_variables={"Program-Files_X86": "C:\\P", "A1": "b"})))
    add(C("environment-variable-value-number", INVALID, "property-type", "6.13",
          "environment_variables values must be strings.",
          obj_of("process", environment_variables={"NUMBER_OF_PROCESSORS": 8})))
    add(C("ipfix-value-list", INVALID, "property-type", "6.12",
          "ipfix values must be integers or strings.",
          obj_of("network-traffic", ipfix={"minimumIpTotalLength": [32]})))
    add(C("header-field-single-value", VALID, "property-type", "6.6",
          "additional_header_fields value is a one-element list of strings.",
          obj_of("email-message", additional_header_fields={"X-Mailer": ["Mutt/1.5"]})))
    add(C("header-field-string-value", INVALID, "property-type", "6.6",
          "additional_header_fields values must always be lists of strings.",
          obj_of("email-message", additional_header_fields={"X-Mailer": "Mutt/1.5"})))
    add(C("float-as-integer-literal", VALID, "property-type", "2.6",
          "A float property written as a JSON integer (48, 2).",
          obj_of("location", latitude=48, longitude=2, precision=10)))

    # ------------------------------------------------------------------
    # SDO specific rules
    # ------------------------------------------------------------------
    add(C("grouping-without-name", VALID, "required-property", "4.4",
          "grouping.name is optional.", obj_of("grouping", name=None)))
    add(C("identity-minimal", VALID, "required-property", "4.5",
          "identity with only the required properties (identity_class is optional in 2.1).",
          obj_of("identity", description=None, roles=None, identity_class=None, sectors=None,
                 contact_information=None)))
    add(C("indicator-minimal", VALID, "required-property", "4.7",
          "indicator with only the required properties.",
          ind(name=None, description=None, indicator_types=None, pattern_version=None,
              valid_until=None, kill_chain_phases=None)))
    add(C("indicator-pattern-syntax", INVALID, "pattern-syntax", "9",
          "pattern_type stix with a pattern that does not parse (unbalanced bracket).",
          ind(pattern="[ipv4-addr:value = '203.0.113.42'")))
    add(C("indicator-pattern-unquoted", INVALID, "pattern-syntax", "9",
          "pattern_type stix with an unquoted string constant.",
          ind(pattern="[file:name = evil.exe]")))
    add(C("indicator-pattern-complex", VALID, "pattern-syntax", "9",
          "A STIX pattern with observation operators and qualifiers.",
          ind(pattern="([ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = "
                      "'203.0.113.33/32'] FOLLOWEDBY [domain-name:value = 'example.com']) "
                      "WITHIN 600 SECONDS")))
    add(C("indicator-snort-pattern", VALID, "open-vocab", "4.7",
          "pattern_type snort with a Snort rule; no STIX pattern parsing applies.",
          ind(pattern="alert tcp any any -> 203.0.113.42 443 (msg:\"c2\"; sid:1000001;)",
              pattern_type="snort", pattern_version="2.9")))
    add(C("indicator-custom-pattern-type", VALID, "open-vocab", "4.7",
          "pattern_type is an open vocabulary.",
          ind(pattern="rule acme { condition: true }", pattern_type="acme-rules")))
    add(C("indicator-valid-until-only-later-by-1ns", VALID, "time-order", "4.7",
          "valid_until one nanosecond after valid_from.",
          ind(valid_from="2020-06-01T00:00:00.000000000Z",
              valid_until="2020-06-01T00:00:00.000000001Z")))
    add(C("location-region-only", VALID, "at-least-one", "4.10",
          "A location with only region.",
          obj_of("location", latitude=None, longitude=None, precision=None, country=None,
                 administrative_area=None, city=None, street_address=None, postal_code=None)))
    add(C("location-country-only", VALID, "at-least-one", "4.10",
          "A location with only country.",
          obj_of("location", latitude=None, longitude=None, precision=None, region=None)))
    add(C("location-coordinates-only", VALID, "at-least-one", "4.10",
          "A location with only latitude and longitude.",
          obj_of("location", region=None, country=None, precision=None,
                 administrative_area=None, city=None, street_address=None, postal_code=None)))
    add(C("location-city-only", INVALID, "at-least-one", "4.10",
          "A location needs region, country, or latitude+longitude; this has only city.",
          obj_of("location", latitude=None, longitude=None, precision=None, region=None,
                 country=None)))
    add(C("location-latitude-without-longitude", INVALID, "co-constraint", "4.10",
          "latitude present without longitude.",
          obj_of("location", longitude=None, precision=None)))
    add(C("location-longitude-without-latitude", INVALID, "co-constraint", "4.10",
          "longitude present without latitude.",
          obj_of("location", latitude=None, precision=None)))
    add(C("location-precision-without-coordinates", INVALID, "co-constraint", "4.10",
          "precision present without latitude/longitude.",
          obj_of("location", latitude=None, longitude=None)))
    add(C("malware-family-without-name", INVALID, "co-constraint", "4.11",
          "A malware family (is_family true) must have a name.", obj_of("malware", name=None)))
    add(C("malware-instance-without-name", VALID, "co-constraint", "4.11",
          "A malware instance (is_family false) may omit name.",
          obj_of("malware", name=None, is_family=False)))
    add(C("malware-analysis-neither-result-nor-scos", INVALID, "at-least-one", "4.12",
          "One of result or analysis_sco_refs must be present.",
          obj_of("malware-analysis", result=None, analysis_sco_refs=None)))
    add(C("malware-analysis-result-only", VALID, "at-least-one", "4.12",
          "result without analysis_sco_refs.", obj_of("malware-analysis", analysis_sco_refs=None)))
    add(C("malware-analysis-scos-only", VALID, "at-least-one", "4.12",
          "analysis_sco_refs without result.", obj_of("malware-analysis", result=None)))
    add(C("observed-data-neither-objects-nor-refs", INVALID, "at-least-one", "4.14",
          "Observed data with neither objects nor object_refs.",
          obj_of("observed-data", object_refs=None)))
    add(C("observed-data-objects-and-refs", INVALID, "mutually-exclusive", "4.14",
          "Observed data with both objects and object_refs.",
          obj_of("observed-data", objects={"0": {"type": "ipv4-addr", "value": "203.0.113.42"}})))
    add(C("observed-data-deprecated-objects", VALID, "observable-container", "4.14",
          "The deprecated observable container is still valid.",
          obj_of("observed-data", object_refs=None, objects={
              "0": {"type": "ipv4-addr", "value": "198.51.100.2"},
              "1": {"type": "network-traffic", "dst_ref": "0", "protocols": ["tcp"]}})))
    add(C("observed-data-objects-empty", INVALID, "empty-dictionary", "4.14",
          "The deprecated objects container must hold at least one object.",
          obj_of("observed-data", object_refs=None, objects={})))
    add(C("observed-data-refs-only-sdo", INVALID, "ref-type", "4.14",
          "object_refs must contain at least one SCO; here it lists only an indicator.",
          obj_of("observed-data", object_refs=[sdo_id("indicator")])))
    add(C("observed-data-refs-sco-and-sro", VALID, "ref-type", "4.14",
          "object_refs with SCOs and the relationship between them.",
          obj_of("observed-data", object_refs=[IPV4_DST["id"], URL["id"], sdo_id("relationship")])))
    add(C("report-published-bad", INVALID, "timestamp-format", "2.15",
          "report.published is a date without time.",
          obj_of("report", published="2021-03-05")))
    add(C("threat-actor-open-vocab-free-text", VALID, "open-vocab", "2.13",
          "Open vocabulary values outside the suggested list are allowed.",
          obj_of("threat-actor", sophistication="pbx-advanced-activity",
                 threat_actor_types=["Hacktivist Collective"], roles=["Insider Helper"])))
    add(C("vulnerability-cve-malformed", INVALID, "external-reference", "4.19",
          "A cve reference must use external_id 'CVE-YYYY-NNNN...'.",
          obj_of("vulnerability", external_references=[{"source_name": "cve",
                                                         "external_id": "2021-44228"}])))
    add(C("grouping-object-refs-malformed", INVALID, "id-format", "2.9",
          "grouping.object_refs contains a non-identifier string.",
          obj_of("grouping", object_refs=[sdo_id("indicator"), "indicator"])))
    add(C("note-refs-to-relationship-and-marking", VALID, "ref-type", "4.13",
          "A note may point to any STIX object, including SROs and marking definitions.",
          obj_of("note", object_refs=[sdo_id("relationship"), TLP["green"],
                                      sdo_id("language-content")])))

    # ------------------------------------------------------------------
    # SRO specific rules
    # ------------------------------------------------------------------
    for slug, rt, why in [("uppercase", "Uses", "uppercase letters"),
                          ("underscore", "related_to", "an underscore"),
                          ("space", "related to", "a space"),
                          ("non-ascii", "sp\u00e4ht", "a non-ASCII letter")]:
        add(C("relationship-type-%s" % slug, INVALID, "relationship-type-form", "5.1",
              "relationship_type with %s; only a-z, 0-9 and '-' are allowed." % why,
              obj_of("relationship", relationship_type=rt)))
    add(C("relationship-type-custom", VALID, "relationship-type-form", "5.1",
          "A user-defined relationship type.",
          obj_of("relationship", relationship_type="delivered-by-2")))
    add(C("relationship-sco-to-sdo", VALID, "ref-type", "5.1",
          "A relationship from an SCO to an SDO.",
          obj_of("relationship", relationship_type="related-to", source_ref=URL["id"],
                 target_ref=sdo_id("campaign"))))
    add(C("relationship-to-custom-object", VALID, "ref-type", "5.1",
          "A relationship whose target is a custom object.",
          custom_object(), obj_of("relationship", relationship_type="related-to",
                                  target_ref=custom_object()["id"])))
    for slug, target in [("marking-definition", TLP["green"]),
                         ("language-content", sdo_id("language-content")),
                         ("bundle", "bundle--" + v4("bundle:target")),
                         ("sighting", sdo_id("sighting"))]:
        add(C("relationship-target-%s" % slug, INVALID, "ref-type", "5.1",
              "target_ref may only point to an SDO or SCO, not a %s." % slug,
              obj_of("relationship", relationship_type="related-to", target_ref=target)))
    add(C("relationship-source-extension-definition", INVALID, "ref-type", "5.1",
          "source_ref may only point to an SDO or SCO.",
          obj_of("relationship", relationship_type="related-to",
                 source_ref=EXT_DEF_PROP["id"])))
    add(C("sighting-of-sco", INVALID, "ref-type", "5.2",
          "sighting_of_ref must reference an SDO; here it is a URL SCO.",
          obj_of("sighting", sighting_of_ref=URL["id"])))
    add(C("sighting-where-malware", INVALID, "ref-type", "5.2",
          "where_sighted_refs must list identity or location objects.",
          obj_of("sighting", where_sighted_refs=[sdo_id("identity"), sdo_id("malware")])))
    add(C("sighting-observed-indicator", INVALID, "ref-type", "5.2",
          "observed_data_refs must list observed-data objects.",
          obj_of("sighting", observed_data_refs=[sdo_id("indicator")])))
    add(C("sighting-minimal-summary", VALID, "required-property", "5.2",
          "Minimal sighting with summary true.",
          obj_of("sighting", description=None, first_seen=None, last_seen=None, count=None,
                 observed_data_refs=None, where_sighted_refs=None, summary=True)))

    # ------------------------------------------------------------------
    # SCO specific rules
    # ------------------------------------------------------------------
    add(C("artifact-url-with-hashes", VALID, "at-least-one", "6.1",
          "Artifact given by url plus hashes.",
          with_sco_id({"type": "artifact", "url": "https://example.com/sample.bin",
                       "hashes": {"SHA-256": SHA256}})))
    add(C("artifact-url-without-hashes", INVALID, "co-constraint", "6.1",
          "hashes must be present when url is present.",
          with_sco_id({"type": "artifact", "url": "https://example.com/sample.bin",
                       "mime_type": "application/octet-stream"})))
    add(C("artifact-url-and-payload", INVALID, "mutually-exclusive", "6.1",
          "url and payload_bin must not both be present.",
          obj_of("artifact", url="https://example.com/sample.bin")))
    add(C("artifact-neither-url-nor-payload", INVALID, "at-least-one", "6.1",
          "One of payload_bin or url must be provided.",
          obj_of("artifact", payload_bin=None, encryption_algorithm=None, decryption_key=None)))
    add(C("artifact-key-without-algorithm", INVALID, "co-constraint", "6.1",
          "decryption_key without encryption_algorithm.",
          obj_of("artifact", encryption_algorithm=None)))
    add(C("artifact-unregistered-mime-type", VALID, "open-value", "6.1",
          "mime_type outside the IANA registry is only discouraged (SHOULD).",
          obj_of("artifact", mime_type="application/x-acme-capture")))
    add(C("domain-name-with-space", INVALID, "value-format", "6.4",
          "A domain name containing a space does not conform to RFC 1034.",
          obj_of("domain-name", value="exa mple.com")))
    add(C("domain-name-idn", VALID, "value-format", "6.4",
          "Internationalised domain name in A-label form.",
          obj_of("domain-name", value="xn--bcher-kva.example")))
    add(C("email-addr-with-display-name", INVALID, "value-format", "6.5",
          "value must not include the display name.",
          obj_of("email-addr", value="John Doe <jdoe@example.com>")))
    add(C("email-addr-belongs-to-identity", INVALID, "ref-type", "6.5",
          "belongs_to_ref must point to a user-account.",
          obj_of("email-addr", belongs_to_ref=IDENTITY_ID)))
    add(C("email-body-when-multipart", INVALID, "co-constraint", "6.6",
          "body must not be used when is_multipart is true.",
          obj_of("email-message", is_multipart=True,
                 body_multipart=[{"content_type": "text/plain", "body": "hi"}])))
    add(C("email-multipart-when-not-multipart", INVALID, "co-constraint", "6.6",
          "body_multipart must not be used when is_multipart is false.",
          obj_of("email-message", body=None,
                 body_multipart=[{"content_type": "text/plain", "body": "hi"}])))
    add(C("email-multipart-valid", VALID, "co-constraint", "6.6",
          "A multipart message with text and artifact/file parts.",
          obj_of("email-message", is_multipart=True, body=None, content_type="multipart/mixed",
                 body_multipart=[
                     {"content_type": "text/plain; charset=utf-8", "body": "See attachments."},
                     {"content_type": "image/png", "content_disposition": "attachment",
                      "body_raw_ref": ARTIFACT_2["id"]},
                     {"content_type": "application/zip", "body_raw_ref": FILE_2["id"]}])))
    add(C("email-mime-part-empty", INVALID, "at-least-one", "6.6.2",
          "A MIME part needs body or body_raw_ref.",
          obj_of("email-message", is_multipart=True, body=None,
                 body_multipart=[{"content_type": "text/plain"}])))
    add(C("email-mime-part-raw-ref-url", INVALID, "ref-type", "6.6.2",
          "body_raw_ref must point to an artifact or file.",
          obj_of("email-message", is_multipart=True, body=None,
                 body_multipart=[{"content_type": "image/png", "body_raw_ref": URL["id"]}])))
    add(C("file-neither-hashes-nor-name", INVALID, "at-least-one", "6.7",
          "A file must have hashes or name.",
          obj_of("file", hashes=None, name=None, name_enc=None)))
    add(C("file-name-only", VALID, "at-least-one", "6.7",
          "A file with a name but no hashes.",
          with_sco_id({"type": "file", "name": "notes.txt"})))
    add(C("file-name-enc-without-name", INVALID, "encoding-property", "3.1",
          "name_enc must not be present when name is absent.",
          obj_of("file", name=None)))
    add(C("file-name-enc-not-charset", INVALID, "value-format", "6.7",
          "name_enc must be an IANA character set name.",
          obj_of("file", name_enc="klingon-8")))
    add(C("file-unicode-name", VALID, "string", "2.14",
          "File name with non-ASCII characters.",
          with_sco_id({"type": "file", "name": "quêry — 報告書 📄.dll",
                       "hashes": {"SHA-256": SHA256}})))
    add(C("ipv4-cidr", VALID, "value-format", "6.8",
          "IPv4 value in CIDR notation.", obj_of("ipv4-addr", value="10.0.0.0/8")))
    add(C("mac-addr-uppercase", INVALID, "value-format", "6.10",
          "MAC address must be lowercase.", obj_of("mac-addr", value="00:00:5E:00:53:AF")))
    add(C("mac-addr-hyphens", INVALID, "value-format", "6.10",
          "MAC address must be colon-delimited.", obj_of("mac-addr", value="00-00-5e-00-53-af")))
    add(C("mac-addr-no-leading-zeros", INVALID, "value-format", "6.10",
          "MAC address octets must keep leading zeros.", obj_of("mac-addr", value="0:0:5e:0:53:af")))
    add(C("network-traffic-no-endpoints", INVALID, "at-least-one", "6.12",
          "network-traffic needs src_ref or dst_ref.",
          obj_of("network-traffic", src_ref=None, dst_ref=None)))
    add(C("network-traffic-dst-only", VALID, "at-least-one", "6.12",
          "network-traffic with only dst_ref.",
          with_sco_id({"type": "network-traffic", "dst_ref": IPV4_DST["id"],
                       "protocols": ["ipv4", "udp", "dns"]})))
    add(C("network-traffic-active-with-end", INVALID, "co-constraint", "6.12",
          "end must not be present when is_active is true.",
          obj_of("network-traffic", is_active=True)))
    add(C("network-traffic-active-no-end", VALID, "co-constraint", "6.12",
          "is_active true without end.", obj_of("network-traffic", is_active=True, end=None)))
    add(C("network-traffic-src-url", INVALID, "ref-type", "6.12",
          "src_ref must be an address or domain-name object.",
          obj_of("network-traffic", src_ref=URL["id"])))
    add(C("network-traffic-src-mac-and-domain", VALID, "ref-type", "6.12",
          "src_ref to a MAC address and dst_ref to a domain name.",
          obj_of("network-traffic", src_ref=MAC["id"], dst_ref=base_obj("domain-name")["id"])))
    ext_nt = [
        ("http-ok", VALID, "extension", "6.12.2", "http-request-ext with request header lists.",
         {"http-request-ext": {"request_method": "get", "request_value": "/index.html",
                               "request_version": "http/1.1",
                               "request_header": {"Host": ["example.com"],
                                                  "User-Agent": ["Mozilla/5.0"]},
                               "message_body_length": 0,
                               "message_body_data_ref": ARTIFACT_2["id"]}}),
        ("http-missing-value", INVALID, "required-property", "6.12.2",
         "http-request-ext without request_value.",
         {"http-request-ext": {"request_method": "get"}}),
        ("http-header-string", INVALID, "property-type", "6.12.2",
         "request_header values must be lists of strings.",
         {"http-request-ext": {"request_method": "get", "request_value": "/",
                               "request_header": {"Host": "example.com"}}}),
        ("http-body-ref-file", INVALID, "ref-type", "6.12.2",
         "message_body_data_ref must point to an artifact.",
         {"http-request-ext": {"request_method": "post", "request_value": "/upload",
                               "message_body_data_ref": FILE_2["id"]}}),
        ("icmp-ok", VALID, "extension", "6.12.3", "icmp-ext with both hex bytes.",
         {"icmp-ext": {"icmp_type_hex": "08", "icmp_code_hex": "00"}}),
        ("icmp-missing-code", INVALID, "required-property", "6.12.3",
         "icmp-ext without icmp_code_hex.", {"icmp-ext": {"icmp_type_hex": "08"}}),
        ("icmp-bad-hex", INVALID, "hex-format", "6.12.3",
         "icmp_type_hex is not hexadecimal.",
         {"icmp-ext": {"icmp_type_hex": "8", "icmp_code_hex": "00"}}),
        ("socket-ok", VALID, "extension", "6.12.4", "socket-ext with enum values and options.",
         {"socket-ext": {"address_family": "AF_INET6", "socket_type": "SOCK_STREAM",
                         "is_blocking": False, "is_listening": True,
                         "options": {"SO_ACCEPTCONN": 1, "SO_RCVTIMEO": 500},
                         "socket_descriptor": 3, "socket_handle": 88}}),
        ("socket-missing-family", INVALID, "required-property", "6.12.4",
         "socket-ext without address_family.", {"socket-ext": {"socket_type": "SOCK_DGRAM"}}),
        ("socket-bad-family", INVALID, "closed-vocab", "6.12.4",
         "address_family 'AF_PACKET' is not in the enumeration.",
         {"socket-ext": {"address_family": "AF_PACKET"}}),
        ("socket-bad-type", INVALID, "closed-vocab", "6.12.4",
         "socket_type 'stream' is not in the enumeration.",
         {"socket-ext": {"address_family": "AF_INET", "socket_type": "stream"}}),
        ("socket-option-string", INVALID, "property-type", "6.12.4",
         "Socket option values must be integers.",
         {"socket-ext": {"address_family": "AF_INET", "options": {"SO_LINGER": "yes"}}}),
        ("tcp-ok", VALID, "extension", "6.12.5", "tcp-ext with source flags.",
         {"tcp-ext": {"src_flags_hex": "00000002"}}),
        ("tcp-empty", INVALID, "at-least-one", "6.12.5",
         "tcp-ext must contain at least one property.", {"tcp-ext": {}}),
    ]
    for slug, expected, rule, sec, note, exts in ext_nt:
        add(C("network-traffic-%s" % slug, expected, rule, sec, note,
              obj_of("network-traffic", extensions=exts)))
    add(C("process-empty", INVALID, "at-least-one", "6.13",
          "A process with no property besides type and id.",
          {"type": "process", "spec_version": "2.1", "id": "process--" + v4("process:empty")}))
    add(C("process-extensions-only", VALID, "at-least-one", "6.13",
          "A process whose only content is in extensions.",
          {"type": "process", "spec_version": "2.1", "id": "process--" + v4("process:ext"),
           "extensions": {"windows-process-ext": {"aslr_enabled": True, "dep_enabled": True,
                                                  "priority": "HIGH_PRIORITY_CLASS",
                                                  "owner_sid": "S-1-5-18",
                                                  "startup_info": {"lpDesktop": "winsta0"},
                                                  "integrity_level": "high"},
                          "windows-service-ext": {"service_name": "acmesvc",
                                                  "descriptions": ["Acme"],
                                                  "display_name": "Acme Service",
                                                  "start_type": "SERVICE_AUTO_START",
                                                  "service_dll_refs": [FILE_2["id"]],
                                                  "service_type": "SERVICE_WIN32_OWN_PROCESS",
                                                  "service_status": "SERVICE_RUNNING"}}}))
    for slug, ext, why in [
            ("integrity-level", {"windows-process-ext": {"integrity_level": "untrusted"}},
             "integrity_level 'untrusted' is not in windows-integrity-level-enum"),
            ("start-type", {"windows-service-ext": {"start_type": "AUTO"}},
             "start_type 'AUTO' is not in windows-service-start-type-enum"),
            ("service-type", {"windows-service-ext": {"service_type": "SERVICE_USER_OWN_PROCESS"}},
             "service_type is not in windows-service-type-enum"),
            ("service-status", {"windows-service-ext": {"service_status": "running"}},
             "service_status 'running' is not in windows-service-status-enum")]:
        add(C("process-%s-invalid" % slug, INVALID, "closed-vocab", "6.13", why + ".",
              obj_of("process", extensions=ext)))
    add(C("process-windows-ext-empty", INVALID, "at-least-one", "6.13.2",
          "windows-process-ext must contain at least one property.",
          obj_of("process", extensions={"windows-process-ext": {}})))
    add(C("process-service-dll-not-file", INVALID, "ref-type", "6.13.3",
          "service_dll_refs must point to file objects.",
          obj_of("process", extensions={"windows-service-ext": {
              "service_name": "x", "service_dll_refs": [ARTIFACT["id"]]}})))
    add(C("software-cpe-22", INVALID, "value-format", "6.14",
          "cpe must be a CPE 2.3 string; this is CPE 2.2 URI form.",
          obj_of("software", cpe="cpe:/o:microsoft:windows_10:21h2")))
    add(C("software-language-bad", INVALID, "language-code", "6.14",
          "languages entries must be RFC 5646 tags; 'en_GB' uses an underscore.",
          obj_of("software", languages=["en", "en_GB"])))
    add(C("user-account-empty", INVALID, "at-least-one", "6.16",
          "A user-account with no properties besides type and id.",
          {"type": "user-account", "spec_version": "2.1",
           "id": "user-account--" + v4("ua:empty")}))
    add(C("unix-account-ext", VALID, "extension", "6.16.2",
          "user-account with unix-account-ext.",
          obj_of("user-account", extensions={"unix-account-ext": {
              "gid": 1001, "groups": ["wheel"], "home_dir": "/home/svc", "shell": "/bin/sh"}})))
    add(C("unix-account-ext-empty", INVALID, "at-least-one", "6.16.2",
          "unix-account-ext must contain at least one property.",
          obj_of("user-account", extensions={"unix-account-ext": {}})))
    add(C("unix-account-gid-string", INVALID, "property-type", "6.16.2",
          "unix-account-ext gid is a string.",
          obj_of("user-account", extensions={"unix-account-ext": {"gid": "1001"}})))
    add(C("registry-key-empty", INVALID, "at-least-one", "6.17",
          "A windows-registry-key with no properties besides type and id.",
          {"type": "windows-registry-key", "spec_version": "2.1",
           "id": "windows-registry-key--" + v4("wrk:empty")}))
    add(C("registry-value-empty", INVALID, "at-least-one", "6.17.2",
          "A registry value object with no properties.",
          obj_of("windows-registry-key", values=[{}])))
    add(C("registry-values-empty-list", INVALID, "empty-list", "2.12",
          "values is an empty list.", obj_of("windows-registry-key", values=[])))
    add(C("registry-default-value", VALID, "value-format", "6.17.2",
          "The default value of a key is named by the empty string.",
          obj_of("windows-registry-key", values=[{"name": "", "data": "x", "data_type": "REG_SZ"}])))
    add(C("registry-hive-abbreviated", INVALID, "value-format", "6.17",
          "The hive must be spelled out (HKEY_LOCAL_MACHINE, not HKLM).",
          obj_of("windows-registry-key", key="HKLM\\Software\\Acme")))
    add(C("x509-empty", INVALID, "at-least-one", "6.18",
          "An x509-certificate with no object specific property.",
          {"type": "x509-certificate", "spec_version": "2.1",
           "id": "x509-certificate--" + v4("x509:empty")}))
    add(C("x509-v3-extensions-empty", INVALID, "at-least-one", "6.18.2",
          "x509_v3_extensions must contain at least one property.",
          obj_of("x509-certificate", x509_v3_extensions={})))
    add(C("x509-not-after-before-not-before", VALID, "time-order", "6.18",
          "The spec puts no ordering requirement on the validity period.",
          obj_of("x509-certificate", validity_not_before="2022-01-01T00:00:00Z",
                 validity_not_after="2021-01-01T00:00:00Z")))

    # ------------------------------------------------------------------
    # Text and size edge cases
    # ------------------------------------------------------------------
    add(C("unicode-text", VALID, "string", "2.14",
          "Names and descriptions in several scripts, emoji and combining marks.",
          obj_of("campaign", name="Opération «Ночной Ветер» 夜風 🌬️",
                 description="متن فارسی; e\u0301te\u0301; \u202eRTL override\u202c; tab\there",
                 aliases=["夜風", "Ночной ветер"])))
    add(C("escaped-unicode", VALID, "string", "2.14",
          "JSON \\u escapes including a surrogate pair.",
          content=Raw('{"type": "bundle", "id": "bundle--%s", "objects": [{"type": "identity", '
                      '"spec_version": "2.1", "id": "%s", "created": "%s", "modified": "%s", '
                      '"name": "Caf\\u00e9 \\ud83d\\ude00 \\u65e5\\u672c"}]}'
                      % (v4("bundle:escaped"), sdo_id("identity", "escaped"), T_CREATED,
                         T_CREATED))))
    add(C("large-description", VALID, "string", "2.14",
          "A 200,000 character description.",
          obj_of("report", description=("Lorem ipsum dolor sit amet. " * 7143)[:200000])))
    add(C("many-labels", VALID, "list", "2.12",
          "An indicator with 2,000 labels.",
          ind(labels=["label-%04d" % i for i in range(2000)])))
    add(C("empty-string-name", VALID, "string", "2.14",
          "An empty string is still a string (no minimum length in the spec).",
          obj_of("tool", name="")))
    add(C("revoked-true", VALID, "versioning", "3.6", "A revoked object.",
          obj_of("campaign", revoked=True)))
    add(C("all-common-properties", VALID, "common-properties", "3.2",
          "An indicator using every optional common property.",
          creator_identity(), tlp_marking("green"), tlp_marking("amber"),
          ind(created_by_ref=IDENTITY_ID, revoked=False, labels=["c2"], confidence=85,
              lang="en", external_references=[{"source_name": "acme", "external_id": "IND-1"}],
              object_marking_refs=[TLP["green"]],
              granular_markings=[{"marking_ref": TLP["amber"], "selectors": ["pattern"]}],
              extensions={EXT_DEF_PROP["id"]: {"extension_type": "property-extension",
                                               "rank": 2}})))
    return out
