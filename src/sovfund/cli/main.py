"""The ``sovfund`` command line: talks to the user, no logic of its own.

Exit codes: 0 success, 1 invalid input (a clear message, never a traceback), whether
in a file or an option's value, 2 a malformed command line (the rule and how it is
applied: :mod:`sovfund.cli.common`).
"""

from __future__ import annotations

import datetime as dt
import sys
import tomllib
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

from sovfund.cli import bargain, service, studies  # noqa: F401  (register their commands)
from sovfund.cli.books import books_app
from sovfund.cli.common import (
    BackendOpt,
    JsonOpt,
    PathsOpt,
    QuietOpt,
    SchedulerOpt,
    SeedOpt,
    WorkersOpt,
    app,
    err,
    out,
    print_json,
    printable,
    shown,
    user_errors,
)
from sovfund.errors import InputError, TermsError
from sovfund.presets import DEFAULT_PRESET, preset_ids, preset_text
from sovfund.run.defaults import STUDY_PATHS

if TYPE_CHECKING:
    from sovfund.analytics.figures import BooksSource
    from sovfund.engine.fund import Booked
    from sovfund.run.simulate import Simulation
    from sovfund.terms.models import Terms

# Each command imports what it uses when it runs (the engine, the reports, pandas):
# `sovfund --help`, `validate` and `scenarios` load none of it.

__all__ = ["app", "main"]

scenarios_app = typer.Typer(help="The scenarios shipped with sovfund.", no_args_is_help=True)
app.add_typer(scenarios_app, name="scenarios")
app.add_typer(books_app, name="books")


class EngineChoice(StrEnum):
    fast = "fast"
    reference = "reference"


def _simulate(
    terms: Terms,
    paths: int,
    seed: int,
    batch_size: int | None,
    engine: str,
    quiet: bool,
    backend: str = "auto",
    workers: int | None = None,
    scheduler: str | None = None,
    stress: str | None = None,
    booked: Booked | None = None,
) -> Simulation:
    """Run the Monte Carlo with a progress bar on stderr (unless quiet)."""
    from sovfund.cli.progress import progress_bar
    from sovfund.run.simulate import simulate

    with progress_bar(err, quiet) as progress:
        task = progress.add_task("Simulating paths", total=paths)
        return simulate(
            terms,
            paths=paths,
            seed=seed,
            batch_size=batch_size,
            engine="reference" if engine == "reference" else "fast",
            backend=backend,
            workers=workers,
            scheduler=scheduler,
            stress=stress,
            booked=booked,
            on_progress=lambda done: progress.update(task, completed=done),
        )


OptionalScenarioArg = Annotated[
    str | None,
    typer.Argument(
        metavar="SCENARIO",
        help="A preset id (see `sovfund scenarios list`) or a term-sheet TOML file"
        f" (default: {DEFAULT_PRESET}; none with --from-books).",
    ),
]
FromBooksOpt = Annotated[
    str | None,
    typer.Option(
        "--from-books",
        metavar="BOOKS",
        help="Simulate the fund as these books hold it (a SQLite file or a database URL):"
        " what is booked is fixed, the rest simulated; the term sheet is the books' own.",
    ),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="With --from-books: the books as of this date (YYYY-MM-DD; default: the"
        " latest entry's).",
    ),
]


class _Source(NamedTuple):
    """What a run simulates: a scenario's terms, or the books' with what they hold."""

    name: str
    terms: Terms
    booked: Booked | None = None
    books: BooksSource | None = None


def _terms_or_books(scenario: str | None, from_books: str | None, as_of: str | None) -> _Source:
    """The scenario's terms (the default preset's without one), or the books'."""
    from sovfund.analytics.figures import BooksSource
    from sovfund.terms.load import load_terms

    if from_books is None:
        if as_of is not None:
            raise InputError("--as-of: found a date without --from-books; expected both")
        name = scenario or DEFAULT_PRESET
        return _Source(name, load_terms(name))
    if scenario is not None:
        raise InputError(
            f"SCENARIO: found {scenario!r} with --from-books; expected one or the other"
            " (the books hold their own term sheet)"
        )
    from sovfund.books.history import booked

    if "://" not in from_books and not Path(from_books).is_file():
        raise InputError(
            f"--from-books: found {from_books!r}, which is not a file; expected books made by"
            " `books init` (a SQLite file or a database URL)"
        )
    try:
        day = None if as_of is None else dt.date.fromisoformat(as_of)
    except ValueError:
        raise InputError(f"--as-of: found {as_of!r}; expected a date YYYY-MM-DD") from None
    terms, state = booked(from_books, as_of=day)
    from sovfund.books.store import shown

    source = BooksSource(shown(from_books), as_of=state.as_of, booked_quarters=state.start)
    return _Source(f"books {source.books}", terms, state, source)


