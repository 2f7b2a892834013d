#!/usr/bin/env python3
"""Differential test of `pacto validate` against the OASIS stix2-validator.

    python tests/interop/validate_diff.py --pacto PATH [--corpus DIR]
    python tests/interop/validate_diff.py --reference-only [--corpus DIR]

For every case in <corpus>/cases.tsv:

* stix2-validator (Python API, STIX 2.1, default non-strict options) judges the
  file; its verdict is "valid" iff it reports no error. It must agree with the
  expected verdict unless the case is listed in
  <corpus>/reference-differences.tsv, and every listed case must still differ
  (otherwise the list is stale).
* `pacto validate --format json FILE...` judges the file (one `summary` line
  per file on stdout, JSON Lines); pacto must agree with the expected verdict
  for every case.

The last line printed is "N passed, N failed", counting the cases where pacto
agreed (or, with --reference-only, where stix2-validator agreed or the
disagreement is listed). The exit status is non-zero on any failure: a pacto
mismatch, an unlisted or stale reference difference, or a broken output
contract (exit code or missing summary lines).
"""

import argparse
import csv
import io
import json
import logging
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CORPUS = os.path.join(HERE, "corpus", "validate")
# Keep each pacto command line well under typical ARG_MAX limits.
MAX_ARGS_PER_RUN = 200
MAX_ARG_BYTES = 100_000


def read_tsv(path):
    with open(path, encoding="utf-8", newline="") as fh:
        lines = [ln for ln in fh.read().splitlines() if ln and not ln.startswith("#")]
    reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    rows = list(reader)
    header, body = rows[0], rows[1:]
    return [dict(zip(header, row)) for row in body]


def load_cases(corpus):
    cases = read_tsv(os.path.join(corpus, "cases.tsv"))
    problems = []
    for c in cases:
        if c["expected"] not in ("valid", "invalid"):
            problems.append("%s: bad expected value %r" % (c["file"], c["expected"]))
        if not os.path.isfile(os.path.join(corpus, c["file"])):
            problems.append("%s: listed in cases.tsv but missing" % c["file"])
    listed = {c["file"] for c in cases}
    if len(listed) != len(cases):
        problems.append("cases.tsv lists a file more than once")
    for sub in ("valid", "invalid"):
        d = os.path.join(corpus, sub)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if "%s/%s" % (sub, name) not in listed:
                problems.append("%s/%s: present but not listed in cases.tsv" % (sub, name))
    for c in cases:
        if not c["file"].startswith(c["expected"] + "/"):
            problems.append("%s: expected %s but stored under another directory"
                            % (c["file"], c["expected"]))
    return cases, problems


def load_differences(corpus):
    path = os.path.join(corpus, "reference-differences.tsv")
    if not os.path.exists(path):
        return {}
    out = {}
    for row in read_tsv(path):
        out[row["file"]] = row
    return out


# ---------------------------------------------------------------------------
# stix2-validator
# ---------------------------------------------------------------------------


def run_reference(corpus, cases):
    """Return {file: (verdict, detail)} from stix2-validator."""
    try:
        from stix2validator import ValidationOptions, validate_file
    except ImportError:
        sys.exit("stix2-validator is not importable; install it (pip install stix2-validator) "
                 "or pass --no-reference")
    # The validator logs best-practice notes through `logging`; keep them quiet.
    logging.disable(logging.CRITICAL)
    options = ValidationOptions(version="2.1", silent=True)
    verdicts = {}
    for c in cases:
        path = os.path.join(corpus, c["file"])
        try:
            saved = sys.stdout
            sys.stdout = io.StringIO()
            try:
                result = validate_file(path, options)
            finally:
                sys.stdout = saved
        except Exception as exc:  # a crash is not a clean bill of health
            verdicts[c["file"]] = ("invalid", "validator raised %s: %s"
                                   % (type(exc).__name__, str(exc).splitlines()[0][:200]))
            continue
        errors = []
        if getattr(result, "fatal", None):
            errors.append(str(result.fatal.message if hasattr(result.fatal, "message")
                              else result.fatal))
        for obj in result.object_results or []:
            errors.extend(str(e) for e in obj.errors)
        verdict = "valid" if not errors else "invalid"
        verdicts[c["file"]] = (verdict, "; ".join(e.splitlines()[0][:200] for e in errors[:3]))
    logging.disable(logging.NOTSET)
    return verdicts


