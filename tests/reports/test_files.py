"""Result files are written whole, readable like any file the user makes, or not at all."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sovfund.errors import InputError
from sovfund.reports.files import write_bytes, write_json


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
