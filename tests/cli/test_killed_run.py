"""``sovfund run`` killed at random moments never leaves a mixed or half-written set:
each result file left in the folder is whole and all of them come from the same run."""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

TINY = Path(__file__).parents[2] / "examples" / "tiny.toml"
KILLS = 4

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _run(out: Path, seed: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sovfund",
        "run",
        str(TINY),
        "--paths",
        "256",
        "--study-paths",
        "0",
        "--seed",
        str(seed),
        "--out",
        str(out),
        "--quiet",
    ]


def _seeds(out: Path) -> dict[str, int]:
    """The seed each result file in ``out`` says it was made with (each must be whole)."""
    seeds = {}
    if (out / "summary.json").exists():
        seeds["summary.json"] = json.loads((out / "summary.json").read_text())["run"]["seed"]
    if (out / "report.html").exists():
        html = (out / "report.html").read_text()
        assert html.rstrip().endswith("</html>")
        found = re.search(r"--seed (\d+)", html)
        assert found is not None
        seeds["report.html"] = int(found.group(1))
    if (out / "results.xlsx").exists():
        book = openpyxl.load_workbook(out / "results.xlsx", read_only=True)
        about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True) if row}
        seeds["results.xlsx"] = int(about["Seed"])
        book.close()
    return seeds


def test_a_killed_run_leaves_one_whole_set(tmp_path: Path) -> None:
    out = tmp_path / "out"
    start = time.monotonic()
    first = subprocess.run(_run(out, 1), capture_output=True, text=True, timeout=600, check=False)
    took = time.monotonic() - start
    assert first.returncode == 0, first.stderr
    assert _seeds(out) == {"summary.json": 1, "report.html": 1, "results.xlsx": 1}
    moments = random.Random(17)
    for kill in range(KILLS):
        seed = 2 + kill
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        run = subprocess.Popen(_run(out, seed), **quiet)
        # from the start to the very end of a run, the writing included
        time.sleep(moments.uniform(0.3, 1.1) * took)
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
        seeds = _seeds(out)
        assert len(set(seeds.values())) <= 1, f"a mixed set after a kill: {seeds}"
    staging = [p.name for p in out.iterdir() if p.name.startswith(".")]
    finished = subprocess.run(_run(out, 99), capture_output=True, timeout=600, check=False)
    assert finished.returncode == 0
    assert _seeds(out) == {"summary.json": 99, "report.html": 99, "results.xlsx": 99}
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")], staging
