"""Start `cannery serve --port 0` and talk to its admin API (standard library only).

`start(...)` runs the binary, reads its ready line ("cannery: serving N stubs on URL")
and returns a `Cannery` whose methods are the admin API of docs/admin-api.md. Nothing
here needs pytest: the plugin (plugin.py) builds its fixtures on top of it.
"""
from __future__ import annotations

import json
import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Mapping, Sequence, Union

__all__ = ["Cannery", "CanneryError", "find_binary", "start"]


# a request matcher: a stub's `request:` keys (method, path, headers, body, ...)
Matcher = Dict[str, Any]
# one path or several
PathsArg = Union[str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]], None]


class CanneryError(Exception):
    """cannery could not be found or started, or refused an admin call."""


def find_binary(explicit: str | None = None) -> str:
    """The cannery executable: `explicit` (pytest's --cannery-bin), else $CANNERY_BIN,
    else `cannery` on PATH. Raises CanneryError saying which source was wrong."""
    for source, value in (("--cannery-bin", explicit), ("CANNERY_BIN", os.environ.get("CANNERY_BIN"))):
        if not value:
            continue
        path = value if os.sep in value else shutil.which(value)
        if not path or os.path.isdir(path) or not os.access(path, os.X_OK):
            raise CanneryError("%s names %r, which is not an executable file" % (source, value))
        return os.path.abspath(path)
    path = shutil.which("cannery")
    if path is None:
        raise CanneryError(
            "cannery binary not found: there is no `cannery` on PATH. Install cannery "
            "(`meson install`, or the Debian package), or name the binary with "
            "--cannery-bin PATH (pytest option) or CANNERY_BIN=PATH.")
    return path


