"""No process outlives a killed parent: the process pool's workers and the
multiprocessing resource tracker end when ``sovfund`` is SIGKILLed mid-run."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _children_when_busy(parent: psutil.Process, count: int, timeout: float) -> list[psutil.Process]:
    """The parent's descendants once ``count`` of them are using the CPU (the pool's
    workers at work), or whatever there is at ``timeout``."""
    deadline = time.monotonic() + timeout
    children: list[psutil.Process] = []
    while time.monotonic() < deadline:
        children = parent.children(recursive=True)
        busy = [c for c in children if _cpu(c) > 0.5]
        if len(busy) >= count:
            return children
        time.sleep(0.2)
    return children


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


def test_pool_workers_and_resource_tracker_die_with_a_killed_run(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "sovfund",
        "simulate",
        "son-2025",
        "--paths",
        "400000",
        "--backend",
        "process",
        "--workers",
        "2",
        "--quiet",
    ]
    run = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    children: list[psutil.Process] = []
    try:
        parent = psutil.Process(run.pid)
        children = _children_when_busy(parent, 2, timeout=240)
        assert len(children) >= 3, "expected two workers and the resource tracker"
        assert run.poll() is None, run.stderr.read() if run.stderr else ""
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
        _, alive = psutil.wait_procs(children, timeout=15)
        assert not alive, f"still running after their parent was killed: {alive}"
    finally:
        if run.poll() is None:
            run.kill()
        if run.stderr:
            run.stderr.close()
        for child in children:
            with contextlib.suppress(psutil.Error):
                child.kill()


def test_a_worker_whose_parent_is_already_gone_ends_at_once() -> None:
    # die_with_parent(pid) in a process whose parent is not pid: it exits there and then.
    script = "import sys; from sovfund.run.backends import die_with_parent; die_with_parent(1)"
    result = subprocess.run(
        [sys.executable, "-c", script + "; print('survived')"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "survived" not in result.stdout
