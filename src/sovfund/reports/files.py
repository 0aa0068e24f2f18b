"""Writing result files: a reader never sees a half-written file, nor a mixed set.

- :func:`write_bytes` / :func:`write_json` write one file through a temporary file in
  the same folder and a rename.
- :func:`write_result_set` writes several files (``run``'s summary.json, report.html
  and results.xlsx) as one set: each is written whole and flushed to disk in a staging
  folder inside the output folder, then the old set is removed and the new one renamed
  into place, with SIGINT, SIGTERM and SIGHUP held back for those few renames. At no
  moment do files of two runs sit side by side: a crash or a kill before the renames
  leaves the old set untouched, and a SIGKILL (which nothing can hold back) landing
  inside the renames leaves part of one set, never a mix. A killed run's staging folder
  is removed by the next one.
- :func:`json_text` is the one JSON encoding of every file and of ``--json``: NaN and
  infinities become ``null`` (JSON has no NaN), NumPy numbers plain numbers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

from sovfund.errors import InputError, os_reason

__all__ = [
    "check_writable",
    "json_ready",
    "json_text",
    "write_bytes",
    "write_json",
    "write_result_set",
]

STAGING = ".sovfund-staging-"
"""Prefix of the staging folders :func:`write_result_set` makes (then the process id)."""


def json_ready(data: Any) -> Any:
    """``data`` with NaN and infinities as None, NumPy scalars and arrays as Python
    numbers and lists, tuples as lists and dates as ISO text: what JSON can carry."""
    if isinstance(data, Mapping):
        return {str(key): json_ready(value) for key, value in data.items()}
    if hasattr(data, "tolist") and not isinstance(data, str | bytes):  # NumPy, unimported
        data = data.tolist()
    if isinstance(data, list | tuple):
        return [json_ready(value) for value in data]
    if isinstance(data, bool | int):
        return data
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dt.date):
        return data.isoformat()
    return data


def json_text(data: Any) -> str:
    """``data`` as indented JSON text with a final newline (see :func:`json_ready`)."""
    return json.dumps(json_ready(data), indent=2, allow_nan=False) + "\n"


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as indented JSON (:func:`json_text`) to ``path`` atomically.

    Raises
    ------
    InputError
        The folder cannot be made or written to.
    """
    return write_bytes(path, json_text(data).encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename.

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
        raise _unwritable(path, error) from None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o666 & ~_umask())  # as open() would make it, not mkstemp's 0600
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise _unwritable(path, error) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_result_set(folder: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write ``files`` (name -> content) into ``folder`` as one set (module docstring).

    Returns the paths written, in the order given.

    Raises
    ------
    InputError
        The folder cannot be made or written to (the old set is left as it was).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(folder)
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=f"{STAGING}{os.getpid()}-"))
    except OSError as error:
        raise _unwritable(folder, error) from None
    targets = [folder / name for name in files]
    for target in targets:  # before anything is written or removed
        if target.is_dir() and not target.is_symlink():
            raise InputError(
                f"{target}: cannot write it (a folder of that name is in the way);"
                " expected a folder you can write to"
            )
    try:
        for name, data in files.items():
            _write_durably(staging / name, data)
        _sync_folder(staging)
        with _signals_held():
            for target in targets:
                target.unlink(missing_ok=True)
            for target in targets:
                os.replace(staging / target.name, target)
            _sync_folder(folder)
    except OSError as error:
        raise _unwritable(folder, error) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return targets


def check_writable(folder: Path) -> None:
    """Raise :class:`InputError` now if results cannot be written into ``folder`` (made
    if missing), rather than after a long run."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        Path(tempfile.mkdtemp(dir=folder, prefix=f"{STAGING}{os.getpid()}-")).rmdir()
    except OSError as error:
        raise _unwritable(folder, error) from None


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.chmod(path, 0o666 & ~_umask())


def _sync_folder(folder: Path) -> None:
    """Make the folder's entries (the renames) durable, where the system allows it."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - not on POSIX
        return
    try:
        os.fsync(handle)
    except OSError:  # pragma: no cover - some file systems refuse fsync on folders
        pass
    finally:
        os.close(handle)


def _remove_abandoned(folder: Path) -> None:
    """Remove the staging folders of runs that died (their process is gone)."""
    for entry in folder.glob(f"{STAGING}*"):
        pid = entry.name.removeprefix(STAGING).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another call of ours may be writing it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


HELD = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP back for the block, then deliver them (only from
    the main thread, where Python lets a program set handlers; elsewhere, as is)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(number: int, frame: FrameType | None) -> None:
        caught.append(number)

    settable = [number for number in HELD if signal.getsignal(number) is not None]
    previous = {number: signal.signal(number, hold) for number in settable}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for caught_number in dict.fromkeys(caught):
            os.kill(os.getpid(), caught_number)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _unwritable(path: Path, error: OSError) -> InputError:
    return InputError(
        f"{path}: cannot write it ({os_reason(error)}); expected a folder you can write to"
    )
