"""The pytest plugin (entry point `pytest11`): the `cannery` and `cannery_factory`
fixtures, the `cannery` marker and the --cannery-bin option."""
from __future__ import annotations

import pytest

from .server import CanneryError, find_binary, start

# what the marker (and an indirect parameter, and the factory) may say
OPTIONS = ("stubs", "openapi", "wiremock", "crud", "args", "env", "host", "watch", "quiet",
           "seed", "admin_token", "start_timeout", "fresh")

_SERVER_KEY = pytest.StashKey()


def pytest_addoption(parser):
    group = parser.getgroup("cannery", "cannery mock API server")
    group.addoption("--cannery-bin", metavar="PATH", default=None,
                    help="the cannery executable (default: $CANNERY_BIN, else `cannery` on PATH)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "cannery(stubs=None, openapi=None, wiremock=None, crud=None, args=(), env=None, "
        "fresh=False, ...): what the `cannery` fixture serves; paths are relative to the "
        "test file's directory. fresh=True gives the test a server of its own.")


class CanneryFactory:
    """Starts cannery servers for a whole session. `factory(**options)` returns the shared
    server for those options (started on first use), reset for the caller: an empty
    journal, fresh sequences and scenarios, no runtime stubs. `factory.start(**options)`
    starts a private server the caller stops (`stop()`, or a `with` block). Every server
    still running is stopped at the end of the session."""

    def __init__(self, binary_option, rootdir):
        self._binary_option = binary_option
        self._binary = None
        self._rootdir = str(rootdir)
        self._shared = {}
        self._started = []

    @property
    def binary(self):
        if self._binary is None:
            self._binary = find_binary(self._binary_option)
        return self._binary

    def _check(self, options):
        unknown = sorted(set(options) - set(OPTIONS) - {"base_dir"})
        if unknown:
            raise TypeError("unknown cannery option%s %s (known: %s)" % (
                "s" if len(unknown) > 1 else "", ", ".join(unknown), ", ".join(OPTIONS)))

    def start(self, base_dir=None, **options):
        """A new server of the caller's own; relative paths are taken from base_dir
        (default: pytest's rootdir)."""
        self._check(options)
        options.pop("fresh", None)
        server = start(self.binary, base_dir=base_dir or self._rootdir, **options)
        self._started.append(server)
        return server

    def __call__(self, base_dir=None, **options):
        self._check(options)
        if options.get("fresh") or options.get("seed") is not None:
            # a seed repeats its values only from a server's first request
            return self.start(base_dir, **options)
        key = (base_dir or self._rootdir, repr(sorted(options.items())))
        server = self._shared.get(key)
        if server is None or not server.running:
            server = self._shared[key] = self.start(base_dir, **options)
        else:
            server.remove_runtime_stubs()
            server.reset()
        return server

    def forget(self, server):
        """Drops a private server the caller has stopped."""
        self._started = [s for s in self._started if s is not server]

    def close(self):
        """Stops every server; returns [(server, exit status)] of those that did not exit 0."""
        failed = []
        for server in self._started:
            if server.running:
                code = server.stop()
                if code != 0:
                    failed.append((server, code))
        self._started.clear()
        self._shared.clear()
        return failed


def _exit_failure(failed):
    return "\n".join("cannery (%s) exited with status %s when stopped:\n%s"
                     % (server.url, code, server.log[-4000:]) for server, code in failed)


@pytest.fixture(scope="session")
def cannery_factory(request):
    """Session-scoped: factory(**options) -> the shared, freshly reset server for those
    options; factory.start(**options) -> a private one."""
    factory = CanneryFactory(request.config.getoption("cannery_bin"), request.config.rootpath)
    yield factory
    failed = factory.close()
    if failed:
        pytest.fail(_exit_failure(failed), pytrace=False)


@pytest.fixture
def cannery(request, cannery_factory):
    """A running cannery for this test: what the closest `@pytest.mark.cannery(...)` (or
    an indirect parameter) names, with relative paths taken from the test file's
    directory. The server is shared with other tests of the same options and reset before
    this one, unless `fresh=True`."""
    options = {}
    marker = request.node.get_closest_marker("cannery")
    if marker is not None:
        if marker.args:
            raise TypeError("@pytest.mark.cannery takes keyword arguments only (stubs=..., openapi=...)")
        options.update(marker.kwargs)
    if hasattr(request, "param"):
        if not isinstance(request.param, dict):
            raise TypeError("an indirect parameter of the cannery fixture must be a dict of options")
        options.update(request.param)
    base_dir = str(request.path.parent)
    try:
        fresh = options.get("fresh") or options.get("seed") is not None
        server = cannery_factory.start(base_dir, **options) if fresh else cannery_factory(base_dir, **options)
    except CanneryError as e:
        pytest.fail(str(e), pytrace=False)
    request.node.stash[_SERVER_KEY] = (server, server.log_size())
    yield server
    if fresh:
        # stopped and forgotten now, its log closed: a suite of many fresh tests must
        # not hold a temporary file (or a process) per test until the session ends
        code = server.stop()
        cannery_factory.forget(server)
        failure = _exit_failure([(server, code)]) if code != 0 else None
        server.close_log()
        if failure:
            pytest.fail(failure, pytrace=False)


def _is_admin_line(line):
    """An access-log line ("TIME METHOD PATH STATUS ...") of an admin call."""
    fields = line.split(" ", 3)
    return len(fields) > 2 and fields[2].startswith("/__cannery/")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that used `cannery` shows what the server logged during it (its
    access log names, for each unmatched request, the stub that came closest)."""
    outcome = yield
    report = outcome.get_result()
    entry = item.stash.get(_SERVER_KEY, None)
    if entry is None or not report.failed or report.when == "setup":
        return
    server, offset = entry
    lines = server.log.encode()[offset:].decode("utf-8", "replace").splitlines()
    # the fixture's own admin calls are not what the test is about
    text = "\n".join(l for l in lines if not _is_admin_line(l)).strip()
    if text:
        report.sections.append(("Captured cannery log (%s)" % report.when, text))
