"""The documented install on Debian 12: a virtual environment that sees Debian's pytest
(--system-site-packages), and pip install --no-build-isolation --no-deps of the package
with no package index at all; then a test in that environment uses the fixture."""
import os
import subprocess
import sys

import pytest

from conftest import pip_install


def test_offline_install_into_a_venv_with_debians_pytest(tmp_path, cannery_bin):
    venv = tmp_path / "venv"
    made = subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip("python3 -m venv does not work here (install python3-venv): " + made.stdout + made.stderr)
    python = str(venv / "bin" / "python")
    pip_install(python, str(tmp_path))
    (tmp_path / "test_it.py").write_text(
        "def test_it(cannery):\n"
        "    cannery.add_stub({'request': {'path': '/x'}, 'response': {'body': 'ok'}})\n"
        "    assert cannery.count() == 0\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["CANNERY_BIN"] = cannery_bin
    ran = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_it.py"],
                         capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 passed" in ran.stdout
