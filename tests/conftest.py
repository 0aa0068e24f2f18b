"""Fixtures shared by every test folder."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

CliRun = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def sovfund_cli(request: pytest.FixtureRequest) -> CliRun:
    """``sovfund_cli(cwd, *args)``: ``python -m sovfund ARGS`` in ``cwd``, warnings as
    errors, output captured, never raising on a non-zero exit. A test module may set
    ``CLI_TIMEOUT`` (seconds; 600 otherwise)."""
    timeout = getattr(request.module, "CLI_TIMEOUT", 600)

    def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-W", "error", "-m", "sovfund", *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=timeout,
            check=False,
        )

    return run
