#!/usr/bin/env python3
"""Differential check of `cannery serve --crud` against json-server 0.17.4 (docs/crud.md).

    scripts/crud-parity.py [BIN]      (default: build/cannery)

Installs json-server@0.17.4 with npm into .cache/json-server (git-ignored) when it is
not there, starts it and cannery on the same data (two copies of one db.json), both on
127.0.0.1, sends both the same sequence of requests and compares status, the headers
that matter (Content-Type, X-Total-Count, Link, Location, Access-Control-Expose-Headers)
and the JSON body. SPEC section 10's deliberate differences are listed in DELIBERATE and
reported apart. Prints each mismatch and one summary line; exits 1 when any request
differs in a way that is not deliberate. Stops by itself.
"""
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CACHE = os.path.join(ROOT, ".cache", "json-server")

DB = {
    "posts": [
        {"id": 1, "title": "json-server", "author": "typicode", "views": 100, "tags": ["a", "b"],
         "meta": {"lang": "en", "stars": 5}},
        {"id": 2, "title": "cannery", "author": "ada", "views": 250, "meta": {"lang": "fr", "stars": 3}},
        {"id": 3, "title": "Mock servers", "author": "ada", "views": 40, "meta": {"lang": "en", "stars": 4}},
        {"id": 4, "title": "REST", "author": "bob", "views": 250, "meta": {"lang": "de", "stars": 1}},
        {"id": 5, "title": "Paging", "author": "carol", "views": 7, "meta": {"lang": "en", "stars": 2}},
    ] + [{"id": i, "title": f"post {i}", "author": "bulk", "views": i * 3} for i in range(6, 24)],
    "comments": [
        {"id": 1, "body": "some comment", "postId": 1},
        {"id": 2, "body": "another", "postId": 1},
        {"id": 3, "body": "on cannery", "postId": 2},
    ],
    "tags": [{"id": "x1", "name": "http"}, {"id": "x2", "name": "mock"}],
    "profile": {"name": "typicode", "site": "example.org"},
}

# (method, path, body or None)
REQUESTS = [
    ("GET", "/posts", None),
    ("GET", "/posts/1", None),
    ("GET", "/posts/99", None),
    ("GET", "/posts?author=ada", None),
    ("GET", "/posts?author=ada&author=bob", None),
    ("GET", "/posts?meta.lang=en", None),
    ("GET", "/posts?views_gte=100", None),
    ("GET", "/posts?views_lte=40", None),
    ("GET", "/posts?views_ne=250", None),
    ("GET", "/posts?title_like=^M", None),
    ("GET", "/posts?title_like=server", None),
    ("GET", "/posts?q=ada", None),
    ("GET", "/posts?q=250", None),
    ("GET", "/posts?_sort=views&_order=desc", None),
    ("GET", "/posts?_sort=author,views&_order=asc,desc", None),
    ("GET", "/posts?_sort=views", None),
    ("GET", "/posts?_start=2&_end=5", None),
    ("GET", "/posts?_start=20", None),
    ("GET", "/posts?_start=1&_limit=2", None),
    ("GET", "/posts?_limit=3", None),
    ("GET", "/posts?_page=1", None),
    ("GET", "/posts?_page=2", None),
    ("GET", "/posts?_page=3&_limit=5", None),
    ("GET", "/posts?_page=9&_limit=5", None),
    ("GET", "/posts?author=bulk&_page=2&_limit=4&_sort=views&_order=desc", None),
    ("GET", "/posts?_embed=comments", None),
    ("GET", "/posts/1?_embed=comments", None),
    ("GET", "/comments?_expand=post", None),
    ("GET", "/comments/3?_expand=post", None),
    ("GET", "/tags", None),
    ("GET", "/tags/x2", None),
    ("GET", "/profile", None),
    ("POST", "/posts", {"title": "new", "author": "eve", "views": 1}),
    ("GET", "/posts/24", None),
    ("POST", "/posts", {"id": 100, "title": "explicit id"}),
    ("POST", "/comments", {"body": "hi", "postId": 2}),
    ("PUT", "/posts/2", {"title": "replaced", "author": "ada"}),
    ("GET", "/posts/2", None),
    ("PATCH", "/posts/3", {"views": 41, "extra": True}),
    ("GET", "/posts/3", None),
    ("PATCH", "/posts/3", {"meta": {"lang": "it"}}),
    ("GET", "/posts/3", None),
    ("PUT", "/posts/999", {"title": "nobody"}),
    ("PATCH", "/posts/999", {"title": "nobody"}),
    ("DELETE", "/posts/4", None),
    ("GET", "/posts/4", None),
    ("DELETE", "/posts/4", None),
    ("POST", "/posts", {"title": "after delete"}),
    ("PUT", "/profile", {"name": "cannery"}),
    ("PATCH", "/profile", {"site": "cannery.dev"}),
    ("GET", "/profile", None),
    ("POST", "/tags", {"name": "generated"}),
    ("GET", "/posts?id=1&id=2", None),
    ("GET", "/posts?_page=1&_limit=2&author=ada", None),
]

