#!/usr/bin/env python3
"""Connection capacity and slow clients, at full scale (docs/security.md).

    bench/capacity.py [BIN ...]        (default: build/cannery)

For each binary, three runs against `BIN serve --port 0 --quiet` on 127.0.0.1, each
printing one line:

  idle:    8,000 keep-alive connections, each after one answered request, held open;
           then a fresh client: how long until it is answered, and the server's RSS
           growth per idle connection.
  waiters: 10,000 concurrent POST /__cannery/requests/wait (timeout 5 s, never
           satisfied): how many got their 408, when the last came (from the start), and
           what share of a normal client's requests (one every 50 ms, 1 s timeout) were
           answered meanwhile.
  heads:   500 connections sending their request head one byte every 2 s for 20 s: how
           many were closed and when, and the normal client's median / worst latency.

Stops by itself; needs no tools beyond python3. Raises its own open-files limit.
"""
import os
import re
import resource
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time

STUB = "request: { path: /text }\nresponse: { body: \"hello\\n\" }\n"


def start(binary, *extra):
    d = tempfile.mkdtemp(prefix="cannery-cap-")
    with open(os.path.join(d, "a.yaml"), "w") as f:
        f.write(STUB)
    p = subprocess.Popen([binary, "serve", d, "--port", "0", "--quiet", *extra], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    port = int(re.search(r"127\.0\.0\.1:(\d+)", p.stdout.readline()).group(1))
    return p, port, d


def stop(p, d):
    p.terminate()
    p.wait()
    subprocess.run(["rm", "-rf", d], check=False)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def get(port, timeout):
    """One GET /text on a fresh connection: seconds taken, or None."""
    t0 = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"GET /text HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while b"hello" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    return None
                data += chunk
        return time.monotonic() - t0
    except OSError:
        return None


class Prober(threading.Thread):
    """A normal client: one request every 50 ms until stopped."""

    def __init__(self, port):
        super().__init__()
        self.port, self.done, self.times, self.failed = port, threading.Event(), [], 0

    def run(self):
        while not self.done.is_set():
            t = get(self.port, 1.0)
            if t is None:
                self.failed += 1
            else:
                self.times.append(t)
            time.sleep(0.05)

    def summary(self):
        n = len(self.times) + self.failed
        ts = sorted(self.times) or [0]
        return (f"normal client {len(self.times)}/{n} answered ({100.0 * len(self.times) / max(1, n):.1f}%), "
                f"median {ts[len(ts) // 2] * 1000:.1f} ms, worst {ts[-1] * 1000:.0f} ms")


def connect_many(port, n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        socks.append(s)
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_WRITE)
    pending, deadline = len(socks), time.monotonic() + 30
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(1):
            sel.unregister(key.fileobj)
            pending -= 1
    sel.close()
    return socks


def send_and_read(socks, data, want, deadline):
    """Sends data on every socket, then reads until want shows up on each; returns the
    time (monotonic) each one got it, or None."""
    sel = selectors.DefaultSelector()
    got, buf = {}, {}
    for s in socks:
        try:
            s.send(data)
            sel.register(s, selectors.EVENT_READ)
            buf[s] = b""
        except OSError:
            got[s] = None
    while len(got) < len(socks) and time.monotonic() < deadline:
        for key, _ in sel.select(0.5):
            s = key.fileobj
            try:
                chunk = s.recv(4096)
            except OSError:
                chunk = b""
            buf[s] += chunk
            if want in buf[s] or not chunk:
                got[s] = time.monotonic() if want in buf[s] else None
                sel.unregister(s)
    sel.close()
    return [got.get(s) for s in socks]


def idle(binary):
    p, port, d = start(binary)
    try:
        before = rss_kb(p.pid)
        socks = connect_many(port, 8000)
        got = send_and_read(socks, b"GET /text HTTP/1.1\r\nHost: localhost\r\n\r\n", b"hello",
                            time.monotonic() + 60)
        answered = sum(1 for g in got if g)
        grown = rss_kb(p.pid) - before
        t = get(port, 5.0)
        fresh = f"{t * 1000:.1f} ms" if t is not None else "not within 5 s"
        print(f"{binary}: idle: {answered}/8000 keep-alive connections answered and held; a fresh client "
              f"answered in {fresh}; RSS +{grown / 1024:.1f} MiB ({grown * 1024 / max(1, answered):.0f} bytes "
              f"per idle connection)", flush=True)
        for s in socks:
            s.close()
    finally:
        stop(p, d)


def waiters(binary):
    p, port, d = start(binary)
    try:
        body = b'{"request":{"path":"/never"},"timeout_ms":5000}'
        req = (b"POST /__cannery/requests/wait HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
               b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        prober = Prober(port)
        prober.start()
        t0 = time.monotonic()
        socks = connect_many(port, 10000)
        got = send_and_read(socks, req, b"408", t0 + 90)
        prober.done.set()
        prober.join()
        ok = [g for g in got if g]
        last = f"{max(ok) - t0:.1f} s" if ok else "never"
        print(f"{binary}: waiters: {len(ok)}/10000 got 408 (timeout 5 s), the last {last} after the start; "
              f"{prober.summary()}", flush=True)
        for s in socks:
            s.close()
    finally:
        stop(p, d)


def heads(binary):
    p, port, d = start(binary)
    try:
        socks = connect_many(port, 500)
        prober = Prober(port)
        prober.start()
        t0 = time.monotonic()
        head = b"GET /text HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 64
        closed = {}
        i = 0
        while time.monotonic() - t0 < 20 and len(closed) < len(socks):
            for s in socks:
                if s in closed:
                    continue
                try:
                    s.send(head[i % len(head):i % len(head) + 1])
                    try:
                        if s.recv(1, socket.MSG_DONTWAIT) == b"":
                            closed[s] = time.monotonic() - t0
                    except BlockingIOError:
                        pass
                except OSError:
                    closed[s] = time.monotonic() - t0
            i += 1
            time.sleep(2)
        prober.done.set()
        prober.join()
        when = sorted(closed.values())
        span = f"between {when[0]:.1f} and {when[-1]:.1f} s" if when else "never"
        print(f"{binary}: heads: {len(closed)}/500 trickling connections closed, {span}; {prober.summary()}",
              flush=True)
        for s in socks:
            s.close()
    finally:
        stop(p, d)


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    bins = sys.argv[1:] or [os.path.join(os.path.dirname(__file__), "..", "build", "cannery")]
    for b in bins:
        idle(b)
        waiters(b)
        heads(b)


if __name__ == "__main__":
    main()
