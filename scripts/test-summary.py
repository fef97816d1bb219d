#!/usr/bin/env python3
# Sums every test of every build dir given, from meson's testlog.json: Criterion's
# "Synthesis" line, pytest's "N passed, M failed in Xs" line and node --test's TAP
# "# pass N" / "# fail N" lines count the tests inside each executable; an executable that
# failed without one (it crashed, or timed out) counts as one failure, and a skipped one
# counts nothing. Prints per-suite lines, then, last, "N passed, N failed". Exits 1 if
# anything failed or nothing ran.
import json
import re
import sys

# A sanitizer report anywhere in a test's output fails it, even where the worker
# process reported its result before LeakSanitizer ran at exit.
SANITIZER = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ")
SYNTH = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)")
PYTEST = re.compile(r"^=*\s*((?:\d+ \w+(?:, )?)+) in [\d.]+s", re.M)
TAP_PASS = re.compile(r"^# pass (\d+)$", re.M)
TAP_FAIL = re.compile(r"^# fail (\d+)$", re.M)


def inner_counts(out):
    """(tested, passing) from a runner's own summary in out, or None."""
    m = SYNTH.findall(out)
    if m:
        tested, passing, _, _ = map(int, m[-1])
        return tested, passing
    m = PYTEST.findall(out)
    if m:
        counts = {w: int(n) for n, w in (part.split(" ", 1) for part in m[-1].split(", "))}
        passing = counts.get("passed", 0) + counts.get("xfailed", 0)
        failing = sum(counts.get(k, 0) for k in ("failed", "error", "errors", "xpassed"))
        return passing + failing, passing
    p, f = TAP_PASS.findall(out), TAP_FAIL.findall(out)
    if p and f:
        return int(p[-1]) + int(f[-1]), int(p[-1])
    return None

total_pass = total_fail = 0
for build in sys.argv[1:]:
    try:
        lines = open(f"{build}/meson-logs/testlog.json").read().splitlines()
    except OSError as e:
        print(f"{build}: no test log ({e.strerror})")
        total_fail += 1
        continue
    for line in lines:
        t = json.loads(line)
        out = (t.get("stdout") or "") + (t.get("stderr") or "")
        counts = inner_counts(out)
        ok = t.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
        if t.get("result") == "SKIP":
            p, f = 0, 0
        elif counts:
            tested, passing = counts
            p, f = passing, tested - passing
            if not ok and f == 0:
                f = 1  # the executable failed after its tests (e.g. a leak report)
        else:
            p, f = (1, 0) if ok else (0, 1)
        if SANITIZER.search(out) and f == 0:
            p, f = max(p - 1, 0), 1
            print(f"{build}: {t['name']}: sanitizer report in the output")
        total_pass += p
        total_fail += f
        print(f"{build}: {t['name']}: {p} passed, {f} failed ({t.get('result')})")
print(f"{total_pass} passed, {total_fail} failed")
sys.exit(1 if total_fail or not total_pass else 0)
