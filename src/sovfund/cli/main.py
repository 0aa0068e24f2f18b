"""The ``sovfund`` command line: talks to the user, no logic of its own.

Exit codes: 0 success, 1 invalid input (a clear message, never a traceback),
2 usage error.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from sovfund.analytics.base_case import run_base_case
from sovfund.analytics.calculator import run_waterfall
from sovfund.cli.render import base_case_view, waterfall_view
from sovfund.errors import InputError, TermsError
from sovfund.presets import DEFAULT_PRESET, preset_ids, preset_text
from sovfund.reports.files import write_json
from sovfund.terms.flows import load_flows
from sovfund.terms.load import load_terms

__all__ = ["app", "main"]

app = typer.Typer(
    name="sovfund",
    help="Model and stress-test a leveraged sovereign infrastructure fund.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scenarios_app = typer.Typer(help="The scenarios shipped with sovfund.", no_args_is_help=True)
app.add_typer(scenarios_app, name="scenarios")

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


def _user_errors(command: Callable[P, R]) -> Callable[P, R]:
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


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, allow_nan=False) + "\n")


@app.command()
@_user_errors
def run(
    scenario: ScenarioArg = DEFAULT_PRESET,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for summary.json.")] = Path("out"),
    as_json: JsonOpt = False,
) -> None:
    """Run the base case of a scenario: print key figures and write DIR/summary.json."""
    terms = load_terms(scenario)
    with err.status(f"Running the base case of {scenario}…"):
        result = run_base_case(terms)
    summary = {"scenario": scenario, "kind": "base_case", **result.to_dict()}
    path = write_json(out_dir / "summary.json", summary)
    if as_json:
        _print_json(summary)
        return
    out.print(base_case_view(result, scenario))
    out.print(f"\nWrote {path}", style="dim", markup=False)


@app.command()
@_user_errors
def waterfall(
    terms_file: Annotated[
        str, typer.Argument(metavar="TERMS", help="A term sheet (file or preset id).")
    ],
    flows_file: Annotated[
        Path, typer.Argument(metavar="FLOWS", help="CSV: date,party,kind,amount[,investment].")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Run dated flows through a term sheet's waterfall: who gets what, tier by tier."""
    terms = load_terms(terms_file)
    result = run_waterfall(terms, load_flows(flows_file, terms))
    if as_json:
        _print_json(result.to_dict())
    else:
        out.print(waterfall_view(result, terms.fund.name))


@app.command()
@_user_errors
def validate(
    file: Annotated[Path, typer.Argument(help="The term-sheet TOML file to check.")],
    as_json: JsonOpt = False,
) -> None:
    """Check a term sheet: exit 0 if valid, 1 listing every problem."""
    try:
        terms = load_terms(file)
    except TermsError as error:
        if not as_json:
            raise
        _print_json({"valid": False, "problems": [p.as_dict() for p in error.problems]})
        raise typer.Exit(1) from None
    if as_json:
        _print_json({"valid": True, "file": str(file)})
    else:
        out.print(
            f"[green]valid[/]: {escape(str(file))} — {_count(len(terms.parties), 'party')}, "
            f"{_count(len(terms.waterfall.tier), 'waterfall tier')}, "
            f"{_count(len(terms.projects), 'project')}"
        )


def _count(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"


@scenarios_app.command("list")
@_user_errors
def scenarios_list(as_json: JsonOpt = False) -> None:
    """List the shipped scenarios (the default first)."""
    rows = []
    for preset in preset_ids():
        terms = load_terms(preset)
        rows.append({"id": preset, "name": terms.fund.name, "default": preset == DEFAULT_PRESET})
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        default = "  (default)" if row["default"] else ""
        out.print(f"{row['id']:<10} {row['name']}{default}", markup=False)


@scenarios_app.command("show")
@_user_errors
def scenarios_show(
    preset: Annotated[str, typer.Argument(help="A preset id.")],
) -> None:
    """Print a shipped scenario as TOML (redirect it to a file to make your own)."""
    if preset not in preset_ids():
        raise InputError(f"no preset '{preset}'; expected one of {', '.join(preset_ids())}")
    sys.stdout.write(preset_text(preset))


def main() -> None:
    """Entry point of the ``sovfund`` script."""
    app()
