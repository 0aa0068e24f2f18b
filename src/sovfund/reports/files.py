"""Writing result files atomically: a reader never sees a half-written file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from sovfund.errors import InputError

__all__ = ["write_json"]


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as indented JSON to ``path`` via a temporary file and a rename.

    Raises
    ------
    InputError
        The folder cannot be made or written to.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise InputError(
            f"{path}: cannot write it ({error.strerror or error});"
            " expected a folder you can write to"
        ) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=2, allow_nan=False)
            file.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
