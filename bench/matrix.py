#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Issue 19's one-run table: every kind of request (1 to 100,000 stubs, an unmatched request
# with near misses, 1 MB file bodies, a 100 KB templated body), the journal with its file,
# every front-end (YAML, WireMock, OpenAPI, CRUD) and the peers (WireMock, json-server,
# Prism, Mountebank, nginx), measured in the same alternating rounds so that their ratios
# compare like with like. --soak MINUTES instead drives one server at a fixed rate and
# watches its RSS. Standard library only; reuses bench/bench.py's pieces. See bench/README.md.
"""usage: matrix.py [--cannery BIN] [--quick | --smoke] [--runs N] [--duration S] [--only KEYS] [--soak MINUTES]"""

import argparse
import datetime
import http.client
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import bench as B  # noqa: E402  (bench/bench.py: stub sets, wrk, processes, checks)

BODY = B.BODY
USER = B.USER
HUGE = 100000              # stubs in the largest set (1,000 files of 100)
FILE_SIZE = 1 << 20        # the file: bodies
NFILES = 100
TPL_ITEMS = 620            # items of the ~100 KB JSON body

WIREMOCK_JAR = "wiremock/node_modules/wiremock/build/wiremock-standalone-3.13.2.jar"
JSON_SERVER = "json-server/node_modules/.bin/json-server"
PRISM = "prism/node_modules/.bin/prism"
MOUNTEBANK = "mountebank/node_modules/.bin/mb"

# ---- where the peers are ---------------------------------------------------------------


def cache_dirs():
    """This checkout's .cache, then the main checkout's (worktrees share it)."""
    dirs = [os.path.join(ROOT, ".cache")]
    common = B.git("rev-parse", "--git-common-dir")
    if common:
        main = os.path.dirname(os.path.realpath(os.path.join(ROOT, common)))
        dirs.append(os.path.join(main, ".cache"))
    return dirs


def cached(rel):
    for d in cache_dirs():
        p = os.path.join(d, rel)
        if os.path.exists(p):
            return p
    return None


def package_version(tool_path, package):
    """The version in node_modules/PACKAGE/package.json next to a tool's .bin."""
    nm = tool_path.split("/node_modules/")[0] + "/node_modules"
    try:
        with open(os.path.join(nm, package, "package.json")) as f:
            return json.load(f).get("version", "?")
    except (OSError, ValueError):
        return "?"

# ---- what is served ----------------------------------------------------------------------


def big_body(id_value):
    """The ~100 KB JSON body: the id and a link at the top, then TPL_ITEMS user objects."""
    return {"id": id_value, "self": f"/api/big/{id_value}",
            "items": [dict(USER, id=i, name=f"User {i}") for i in range(TPL_ITEMS)]}


def make_certificate(tmp):
    """One ECDSA P-256 certificate and key for localhost and 127.0.0.1 that cannery and nginx
    both serve in the HTTPS rows: (cert, key), or None without openssl."""
    if not shutil.which("openssl"):
        return None
    cert, key = os.path.join(tmp, "tls.crt"), os.path.join(tmp, "tls.key")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], capture_output=True)
    return (cert, key) if r.returncode == 0 else None


