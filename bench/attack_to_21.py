"""Turn MITRE ATT&CK Enterprise (STIX 2.0) into STIX 2.1 content for TAXII 2.1 benchmarks.

The changes are the least that 2.1 requires of these objects: every object states
spec_version "2.1", malware states is_family, and the bundle drops its 2.0 spec_version.
Usage: python bench/attack_to_21.py IN.json OUT.json
"""
import json
import sys

bundle = json.load(open(sys.argv[1]))
bundle.pop("spec_version", None)
for obj in bundle["objects"]:
    obj["spec_version"] = "2.1"
    if obj["type"] == "malware":
        obj.setdefault("is_family", True)
json.dump(bundle, open(sys.argv[2], "w"))
print(f"{len(bundle['objects'])} objects written to {sys.argv[2]}")
