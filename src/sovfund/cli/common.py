"""What every ``sovfund`` command shares: the app, the consoles, the common options
and the handling of input errors (exit 1, a clear message, never a traceback)."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from sovfund.errors import InputError
from sovfund.run.backends import AUTO_CORES, AUTO_PATHS

__all__ = [
    "BackendOpt",
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
    "user_errors",
]

app = typer.Typer(
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


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn input errors into a clear message on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except InputError as error:
            head, _, problems = str(error).partition("\n")
            err.print(f"[bold red]error:[/] {escape(head)}", highlight=False)
            if problems:
                err.print(escape(problems), highlight=False, soft_wrap=True)
        raise typer.Exit(1)

    return wrapper


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, allow_nan=False) + "\n")


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
