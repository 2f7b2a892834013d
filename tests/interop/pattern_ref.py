"""Shared pieces of the STIX patterning differential corpus.

Used by gen_patterns.py (which writes tests/interop/corpus/patterns/) and by
pattern_diff.py (the CI check that re-runs the OASIS reference tools over it).

The reference tools are called exactly one way each:

* stix2-patterns 2.1.2: ``stix2patterns.validator.run_validator(pattern,
  stix_version='2.1')``. An empty list is "valid", a non-empty list is
  "invalid", an exception is "crash".
* stix2-matcher 3.0.0: ``stix2matcher.matcher.match(pattern, input,
  stix_version=...)``. A non-empty result is "match", an empty one "nomatch",
  any exception "error". For a 2.1 observation set the input is one bundle
  holding every object of the set; for a 2.0 set it is the list of
  observed-data objects.

Nothing here writes files.
"""

import csv
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus", "patterns")

# The bundle id used to wrap 2.1 observation sets for stix2-matcher. Fixed so
# that the call is identical on every run.
BUNDLE_ID = "bundle--5b2d6c84-3f7e-4c1e-9d55-0f8a2e61c7a3"

DIFF_HEADER = ["id", "tool", "reference_says", "spec_says", "section", "reason"]
# tool values: the reference that disagrees with the spec verdict written in
# the corpus, or "pacto" for a case where the references agree with the spec
# but pacto deliberately does not (documented, not checked against pacto here).
TOOLS = ("stix2-patterns", "stix2-matcher", "pacto")


def reference_validate(pattern):
    """(verdict, detail) from stix2-patterns for STIX 2.1."""
    from stix2patterns.validator import run_validator
    try:
        errors = run_validator(pattern, stix_version="2.1")
    except Exception as exc:  # the validator itself blew up
        return "crash", "%s: %s" % (type(exc).__name__, exc)
    if errors:
        return "invalid", "; ".join(str(e) for e in errors)[:300]
    return "valid", ""


def matcher_input(obs_set):
    if obs_set["spec_version"] == "2.1":
        return [{"type": "bundle", "id": BUNDLE_ID, "objects": obs_set["objects"]}]
    return obs_set["objects"]


def reference_match(pattern, obs_set):
    """(verdict, detail) from stix2-matcher."""
    import copy
    from stix2matcher.matcher import match
    data = copy.deepcopy(matcher_input(obs_set))
    try:
        result = match(pattern, data, stix_version=obs_set["spec_version"])
    except Exception as exc:
        return "error", "%s: %s" % (type(exc).__name__, str(exc)[:200])
    return ("match" if result else "nomatch"), ""


# ---------------------------------------------------------------------------
# Corpus files
# ---------------------------------------------------------------------------


def dump_jsonl(rows):
    """JSON Lines text: one object per line, ASCII only (every non-ASCII or
    control character is a JSON escape), so that no line splitter can cut a
    record at U+2028, U+0085 or similar."""
    return "".join(json.dumps(r, ensure_ascii=True) + "\n" for r in rows)


def dump_json(value):
    return json.dumps(value, ensure_ascii=True, indent=2) + "\n"


def load_jsonl(path):
    with open(path, encoding="utf-8", newline="") as fh:
        text = fh.read()
    # Split on "\n" only (str.splitlines() would also split on U+2028 & co).
    return [json.loads(line) for line in text.split("\n") if line.strip()]


def dump_differences(rows):
    lines = ["\t".join(DIFF_HEADER)]
    for r in rows:
        cells = [r[k] for k in DIFF_HEADER]
        for c in cells:
            if "\t" in c or "\n" in c:
                raise ValueError("tab or newline in a differences cell: %r" % c)
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def load_differences(path):
    with open(path, encoding="utf-8", newline="") as fh:
        lines = [ln for ln in fh.read().split("\n") if ln and not ln.startswith("#")]
    rows = list(csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))
    header, body = rows[0], rows[1:]
    if header != DIFF_HEADER:
        raise ValueError("unexpected header in %s: %r" % (path, header))
    return [dict(zip(header, row)) for row in body]
