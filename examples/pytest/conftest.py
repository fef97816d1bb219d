"""A pytest fixture that runs `cannery serve --port 0` for each test and talks to its
admin API. CANNERY_BIN names the binary (default: `cannery` on PATH)."""
import json
import os
import subprocess
import urllib.error
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


class Cannery:
    def __init__(self, url):
        self.url = url

    def admin(self, method, path, body=None):
        """Calls /__cannery/PATH; returns (status, parsed JSON or None)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + "/__cannery/" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=70) as resp:
                status, text = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        return status, (json.loads(text) if text else None)

    def count(self, **request):
        return self.admin("POST", "requests/count", {"request": request})[1]["count"]

    def verify(self, request, **expect):
        """Asserts through POST /__cannery/verify; the message shows the near misses."""
        status, answer = self.admin("POST", "verify", dict(request=request, **expect))
        assert status == 200, json.dumps(answer, indent=2)

    def wait(self, request, count=1, timeout_ms=5000):
        status, answer = self.admin("POST", "requests/wait",
                                    {"request": request, "count": count, "timeout_ms": timeout_ms})
        assert status == 200, "timed out waiting: only %d matching requests" % answer["count"]
        return answer["count"]

    def requests(self, **filters):
        query = "&".join("%s=%s" % kv for kv in filters.items())
        return self.admin("GET", "requests" + ("?" + query if query else ""))[1]["requests"]


@pytest.fixture
def cannery():
    binary = os.environ.get("CANNERY_BIN", "cannery")
    proc = subprocess.Popen([binary, "serve", os.path.join(HERE, "stubs"), "--port", "0", "--quiet"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # "cannery: serving 2 stubs on http://127.0.0.1:PORT"
        assert line.startswith("cannery: serving "), "cannery did not start: %r" % line
        yield Cannery(line.rsplit(" ", 1)[1].strip())
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0