@app.command()
@user_errors
def run(
    scenario: OptionalScenarioArg = None,
    paths: PathsOpt = 10_000,
    seed: SeedOpt = 0,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for report.html, results.xlsx, summary.json.")
    ] = Path("out"),
    study_paths: Annotated[
        int,
        typer.Option(
            "--study-paths",
            min=0,
            help="Paths per run of the stress test, frontier and tornado (0: skip them).",
        ),
    ] = STUDY_PATHS,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    backend: BackendOpt = "auto",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    from_books: FromBooksOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """The main job: base case, Monte Carlo, stress tests, leverage frontier and tornado
    of a scenario (or of the fund as its books hold it); the verdict and key figures on
    screen; DIR/report.html, DIR/results.xlsx and DIR/summary.json."""
    from sovfund.cli.progress import progress_bar
    from sovfund.cli.render import base_case_view, simulation_view, verdict_view
    from sovfund.reports.excel import render_workbook
    from sovfund.reports.files import check_writable, json_text, write_result_set
    from sovfund.reports.html import render_report
    from sovfund.run.job import run_job, steps

    name, terms, state, books = _terms_or_books(scenario, from_books, as_of)
    try:
        check_writable(out_dir)  # before the work, not after it
    except InputError as error:
        raise InputError(f"--out: {error}") from None
    options: dict[str, Any] = {"backend": backend, "workers": workers, "scheduler": scheduler}
    if state is not None:
        options["booked"] = state
    with progress_bar(err, quiet) as progress:
        tasks = {
            step: progress.add_task(step, total=total)
            for step, total in steps(
                terms, paths, study_paths, from_books=books is not None
            ).items()
        }
        job = run_job(
            terms,
            scenario=name,
            paths=paths,
            seed=seed,
            study_paths=study_paths,
            on_progress=lambda step, done: progress.update(tasks[step], completed=done),
            books=books,
            **options,
        )
    summary = job.summary()
    data = summary.to_dict()
    with err.status("Writing the report…") if not quiet else nullcontext():
        files = {  # rendered first, then written as one set: never a mixed set
            "summary.json": json_text(data).encode("utf-8"),
            "report.html": render_report(summary, job.simulation).encode("utf-8"),
            "results.xlsx": render_workbook(summary, job.simulation),
        }
        written = write_result_set(out_dir, files)
    if as_json:
        print_json(data)
        return
    out.print(verdict_view(job.verdict))
    out.print()
    out.print(base_case_view(job.base, name))
    out.print()
    out.print(simulation_view(job.figures, terms.fund.name))
    for path in written:
        out.print(f"Wrote {printable(path)}", style="dim", markup=False)


@app.command("simulate")
@user_errors
def simulate_command(
    scenario: OptionalScenarioArg = None,
    paths: PathsOpt = 10_000,
    seed: SeedOpt = 0,
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size",
            min=1,
            help="Paths per batch (default: per backend); the numbers do not depend on it.",
        ),
    ] = None,
    engine: Annotated[
        EngineChoice, typer.Option("--engine", help="fast, or the readable reference engine.")
    ] = EngineChoice.fast,
    stress: Annotated[
        str | None,
        typer.Option(
            "--stress",
            metavar="NAME",
            help="Apply one of the term sheet's [stress.NAME] scenarios (see `sovfund stress`).",
        ),
    ] = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    backend: BackendOpt = "auto",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    from_books: FromBooksOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Monte Carlo: the distribution of every party's returns and of fund defaults (of
    a term sheet, or of the fund as its books hold it)."""
    from sovfund.cli.render import simulation_view
    from sovfund.run.studies import simulation_result

    name, terms, state, books = _terms_or_books(scenario, from_books, as_of)
    sim = _simulate(
        terms, paths, seed, batch_size, engine.value, quiet, backend, workers, scheduler, stress,
        booked=state,
    )  # fmt: skip
    result = simulation_result(name, sim, books=books)
    if as_json:
        print_json(result.to_dict())
    else:
        out.print(simulation_view(result, terms.fund.name))


@app.command()
@user_errors
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
    from sovfund.analytics.calculator import run_waterfall
    from sovfund.cli.render import waterfall_view
    from sovfund.terms.flows import load_flows
    from sovfund.terms.load import load_terms

    terms = load_terms(terms_file)
    result = run_waterfall(terms, load_flows(flows_file, terms))
    if as_json:
        print_json(result.to_dict())
    else:
        out.print(waterfall_view(result, terms.fund.name))


@app.command()
@user_errors
def validate(
    file: Annotated[
        str, typer.Argument(help="The term-sheet TOML file (or a preset id) to check.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Check a term sheet: exit 0 if valid (printing any warnings), 1 listing every problem."""
    from sovfund.terms.checks import terms_warnings
    from sovfund.terms.load import load_terms

    try:
        terms = load_terms(file)
    except TermsError as error:
        if not as_json:
            raise
        problems = [p.as_dict() for p in error.problems]
        print_json({"valid": False, "problems": problems, "warnings": []})
        raise typer.Exit(1) from None
    warnings = terms_warnings(terms)
    if as_json:
        print_json({"valid": True, "file": str(file), "warnings": [w.as_dict() for w in warnings]})
        return
    out.print(
        f"[green]valid[/]: {shown(file)} — {_count(len(terms.parties), 'party')}, "
        f"{_count(len(terms.waterfall.tier), 'waterfall tier')}, "
        f"{_count(len(terms.projects), 'project')}"
    )
    for warning in warnings:
        err.print(f"[bold yellow]warning:[/] {shown(warning)}", highlight=False)


def _count(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"


@scenarios_app.command("list")
@user_errors
def scenarios_list(as_json: JsonOpt = False) -> None:
    """List the shipped scenarios (the default first)."""
    rows = []
    for preset in preset_ids():  # shipped and tested: their names are read, not validated
        name = tomllib.loads(preset_text(preset))["fund"]["name"]
        rows.append({"id": preset, "name": name, "default": preset == DEFAULT_PRESET})
    if as_json:
        print_json(rows)
        return
    for row in rows:
        default = "  (default)" if row["default"] else ""
        out.print(f"{row['id']:<10} {row['name']}{default}", markup=False)


@scenarios_app.command("show")
@user_errors
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