# ---------------------------------------------------------------------------
# pacto
# ---------------------------------------------------------------------------


def chunks(paths):
    batch, size = [], 0
    for p in paths:
        if batch and (len(batch) >= MAX_ARGS_PER_RUN or size + len(p) + 1 > MAX_ARG_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(p)
        size += len(p) + 1
    if batch:
        yield batch


def norm(path):
    return os.path.normcase(os.path.realpath(path))


def run_pacto(pacto, corpus, cases):
    """Return (verdicts {file: (verdict, findings)}, contract_problems)."""
    by_path = {norm(os.path.join(corpus, c["file"])): c["file"] for c in cases}
    paths = [os.path.join(corpus, c["file"]) for c in cases]
    verdicts = {}
    findings = {}
    problems = []
    notes = []
    for batch in chunks(paths):
        cmd = [pacto, "validate", "--format", "json"] + batch
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            sys.exit("cannot run %s: %s" % (pacto, exc))
        batch_valid = []
        for lineno, line in enumerate(proc.stdout.decode("utf-8", "replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                problems.append("stdout line %d is not JSON: %r" % (lineno, line[:120]))
                continue
            kind = rec.get("kind")
            fname = by_path.get(norm(rec.get("file") or ""))
            if kind == "finding":
                if fname is not None:
                    findings.setdefault(fname, []).append(rec)
                continue
            if kind != "summary":
                continue
            if fname is None:
                problems.append("summary for unknown file %r" % rec.get("file"))
                continue
            if fname in verdicts:
                problems.append("%s: more than one summary line" % fname)
            valid = rec.get("valid")
            if not isinstance(valid, bool):
                problems.append("%s: summary 'valid' is not a boolean" % fname)
                continue
            verdicts[fname] = "valid" if valid else "invalid"
            batch_valid.append(valid)
            if rec.get("unusable"):
                findings.setdefault(fname, []).append(
                    {"severity": "unusable", "rule": "-", "path": "",
                     "message": str(rec["unusable"]), "unusable": str(rec["unusable"])})
        rc = proc.returncode
        all_valid = all(batch_valid) and len(batch_valid) == len(batch)
        if rc not in (0, 1, 2):
            problems.append("pacto exited %d on a batch of %d files; stderr: %s"
                            % (rc, len(batch), proc.stderr.decode("utf-8", "replace")[-300:]))
        elif rc == 0 and not all(batch_valid):
            problems.append("pacto exited 0 although a summary says invalid")
        elif rc in (1, 2) and all_valid:
            problems.append("pacto exited %d although every summary says valid" % rc)
        elif rc == 2:
            # Allowed by the contract (some input judged unusable); the verdicts
            # still come from the summary lines.
            notes.append("pacto exited 2 (unusable input) on the batch starting with %s"
                         % os.path.relpath(batch[0], corpus))
    for c in cases:
        if c["file"] not in verdicts:
            problems.append("%s: no summary line from pacto" % c["file"])
    for f, recs in findings.items():
        unusable = [r for r in recs if r.get("unusable")]
        if unusable:
            notes.append("%s: %s" % (f, unusable[0]["unusable"]))
    return verdicts, findings, problems, notes


def describe_findings(recs, limit=6):
    out = []
    for r in recs[:limit]:
        out.append("      %s %s %s: %s" % (r.get("severity", "?"), r.get("rule", "?"),
                                           r.get("path", ""), r.get("message", "")))
    if len(recs) > limit:
        out.append("      ... %d more" % (len(recs) - limit))
    return out or ["      (no findings reported)"]


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description="Differential test: pacto validate vs stix2-validator")
    ap.add_argument("--pacto", help="path to the pacto binary")
    ap.add_argument("--corpus", default=DEFAULT_CORPUS, help="corpus directory (with cases.tsv)")
    ap.add_argument("--reference-only", action="store_true",
                    help="only run stix2-validator and report it against the expectations")
    ap.add_argument("--no-reference", action="store_true",
                    help="skip stix2-validator (check pacto only)")
    ap.add_argument("--show-agreeing", action="store_true",
                    help="with --reference-only, print every case, not just disagreements")
    args = ap.parse_args()

    if not args.reference_only and not args.pacto:
        ap.error("--pacto is required unless --reference-only is given")
    if args.reference_only and args.no_reference:
        ap.error("--reference-only and --no-reference exclude each other")
    corpus = os.path.abspath(args.corpus)

    cases, problems = load_cases(corpus)
    case_files = {c["file"] for c in cases}
    failures = list(problems)
    n_valid = sum(1 for c in cases if c["expected"] == "valid")
    print("corpus: %s (%d cases: %d valid, %d invalid)"
          % (corpus, len(cases), n_valid, len(cases) - n_valid))

    ref_ok = None
    if not args.no_reference:
        t0 = time.time()
        ref = run_reference(corpus, cases)
        listed = load_differences(corpus)
        for f in sorted(set(listed) - case_files):
            failures.append("reference-differences.tsv lists %s, which is not a case" % f)
        unlisted, stale, wrong_listed = [], [], []
        agree = 0
        for c in cases:
            verdict, detail = ref[c["file"]]
            differs = verdict != c["expected"]
            entry = listed.get(c["file"])
            if not differs:
                agree += 1
                if entry is not None:
                    stale.append(c["file"])
            elif entry is None:
                unlisted.append((c, verdict, detail))
            elif entry.get("reference_verdict") != verdict:
                wrong_listed.append((c, verdict, entry))
            if args.show_agreeing:
                print("  %-8s %-8s %s" % (c["expected"], verdict, c["file"]))
        ref_ok = len(cases) - len(unlisted) - len(wrong_listed) - len(stale)
        print("stix2-validator: %d of %d cases as expected, %d listed differences, %.1fs"
              % (agree, len(cases), len(listed), time.time() - t0))
        for c, verdict, detail in unlisted:
            failures.append("stix2-validator says %s, expected %s, not listed: %s [%s] %s%s"
                            % (verdict, c["expected"], c["file"], c["rule"], c["note"],
                               ("\n      " + detail) if detail else ""))
        for c, verdict, entry in wrong_listed:
            failures.append("reference-differences.tsv says stix2-validator gives %s for %s, "
                            "but it gives %s" % (entry.get("reference_verdict"), c["file"], verdict))
        for f in stale:
            failures.append("stale reference difference: stix2-validator now agrees on %s" % f)

    if args.reference_only:
        for line in failures:
            print("FAIL " + line)
        print("%d passed, %d failed" % (ref_ok, len(cases) - ref_ok))
        return 1 if failures else 0

    t0 = time.time()
    got, findings, contract, notes = run_pacto(args.pacto, corpus, cases)
    failures.extend("pacto contract: " + p for p in contract)
    for note in notes:
        print("note: " + note)
    passed = 0
    mismatches = []
    for c in cases:
        verdict = got.get(c["file"])
        if verdict == c["expected"]:
            passed += 1
        else:
            mismatches.append((c, verdict))
    print("pacto: %d of %d cases as expected, %.1fs" % (passed, len(cases), time.time() - t0))
    for c, verdict in mismatches:
        lines = ["pacto says %s, expected %s: %s [%s %s] %s"
                 % (verdict or "nothing", c["expected"], c["file"], c["rule"], c["spec"],
                    c["note"])]
        lines.extend(describe_findings(findings.get(c["file"], [])))
        failures.append("\n".join(lines))

    for line in failures:
        print("FAIL " + line)
    print("%d passed, %d failed" % (passed, len(cases) - passed))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
