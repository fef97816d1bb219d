#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The benchmark driver behind bench/run.sh: generates the stub sets, starts every
# contender (bare libmicrohttpd, nginx, cannery), runs wrk against them in alternation,
# measures RSS and start-up time, and writes a markdown report. Standard library only.
"""usage: bench.py --cannery PATH --baseline PATH [--quick] [options]  (see bench/README.md)"""

import argparse
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# The stub every contender serves: a user object of about 170 bytes, compact JSON.
USER = {
    "id": 42,
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "role": "admin",
    "active": True,
    "created_at": "2024-01-15T09:30:00Z",
    "tags": ["math", "engines"],
    "city": "London",
}
BODY = json.dumps(USER, separators=(",", ":")).encode()
CONTENT_TYPE = "application/json"

BIG = 10000          # stubs in the large set
TEMPLATE_EVERY = 10  # in the large set, stub i is a path template when i % 10 == 5

# ---- stub sets ------------------------------------------------------------------------


def stub_yaml(path, json_text, extra=""):
    return (f"- request:\n    method: GET\n    path: {path}\n"
            f"  response:\n    json: {json_text}\n{extra}")


def big_path(i):
    """The path of stub i in the generated large sets: exact, or a template every 10th."""
    if i % TEMPLATE_EVERY == 5:
        return f"/api/t{i}/users/{{id}}"
    return f"/api/r{i}/users/42"


