"""The ``sovfund`` command line: talks to the user, no logic of its own.

Exit codes: 0 success, 1 invalid input (a clear message, never a traceback),
2 usage error.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from sovfund.analytics.base_case import run_base_case
from sovfund.analytics.calculator import run_waterfall
from sovfund.analytics.distribution import summary_dict
from sovfund.cli.render import base_case_view, simulation_view, waterfall_view
from sovfund.errors import InputError, TermsError
from sovfund.presets import DEFAULT_PRESET, preset_ids, preset_text
from sovfund.reports.files import write_json
from sovfund.run.simulate import DEFAULT_BATCH, Simulation, simulate
from sovfund.scenarios.monte_carlo import BLOCK
from sovfund.terms.flows import load_flows
from sovfund.terms.load import load_terms
from sovfund.terms.models import Terms

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


class EngineChoice(StrEnum):
    fast = "fast"
    reference = "reference"


PathsOpt = Annotated[int, typer.Option("--paths", min=1, help="Number of Monte Carlo paths.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Root seed: same seed, same numbers.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="No progress bar.")]


def _simulate(
    terms: Terms, paths: int, seed: int, batch_size: int, engine: str, quiet: bool
) -> Simulation:
    """Run the Monte Carlo with a progress bar on stderr (unless quiet)."""
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=quiet,
    ) as progress:
        task = progress.add_task("Simulating paths", total=paths)
        return simulate(
            terms,
            paths=paths,
            seed=seed,
            batch_size=batch_size,
            engine="reference" if engine == "reference" else "fast",
            on_progress=lambda done: progress.update(task, completed=done),
        )


def _simulation_json(scenario: str, sim: Simulation) -> dict[str, Any]:
    parties = tuple(p.id for p in sim.terms.parties)
    japanese = tuple(p.country == "JP" for p in sim.terms.parties)
    return {
        "scenario": scenario,
        "paths": sim.paths,
        "seed": sim.seed,
        "engine": sim.engine,
        **summary_dict(sim.summary, parties, japanese),
    }


@app.command()
@_user_errors
def run(
    scenario: ScenarioArg = DEFAULT_PRESET,
    paths: PathsOpt = 10_000,
    seed: SeedOpt = 0,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for summary.json.")] = Path("out"),
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """The main job: the base case and a Monte Carlo of a scenario; key figures on screen,
    everything in DIR/summary.json."""
    terms = load_terms(scenario)
    with err.status(f"Running the base case of {scenario}…") if not quiet else nullcontext():
        result = run_base_case(terms)
    sim = _simulate(terms, paths, seed, DEFAULT_BATCH, "fast", quiet)
    summary: dict[str, Any] = {
        "scenario": scenario,
        "base_case": result.to_dict(),
        "simulation": _simulation_json(scenario, sim),
    }
    path = write_json(out_dir / "summary.json", summary)
    if as_json:
        _print_json(summary)
        return
    out.print(base_case_view(result, scenario))
    out.print()
    out.print(simulation_view(summary["simulation"], terms.fund.name))
    out.print(f"\nWrote {path}", style="dim", markup=False)


@app.command("simulate")
@_user_errors
def simulate_command(
    scenario: ScenarioArg = DEFAULT_PRESET,
    paths: PathsOpt = 10_000,
    seed: SeedOpt = 0,
    batch_size: Annotated[
        int, typer.Option("--batch-size", help=f"Paths per batch, a multiple of {BLOCK}.")
    ] = DEFAULT_BATCH,
    engine: Annotated[
        EngineChoice, typer.Option("--engine", help="fast, or the readable reference engine.")
    ] = EngineChoice.fast,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Monte Carlo: the distribution of every party's returns and of fund defaults."""
    terms = load_terms(scenario)
    sim = _simulate(terms, paths, seed, batch_size, engine.value, quiet)
    data = _simulation_json(scenario, sim)
    if as_json:
        _print_json(data)
    else:
        out.print(simulation_view(data, terms.fund.name))


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
    file: Annotated[
        str, typer.Argument(help="The term-sheet TOML file (or a preset id) to check.")
    ],
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
            f"[green]valid[/]: {escape(file)} — {_count(len(terms.parties), 'party')}, "
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
