"""The plugin's own tests run pytest inside pytest (pytester), in a subprocess that
finds the plugin the way a user's pytest does: through the `pytest11` entry point of the
package, installed offline by pip into a temporary directory. Without pip the package's
source is loaded with `-p pytest_cannery.plugin` instead, and the tests that need the
entry point are skipped, saying so."""
import os
import shutil
import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pip_available():
    return subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode == 0


def pip_install(python, tmp, *target):
    """`python -m pip install --no-build-isolation --no-deps` of a copy of the package, with
    no package index (pip builds in the tree it is given: the copy keeps ours clean)."""
    src = os.path.join(tmp, "src-copy")
    shutil.copytree(PACKAGE, src, ignore=shutil.ignore_patterns("tests", "__pycache__", "build", "*.egg-info"))
    cmd = [python, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-index",
           "--no-cache-dir", "--disable-pip-version-check", "--quiet", *target, src]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert done.returncode == 0, "%s\n%s%s" % (" ".join(cmd), done.stdout, done.stderr)


@pytest.fixture(scope="session")
def plugin_install(tmp_path_factory):
    """(PYTHONPATH for the inner pytest, extra arguments, whether the entry point is used)."""
    if pip_available():
        tmp = str(tmp_path_factory.mktemp("pip"))
        target = os.path.join(tmp, "site")
        pip_install(sys.executable, tmp, "--target", target)
        return target, [], True
    return os.path.join(PACKAGE, "src"), ["-p", "pytest_cannery.plugin"], False


@pytest.fixture
def run(pytester, plugin_install, monkeypatch):
    """run(*args) -> the inner pytest's RunResult; the inner run finds cannery through
    CANNERY_BIN (set by meson) unless a test changes it."""
    path, extra, _ = plugin_install
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")

    def run(*args):
        return pytester.runpytest_subprocess(*extra, "-p", "no:cacheprovider", *args, timeout=120)
    return run


@pytest.fixture
def cannery_bin():
    binary = os.environ.get("CANNERY_BIN") or shutil.which("cannery")
    if not binary:
        pytest.skip("no cannery binary: set CANNERY_BIN (meson test does)")
    return binary


USERS_YAML = """\
- name: list-users
  request: { method: GET, path: /api/users }
  response:
    json: [{ id: 1, name: Ada }]
- name: create-user
  request:
    method: POST
    path: /api/users
    headers:
      Authorization: { prefix: "Bearer " }
  response: { status: 201, json: { id: 42 } }
"""

HELPERS = '''
import json
import urllib.request

def call(url, method="GET", body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
'''


@pytest.fixture
def project(pytester, cannery_bin):
    """An inner project: stubs/users.yaml and helpers.py (call(url, ...) -> (status, text))."""
    pytester.mkdir("stubs")
    (pytester.path / "stubs" / "users.yaml").write_text(USERS_YAML)
    (pytester.path / "helpers.py").write_text(HELPERS)
    return pytester
