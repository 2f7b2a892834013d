"""stix2-matcher on the observations pattern-bench generated: each pattern against the whole set
(one call, the matcher's fastest form) and against each observation on its own (what a node
does as observations arrive; timed over the first STREAM observations).

Usage: pattern_matcher.py FILE STREAM PATTERN...   (one JSON line per pattern)"""
import json
import sys
import time

from stix2matcher.matcher import Pattern


def main():
    path, stream_n, patterns = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    with open(path) as f:
        objects = json.load(f)
    by_id = {o["id"]: o for o in objects}
    observed = [o for o in objects if o["type"] == "observed-data"]
    bundle = {"type": "bundle", "id": "bundle--6b0e1b66-3b1c-4d3e-9a55-0c5e7f1d2a10", "objects": objects}
    for p in patterns:
        pattern = Pattern(p, "2.1")
        t = time.perf_counter()
        whole = bool(pattern.match([bundle]))
        whole_s = time.perf_counter() - t
        subset = observed[:stream_n]
        t = time.perf_counter()
        streamed = 0
        for od in subset:
            one = {"type": "bundle", "id": bundle["id"], "objects": [od] + [by_id[r] for r in od["object_refs"]]}
            if pattern.match([one]):
                streamed += 1
        stream_s = time.perf_counter() - t
        print(json.dumps({"pattern": p, "observations": len(observed), "whole_s": whole_s, "whole_matched": whole,
                          "stream_observations": len(subset), "stream_s": stream_s, "stream_matches": streamed}))


main()
