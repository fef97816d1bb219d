"""pytest_cannery.start() outside pytest: a server must not outlive a Python process
that is killed (SIGKILL runs no finalizer; on Linux the server gets SIGTERM from the
kernel when its parent dies)."""
import os
import subprocess
import sys
import time

import pytest


def gone(pid):
    """Whether pid has exited: no such process, or a zombie nobody has reaped yet (its
    parent died, and whoever adopted it reaps when it gets to it)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1].startswith("Z")
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_server_dies_with_a_killed_parent(plugin_install, cannery_bin):
    script = ("import os, signal, sys\n"
              "from pytest_cannery import start\n"
              "server = start(%r)\n"
              "print(server.proc.pid, flush=True)\n"
              "os.kill(os.getpid(), signal.SIGKILL)\n" % cannery_bin)
    env = dict(os.environ, PYTHONPATH=plugin_install[0])
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == -9, done.stderr
    pid = int(done.stdout)
    deadline = time.monotonic() + 20
    while not gone(pid):
        assert time.monotonic() < deadline, "cannery (pid %d) outlived the process that started it" % pid
        time.sleep(0.02)
