#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The 100,000-stub benchmark behind bench/scale.sh (issue 19): start-to-ready and memory
# with 10,000 and 100,000 one-line stubs (bench.py's large set, 100 stubs a file), and the
# reload of one changed file at 100,000. No load generator: one request at a time, on
# 127.0.0.1 only. Standard library only.
"""usage: scale.py CANNERY [CANNERY ...] [--starts N] [--edits N]  (see bench/README.md)"""

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the generated sets, the ready line, RSS: one definition each)

SIZES = (10000, 100000)
EDITED = "stubs-0500.yaml"     # the file the reload edits: stubs 50,000..50,099


def write_distinct(dirname, n, per_file=100):
    """bench.write_set, but every body differs (its id is the stub's number): what memory
    costs when no two bodies are alike."""
    os.makedirs(dirname, exist_ok=True)
    for f in range(n // per_file):
        with open(os.path.join(dirname, f"stubs-{f:04d}.yaml"), "w") as out:
            for i in range(f * per_file, (f + 1) * per_file):
                body = json.dumps(dict(bench.USER, id=i), separators=(", ", ": "))
                out.write(bench.stub_yaml(bench.big_path(i), body))


RACY_S = 2.1   # the loader trusts a file's stat once its mtime and ctime are 2 s old
               # (STUB_CACHE_RACY_NS); ctime cannot be set back, so the reload waits


def cpu_s(pid):
    """CPU time (user + system, all threads) the process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(cannery, stub_dir, extra=()):
    """(popen, port, seconds from just before exec to the ready line, CPU seconds by then)."""
    t0 = time.monotonic()
    popen = subprocess.Popen([cannery, "serve", stub_dir, "--port", "0", "--quiet", *extra],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    m = bench.read_line(popen, bench.READY, 120)
    t = time.monotonic() - t0
    if not m:
        stop(popen)
        sys.exit(f"scale: {cannery} did not start on {stub_dir}")
    return popen, int(m.group(2)), t, cpu_s(popen.pid)


def stop(popen):
    bench.Proc("scale", popen, 0).stop()
    popen.stdout.close()


def request(conn, method, path):
    conn.request(method, path)
    r = conn.getresponse()
    return r.status, r.read()


def edit(path, k):
    """Rewrites the edited file with body marker k in every stub (same paths)."""
    with open(path) as f:
        text = f.read()
    text = re.sub(r'"city": "[^"]*"', f'"city": "edit {k}"', text)
    with open(path, "w") as f:
        f.write(text)


def reload_times(cannery, stub_dir, edits, idle_edits, pause):
    """Seconds of POST /__cannery/reload after one file of stub_dir changed, on a
    --no-watch server, and the CPU time the server used meanwhile (schedstat, all its
    threads: steadier on a busy machine); each edit is checked to be served afterwards.
    First edits back to back (an editing session), then idle_edits each after a pause
    of pause s, long enough for the server to trim its heap (catalog.h's
    CATALOG_TRIM_DELAY_MS), and VmRSS after each series."""
    popen, port, _, _ = start(cannery, stub_dir, ["--no-watch"])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    path = os.path.join(stub_dir, EDITED)
    probe = bench.big_path(50001)         # an exact stub of the edited file
    out = {"busy": [], "busy_cpu": [], "idle": [], "idle_cpu": []}

    def one(k, series):
        edit(path, k)
        c0 = bench.cpu_ns(popen.pid)
        t0 = time.monotonic()
        status, body = request(conn, "POST", "/__cannery/reload")
        t = time.monotonic() - t0
        out[series + "_cpu"].append((bench.cpu_ns(popen.pid) - c0) / 1e9)
        if status != 200:
            sys.exit(f"scale: reload answered {status}: {body[:200]!r}")
        status, body = request(conn, "GET", probe)
        if status != 200 or f'"edit {k}"'.encode() not in body:
            sys.exit(f"scale: edit {k} not served after the reload ({status} {body[:120]!r})")
        out[series].append(t)

    try:
        for k in range(edits):
            one(k, "busy")
        out["busy_rss"] = bench.rss_kb(popen.pid)
        for k in range(edits, edits + idle_edits):
            conn.close()                  # a new connection after a pause, as a client would
            time.sleep(pause)
            out["idle_rss"] = bench.rss_kb(popen.pid)
            one(k, "idle")
    finally:
        conn.close()
        stop(popen)
    return out


def ms(t):
    return f"{t * 1e3:,.0f} ms" if t >= 0.1 else f"{t * 1e3:.1f} ms"


def mb(kb):
    return f"{kb / 1024:.1f} MB"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("cannery", nargs="+", help="binaries to measure, in one run (first: the one under test)")
    ap.add_argument("--starts", type=int, default=5, help="starts per size for the ready time (median)")
    ap.add_argument("--edits", type=int, default=7, help="edits of one file for the reload time (median)")
    ap.add_argument("--idle-edits", type=int, default=3, help="edits after a pause, for the reload of an idle server")
    ap.add_argument("--pause", type=float, default=11.0, help="seconds of each pause (over the trim delay, 10 s)")
    ap.add_argument("--no-distinct", action="store_true", help="skip the 100,000 distinct-bodies set")
    args = ap.parse_args()
    for b in args.cannery:
        if not os.access(b, os.X_OK):
            sys.exit(f"scale: no binary at {b}")
    load_before = os.getloadavg()
    tmp = tempfile.mkdtemp(prefix="cannery-bench-scale-")
    try:
        sets = {}
        for n in SIZES:
            sets[n] = os.path.join(tmp, f"s{n}")
            bench.write_set(sets[n], n)
        if not args.no_distinct:
            sets["distinct"] = os.path.join(tmp, "distinct")
            write_distinct(sets["distinct"], SIZES[-1])
        written = time.monotonic()
        res = {b: {"ready": {n: [] for n in SIZES}, "cpu": {n: [] for n in SIZES}, "rss": {}}
               for b in args.cannery}
        # starts alternate between binaries and sizes, so that noise hits all of them
        for _ in range(args.starts):
            for b in args.cannery:
                for n in SIZES:
                    popen, _, t, cpu = start(b, sets[n])
                    res[b]["ready"][n].append(t)
                    res[b]["cpu"][n].append(cpu)
                    res[b]["rss"][n] = bench.rss_kb(popen.pid)
                    stop(popen)
        for b in args.cannery:
            if not args.no_distinct:
                popen, _, _, _ = start(b, sets["distinct"])
                res[b]["rss"]["distinct"] = bench.rss_kb(popen.pid)
                stop(popen)
        # a reload reads again what was written less than 2 s before the server's load
        time.sleep(max(0.0, written + RACY_S - time.monotonic()))
        for b in args.cannery:
            res[b]["reload"] = reload_times(b, sets[SIZES[-1]], args.edits, args.idle_edits, args.pause)
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    L = []
    L.append(f"Machine: {bench.machine()}, load average {load_before[0]:.2f} before and "
             f"{load_after[0]:.2f} after; {args.starts} starts per size (median, min–max), "
             f"{args.edits} edits back to back and {args.idle_edits} after {args.pause:g} s pauses "
             f"for the reload (median, min–max).")
    L.append("")
    cols = " | ".join(os.path.relpath(b) for b in args.cannery)
    L.append(f"| figure | {cols} |")
    L.append("|---|" + "---:|" * len(args.cannery))

    def row(label, f):
        L.append(f"| {label} | " + " | ".join(f(res[b]) for b in args.cannery) + " |")

    def spread(v):
        return f"{ms(statistics.median(v))} ({ms(min(v))}–{ms(max(v))})"

    for n in SIZES:
        row(f"ready, {n:,} stubs ({n // 100:,} files)", lambda r, n=n: spread(r["ready"][n]))
    row("ready ratio 100,000 ÷ 10,000", lambda r: f"{statistics.median(r['ready'][SIZES[1]]) / statistics.median(r['ready'][SIZES[0]]):.1f}×")
    for n in SIZES:
        row(f"CPU time to ready (all threads), {n:,} stubs", lambda r, n=n: spread(r["cpu"][n]))
    row("CPU time ratio 100,000 ÷ 10,000", lambda r: f"{statistics.median(r['cpu'][SIZES[1]]) / statistics.median(r['cpu'][SIZES[0]]):.1f}×")
    for n in SIZES:
        row(f"VmRSS / VmHWM after start, {n:,} stubs",
            lambda r, n=n: f"{mb(r['rss'][n]['VmRSS'])} / {mb(r['rss'][n]['VmHWM'])}")
    if not args.no_distinct:
        row("VmRSS / VmHWM, 100,000 stubs, no two bodies alike",
            lambda r: f"{mb(r['rss']['distinct']['VmRSS'])} / {mb(r['rss']['distinct']['VmHWM'])}")
    row("reload of one changed file at 100,000 (POST /__cannery/reload), edits back to back",
        lambda r: spread(r["reload"]["busy"]))
    row("CPU time of that reload (server, all threads)", lambda r: spread(r["reload"]["busy_cpu"]))
    row("VmRSS / VmHWM after those reloads",
        lambda r: f"{mb(r['reload']['busy_rss']['VmRSS'])} / {mb(r['reload']['busy_rss']['VmHWM'])}")
    if args.idle_edits:
        row(f"reload of one changed file at 100,000, each after a {args.pause:g} s pause",
            lambda r: spread(r["reload"]["idle"]))
        row("CPU time of that reload (server, all threads)", lambda r: spread(r["reload"]["idle_cpu"]))
        row(f"VmRSS after a {args.pause:g} s pause", lambda r: mb(r["reload"]["idle_rss"]["VmRSS"]))
    print("\n".join(L))


if __name__ == "__main__":
    main()
