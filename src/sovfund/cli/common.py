"""What every ``sovfund`` command shares: the app, the consoles, the common options
and the handling of input errors (exit 1, a clear message, never a traceback).

Exit codes, one rule for every command and option (DESIGN.md): 0 success; 1 invalid
input, which is any value the user gave that cannot be used, in a file or on the
command line (``--paths 0``, ``--engine x``, ``--paths abc``, a file that cannot be
read); 2 a usage error, where the command line itself is malformed (an unknown
command or option, a missing argument, an option without its value, one argument too
many). Click reports bad values as usage errors (2); :class:`Group` makes them 1.
Library errors name Python parameters (``batch_size``); :func:`user_errors` shows the
flag (``--batch-size``). User-supplied text reaches the terminal through
:func:`shown`: control characters escaped, Rich markup inert.
"""

from __future__ import annotations

import functools
import sys
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

try:  # Typer 0.20 and later carry their own copy of Click
    from typer._click.exceptions import BadParameter, MissingParameter
except ImportError:  # pragma: no cover - older Typer on Click itself
    from click.exceptions import BadParameter, MissingParameter  # type: ignore[assignment]

from sovfund.errors import ArgumentError, InputError
from sovfund.reports.files import json_text
from sovfund.run.backends import AUTO_CORES, AUTO_PATHS

__all__ = [
    "FLAGS",
    "BackendOpt",
    "Group",
    "JsonOpt",
    "PathsOpt",
    "QuietOpt",
    "ScenarioArg",
    "SchedulerOpt",
    "SeedOpt",
    "WorkersOpt",
    "app",
    "err",
    "out",
    "print_json",
    "printable",
    "show_error",
    "shown",
    "user_errors",
]


class Group(TyperGroup):
    """The app's command group: a bad option value exits 1 (invalid input) like a bad
    file does, while a malformed command line stays a usage error, 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BadParameter as error:
            if not isinstance(error, MissingParameter):
                error.exit_code = 1
            raise


app = typer.Typer(
    cls=Group,
    name="sovfund",
    help="Model and stress-test a leveraged sovereign infrastructure fund.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Piped output gets a fixed width wide enough for the tables; a terminal its own.
out = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 120)

P = ParamSpec("P")
R = TypeVar("R")

ScenarioArg = Annotated[
    str,
    typer.Argument(help="A preset id (see `sovfund scenarios list`) or a term-sheet TOML file."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON to stdout.")]


FLAGS = {
    "paths": "--paths",
    "study_paths": "--study-paths",
    "opt_out_paths": "--opt-out-paths",
    "seed": "--seed",
    "batch_size": "--batch-size",
    "engine": "--engine",
    "backend": "--backend",
    "workers": "--workers",
    "scheduler": "--scheduler",
    "stress": "--stress",
    "names": "--only",
    "levels": "--levels",
    "metric": "--metric",
    "party": "--party",
}
"""The CLI flag of each library parameter, for messages."""


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn input errors into a clear message on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ArgumentError as error:
            show_error(error.message(FLAGS.get(error.parameter, error.parameter)))
        except InputError as error:
            show_error(str(error))
        raise typer.Exit(1)

    return wrapper


def show_error(message: str) -> None:
    """An error on stderr: its first line after "error:", then its list of problems."""
    head, _, problems = message.partition("\n")
    err.print(f"[bold red]error:[/] {shown(head)}", highlight=False)
    if problems:
        err.print(shown(problems, lines=True), highlight=False, soft_wrap=True)


def printable(text: object, *, lines: bool = False) -> str:
    """``text`` with control and format characters escaped (\\x1b, \\u202e; newlines
    kept where ``lines``), so that no name can move the cursor or recolour a terminal."""
    out = []
    for character in str(text):
        if lines and character == "\n":
            out.append(character)
        elif unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp"):
            code = ord(character)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(character)
    return "".join(out)


def shown(text: object, *, lines: bool = False) -> str:
    """``text`` safe inside Rich markup: :func:`printable`, and markup such as ``[bold]``
    shown as typed."""
    return escape(printable(text, lines=lines))


def print_json(data: Any) -> None:
    """``data`` as JSON on stdout, NaN and infinities as null (one encoder everywhere)."""
    sys.stdout.write(json_text(data))


PathsOpt = Annotated[int, typer.Option("--paths", min=1, help="Number of Monte Carlo paths.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Root seed: same seed, same numbers.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="No progress bar.")]
BackendOpt = Annotated[
    str,
    typer.Option(
        "--backend",
        metavar="[auto|serial|process|dask]",
        help=f"Where batches run; auto: a process pool from {AUTO_PATHS:,} paths on"
        f" {AUTO_CORES} cores or more, else serial. The numbers are the same on every"
        " backend.",
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        help="Worker processes of the pool or local Dask cluster (default: one a core).",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="Run on the Dask cluster of this scheduler (tcp://host:port); --backend dask"
        " also reads $DASK_SCHEDULER_ADDRESS.",
    ),
]