def write_set(dirname, n, per_file=100):
    """n stubs in files of per_file stubs; files sort in load order (zero-padded)."""
    os.makedirs(dirname, exist_ok=True)
    text = json.dumps(USER, separators=(", ", ": "))
    for f in range((n + per_file - 1) // per_file):
        with open(os.path.join(dirname, f"stubs-{f:04d}.yaml"), "w") as out:
            for i in range(f * per_file, min(n, (f + 1) * per_file)):
                out.write(stub_yaml(big_path(i), text))


def make_sets(tmp):
    """Writes the stub sets under tmp: one, templated, s1000, s10000."""
    sets = {}
    one = os.path.join(tmp, "one")
    os.makedirs(one, exist_ok=True)
    with open(os.path.join(one, "user.yaml"), "w") as out:
        out.write(stub_yaml("/api/users/42", json.dumps(USER, separators=(", ", ": "))))
    sets["one"] = one
    # the same object, with its id rendered from the path by a template (issue 5)
    tpl = os.path.join(tmp, "templated")
    os.makedirs(tpl, exist_ok=True)
    templated = dict(USER, id="{{request.params.id | number}}")
    with open(os.path.join(tpl, "user.yaml"), "w") as out:
        out.write(stub_yaml("/api/users/{id}", json.dumps(templated, separators=(", ", ": "))))
    sets["templated"] = tpl
    for n in (1000, BIG):
        d = os.path.join(tmp, f"s{n}")
        write_set(d, n)
        sets[n] = d
    return sets

# ---- processes ------------------------------------------------------------------------


class Proc:
    """A server we started; stopped with SIGTERM (then SIGKILL) by its own pid only."""

    def __init__(self, name, popen, port, stub_dir=None, flags=()):
        self.name = name
        self.popen = popen
        self.port = port
        self.stub_dir = stub_dir        # cannery only: what it serves, and how
        self.flags = list(flags)

    def stop(self):
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def stop_all(procs, tmp):
    """Stops the servers we started, last first, and removes the temporary directory."""
    for p in reversed(procs):
        p.stop()
    shutil.rmtree(tmp, ignore_errors=True)


def read_line(popen, pattern, timeout):
    """Waits for a stdout line matching pattern; returns the match or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = popen.stdout.readline()
        if not line:
            return None
        m = re.search(pattern, line)
        if m:
            return m
    return None


READY = r"^cannery: serving (\d+) stubs? on https?://[^:]+:(\d+)"


def start_cannery(cannery, name, stub_dir, flags, tmp):
    # stderr goes to a file: a pipe nobody reads could block a server that writes to it
    errpath = os.path.join(tmp, f"{name}.stderr")
    with open(errpath, "w") as err:
        popen = subprocess.Popen([cannery, "serve", stub_dir, "--port", "0", "--quiet"] + flags,
                                 stdout=subprocess.PIPE, stderr=err, text=True)
    m = read_line(popen, READY, 60)
    if not m:
        popen.kill()
        popen.wait()
        with open(errpath) as f:
            return None, " ".join(f.read().replace(tmp + "/", "").split())
    return Proc(name, popen, int(m.group(2)), stub_dir, flags), None


def start_baseline(baseline, body_file, args):
    popen = subprocess.Popen([baseline, body_file, "--threads", str(args.mhd_threads)] + args.mhd_flags.split(),
                             stdout=subprocess.PIPE, text=True)
    m = read_line(popen, r"listening on port (\d+)", 10)
    if not m:
        popen.kill()
        popen.wait()
        sys.exit("bench: mhd_baseline did not start")
    return Proc("mhd", popen, int(m.group(1)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nginx(tmp, workers, locations="", tls=None, name="nginx"):
    """nginx answering every path with BODY (`return 200`), plus any `locations` given
    (server-block text, e.g. a static-file location for bench/matrix.py). tls: (cert, key)
    PEM files: HTTPS (TLS 1.3 only) on the port instead of HTTP."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if not nginx:
        return None, "nginx not installed"
    prefix = os.path.join(tmp, name)
    os.makedirs(prefix)
    port = free_port()
    user = ""
    if os.geteuid() == 0:
        # as root, workers would switch to 'nobody'; stay the user we are
        import pwd
        user = f"user {pwd.getpwuid(os.getuid()).pw_name};\n"
    temps = "".join(f"  {k}_temp_path {prefix}/{k};\n"
                    for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = (f"{user}worker_processes {workers};\ndaemon off;\nmaster_process on;\n"
            f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n  access_log off;\n  server_tokens off;\n"
            "  keepalive_requests 1000000;\n  keepalive_timeout 65;\n"
            f"  default_type {CONTENT_TYPE};\n{temps}"
            f"  server {{\n    listen 127.0.0.1:{port}{' ssl' if tls else ''};\n"
            + (f"    ssl_certificate {tls[0]};\n    ssl_certificate_key {tls[1]};\n"
               "    ssl_protocols TLSv1.3;\n" if tls else "") +
            f"    location / {{ return 200 '{BODY.decode()}'; }}\n{locations}  }}\n}}\n")
    path = os.path.join(prefix, "nginx.conf")
    with open(path, "w") as out:
        out.write(conf)
    popen = subprocess.Popen([nginx, "-e", f"{prefix}/error.log", "-p", prefix, "-c", path],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            return None, "nginx exited: " + popen.stderr.read().strip()
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return Proc(name, popen, port), None
        except OSError:
            time.sleep(0.05)
    popen.kill()
    popen.wait()
    return None, "nginx did not start listening"


def cpu_ns(pid):
    """CPU time used so far by a process, its threads and its child processes (nginx
    workers), from /proc/PID/task/*/schedstat, in nanoseconds."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
            with open(f"/proc/{pid}/task/{t}/children") as f:
                total += sum(cpu_ns(int(c)) for c in f.read().split())
        except (OSError, ValueError, IndexError):
            pass
    return total


def rss_kb(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])
    return out

# ---- checks ---------------------------------------------------------------------------


def fetch_twice(port, path, cafile=None):
    """Two requests on one connection: (status, headers, body) of the second, and whether
    the connection stayed open between them (keep-alive). cafile: HTTPS, verified against it."""
    if cafile:
        ctx = ssl.create_default_context(cafile=cafile)
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=ctx)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        first_sock = conn.sock
        kept = r.getheader("Connection", "").lower() != "close"
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        kept = kept and conn.sock is first_sock
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body, kept
    finally:
        conn.close()


def check_case(case):
    status, headers, body, kept = fetch_twice(case["port"], case["path"])
    problems = []
    if status != case["status"]:
        problems.append(f"status {status}, expected {case['status']}")
    if case["status"] == 200 and body != BODY:
        problems.append(f"body differs: {body[:80]!r}")
    if not headers.get("content-type", "").startswith(CONTENT_TYPE):
        problems.append(f"content-type {headers.get('content-type')!r}")
    if not kept:
        problems.append("connection not kept alive")
    return problems

# ---- wrk ------------------------------------------------------------------------------


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def wrk(args, port, path, duration, pid=None, script=None, scheme="http"):
    """One wrk run; script is a wrk Lua script (e.g. one that picks the path per request);
    scheme "https" for a TLS server (wrk does not verify certificates)."""
    cmd = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{duration}s", "--latency",
           f"{scheme}://127.0.0.1:{port}{path}"] + (["-s", script] if script else [])
    before = cpu_ns(pid) if pid else 0
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    used = cpu_ns(pid) - before if pid else 0
    res = {"rps": 0.0, "p50": None, "p99": None, "errors": 0, "cpu_us": None}
    m = re.search(r"(\d+) requests in", out)
    if m and int(m.group(1)) and used > 0:
        res["cpu_us"] = used / 1e3 / int(m.group(1))
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        res["rps"] = float(m.group(1))
    for pct, key in (("50", "p50"), ("99", "p99")):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        if m:
            res[key] = parse_ms(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        res["errors"] = sum(int(g) for g in m.groups())
    return res

# ---- start-up time --------------------------------------------------------------------


def time_to_ready(cannery, stub_dir):
    """Seconds from just before exec to the ready line on stdout (monotonic clock)."""
    t0 = time.monotonic()
    popen = subprocess.Popen([cannery, "serve", stub_dir, "--port", "0", "--quiet"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    m = read_line(popen, READY, 60)
    t = time.monotonic() - t0
    Proc("startup", popen, 0).stop()
    popen.stdout.close()
    return t if m else None

# ---- report ---------------------------------------------------------------------------


def median(v):
    return statistics.median(v) if v else None


def fmt_rps(v):
    return "—" if v is None else f"{v:,.0f}"


def fmt_ratio(v):
    return "—" if v is None else f"{v:.2f}"


def fmt_ms(v):
    return "—" if v is None else (f"{v:.2f}" if v < 10 else f"{v:.0f}")


def user_args():
    """The options given to bench/run.sh (run.sh adds --cannery and --baseline)."""
    out, skip = [], False
    for a in sys.argv[1:]:
        if skip:
            skip = False
        elif a in ("--cannery", "--baseline"):
            skip = True
        elif not a.startswith(("--cannery=", "--baseline=")):
            out.append(a)
    return out


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[0]
    except OSError:
        return "?"


def git(*a):
    try:
        return subprocess.run(["git", "-C", ROOT] + list(a), capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model or platform.machine()}), Linux {platform.release()}"


def versions():
    v = []
    try:
        v.append("libmicrohttpd " + subprocess.run(["pkg-config", "--modversion", "libmicrohttpd"],
                                                   capture_output=True, text=True).stdout.strip())
    except OSError:
        pass
    n = shutil.which("nginx") or "/usr/sbin/nginx"
    if os.access(n, os.X_OK):
        err = subprocess.run([n, "-v"], capture_output=True, text=True).stderr.strip()
        v.append(err.replace("nginx version: ", ""))
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    m = re.search(r"wrk (\S+)", out.stdout + out.stderr)
    if m:
        v.append("wrk " + m.group(1))
    return ", ".join(v)


def per_round_ratio(results, a, b):
    """Median over rounds of a/b, each pair measured in the same round (same noise)."""
    ra, rb = results.get(a), results.get(b)
    if not ra or not rb:
        return None
    pairs = [x["rps"] / y["rps"] for x, y in zip(ra, rb) if y["rps"] > 0]
    return median(pairs)


def verdict(ok):
    return "**holds**" if ok else "**misses**"


def report(args, cases, results, notes, rss, startup, journal):
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    commit = git("rev-parse", "--short", "HEAD")
    # the figures in bench/README.md are not part of what is measured
    if git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/README.md"):
        commit += " (with uncommitted changes)"
    L = []
    L.append(f"Measured {now} at commit {commit} with `{' '.join(['bench/run.sh'] + user_args())}`.")
    L.append("")
    L.append(f"Machine: {machine()}, load average {args.load_before} before and {load_average()} after; "
             f"{versions()}. wrk -t{args.wrk_threads} -c{args.connections}, "
             f"{args.duration} s per run after a {args.warmup} s warm-up, {args.runs} alternating rounds; "
             f"medians; ratios are medians of per-round ratios. Response: {len(BODY)}-byte JSON.")
    L.append("")
    base = "one_journal" if journal else "one"
    L.append("| case | req/s | min–max | × mhd | × nginx | × cannery 1 stub | p50 ms | p99 ms | server CPU µs/req |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in cases:
        r = results.get(c["key"])
        if not r:
            continue
        rps = [x["rps"] for x in r]
        p50 = median([x["p50"] for x in r if x["p50"] is not None])
        p99 = median([x["p99"] for x in r if x["p99"] is not None])
        cpu = median([x["cpu_us"] for x in r if x["cpu_us"] is not None])
        L.append(f"| {c['label']} | {fmt_rps(median(rps))} | {fmt_rps(min(rps))}–{fmt_rps(max(rps))} | "
                 f"{fmt_ratio(per_round_ratio(results, c['key'], 'mhd'))} | "
                 f"{fmt_ratio(per_round_ratio(results, c['key'], 'nginx'))} | "
                 f"{fmt_ratio(per_round_ratio(results, c['key'], base))} | {fmt_ms(p50)} | {fmt_ms(p99)} | "
                 f"{'—' if cpu is None else f'{cpu:.1f}'} |")
    L.append("")
    if rss:
        L.append("| memory (10,000 stubs) | VmRSS | VmHWM |")
        L.append("|---|---:|---:|")
        for k, v in rss.items():
            L.append(f"| {k} | {v['VmRSS'] / 1024:.1f} MB | {v['VmHWM'] / 1024:.1f} MB |")
        L.append("")
    if startup:
        L.append("| start to ready line | median | min–max |")
        L.append("|---|---:|---:|")
        for n, ts in startup.items():
            ms = [t * 1e3 for t in ts]
            L.append(f"| {n:,} stub{'s' if n != 1 else ''} | {median(ms):.1f} ms | {min(ms):.1f}–{max(ms):.1f} ms |")
        L.append("")

    # targets from issue 7
    T = []
    r = per_round_ratio(results, base, "mhd")
    if r is not None:
        if journal:
            T.append(f"- journal on ≥ 0.90 × bare MHD: {r:.2f} {verdict(r >= 0.90)}")
        else:
            T.append(f"- journal on ≥ 0.90 × bare MHD: not measurable yet (no journal in this build); "
                     f"without a journal {r:.2f} {verdict(r >= 0.90)}")
    for key, what in (("big_first", "first"), ("big_last", "last")):
        r = per_round_ratio(results, key, base)
        if r is not None:
            T.append(f"- 10,000 stubs ≥ 0.95 × 1 stub, {what} stub: {r:.2f} {verdict(r >= 0.95)}")
    if rss:
        idle = rss.get("idle, after start")
        load = rss.get("after every run")
        if idle:
            mb = idle["VmRSS"] / 1024
            T.append(f"- RSS at idle ≤ 20 MB with 10,000 stubs: {mb:.1f} MB {verdict(mb <= 20)}")
        if load:
            mb = load["VmRSS"] / 1024
            T.append(f"- RSS after load ≤ 40 MB: {mb:.1f} MB (peak {load['VmHWM'] / 1024:.1f} MB) {verdict(mb <= 40)}"
                     + ("" if journal else " (no journal in this build)"))
    for n, limit in ((1000, 50), (BIG, 300)):
        if startup.get(n):
            ms = median(startup[n]) * 1e3
            T.append(f"- ready with {n:,} stubs < {limit} ms: {ms:.0f} ms {verdict(ms < limit)}")
    if T:
        L.append("Targets (issue 7):")
        L.append("")
        L += T
        L.append("")
    r = results.get("mhd")
    if r and min(x["rps"] for x in r) > 0 and max(x["rps"] for x in r) / min(x["rps"] for x in r) > 1.3:
        notes.append("noisy run: the bare MHD program's req/s varied by more than 30% between rounds; "
                     "compare ratios and CPU µs/req, or re-run when the machine is quieter")
    cmp_lines = []
    for c in cases:
        if c["key"].endswith("_cmp"):
            r = per_round_ratio(results, c["key"][:-4], c["key"])
            a = median([x["cpu_us"] for x in results.get(c["key"][:-4], []) if x["cpu_us"]])
            b = median([x["cpu_us"] for x in results.get(c["key"], []) if x["cpu_us"]])
            if r is not None:
                cmp_lines.append(f"- {c['label'][:-len(' [compare]')]}: {r:.3f} × the throughput of the --compare "
                                 f"binary" + (f"; server CPU {a:.1f} vs {b:.1f} µs/req" if a and b else ""))
    if cmp_lines:
        L.append("This build against the --compare binary (medians of per-round ratios):")
        L.append("")
        L += cmp_lines
        L.append("")
    if notes:
        L.append("Notes:")
        L.append("")
        L += [f"- {n}" for n in notes]
        L.append("")
    return "\n".join(L)


def update_readme(text):
    """Replaces the figures between the markers in bench/README.md (and nothing else)."""
    path = os.path.join(HERE, "README.md")
    with open(path) as f:
        readme = f.read()
    begin, end = "<!-- bench:figures:begin -->", "<!-- bench:figures:end -->"
    i, j = readme.find(begin), readme.find(end)
    if i < 0 or j < i:
        print("bench: bench/README.md has no figure markers; not updated", file=sys.stderr)
        return
    with open(path, "w") as f:
        f.write(readme[:i + len(begin)] + "\n" + text.rstrip() + "\n" + readme[j:])

# ---- main -----------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cannery")
    ap.add_argument("--baseline")
    ap.add_argument("--write-sets", metavar="DIR", help="only write the generated stub sets into DIR "
                    "(one, templated, s1000, s10000) and the response body into DIR/body.json")
    ap.add_argument("--quick", action="store_true", help="2 rounds of 2 s, 3 starts per set")
    ap.add_argument("--runs", type=int, help="alternating rounds (default 5, --quick 2)")
    ap.add_argument("--duration", type=int, help="seconds per wrk run (default 3, --quick 2)")
    ap.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per case (default 1)")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--mhd-threads", type=int, default=2, help="thread pool of the bare MHD program")
    # the ceiling runs with the MHD daemon options cannery uses (CONNECTION_MEMORY in src/http.c)
    ap.add_argument("--mhd-flags", default="--memory-limit 16384",
                    help="flags for mhd_baseline (default: --memory-limit 16384, as cannery)")
    ap.add_argument("--nginx-workers", type=int, default=2)
    ap.add_argument("--starts", type=int, help="starts per set for the ready-line timing (default 7, --quick 3)")
    ap.add_argument("--cannery-flags", default=os.environ.get("BENCH_CANNERY_FLAGS", ""),
                    help="extra flags for every cannery serve")
    ap.add_argument("--journal-on", default=os.environ.get("BENCH_JOURNAL_ON", "--journal-limit 10000"),
                    help="flags that turn the journal on (default: --journal-limit 10000)")
    ap.add_argument("--journal-off", default=os.environ.get("BENCH_JOURNAL_OFF", "--journal-limit 0"),
                    help="flags that turn the journal off (default: --journal-limit 0)")
    ap.add_argument("--no-nginx", action="store_true")
    ap.add_argument("--only", help="comma-separated case keys to run (e.g. mhd,one,big_last); "
                    "skips the start-up timing unless 'startup' is listed")
    ap.add_argument("--compare", metavar="BINARY",
                    help="also run every cannery case against this other cannery binary, in the same rounds")
    ap.add_argument("--readme", action="store_true", help="also write the figures into bench/README.md")
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    args = ap.parse_args()
    if args.write_sets:
        os.makedirs(args.write_sets, exist_ok=True)
        make_sets(args.write_sets)
        with open(os.path.join(args.write_sets, "body.json"), "wb") as f:
            f.write(BODY)
        return
    if not args.cannery or not args.baseline:
        ap.error("--cannery and --baseline are required")
    args.runs = args.runs or (2 if args.quick else 5)
    args.duration = args.duration or (2 if args.quick else 3)
    args.starts = args.starts or (3 if args.quick else 7)
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is not installed (apt-get install wrk)")

    args.load_before = load_average()
    os.makedirs(args.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="cannery-bench-")
    procs = []
    notes = []
    try:
        sets = make_sets(tmp)
        body_file = os.path.join(tmp, "body.json")
        with open(body_file, "wb") as f:
            f.write(BODY)
        extra = args.cannery_flags.split()

        # start-up time first, while nothing else runs
        startup = {}
        for n, d in () if args.only and "startup" not in args.only.split(",") else ((1, sets["one"]), (1000, sets[1000]), (BIG, sets[BIG])):
            ts = [time_to_ready(args.cannery, d) for _ in range(args.starts)]
            startup[n] = [t for t in ts if t is not None]
            print(f"bench: ready with {n} stubs: {median(startup[n]) * 1e3:.1f} ms", file=sys.stderr)

        cases = []

        def case(key, label, proc, path, status=200):
            cases.append({"key": key, "label": label, "port": proc.port, "pid": proc.popen.pid,
                          "path": path, "status": status,
                          "proc": proc if proc.stub_dir else None})

        mhd = start_baseline(args.baseline, body_file, args)
        procs.append(mhd)
        case("mhd", f"bare libmicrohttpd ({args.mhd_threads} threads, epoll)", mhd, "/api/users/42")
        if not args.no_nginx:
            ng, why = start_nginx(tmp, args.nginx_workers)
            if ng:
                procs.append(ng)
                case("nginx", f"nginx `return 200` ({args.nginx_workers} workers)", ng, "/api/users/42")
            else:
                notes.append(f"nginx skipped: {why}")

        # the journal: detected by starting with the flags that turn it on
        journal = False
        p, why = start_cannery(args.cannery, "one_journal", sets["one"], extra + args.journal_on.split(), tmp)
        if p:
            journal = True
            procs.append(p)
            case("one_journal", "cannery, 1 stub, journal on", p, "/api/users/42")
            q, why = start_cannery(args.cannery, "one", sets["one"], extra + args.journal_off.split(), tmp)
            if q:
                procs.append(q)
                case("one", "cannery, 1 stub, journal off", q, "/api/users/42")
            else:
                notes.append(f"journal off not measured: `{args.journal_off}` refused ({why})")
        else:
            notes.append(f"journal on/off not compared: `{args.journal_on}` refused ({why}); "
                         "every cannery case runs without a journal")
        # the 1-stub server the unmatched case uses: journal on where there is one
        one = next((x for x in procs if x.name == ("one_journal" if journal else "one")), None)
        if not one:
            one, why = start_cannery(args.cannery, "one", sets["one"], extra, tmp)
            if not one:
                sys.exit(f"bench: cannery did not start: {why}")
            procs.append(one)
            case("one", "cannery, 1 stub", one, "/api/users/42")
        base_flags = extra + (args.journal_on.split() if journal else [])
        big, why = start_cannery(args.cannery, "big", sets[BIG], base_flags, tmp)
        if not big:
            sys.exit(f"bench: cannery did not start with {BIG} stubs: {why}")
        procs.append(big)
        time.sleep(0.5)
        rss = {"idle, after start": rss_kb(big.popen.pid)}
        case("big_first", "cannery, 10,000 stubs, first-loaded (exact)", big, big_path(0).replace("{id}", "42"))
        case("big_last", "cannery, 10,000 stubs, last-loaded (exact)", big,
             big_path(BIG - 1).replace("{id}", "42"))
        t = BIG // 2 + 5
        case("big_template", "cannery, 10,000 stubs, template route", big, big_path(t).replace("{id}", "42"))

        # templated responses (issue 5): detected by what the server answers
        tp, why = start_cannery(args.cannery, "templated", sets["templated"], base_flags, tmp)
        if tp:
            procs.append(tp)
            st, _, body, _ = fetch_twice(tp.port, "/api/users/42")
            if st == 200 and body == BODY:
                case("templated", "cannery, templated response", tp, "/api/users/42")
            else:
                notes.append("templated response not measured: this build does not render templates "
                             f"(got {body[:60]!r})")
        else:
            notes.append(f"templated response not measured: the stub was refused ({why})")
        case("miss_one", "unmatched → 404 + near misses, 1 stub", one, "/api/users/43", 404)
        case("miss_big", "unmatched → 404 + near misses, 10,000 stubs", big, "/api/r5000/users/43", 404)

        if args.only:
            keep = set(args.only.split(","))
            cases = [c for c in cases if c["key"] in keep]
        if args.compare:
            # a twin of every cannery case, served by the other binary, in the same rounds
            twins = {}
            for c in list(cases):
                if c["proc"] is None:
                    continue
                src = c["proc"]
                if src.name not in twins:
                    t, why = start_cannery(args.compare, src.name + "_cmp", src.stub_dir, src.flags, tmp)
                    if not t:
                        sys.exit(f"bench: --compare binary did not start: {why}")
                    procs.append(t)
                    twins[src.name] = t
                cases.insert(cases.index(c) + 1, dict(c, key=c["key"] + "_cmp", label=c["label"] + " [compare]",
                                                      port=twins[src.name].port, pid=twins[src.name].popen.pid,
                                                      proc=twins[src.name]))

        for c in cases:
            problems = check_case(c)
            if problems:
                sys.exit(f"bench: {c['label']}: " + "; ".join(problems))

        print(f"bench: {len(cases)} cases, {args.runs} rounds of {args.duration} s", file=sys.stderr)
        for c in cases:
            wrk(args, c["port"], c["path"], args.warmup)
        results = {c["key"]: [] for c in cases}
        for rnd in range(args.runs):
            for c in cases:
                r = wrk(args, c["port"], c["path"], args.duration, c["pid"])
                results[c["key"]].append(r)
                if r["errors"]:
                    notes.append(f"{c['label']}, round {rnd + 1}: {r['errors']} socket errors")
            print(f"bench: round {rnd + 1}/{args.runs}: " +
                  ", ".join(f"{c['key']} {results[c['key']][-1]['rps']:.0f}/s "
                            f"{results[c['key']][-1]['cpu_us'] or 0:.1f}µs" for c in cases), file=sys.stderr)
        rss["after every run"] = rss_kb(big.popen.pid)

        text = report(args, cases, results, notes, rss, startup, journal)
        print(text)
        with open(os.path.join(args.out, "latest.md"), "w") as f:
            f.write(text + "\n")
        with open(os.path.join(args.out, "latest.json"), "w") as f:
            json.dump({"cases": [{k: v for k, v in c.items() if k != "proc"} for c in cases], "results": results, "rss_kb": rss, "startup_s": startup,
                       "notes": notes}, f, indent=1)
        if args.readme:
            update_readme(text)
    finally:
        stop_all(procs, tmp)


if __name__ == "__main__":
    main()