def _paths(value, base_dir):
    """None, one path or a list of paths -> a list of absolute paths (relative ones are
    taken from base_dir)."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, os.PathLike)):
        value = [value]
    return [os.path.abspath(os.path.join(base_dir, os.fsdecode(p))) for p in value]


def _parent_death_signal():
    """Linux: a function for Popen's preexec_fn that makes the server get SIGTERM when
    the thread that started it ends (with the process), so a test run killed by a
    timeout leaves no server behind; None elsewhere. prctl is looked up here, before the
    fork: between fork and exec the child only calls it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start(binary: str | None = None, *, stubs: PathsArg = None, openapi: PathsArg = None,
          wiremock: PathsArg = None, crud: PathsArg = None, args: Sequence[object] = (),
          env: Mapping[str, object] | None = None, host: str = "127.0.0.1", port: int = 0,
          watch: bool = False, quiet: bool = False, seed: int | None = None,
          admin_token: str | None = None, base_dir: str | os.PathLike | None = None,
          start_timeout: float = 30.0) -> Cannery:
    """Starts `cannery serve` and returns a Cannery once its ready line is read.

    stubs, openapi, wiremock and crud take one path or a list (relative paths are taken
    from base_dir, default the current directory); with no stubs an empty directory is
    served, never ./stubs. args are extra command-line arguments, env extra environment
    variables (the CANNERY_* variables of the calling environment are not passed on, so
    that a shell's CANNERY_PORT or CANNERY_ADMIN_TOKEN cannot change what a test sees).
    watch=False passes --no-watch (no inotify instance per server); reload() still
    reloads. Raises CanneryError with the server's stderr when it does not start."""
    binary = binary or find_binary()
    base_dir = os.fspath(base_dir) if base_dir is not None else os.getcwd()
    workdir = tempfile.mkdtemp(prefix="cannery-")
    dirs = _paths(stubs, base_dir) or [workdir]
    argv = [binary, "serve", "--host", host, "--port", str(port)]
    for flag, value in (("--openapi", openapi), ("--wiremock", wiremock), ("--crud", crud)):
        for p in _paths(value, base_dir):
            argv += [flag, p]
    if not watch:
        argv.append("--no-watch")
    if quiet:
        argv.append("--quiet")
    if seed is not None:
        argv += ["--seed", str(seed)]
    if admin_token is not None:
        argv += ["--admin-token", admin_token]
    argv += [str(a) for a in args]
    argv += ["--"] + dirs
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("CANNERY_")}
    child_env.update({k: str(v) for k, v in (env or {}).items()})
    log = tempfile.TemporaryFile(prefix="cannery-log-")
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=log, cwd=workdir, env=child_env, bufsize=0,
                                preexec_fn=_parent_death_signal())
    except OSError as e:
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)
        raise CanneryError("cannot run %s: %s" % (binary, e.strerror)) from None
    server = Cannery(proc, argv, log, workdir, admin_token)
    try:
        server._read_ready_line(start_timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _plural(n, word):
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


def _expected_text(expected):
    """{"count":1} -> "exactly 1 request", {"at_least":2,"at_most":3} -> "between 2 and 3 requests"."""
    if "count" in expected:
        return "exactly " + _plural(expected["count"], "request")
    lo, hi = expected.get("at_least"), expected.get("at_most")
    if lo is not None and hi is not None:
        return "between %d and %d requests" % (lo, hi)
    if hi is not None:
        return "at most " + _plural(hi, "request")
    return "at least " + _plural(lo if lo is not None else 1, "request")


def _matcher_text(request):
    """The matcher on one line, or, when long, one line a condition (as in a stub file)."""
    text = json.dumps(request, ensure_ascii=False)
    if len(text) <= 72 or not isinstance(request, dict):
        return "    " + text
    return "\n".join("    %s: %s" % (key, json.dumps(value, ensure_ascii=False)) for key, value in request.items())


def verify_message(request: Matcher, answer: dict, what: str = "verify") -> str:
    """The assertion message of a failed verify: what was expected, the count, then the
    closest journal entries, each with the conditions it failed."""
    expected = answer.get("expected") or {"at_least": 1}
    got = answer.get("count", 0)
    lines = ["cannery %s failed: expected %s matching" % (what, _expected_text(expected)),
             _matcher_text(request),
             "but %s matched." % ("none" if got == 0 else _plural(got, "request") if got > 1 else "1 request")]
    misses = answer.get("near_misses") or []
    if misses:
        lines.append("Closest requests in the journal (fewest failed conditions first):")
        for m in misses:
            lines.append("  #%s %s %s" % (m.get("seq"), m.get("method"), m.get("path")))
            lines += ["      x %s" % reason for reason in m.get("mismatches", [])]
    elif ("at_most" in expected and got > expected["at_most"]) or ("count" in expected and got > expected["count"]):
        lines.append("(Every one of them matched: there were too many, not too few.)")
    else:
        lines.append("No other request is in the journal.")
    return "\n".join(lines)


class Cannery:
    """A running `cannery serve`: its `url`, and the admin API as methods.

    Request matchers are dicts of the stub format's `request:` keys (method, path,
    path_regex, query, headers, cookies, body); count, verify and wait take one as their
    first argument, or as keyword arguments (`count(path="/api/users")`)."""

    def __init__(self, proc, argv, log, workdir, admin_token=None):
        self.proc = proc
        self.argv = argv
        self.url = None
        self.port = None
        self._log = log
        self._workdir = workdir
        self._token = admin_token
        # urllib without the environment's http_proxy: admin calls go to loopback
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def __repr__(self):
        return "<Cannery %s pid=%s>" % (self.url, self.proc.pid)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # --- process ---

    def _read_ready_line(self, timeout):
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CanneryError("cannery printed no ready line within %.0f s\ncommand: %s\n%s"
                                   % (timeout, shlex.join(self.argv), self.log))
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                try:
                    code = self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    code = "unknown"
                raise CanneryError("cannery exited with status %s before it was ready\ncommand: %s\n%s"
                                   % (code, shlex.join(self.argv), self.log.rstrip()))
            buf += chunk
        line = buf.split(b"\n", 1)[0].decode("utf-8", "replace")
        if not line.startswith("cannery: serving ") or " on http" not in line:
            raise CanneryError("unexpected ready line from cannery: %r (expected "
                               "'cannery: serving N stubs on URL')" % line)
        self.url = line.rsplit(" on ", 1)[1].strip()
        self.port = urllib.parse.urlsplit(self.url).port

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    @property
    def log(self) -> str:
        """Everything the server wrote to stderr so far: warnings and the access log."""
        if self._log.closed:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def log_size(self) -> int:
        return 0 if self._log.closed else os.fstat(self._log.fileno()).st_size

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (a graceful stop), SIGKILL after timeout seconds; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout and not self.proc.stdout.closed:
            self.proc.stdout.close()
        shutil.rmtree(self._workdir, ignore_errors=True)
        return self.proc.returncode

    def close_log(self) -> None:
        self._log.close()

    # --- admin API ---

    def admin(self, method: str, path: str, body: Any = None, *, data: str | bytes | None = None,
              content_type: str = "application/json", timeout: float = 30.0) -> tuple[int, Any]:
        """Calls /__cannery/PATH; body is sent as JSON, data as is. Returns (status, the
        parsed JSON answer or None)."""
        if body is not None:
            data = json.dumps(body, indent=2).encode()
        elif isinstance(data, str):
            data = data.encode()
        headers = {"Content-Type": content_type}
        if self._token is not None:
            headers["Authorization"] = "Bearer " + self._token
        req = urllib.request.Request(self.url + "/__cannery/" + path, data=data, method=method,
                                     headers=headers)
        try:
            with self._opener.open(req, timeout=timeout) as resp:
                status, text = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            state = "running" if self.running else "exited with status %s" % self.proc.returncode
            raise CanneryError("admin call %s /__cannery/%s failed: %s (the server has %s)"
                               % (method, path, reason, state)) from None
        try:
            answer = json.loads(text) if text else None
        except ValueError:
            answer = text.decode("utf-8", "replace")
        return status, answer

    def _ok(self, what, expect, status, answer):
        if status not in expect:
            error = answer.get("error") if isinstance(answer, dict) else answer
            raise CanneryError("%s: cannery answered %d: %s" % (what, status, error))
        return answer

    @staticmethod
    def _matcher(request, matcher):
        merged = dict(request or {})
        merged.update(matcher)
        return merged

    def health(self) -> dict:
        return self._ok("health", (200,), *self.admin("GET", "health"))

    def stubs(self) -> list[dict]:
        """Every stub: [{"id", "name", "file", "line", "methods", "path"}]."""
        return self._ok("stubs", (200,), *self.admin("GET", "stubs"))["stubs"]

    def add_stub(self, stub: dict | list[dict] | str | bytes) -> list[str]:
        """Adds runtime stubs: a dict (one stub), a list of dicts, or YAML/JSON text with
        one stub or a list. Returns their ids. Raises CanneryError with each located error
        and the document as sent when cannery refuses it."""
        if isinstance(stub, (str, bytes)):
            text = stub.decode() if isinstance(stub, bytes) else stub
            status, answer = self.admin("POST", "stubs", data=text, content_type="application/yaml")
        else:
            text = json.dumps(stub, indent=2, ensure_ascii=False)
            status, answer = self.admin("POST", "stubs", data=text)
        if status == 201:
            return answer["ids"]
        if isinstance(answer, dict):
            errors = answer.get("errors") or [answer.get("error", "")]
        else:
            errors = [str(answer)]
        numbered = text.splitlines()[:60]
        raise CanneryError("cannery refused the stub (%d):\n%s\nthe stub as sent ('body' in the errors):\n%s"
                           % (status, "\n".join("  " + e for e in errors),
                              "\n".join("%4d | %s" % (i, l) for i, l in enumerate(numbered, 1))))

    def remove_stub(self, stub_id: str) -> None:
        """Removes a runtime stub by id."""
        self._ok("remove_stub %r" % stub_id, (204,),
                 *self.admin("DELETE", "stubs/" + urllib.parse.quote(stub_id, safe="")))

    def remove_runtime_stubs(self) -> None:
        """Removes every runtime stub (those with no file)."""
        for s in self.stubs():
            if s["file"] is None:
                status, answer = self.admin("DELETE", "stubs/" + urllib.parse.quote(s["id"], safe=""))
                # 409: a WireMock mapping or --crud route, which has no file either
                self._ok("remove_stub %r" % s["id"], (204, 404, 409), status, answer)

    def requests(self, *, method: str | None = None, path: str | None = None, stub: str | None = None,
                 matched: bool | None = None, since: int | None = None, limit: int | None = None) -> list[dict]:
        """The journal, oldest first, filtered as GET /__cannery/requests filters it."""
        filters = {"method": method, "path": path, "stub": stub, "since": since, "limit": limit,
                   "matched": None if matched is None else ("true" if matched else "false")}
        query = urllib.parse.urlencode({k: v for k, v in filters.items() if v is not None})
        answer = self._ok("requests", (200,), *self.admin("GET", "requests" + ("?" + query if query else "")))
        return answer["requests"]

    def clear_requests(self) -> None:
        """Empties the journal (sequence numbers keep counting)."""
        self._ok("clear_requests", (204,), *self.admin("DELETE", "requests"))

    def count(self, request: Matcher | None = None, **matcher: Any) -> int:
        """How many journal entries match."""
        request = self._matcher(request, matcher)
        return self._ok("count", (200,), *self.admin("POST", "requests/count", {"request": request}))["count"]

    def verify(self, request: Matcher | None = None, *, count: int | None = None, at_least: int | None = None,
               at_most: int | None = None, **matcher: Any) -> int:
        """Asserts how many journal entries match: exactly `count`, or between `at_least`
        and `at_most`, or (neither) at least one. Returns the count; raises AssertionError
        showing the closest requests and the conditions each one failed."""
        __tracebackhide__ = True
        request = self._matcher(request, matcher)
        body = {"request": request}
        for key, value in (("count", count), ("at_least", at_least), ("at_most", at_most)):
            if value is not None:
                body[key] = value
        status, answer = self.admin("POST", "verify", body)
        if status == 409:
            raise AssertionError(verify_message(request, answer))
        return self._ok("verify", (200,), status, answer)["count"]

    def wait(self, request: Matcher | None = None, *, count: int = 1, timeout: float = 5.0, **matcher: Any) -> int:
        """Waits until at least `count` journal entries match (at most `timeout` seconds,
        60 at most), for requests the code under test sends in the background. Returns
        the count; raises AssertionError with the closest requests on timeout."""
        __tracebackhide__ = True
        request = self._matcher(request, matcher)
        body = {"request": request, "count": count, "timeout_ms": int(timeout * 1000)}
        status, answer = self.admin("POST", "requests/wait", body, timeout=timeout + 30)
        if status == 408:
            _, verdict = self.admin("POST", "verify", {"request": request, "at_least": count})
            if isinstance(verdict, dict) and not verdict.get("ok"):
                raise AssertionError(verify_message(request, verdict, "wait (%g s)" % timeout))
            raise AssertionError("cannery wait timed out after %g s: %d of %d requests" % (timeout, answer["count"], count))
        return self._ok("wait", (200,), status, answer)["count"]

    def reset(self) -> None:
        """Clears the journal, response sequences, scenario states and --crud data; the
        stubs stay (runtime ones included)."""
        self._ok("reset", (204,), *self.admin("POST", "reset"))

    def reload(self) -> int:
        """Reloads the stub files; returns the number of stubs."""
        status, answer = self.admin("POST", "reload")
        if status == 422:
            raise CanneryError("reload refused:\n" + "\n".join("  " + e for e in answer["errors"]))
        return self._ok("reload", (200,), status, answer)["stubs"]