# Requests where SPEC section 10 differs on purpose: (method, path, why).
DELIBERATE = {
    ("POST", "/tags"): "a generated non-integer id is a UUID (json-server: a short nanoid)",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_json_server():
    exe = os.path.join(CACHE, "node_modules", ".bin", "json-server")
    if not os.path.exists(exe):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", CACHE, "json-server@0.17.4"],
                       check=True, stdout=subprocess.DEVNULL)
    return exe


def wait_port(port):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def call(port, method, path, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Host": "localhost"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    c.request(method, path, body=data, headers=headers)
    r = c.getresponse()
    raw = r.read()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    keep = {}
    for h in ("Content-Type", "X-Total-Count", "Link", "Location", "Access-Control-Expose-Headers"):
        v = r.getheader(h)
        # json-server sends an empty Link when there is one page; cannery sends none
        # (docs/crud.md): the same to a client
        if v is not None and (v or h != "Link"):
            keep[h] = v
    return r.status, keep, parsed


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "cannery"))
    exe = ensure_json_server()
    work = tempfile.mkdtemp(prefix="cannery-parity-")
    procs = []
    try:
        for name in ("js.json", "cannery.json"):
            with open(os.path.join(work, name), "w") as f:
                json.dump(DB, f, indent=2)
        os.makedirs(os.path.join(work, "stubs"))
        jport = free_port()
        procs.append(subprocess.Popen([exe, "--host", "127.0.0.1", "--port", str(jport), "--quiet",
                                       os.path.join(work, "js.json")], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        cp = subprocess.Popen([binary, "serve", os.path.join(work, "stubs"), "--port", "0", "--quiet", "--no-watch",
                               "--crud", os.path.join(work, "cannery.json")], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        procs.append(cp)
        line = cp.stdout.readline()
        m = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not m:
            raise SystemExit(f"cannery did not start: {line}{cp.stderr.read()}")
        cport = int(m.group(1))
        wait_port(jport)
        same = deliberate = differ = 0
        for method, path, body in REQUESTS:
            a = call(jport, method, path, body)
            b = call(cport, method, path, body)
            na = (a[0], {k: v.replace(f":{jport}", ":PORT") for k, v in a[1].items()}, a[2])
            nb = (b[0], {k: v.replace(f":{cport}", ":PORT") for k, v in b[1].items()}, b[2])
            if na == nb:
                same += 1
                continue
            why = DELIBERATE.get((method, path.split("?")[0]))
            if why:
                deliberate += 1
                print(f"deliberate: {method} {path}: {why}")
                continue
            differ += 1
            print(f"DIFFERS: {method} {path}\n  json-server: {na}\n  cannery:     {nb}")
        print(f"crud parity: {len(REQUESTS)} requests, {same} the same, {deliberate} deliberately different, "
              f"{differ} different")
        return 1 if differ else 0
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
