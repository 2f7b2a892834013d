#!/usr/bin/env python3
"""Differential check of the STIX patterning corpus against the OASIS tools.

    python tests/interop/pattern_diff.py [--corpus DIR] [--verbose]

Reads <corpus>/parse.jsonl, match.jsonl, observations/*.json and
reference-differences.tsv (written by gen_patterns.py) and

* runs stix2-patterns 2.1.2 (run_validator, STIX 2.1) over every pattern of
  parse.jsonl and compares its verdict with the corpus's "valid";
* runs it over every pattern of match.jsonl too, which must all be valid;
* runs stix2-matcher 3.0.0 over every case of match.jsonl and compares the
  outcome (match / nomatch / error) with the corpus's "expect".

A disagreement fails unless reference-differences.tsv lists the case for that
tool; a listed difference fails when the tool no longer disagrees, or now says
something other than what the row records (the row is stale). Rows with tool
"pacto" record where pacto deliberately departs from the spec and the
references; the references must agree with the corpus on those cases.

It also checks the corpus's shape: ids p0001.. / m0001.. in file order, the
required keys and value types, and that every observation set named by a case
exists. The last line printed is "pattern_diff: N passed, N failed", counting
reference runs that agreed with the corpus or differed as documented. The exit
status is non-zero on any failure.
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

from pattern_ref import (CORPUS, TOOLS, load_differences, load_jsonl,  # noqa: E402
                         reference_match, reference_validate)


def shape_problems(parse, match, sets):
    problems = []
    for kind, rows, prefix, keys in (
            ("parse.jsonl", parse, "p", {"id": str, "pattern": str, "valid": bool, "why": str}),
            ("match.jsonl", match, "m", {"id": str, "pattern": str, "observations": str,
                                         "expect": str, "why": str})):
        for i, row in enumerate(rows, 1):
            want = "%s%04d" % (prefix, i)
            if row.get("id") != want:
                problems.append("%s line %d: id %r, expected %s" % (kind, i, row.get("id"), want))
            for k, t in keys.items():
                if not isinstance(row.get(k), t):
                    problems.append("%s %s: %r is missing or not a %s"
                                    % (kind, row.get("id"), k, t.__name__))
    for row in match:
        if row.get("expect") not in ("match", "nomatch", "error"):
            problems.append("match.jsonl %s: bad expect %r" % (row["id"], row.get("expect")))
        if row.get("observations") not in sets:
            problems.append("match.jsonl %s: no observation set %r"
                            % (row["id"], row.get("observations")))
    for name, s in sets.items():
        if s.get("spec_version") not in ("2.0", "2.1") or not isinstance(s.get("objects"), list):
            problems.append("observations/%s.json: needs spec_version 2.0|2.1 and an objects list"
                            % name)
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=CORPUS)
    ap.add_argument("--verbose", action="store_true", help="print documented differences too")
    args = ap.parse_args(argv)

    try:
        import stix2matcher  # noqa: F401
        import stix2patterns  # noqa: F401
    except ImportError as exc:
        sys.exit("pattern_diff: %s; install tests/interop/requirements.txt" % exc)

    t0 = time.time()
    parse = load_jsonl(os.path.join(args.corpus, "parse.jsonl"))
    match = load_jsonl(os.path.join(args.corpus, "match.jsonl"))
    obs_dir = os.path.join(args.corpus, "observations")
    sets = {}
    for name in sorted(os.listdir(obs_dir)):
        if name.endswith(".json"):
            with open(os.path.join(obs_dir, name), encoding="utf-8") as fh:
                sets[name[:-5]] = json.load(fh)
    diffs = load_differences(os.path.join(args.corpus, "reference-differences.tsv"))

    failures = shape_problems(parse, match, sets)
    listed = {}
    ids = {r["id"] for r in parse} | {r["id"] for r in match}
    for d in diffs:
        if d["tool"] not in TOOLS:
            failures.append("reference-differences.tsv: %s: unknown tool %r" % (d["id"], d["tool"]))
        if d["id"] not in ids:
            failures.append("reference-differences.tsv: %s: no such case" % d["id"])
        key = (d["id"], d["tool"])
        if key in listed:
            failures.append("reference-differences.tsv: %s/%s listed twice" % key)
        listed[key] = d

    passed = failed = documented = 0
    used = set()

    def compare(case, tool, corpus_says, ref_says, detail):
        nonlocal passed, failed, documented
        row = listed.get((case["id"], tool))
        if row is not None:
            used.add((case["id"], tool))
        if ref_says == corpus_says:
            if row is None:
                passed += 1
                return
            failed += 1
            failures.append("%s: listed as a %s difference but %s now agrees (%s)\n    pattern: %r"
                            % (case["id"], tool, tool, ref_says, case["pattern"]))
            return
        if row is not None and row["reference_says"] == ref_says \
                and row["spec_says"] == corpus_says:
            passed += 1
            documented += 1
            if args.verbose:
                print("documented %s %s: %s says %s, corpus %s (%s)"
                      % (case["id"], tool, tool, ref_says, corpus_says, row["reason"]))
            return
        failed += 1
        extra = ""
        if row is not None:
            extra = "\n    listed row says %s / %s (stale)" % (row["reference_says"],
                                                               row["spec_says"])
        where = " on %s" % case["observations"] if "observations" in case else ""
        failures.append("%s: %s says %s, corpus says %s%s\n    pattern: %r%s%s"
                        % (case["id"], tool, ref_says, corpus_says, where, case["pattern"],
                           "\n    detail: " + detail if detail else "", extra))

    for case in parse:
        verdict, detail = reference_validate(case["pattern"])
        compare(case, "stix2-patterns", "valid" if case["valid"] else "invalid", verdict, detail)
    for case in match:
        verdict, detail = reference_validate(case["pattern"])
        compare(case, "stix2-patterns", "valid", verdict, detail)
        if case["observations"] not in sets:
            continue
        verdict, detail = reference_match(case["pattern"], sets[case["observations"]])
        compare(case, "stix2-matcher", case["expect"], verdict, detail)

    pacto_rows = 0
    for key, row in listed.items():
        if row["tool"] == "pacto":
            pacto_rows += 1
            if row["reference_says"] != row["spec_says"]:
                failures.append("reference-differences.tsv: pacto row %s must record the "
                                "references' agreed verdict" % row["id"])
            continue
        if key not in used:
            failures.append("reference-differences.tsv: %s/%s was never checked" % key)

    for f in failures:
        print("FAIL " + f)
    n_valid = sum(1 for c in parse if c.get("valid") is True)
    print("pattern_diff: %d parse cases (%d valid), %d match cases on %d observation sets"
          % (len(parse), n_valid, len(match), len(sets)))
    print("pattern_diff: %d reference runs, %d agree with the corpus, %d documented "
          "differences, %d pacto-only notes, %d failures (%.1f s)"
          % (passed + failed, passed - documented, documented, pacto_rows, len(failures),
             time.time() - t0))
    print("pattern_diff: %d passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