def tls_session(port, cafile):
    """What a TLS 1.3 client (Python's OpenSSL, like wrk's) negotiates: "TLSv1.3 CIPHER"."""
    ctx = ssl.create_default_context(cafile=cafile)
    with socket.create_connection(("127.0.0.1", port), 5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as t:
            return f"{t.version()} {t.cipher()[0]}"


def write_data(tmp, with_huge):
    """Writes every stub set, body, root, spec and data file under tmp; returns their paths."""
    d = {}
    flow = {"separators": (", ", ": ")}

    def stubs(name, text):
        path = os.path.join(tmp, name)
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "stubs.yaml"), "w") as f:
            f.write(text)
        return path

    d["one"] = stubs("one", B.stub_yaml("/api/users/42", json.dumps(USER, **flow)))
    d["big"] = os.path.join(tmp, "s10000")
    B.write_set(d["big"], B.BIG)
    if with_huge:
        d["huge"] = os.path.join(tmp, "s100000")
        B.write_set(d["huge"], HUGE)
    d["empty"] = stubs("empty", "")
    d["tls"] = make_certificate(tmp)

    # 100 files of 1 MB, served by cannery as file: bodies and by nginx from the same folder
    files = stubs("files", "".join(f"- request:\n    method: GET\n    path: /files/f{i:03d}.bin\n"
                                   f"  response:\n    file: files/f{i:03d}.bin\n" for i in range(NFILES)))
    os.makedirs(os.path.join(files, "files"))
    for i in range(NFILES):
        with open(os.path.join(files, "files", f"f{i:03d}.bin"), "wb") as f:
            f.write(os.urandom(FILE_SIZE))
    d["files"] = files
    d["random_file_lua"] = os.path.join(tmp, "random-file.lua")
    with open(d["random_file_lua"], "w") as f:
        f.write("local paths = {}\n"
                f"for i = 0, {NFILES - 1} do paths[#paths + 1] = string.format('/files/f%03d.bin', i) end\n"
                "local n = 0\n"
                "function init(args) n = n + 1; math.randomseed(os.time() + n * 7919) end\n"
                "function request() return wrk.format(nil, paths[math.random(#paths)]) end\n")

    # the ~100 KB body: templated (the id twice, from the path) and static (the same bytes)
    tpl = big_body("{{request.params.id | number}}")
    tpl["self"] = "/api/big/{{request.params.id}}"
    d["bodies"] = stubs("bodies", B.stub_yaml("/api/big/{id}", json.dumps(tpl, **flow)) +
                        B.stub_yaml("/api/big-static/42", json.dumps(big_body(42), **flow)))

    # the front-ends: a WireMock root, an OpenAPI spec, a CRUD data file
    wm = os.path.join(tmp, "wiremock")
    os.makedirs(os.path.join(wm, "mappings"))
    os.makedirs(os.path.join(wm, "__files"))
    with open(os.path.join(wm, "mappings", "user.json"), "w") as f:
        json.dump({"mappings": [{"request": {"method": "GET", "url": "/api/users/42"},
                                 "response": {"status": 200, "headers": {"Content-Type": B.CONTENT_TYPE},
                                              "body": BODY.decode()}}]}, f, indent=1)
    d["wiremock"] = wm
    spec = {"openapi": "3.0.3", "info": {"title": "matrix", "version": "1"},
            "paths": {"/api/users/{id}": {"get": {
                "operationId": "getUser",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "a user", "content": {B.CONTENT_TYPE: {
                    "schema": {"type": "object", "required": ["id", "name"], "properties": {
                        "id": {"type": "integer"}, "name": {"type": "string"}}},
                    "example": USER}}}}}}}}
    d["spec"] = os.path.join(tmp, "spec.json")
    with open(d["spec"], "w") as f:
        json.dump(spec, f, indent=1)
    d["db_users"] = [dict(USER, id=i) for i in range(1, 6)]
    d["db"] = os.path.join(tmp, "db.json")
    with open(d["db"], "w") as f:
        json.dump({"users": d["db_users"]}, f, indent=1)
    d["journal"] = os.path.join(tmp, "journal", "requests.ndjson")
    os.makedirs(os.path.dirname(d["journal"]))
    return d

# ---- processes ---------------------------------------------------------------------------


class GroupProc(B.Proc):
    """A peer (Java, Node) started in its own session: stopped as a process group."""

    def stop(self):
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
            except ProcessLookupError:
                pass


def spawn_peer(name, argv, tmp, port):
    err = open(os.path.join(tmp, f"{name}.log"), "w")
    popen = subprocess.Popen(argv, stdout=err, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True, cwd=tmp)
    err.close()
    return GroupProc(name, popen, port)


