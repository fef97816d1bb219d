#!/usr/bin/env python3
# Sums every test of every build dir given, from meson's testlog.json: Criterion's
# "Synthesis" line counts the tests inside each executable; an executable that failed
# without one (it crashed, or timed out) counts as one failure. Prints per-suite lines,
# then, last, "N passed, N failed". Exits 1 if anything failed or nothing ran.
import json
import re
import sys

# A sanitizer report anywhere in a test's output fails it, even where the worker
# process reported its result before LeakSanitizer ran at exit.
SANITIZER = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ")
SYNTH = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)")

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
        m = SYNTH.findall(out)
        ok = t.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
        if m:
            tested, passing, failing, crashing = map(int, m[-1])
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
