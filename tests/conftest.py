"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

CliRun = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def sovfund_cli(monkeypatch: pytest.MonkeyPatch) -> CliRun:
    """``sovfund_cli(cwd, *args)``: the ``sovfund`` command line run in this process
    (Typer's runner) in folder ``cwd``, its output captured, returned as a finished
    process (``returncode``, ``stdout``, ``stderr``). An exception the command does not
    turn into a message fails the test with its traceback (warnings are errors); tests
    of the real process (its entry point, signals, workers) use :func:`sovfund_process`.
    """
    from typer.testing import CliRunner

    from sovfund.cli.main import app

    def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        with monkeypatch.context() as patch:
            patch.chdir(cwd)
            result = CliRunner().invoke(app, list(args), catch_exceptions=False)
        return subprocess.CompletedProcess(
            ["sovfund", *args], result.exit_code, result.stdout, result.stderr
        )

    return run


@pytest.fixture
def sovfund_process(request: pytest.FixtureRequest) -> CliRun:
    """``sovfund_process(cwd, *args)``: ``python -m sovfund ARGS`` as its own process in
    ``cwd``, warnings as errors, output captured, never raising on a non-zero exit. A
    test module may set ``CLI_TIMEOUT`` (seconds; 600 otherwise)."""
    timeout = getattr(request.module, "CLI_TIMEOUT", 600)

    def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-W", "error", "-m", "sovfund", *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=timeout,
            check=False,
            env={**os.environ, "COLUMNS": "120"},
        )

    return run