def wait_port(proc, timeout):
    """Waits until proc accepts connections on its port; False when it exited or timed out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", proc.port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def log_tail(tmp, name):
    try:
        with open(os.path.join(tmp, f"{name}.log")) as f:
            return " ".join(f.read()[-300:].split())
    except OSError:
        return ""


def start_mountebank(mb, tmp):
    """mb on one port, and an imposter answering body on another, made through its REST API."""
    api = B.free_port()
    proc = spawn_peer("mountebank", [mb, "--host", "127.0.0.1", "--port", str(api), "--nologfile",
                                     "--loglevel", "warn", "--pidfile", os.path.join(tmp, "mb.pid")], tmp, api)
    return proc


def add_imposter(proc, body):
    port = B.free_port()
    imposter = {"port": port, "protocol": "http", "host": "127.0.0.1", "recordRequests": False,
                "stubs": [{"responses": [{"is": {
                    "statusCode": 200,
                    # without a Connection header, Mountebank answers `Connection: close`
                    "headers": {"Content-Type": B.CONTENT_TYPE, "Connection": "keep-alive"},
                    "body": body.decode()}}]}]}
    conn = http.client.HTTPConnection("127.0.0.1", proc.port, timeout=30)
    try:
        conn.request("POST", "/imposters", json.dumps(imposter), {"Content-Type": "application/json"})
        r = conn.getresponse()
        text = r.read().decode(errors="replace")
        if r.status != 201:
            return f"POST /imposters answered {r.status}: {text[:200]}"
    finally:
        conn.close()
    proc.api_port, proc.port = proc.port, port
    return None

# ---- checks ------------------------------------------------------------------------------


def check_case(c):
    """Every answer once before it is measured: status, body (bytes or JSON value),
    Content-Type and keep-alive, for each path the case asks for."""
    problems = []
    for path, expected in c["expect"]:
        status, headers, body, kept = B.fetch_twice(c["port"], path, c.get("cafile"))
        where = f"{path}: " if len(c["expect"]) > 1 else ""
        if status != c["status"]:
            problems.append(f"{where}status {status}, expected {c['status']}")
        if isinstance(expected, bytes) and body != expected:
            problems.append(f"{where}body differs ({len(body)} bytes, expected {len(expected)}): {body[:80]!r}")
        elif expected is not None and not isinstance(expected, bytes):
            try:
                ok = json.loads(body) == expected
            except ValueError:
                ok = False
            if not ok:
                problems.append(f"{where}JSON differs: {body[:80]!r}")
        ctype = c.get("ctype", B.CONTENT_TYPE)
        if not headers.get("content-type", "").startswith(ctype):
            problems.append(f"{where}content-type {headers.get('content-type')!r}, expected {ctype}")
        if not kept:
            problems.append(f"{where}connection not kept alive")
        if problems:
            break
    return problems


def answer(port, path):
    return B.fetch_twice(port, path)[2]

# ---- the report --------------------------------------------------------------------------


def fmt_ratio_to(results, a, b, label):
    r = B.per_round_ratio(results, a, b)
    return "—" if r is None else f"{r:.2f} × {label}"


def rss_mb(pid):
    try:
        return B.rss_kb(pid)["VmRSS"] / 1024
    except (OSError, KeyError):
        return None


TARGETS = [  # key, baseline key, threshold, text
    ("big_miss", "big_first", 0.5, "unmatched at 10,000 stubs ≥ 0.5 × matched at 10,000 stubs"),
    ("huge_first", "one", 0.9, "100,000 stubs (first-loaded) ≥ 0.9 × 1 stub"),
    ("file1", "nginx_file1", 0.9, "1 MB `file:` body, one file ≥ 0.9 × nginx"),
    ("file100", "nginx_file100", 0.9, "1 MB `file:` bodies, 100 files ≥ 0.9 × nginx"),
    ("journal_file", "journal_off", 0.9, "journal on + `--journal-file` ≥ 0.9 × journal off"),
    ("tls", "nginx_tls", 0.8, "HTTPS keep-alive, 1 stub ≥ 0.8 × nginx over TLS (issue 17)"),
]


def report(args, cases, results, memory, notes, peer_versions, started):
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    commit = B.git("rev-parse", "--short", "HEAD")
    if B.git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/README.md"):
        commit += " (with uncommitted changes)"
    jvm = f" ({args.jvm_warmup} s for WireMock's JVM)" if "peer_wiremock" in results else ""
    L = [f"Measured {now} at commit {commit} with `bench/matrix.py {' '.join(sys.argv[1:])}`; "
         f"the run took {(time.monotonic() - started) / 60:.1f} min.", ""]
    L.append(f"Machine: {B.machine()}, load average {args.load_before} before and {B.load_average()} after; "
             f"{B.versions()}{''.join(', ' + v for v in peer_versions)}. "
             f"wrk -t{args.wrk_threads} -c{args.connections}, {args.duration} s per run after a "
             f"{args.warmup} s warm-up{jvm}, {args.runs} alternating rounds; "
             f"medians; ratios are medians of per-round ratios. "
             f"cannery: `{args.shown}`, `--quiet --no-watch`, default threads and journal unless said.")
    L.append("")
    L.append("| case | req/s | min–max | × YAML 1 stub | × its baseline | p50 ms | p99 ms | server CPU µs/req |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    group = None
    for c in cases:
        r = results.get(c["key"])
        if not r:
            continue
        if c["group"] != group:
            group = c["group"]
            L.append(f"| **{group}** | | | | | | | |")
        rps = [x["rps"] for x in r]
        p50 = B.median([x["p50"] for x in r if x["p50"] is not None])
        p99 = B.median([x["p99"] for x in r if x["p99"] is not None])
        cpu = B.median([x["cpu_us"] for x in r if x["cpu_us"] is not None])
        base = c.get("base")
        L.append(f"| {c['label']} | {B.fmt_rps(B.median(rps))} | {B.fmt_rps(min(rps))}–{B.fmt_rps(max(rps))} | "
                 f"{B.fmt_ratio(B.per_round_ratio(results, c['key'], 'one'))} | "
                 f"{fmt_ratio_to(results, c['key'], base[0], base[1]) if base else ''} | "
                 f"{B.fmt_ms(p50)} | {B.fmt_ms(p99)} | {'—' if cpu is None else f'{cpu:.1f}'} |")
    L.append("")
    T = []
    for key, base, threshold, text in TARGETS:
        r = B.per_round_ratio(results, key, base)
        if r is not None:
            cpu = [B.median([x["cpu_us"] for x in results[k] if x["cpu_us"]]) for k in (key, base)]
            T.append(f"- {text}: {r:.2f} {B.verdict(r >= threshold)}" +
                     (f" (server CPU {cpu[0]:.1f} vs {cpu[1]:.1f} µs/req: {cpu[1] / cpu[0]:.2f})" if all(cpu) else ""))
    if T:
        L += ["Targets (issues 19 and 17):", ""] + T + [""]
    if memory:
        L.append("| memory | VmRSS after start | VmRSS after the runs |")
        L.append("|---|---:|---:|")
        for label, before, after in memory:
            L.append(f"| {label} | {'—' if before is None else f'{before:.1f} MB'} | "
                     f"{'—' if after is None else f'{after:.1f} MB'} |")
        L.append("")
    r = results.get("mhd")
    if r and min(x["rps"] for x in r) > 0 and max(x["rps"] for x in r) / min(x["rps"] for x in r) > 1.3:
        notes.append("noisy run: the bare MHD program's req/s varied by more than 30% between rounds; "
                     "compare ratios and CPU µs/req, or re-run when the machine is quieter")
    if notes:
        L += ["Notes:", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(L)

# ---- the soak: a fixed rate, RSS sampled ---------------------------------------------------


CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.I)


def pace(port, path, rate, conns, seconds, done, errors):
    """One client process: conns keep-alive connections, requests sent on a schedule of
    `rate` per second (a request waits for a free connection when all are busy), for
    `seconds`; done and errors are shared counters."""
    import selectors
    req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    sel = selectors.DefaultSelector()
    idle, bufs = [], {}

    def connect():
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        bufs[s] = b""
        idle.append(s)

    for _ in range(conns):
        connect()
    t0 = time.monotonic()
    sent = 0
    while True:
        now = time.monotonic() - t0
        if now >= seconds:
            break
        due = int(now * rate) - sent
        while due > 0 and idle:
            s = idle.pop()
            try:
                s.send(req)
            except OSError:
                errors.value += 1
                sel.unregister(s)
                s.close()
                connect()
                continue
            sent += 1
            due -= 1
        wait = max(0.0, (sent + 1) / rate - now) if idle else 0.05
        for key, _ in sel.select(min(wait, 0.05)):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:
                errors.value += 1
                sel.unregister(s)
                s.close()
                del bufs[s]
                connect()
                continue
            buf = bufs[s] + data
            end = buf.find(b"\r\n\r\n")
            m = CONTENT_LENGTH.search(buf, 0, end) if end >= 0 else None
            if not m or len(buf) < end + 4 + int(m.group(1)):
                bufs[s] = buf
                continue
            if not buf.startswith(b"HTTP/1.1 200"):
                errors.value += 1
            bufs[s] = buf[end + 4 + int(m.group(1)):]
            done.value += 1
            idle.append(s)


def soak(args):
    minutes = args.soak
    rate = args.soak_rate
    procs_n = 2
    tmp = tempfile.mkdtemp(prefix="cannery-soak-")
    server = None
    clients = []
    try:
        one = os.path.join(tmp, "one")
        os.makedirs(one)
        with open(os.path.join(one, "stubs.yaml"), "w") as f:
            f.write(B.stub_yaml("/api/users/42", json.dumps(USER, separators=(", ", ": "))))
        journal = os.path.join(tmp, "requests.ndjson")
        server, why = B.start_cannery(args.cannery, "soak", one, ["--no-watch", "--journal-file", journal], tmp)
        if not server:
            sys.exit(f"matrix: cannery did not start: {why}")
        problems = check_case({"port": server.port, "status": 200, "expect": [("/api/users/42", BODY)]})
        if problems:
            sys.exit("matrix: soak: " + "; ".join(problems))
        seconds = minutes * 60
        print(f"matrix: soak: {rate:,} requests/s for {minutes:g} min, journal on (default limit) and "
              f"--journal-file; RSS every {args.soak_every} s", file=sys.stderr)
        counters = [(multiprocessing.RawValue("q", 0), multiprocessing.RawValue("q", 0)) for _ in range(procs_n)]
        t0 = time.monotonic()
        for done, errors in counters:
            p = multiprocessing.Process(target=pace, args=(server.port, "/api/users/42", rate / procs_n,
                                                          args.soak_connections // procs_n, seconds, done, errors))
            p.start()
            clients.append(p)
        samples = []
        last_n, last_t = 0, t0
        pid = server.popen.pid
        while True:
            t_next = t0 + (len(samples) + 1) * args.soak_every
            time.sleep(max(0.0, min(t_next, t0 + seconds) - time.monotonic()))
            now = time.monotonic()
            n = sum(d.value for d, _ in counters)
            errs = sum(e.value for _, e in counters)
            mem = B.rss_kb(pid)
            size = os.path.getsize(journal) if os.path.exists(journal) else 0
            samples.append({"t": now - t0, "rate": (n - last_n) / (now - last_t), "rss": mem["VmRSS"],
                            "hwm": mem["VmHWM"], "file": size, "errors": errs, "cpu_ns": B.cpu_ns(pid)})
            print(f"matrix: soak {now - t0:6.0f} s: {samples[-1]['rate']:8,.0f} req/s, VmRSS "
                  f"{mem['VmRSS'] / 1024:.1f} MB, journal file {size / 2**20:,.0f} MB, errors {errs}", file=sys.stderr)
            last_n, last_t = n, now
            if now - t0 >= seconds - 0.01:
                break
        for p in clients:
            p.join(30)
        text = soak_report(args, samples, minutes, rate)
        print(text)
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "soak.md"), "w") as f:
            f.write(text + "\n")
    finally:
        for p in clients:
            if p.is_alive():
                p.terminate()
                p.join()
        if server:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)   # the journal file too


def soak_report(args, samples, minutes, rate):
    L = [f"Soak {datetime.datetime.now():%Y-%m-%d %H:%M} at commit {B.git('rev-parse', '--short', 'HEAD')}: "
         f"`{args.shown}` with the journal on (default in-memory limit) and `--journal-file`, "
         f"{rate:,} requests/s asked for {minutes:g} min (a Python client, 2 processes, "
         f"{args.soak_connections} keep-alive connections); machine {B.machine()}, load average "
         f"{args.load_before} before and {B.load_average()} after.", ""]
    L.append("| time | achieved req/s | VmRSS | VmHWM | journal file | server CPU µs/req | errors |")
    L.append("|---:|---:|---:|---:|---:|---:|---:|")
    prev_cpu = None
    for s in samples:
        n = s["rate"] * args.soak_every
        cpu = "—" if prev_cpu is None or not n else f"{(s['cpu_ns'] - prev_cpu) / 1e3 / n:.1f}"
        prev_cpu = s["cpu_ns"]
        L.append(f"| {s['t']:.0f} s | {s['rate']:,.0f} | {s['rss'] / 1024:.1f} MB | {s['hwm'] / 1024:.1f} MB | "
                 f"{s['file'] / 2**20:,.1f} MB | {cpu} | {s['errors']} |")
    L.append("")
    half = samples[len(samples) // 2:]
    if len(half) >= 2:
        growth = (half[-1]["rss"] - half[0]["rss"]) / 1024
        L.append(f"RSS over the second half ({half[0]['t']:.0f} s to {half[-1]['t']:.0f} s): "
                 f"{growth:+.1f} MB; flat (< 2 MB): {'**yes**' if abs(growth) < 2 else '**no**'}. "
                 f"Mean achieved rate {sum(s['rate'] for s in samples) / len(samples):,.0f} req/s.")
    else:
        L.append("Too few samples to judge the second half: soak longer.")
    return "\n".join(L)

# ---- main ----------------------------------------------------------------------------------


def build_baseline(out):
    path = os.path.join(out, "mhd_baseline")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libmicrohttpd"],
                           capture_output=True, text=True, check=True).stdout.split()
    # as bench/run.sh builds it: the way a user builds a small MHD program
    subprocess.run(["cc", "-std=c11", "-O2", "-D_POSIX_C_SOURCE=200809L", "-D_DEFAULT_SOURCE", "-Wall", "-Wextra",
                    "-pthread", "-o", path, os.path.join(HERE, "mhd_baseline.c")] + flags, check=True)
    return path


def define_cases(args, data, only):
    """Every case: key, group, label, server, path, expected answers, and the baseline of
    its ratio (key, label)."""
    C = []

    def case(key, group, label, server, path, status=200, expect=BODY, base=None, **kw):
        C.append(dict(key=key, group=group, label=label, server=server, path=path, status=status,
                      expect=kw.pop("expect_list", None) or [(path, expect)], base=base, **kw))

    files = {}
    for i in range(NFILES):
        with open(os.path.join(data["files"], "files", f"f{i:03d}.bin"), "rb") as f:
            files[f"/files/f{i:03d}.bin"] = f.read()
    file0 = files["/files/f000.bin"]
    big = json.dumps(big_body(42), separators=(",", ":")).encode()
    kb = len(big) // 1000
    octet = "application/octet-stream"
    users = "/api/users/42"
    G1, G2, G3, G4, G5, G6 = ("Baselines: the same 164-byte JSON", "YAML stubs", "Bodies",
                              "Journal (1 stub)", "Front-ends: the same JSON", "Peers, for context")
    case("mhd", G1, "bare libmicrohttpd (2 threads, epoll)", "mhd", users)
    case("nginx", G1, "nginx `return 200` (2 workers)", "nginx", users, base=("mhd", "MHD"))
    case("one", G1, "cannery, YAML, 1 stub (journal on: 10,000 in memory)", "one", users,
         base=("journal_off", "journal off"))
    case("one_miss", G2, "1 stub, unmatched `/api/users/43` → 404 + near misses", "one", "/api/users/43",
         status=404, expect=None, base=("one", "matched"))
    case("big_first", G2, "10,000 stubs, first-loaded", "big", B.big_path(0))
    case("big_miss", G2, "10,000 stubs, unmatched `/api/r5000/users/43` → 404 + near misses", "big",
         "/api/r5000/users/43", status=404, expect=None, base=("big_first", "matched"))
    if data.get("huge"):
        case("huge_first", G2, "100,000 stubs in 1,000 files, first-loaded", "huge", B.big_path(0))
    case("file1", G3, "cannery, 1 MB `file:` body", "files", "/files/f000.bin", expect=file0,
         ctype=octet, base=("nginx_file1", "nginx"))
    case("nginx_file1", G3, "nginx, the same file (sendfile)", "nginx", "/files/f000.bin", expect=file0,
         ctype=octet)
    case("file100", G3, "cannery, 100 files of 1 MB, one at random per request", "files", "/files/f000.bin",
         ctype=octet, script=data["random_file_lua"], expect_list=list(files.items()),
         base=("nginx_file100", "nginx"))
    case("nginx_file100", G3, "nginx, the same 100 files", "nginx", "/files/f000.bin", ctype=octet,
         script=data["random_file_lua"], expect_list=list(files.items()))
    case("static100k", G3, f"cannery, {kb} KB JSON body, static", "bodies", "/api/big-static/42", expect=big)
    case("tpl100k", G3, f"cannery, {kb} KB JSON body, templated (`{{{{request.params.id}}}}` twice)",
         "bodies", "/api/big/42", expect=big, base=("static100k", "static"))
    case("journal_off", G4, "journal off (`--journal-limit 0`)", "journal_off", users)
    case("journal_file", G4, "journal on + `--journal-file`", "journal_file", users,
         base=("journal_off", "journal off"))
    case("fe_wiremock", G5, "WireMock mapping (`--wiremock ROOT`, a `url` mapping)", "fe_wiremock", users)
    case("fe_openapi", G5, "OpenAPI operation from its example (`--openapi SPEC`)", "fe_openapi", users)
    item = data["db_users"][0]
    case("fe_crud", G5, "CRUD item (`--crud data.json`, `GET /users/1`: 209 bytes, pretty)", "fe_crud",
         "/users/1", expect=item)
    if data.get("tls"):
        G7 = "HTTPS, keep-alive: the same 164-byte JSON, the same certificate (ECDSA P-256)"
        case("nginx_tls", G7, "nginx `return 200`, TLS 1.3 (2 workers)", "nginx_tls", users, scheme="https",
             cafile=data["tls"][0])
        case("tls", G7, "cannery, YAML, 1 stub, `--tls-cert` (journal on)", "tls", users, scheme="https",
             cafile=data["tls"][0], base=("nginx_tls", "nginx"))
    if not args.no_peers:
        case("peer_wiremock", G6, "WireMock 3.13.2 (OpenJDK), the same root", "peer_wiremock", users,
             base=("fe_wiremock", "cannery"))
        case("peer_json_server", G6, "json-server 0.17.4, the same data file, `GET /users/1`",
             "peer_json_server", "/users/1", expect=item, base=("fe_crud", "cannery"))
        case("peer_prism", G6, "Prism, the same spec", "peer_prism", users, expect=USER,
             base=("fe_openapi", "cannery"))
        case("peer_mountebank", G6, "Mountebank, an imposter answering the same JSON", "peer_mountebank", users)
    return [c for c in C if not only or c["key"] in only]


def start_servers(args, wanted, data, baseline, tmp, procs, notes):
    """The bare MHD program, nginx and the cannery servers the cases need, one at a time."""
    body_file = os.path.join(tmp, "body.json")
    with open(body_file, "wb") as f:
        f.write(BODY)

    def cannery(name, stub_dir, flags=()):
        t = time.monotonic()
        p, why = B.start_cannery(args.cannery, name, stub_dir, ["--no-watch"] + list(flags), tmp)
        if not p:
            sys.exit(f"matrix: cannery ({name}) did not start: {why}")
        p.ready_ms = (time.monotonic() - t) * 1e3
        return p

    def nginx():
        p, why = B.start_nginx(tmp, 2, locations=(f"    location /files/ {{ root {data['files']}; sendfile on; "
                                                  "default_type application/octet-stream; }\n"))
        if not p:
            notes.append(f"nginx skipped: {why}")
        return p

    def nginx_tls():
        p, why = B.start_nginx(tmp, 2, tls=data["tls"], name="nginx_tls")
        if not p:
            notes.append(f"nginx over TLS skipped: {why}")
        return p

    starts = {
        "mhd": lambda: B.start_baseline(baseline, body_file, args),
        "nginx": nginx,
        "one": lambda: cannery("one", data["one"]),
        "journal_off": lambda: cannery("journal_off", data["one"], ["--journal-limit", "0"]),
        "journal_file": lambda: cannery("journal_file", data["one"], ["--journal-file", data["journal"]]),
        "big": lambda: cannery("big", data["big"]),
        "huge": lambda: cannery("huge", data.get("huge")),
        "files": lambda: cannery("files", data["files"]),
        "bodies": lambda: cannery("bodies", data["bodies"]),
        "fe_wiremock": lambda: cannery("fe_wiremock", data["empty"], ["--wiremock", data["wiremock"]]),
        "fe_openapi": lambda: cannery("fe_openapi", data["empty"], ["--openapi", data["spec"]]),
        "fe_crud": lambda: cannery("fe_crud", data["empty"], ["--crud", data["db"]]),
        "nginx_tls": nginx_tls,
        "tls": lambda: cannery("tls", data["one"], ["--tls-cert", data["tls"][0], "--tls-key", data["tls"][1]]),
    }
    servers = {}
    for name, start in starts.items():
        if name in wanted:
            p = start()
            if p:
                procs.append(p)
                servers[name] = p
    return servers


def start_peers(wanted, data, tmp, procs, notes, versions):
    """The peers that are installed, all at once (each takes seconds), each in its own
    process group; returns those that answer, Mountebank with its imposter made."""
    specs = {
        "peer_wiremock": (WIREMOCK_JAR, lambda p, port: (["java", "-jar", p, "--port", str(port),
                                                          "--bind-address", "127.0.0.1", "--root-dir",
                                                          data["wiremock"], "--disable-banner"])),
        "peer_json_server": (JSON_SERVER, lambda p, port: [p, "--host", "127.0.0.1", "--port", str(port),
                                                           "--quiet", os.path.join(tmp, "json-server.json")]),
        "peer_prism": (PRISM, lambda p, port: [p, "mock", data["spec"], "-h", "127.0.0.1", "-p", str(port),
                                               "-v", "error"]),
        "peer_mountebank": (MOUNTEBANK, None),
    }
    started = {}
    for name, (rel, argv) in specs.items():
        if name not in wanted:
            continue
        path = cached(rel)
        if not path or (name == "peer_wiremock" and not shutil.which("java")):
            notes.append(f"{name[5:]} skipped: not installed (looked for .cache/{rel} here and in the main "
                         "checkout" + (", and for java" if name == "peer_wiremock" else "") + ")")
            continue
        if name == "peer_json_server":
            shutil.copy(data["db"], os.path.join(tmp, "json-server.json"))   # it writes to its file
            versions.append(f"json-server {package_version(path, 'json-server')}")
        elif name == "peer_prism":
            versions.append(f"Prism {package_version(path, '@stoplight/prism-cli')}")
        elif name == "peer_mountebank":
            versions.append(f"Mountebank {package_version(path, 'mountebank')}")
        else:
            java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
            m = re.search(r'version "([^"]+)"', java)
            versions.append(f"WireMock 3.13.2 on Java {m.group(1) if m else '?'}")
        if name == "peer_mountebank":
            p = start_mountebank(path, tmp)
        else:
            port = B.free_port()
            p = spawn_peer(name, argv(path, port), tmp, port)
        procs.append(p)
        started[name] = p
    if started and shutil.which("node"):
        versions.append("Node " + subprocess.run(["node", "--version"], capture_output=True,
                                                 text=True).stdout.strip().lstrip("v"))
    servers = {}
    for name, p in started.items():
        if not wait_port(p, 120):
            notes.append(f"{name[5:]} skipped: it did not start ({log_tail(tmp, name)})")
            continue
        if name == "peer_mountebank":
            why = add_imposter(p, BODY)
            if why:
                notes.append(f"mountebank skipped: {why}")
                continue
        servers[name] = p
    return servers


def measure(args, C, data, notes):
    """The warm-up, then the alternating rounds; returns the wrk results per case."""
    print(f"matrix: {len(C)} cases, {args.runs} rounds of {args.duration} s", file=sys.stderr)
    for c in C:
        w = args.jvm_warmup if c["key"] == "peer_wiremock" else args.warmup
        if w:
            B.wrk(args, c["port"], c["path"], w, script=c.get("script"), scheme=c.get("scheme", "http"))
    journal_bytes, journal_requests = 0, 0
    results = {c["key"]: [] for c in C}
    for rnd in range(args.runs):
        for c in C:
            r = B.wrk(args, c["port"], c["path"], args.duration, c["pid"], script=c.get("script"),
                      scheme=c.get("scheme", "http"))
            results[c["key"]].append(r)
            if r["errors"]:
                notes.append(f"{c['label']}, round {rnd + 1}: {r['errors']} socket errors")
            if c["key"] == "journal_file" and os.path.exists(data["journal"]):
                # keeps the disk use bounded: the file is opened with O_APPEND
                journal_bytes += os.path.getsize(data["journal"])
                journal_requests += r["rps"] * args.duration
                os.truncate(data["journal"], 0)
        print(f"matrix: round {rnd + 1}/{args.runs}: " +
              ", ".join(f"{c['key']} {results[c['key']][-1]['rps']:.0f}/s" for c in C), file=sys.stderr)
    if journal_requests:
        notes.append(f"the journal file took about {journal_bytes / journal_requests:.0f} bytes per request "
                     f"({journal_bytes / 2**20:,.0f} MB over the measured runs; emptied after each run)")
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cannery", default=os.path.join(ROOT, "build-bench", "cannery"))
    ap.add_argument("--baseline", help="a built bench/mhd_baseline.c (default: built into bench/out/)")
    ap.add_argument("--quick", action="store_true", help="2 rounds of 2 s")
    ap.add_argument("--smoke", action="store_true",
                    help="for CI: 1 round of 1 s, no warm-up, no peers, no 100,000-stub set; checks every answer")
    ap.add_argument("--runs", type=int, help="alternating rounds (default 5, --quick 2)")
    ap.add_argument("--duration", type=int, help="seconds per wrk run (default 3, --quick 2)")
    ap.add_argument("--warmup", type=int, help="seconds of warm-up per case (default 1)")
    ap.add_argument("--jvm-warmup", type=int, help="seconds of warm-up for WireMock's JVM (default 5, --quick 3)")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--only", help="comma-separated case keys (see bench/README.md), e.g. one,huge_first")
    ap.add_argument("--no-peers", action="store_true", help="no WireMock, json-server, Prism, Mountebank")
    ap.add_argument("--soak", type=float, metavar="MINUTES",
                    help="instead of the table: drive one server at --soak-rate for MINUTES, sampling RSS")
    ap.add_argument("--soak-rate", type=int, default=10000)
    ap.add_argument("--soak-connections", type=int, default=32)
    ap.add_argument("--soak-every", type=int, default=10, help="seconds between RSS samples")
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    args = ap.parse_args()
    args.load_before = B.load_average()
    args.cannery = os.path.abspath(args.cannery)
    args.shown = os.path.relpath(args.cannery, ROOT) if args.cannery.startswith(ROOT + os.sep) else args.cannery
    if not os.access(args.cannery, os.X_OK):
        sys.exit(f"matrix: no cannery at {args.cannery} (meson setup build-bench --buildtype=debugoptimized "
                 "&& ninja -C build-bench)")
    if args.soak:
        return soak(args)
    if not shutil.which("wrk"):
        sys.exit("matrix: wrk is not installed (apt-get install wrk)")
    if args.smoke:
        args.runs, args.duration = args.runs or 1, args.duration or 1
        args.warmup = 0 if args.warmup is None else args.warmup
        args.jvm_warmup = 0
        args.no_peers = True
    args.runs = args.runs or (2 if args.quick else 5)
    args.duration = args.duration or (2 if args.quick else 3)
    args.warmup = 1 if args.warmup is None else args.warmup
    args.jvm_warmup = args.jvm_warmup if args.jvm_warmup is not None else (3 if args.quick else 5)
    args.mhd_threads, args.mhd_flags = 2, "--memory-limit 16384"   # as bench.py's defaults
    only = set(args.only.split(",")) if args.only else None
    started = time.monotonic()
    os.makedirs(args.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="cannery-matrix-")
    procs, notes, peer_versions = [], [], []
    try:
        baseline = args.baseline or build_baseline(args.out)
        data = write_data(tmp, with_huge=not args.smoke and (only is None or "huge_first" in only))
        C = define_cases(args, data, only)
        wanted = {c["server"] for c in C}
        # cannery first, alone, so that its ready times are not the JVM's start-up
        servers = start_servers(args, wanted, data, baseline, tmp, procs, notes)
        servers.update(start_peers(wanted, data, tmp, procs, notes, peer_versions))
        C = [c for c in C if c["server"] in servers]
        for c in C:
            c["port"] = servers[c["server"]].port
            c["pid"] = servers[c["server"]].popen.pid

        # every answer once, before anything is measured
        for c in C:
            problems = check_case(c)
            if problems:
                if not c["key"].startswith("peer_"):
                    sys.exit(f"matrix: {c['label']}: " + "; ".join(problems))
                notes.append(f"{c['label']}: skipped, its answer is not the same: " + "; ".join(problems))
                c["skip"] = True
        C = [c for c in C if not c.get("skip")]
        if "fe_crud" in servers and "peer_json_server" in servers:
            a, b = answer(servers["fe_crud"].port, "/users/1"), answer(servers["peer_json_server"].port, "/users/1")
            notes.append("json-server's route shape is cannery's `--crud` one (`GET /users/1`); their answers are "
                         + ("the same bytes" if a == b else f"the same JSON, not the same bytes ({len(a)} and {len(b)})"))
        for key in ("one_miss", "big_miss"):
            c = next((c for c in C if c["key"] == key), None)
            if c:
                b = answer(c["port"], c["path"])
                try:
                    n = len(json.loads(b).get("near_misses", []))
                except (ValueError, AttributeError):
                    n = "?"
                notes.append(f"{c['label']}: the answer is {len(b):,} bytes of JSON with {n} near miss{'' if n == 1 else 'es'}")
        for c in C:
            if c.get("scheme") == "https":
                try:
                    notes.append(f"{c['label']}: {tls_session(c['port'], c['cafile'])}")
                except (OSError, ssl.SSLError) as e:
                    notes.append(f"{c['label']}: TLS session not read ({e})")
        if "peer_prism" in servers:
            b = answer(servers["peer_prism"].port, "/api/users/42")
            if b != BODY:
                notes.append(f"Prism answers the example as {len(b)} bytes (the same JSON value)")

        memory_before = {n: rss_mb(p.popen.pid) for n, p in servers.items()}
        results = measure(args, C, data, notes)
        memory = []
        for name, label in (("one", "cannery, 1 stub"), ("big", "cannery, 10,000 stubs"),
                            ("huge", "cannery, 100,000 stubs"), ("files", "cannery, 100 files of 1 MB"),
                            ("bodies", "cannery, the 100 KB bodies"),
                            ("journal_file", "cannery, journal on + file"), ("tls", "cannery, 1 stub, HTTPS"),
                            ("peer_wiremock", "WireMock (JVM)"), ("peer_json_server", "json-server (Node)"),
                            ("peer_prism", "Prism (Node)"), ("peer_mountebank", "Mountebank (Node)")):
            if name in servers:
                memory.append((label, memory_before[name], rss_mb(servers[name].popen.pid)))
        ready = [f"{n:,} stubs {servers[k].ready_ms:,.0f} ms" for n, k in ((B.BIG, "big"), (HUGE, "huge"))
                 if k in servers]
        if ready:
            notes.append("start to ready line (one start each, before the peers start): " + ", ".join(ready))
        text = report(args, C, results, memory, notes, peer_versions, started)
        print(text)
        with open(os.path.join(args.out, "matrix.md"), "w") as f:
            f.write(text + "\n")
    finally:
        B.stop_all(procs, tmp)


if __name__ == "__main__":
    main()
