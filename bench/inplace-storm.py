#!/usr/bin/env python3
"""In-place rewrites of a stub file under load (docs/security.md, "Files written in place").

    bench/inplace-storm.py [BIN ...]        (default: build/cannery)

For each binary: serves a directory with v.yaml (GET /v answers "vN") on port 0, runs wrk
with CLIENTS keep-alive connections (default 16) that GET /v as fast as they can, and rewrites
v.yaml in place WRITES times (default 200) at RATE writes a second (default 25): open with
O_TRUNC, a pause, half the text, a pause, the rest, close, as a slow editor would. Then it
polls until the last version is served. Prints one line per binary:

    BIN: N requests, K non-2xx (P%), last version served M ms after the last write

Sends traffic only to 127.0.0.1 and stops by itself (within WRITES / RATE + 12 s). Needs wrk.
"""
import http.client
import os
import re
import subprocess
import sys
import tempfile
import time

CLIENTS = int(os.environ.get("CLIENTS", "16"))
WRITES = int(os.environ.get("WRITES", "200"))
RATE = float(os.environ.get("RATE", "25"))


def version(v):
    return f"name: version\nrequest: {{ method: GET, path: /v }}\nresponse: {{ body: v{v} }}\n".encode()


def run(binary):
    d = tempfile.mkdtemp(prefix="cannery-storm-")
    path = os.path.join(d, "v.yaml")
    with open(path, "wb") as f:
        f.write(version(0))
    proc = subprocess.Popen([binary, "serve", d, "--port", "0", "--quiet"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        port = int(re.search(r"127\.0\.0\.1:(\d+)", line).group(1))
        seconds = int(WRITES / RATE) + 2
        wrk = subprocess.Popen(["wrk", "-t2", f"-c{CLIENTS}", f"-d{seconds}s", f"http://127.0.0.1:{port}/v"],
                               stdout=subprocess.PIPE, text=True)
        time.sleep(0.5)
        period = 1.0 / RATE
        for v in range(1, WRITES + 1):
            start = time.monotonic()
            text = version(v)
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
            time.sleep(period * 0.25)
            os.write(fd, text[: len(text) // 2])
            time.sleep(period * 0.25)
            os.write(fd, text[len(text) // 2:])
            os.close(fd)
            time.sleep(max(0.0, period - (time.monotonic() - start)))
        last_write = time.monotonic()
        want = f"v{WRITES}".encode()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        served_ms = None
        while time.monotonic() < last_write + 10:
            conn.request("GET", "/v")
            r = conn.getresponse()
            if r.read() == want:
                served_ms = (time.monotonic() - last_write) * 1000
                break
            time.sleep(0.002)
        out = wrk.communicate()[0]
        total = int(re.search(r"(\d+) requests in", out).group(1))
        m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        counts = {"total": total, "bad": int(m.group(1)) if m else 0}
        pct = 100.0 * counts["bad"] / max(1, counts["total"])
        served = f"{served_ms:.0f} ms" if served_ms is not None else "never (10 s)"
        print(f"{binary}: {counts['total']} requests, {counts['bad']} non-2xx ({pct:.2f}%), "
              f"last version served {served} after the last write", flush=True)
    finally:
        proc.terminate()
        proc.wait()
        subprocess.run(["rm", "-rf", d], check=False)


def main():
    bins = sys.argv[1:] or [os.path.join(os.path.dirname(__file__), "..", "build", "cannery")]
    for b in bins:
        run(b)


if __name__ == "__main__":
    main()
