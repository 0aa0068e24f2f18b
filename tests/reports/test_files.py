"""Result files are written whole, readable like any file the user makes, or not at all."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sovfund.errors import InputError
from sovfund.reports.files import (
    check_writable,
    json_text,
    write_bytes,
    write_json,
    write_result_set,
)


def test_written_whole_with_ordinary_permissions(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "out" / "report.html", b"<html></html>")
    assert path.read_bytes() == b"<html></html>"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]


def test_json_round_trip(tmp_path: Path) -> None:
    path = write_json(tmp_path / "summary.json", {"a": [1, 2.5, None]})
    assert path.read_text(encoding="utf-8") == '{\n  "a": [\n    1,\n    2.5,\n    null\n  ]\n}\n'


def test_a_folder_in_the_way_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "report.html").mkdir()
    with pytest.raises(InputError, match=r"report\.html: cannot write it"):
        write_bytes(tmp_path / "report.html", b"x")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


# -- one JSON encoder ------------------------------------------------------------------


def test_json_has_no_nan_numpy_numbers_are_plain() -> None:
    data = {"nan": float("nan"), "inf": np.inf, "x": np.float64(1.5), "n": np.int64(3)}
    data["nested"] = [(-np.inf, np.array([1.0, np.nan])), {"b": np.bool_(True)}]
    text = json_text(data)
    assert json.loads(text) == {
        "nan": None,
        "inf": None,
        "x": 1.5,
        "n": 3,
        "nested": [[None, [1.0, None]], {"b": True}],
    }
    assert "NaN" not in text
    assert "Infinity" not in text


# -- results written as one set ----------------------------------------------------------

OLD = {"summary.json": b'{"run": 1}', "report.html": b"<p>1</p>", "results.xlsx": b"xlsx 1"}
NEW = {"summary.json": b'{"run": 2}', "report.html": b"<p>2</p>", "results.xlsx": b"xlsx 2"}


def _state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name in OLD and p.is_file()}


def test_a_result_set_replaces_the_old_one_whole(tmp_path: Path) -> None:
    write_result_set(tmp_path, OLD)
    written = write_result_set(tmp_path, NEW)
    assert [p.name for p in written] == list(NEW)
    assert _state(tmp_path) == NEW
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(NEW)  # no staging left


KILLER = """
import os, signal, sys
from pathlib import Path
from sovfund.reports import files

after = int(sys.argv[2])
calls = 0
def dying(real):
    def call(*args, **kwargs):
        global calls
        calls += 1
        if calls > after:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return call
files.os.replace = dying(os.replace)
Path.unlink = dying(Path.unlink)
files.write_result_set(Path(sys.argv[1]), {name: f"new {name}".encode() for name in sys.argv[3:]})
"""


@pytest.mark.parametrize("after", range(7))
def test_a_kill_at_any_step_of_the_commit_never_leaves_a_mixed_set(
    tmp_path: Path, after: int
) -> None:
    """SIGKILL after each unlink or rename of the commit in turn: what is left is part
    of the old set or part of the new one, never both."""
    write_result_set(tmp_path, OLD)
    names = list(OLD)
    result = subprocess.run(
        [sys.executable, "-c", KILLER, str(tmp_path), str(after), *names],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, -signal.SIGKILL), result.stderr
    state = _state(tmp_path)
    new = {n: f"new {n}".encode() for n in names}
    old_only = all(OLD[n] == v for n, v in state.items())
    new_only = all(new[n] == v for n, v in state.items())
    assert old_only or new_only, state
    if result.returncode == 0:
        assert state == new
    # the killed run's staging folder goes with the next set
    write_result_set(tmp_path, NEW)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(NEW)


TERMINATED = """
import os, signal, sys
from pathlib import Path
from sovfund.reports import files

real = os.replace
def replace(*args):
    os.kill(os.getpid(), signal.SIGTERM)  # in the middle of the renames
    return real(*args)
files.os.replace = replace
files.write_result_set(Path(sys.argv[1]), {"a.txt": b"new a", "b.txt": b"new b"})
print("not reached: SIGTERM is delivered once the set is in place")
"""


def test_sigterm_waits_for_the_set_to_be_in_place(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", TERMINATED, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == -signal.SIGTERM
    assert "not reached" not in result.stdout
    assert (tmp_path / "a.txt").read_bytes() == b"new a"
    assert (tmp_path / "b.txt").read_bytes() == b"new b"


def test_an_unwritable_folder_leaves_the_old_set(tmp_path: Path) -> None:
    write_result_set(tmp_path, OLD)
    (tmp_path / "results.xlsx").unlink()
    (tmp_path / "results.xlsx").mkdir()  # a folder in the way of one file
    (tmp_path / "results.xlsx" / "x").write_text("keep")
    with pytest.raises(InputError, match="a folder of that name is in the way"):
        write_result_set(tmp_path, NEW)
    assert _state(tmp_path) == {k: v for k, v in OLD.items() if k != "results.xlsx"}


def test_a_file_in_the_way_of_the_folder_is_said_in_words(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("a file")
    with pytest.raises(InputError, match=r"out: cannot write it \(a file of that name is in"):
        check_writable(tmp_path / "out")
