"""``sovfund stress``, ``frontier``, ``sensitivity`` and ``compare``: studies made of
several Monte Carlo runs on the same seed. Importing this module registers them on the
app (cli.main does)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sovfund.cli.common import (
    JsonOpt,
    QuietOpt,
    ScenarioArg,
    SeedOpt,
    app,
    err,
    out,
    print_json,
    user_errors,
)
from sovfund.cli.progress import progress_bar
from sovfund.errors import ArgumentError, InputError
from sovfund.presets import DEFAULT_PRESET
from sovfund.run.defaults import LEVERAGE_LEVELS, MAX_LEVEL, METRICS, STUDY_PATHS

if TYPE_CHECKING:
    from sovfund.terms.models import Terms

__all__: list[str] = []

PartyOpt = Annotated[
    str | None, typer.Option("--party", help="The LP shown (default: Japan's sovereign LP).")
]
StudyPathsOpt = Annotated[
    int, typer.Option("--paths", min=1, help="Monte Carlo paths of each run of the study.")
]


def _with_progress(label: str, total: int, quiet: bool, job: Callable[[Any], Any]) -> Any:
    with progress_bar(err, quiet) as progress:
        task = progress.add_task(label, total=total)
        return job(lambda done: progress.update(task, completed=done))


@app.command("stress")
@user_errors
def stress_command(
    scenario: ScenarioArg = DEFAULT_PRESET,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", metavar="NAME", help="Run only this stress (repeatable)."),
    ] = None,
    party: PartyOpt = None,
    paths: StudyPathsOpt = STUDY_PATHS,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """The base and every named stress of a scenario, on the same random numbers."""
    from sovfund.cli.render import stress_view
    from sovfund.run.studies import stress_runs, stress_test
    from sovfund.terms.load import load_terms

    terms = load_terms(scenario)
    who = _lp(terms, party)
    result = _with_progress(
        "Stress tests",
        stress_runs(terms, only) * paths,
        quiet,
        lambda report: stress_test(terms, paths=paths, seed=seed, names=only, on_progress=report),
    )
    data = {"scenario": scenario, **result.to_dict()}
    if as_json:
        print_json(data)
    else:
        out.print(stress_view(data, terms.fund.name, who))


@app.command("frontier")
@user_errors
def frontier_command(
    scenario: ScenarioArg = DEFAULT_PRESET,
    levels: Annotated[
        str, typer.Option("--levels", help="Debt-to-equity levels, comma-separated.")
    ] = ",".join(f"{x:g}" for x in LEVERAGE_LEVELS),
    party: PartyOpt = None,
    paths: StudyPathsOpt = STUDY_PATHS,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Each LP's returns and the fund's default risk from 0x to 10x leverage."""
    from sovfund.cli.render import frontier_view
    from sovfund.run.studies import leverage_frontier
    from sovfund.terms.load import load_terms

    terms = load_terms(scenario)
    values = _levels(levels)
    who = _lp(terms, party)
    result = _with_progress(
        "Leverage frontier",
        len(values) * paths,
        quiet,
        lambda report: leverage_frontier(
            terms, paths=paths, seed=seed, levels=values, on_progress=report
        ),
    )
    data = {"scenario": scenario, **result.to_dict()}
    if as_json:
        print_json(data)
    else:
        out.print(frontier_view(data, terms.fund.name, who))


def _lp(terms: Terms, party: str | None) -> str:
    """``party`` checked to be an LP of ``terms``; the verdict's party if None."""
    from sovfund.run.studies import default_party

    who = party or default_party(terms)
    if who not in {p.id for p in terms.lps}:
        ids = ", ".join(p.id for p in terms.lps)
        raise InputError(f"--party: found '{who}'; expected an LP: {ids}")
    return who


def _levels(text: str) -> list[float]:
    from sovfund.run.studies import check_levels

    try:
        values = [float(part) for part in text.split(",") if part.strip()]
        check_levels(values)
    except (ValueError, ArgumentError):  # ArgumentError is a ValueError too
        raise InputError(
            f"--levels: found {text!r}; expected debt-to-equity numbers from 0 to"
            f" {MAX_LEVEL:g}, comma-separated (e.g. 0,2,4,6,8,10)"
        ) from None
    return values


@app.command("sensitivity")
@user_errors
def sensitivity_command(
    scenario: ScenarioArg = DEFAULT_PRESET,
    metric: Annotated[
        str, typer.Option("--metric", help=f"One of: {', '.join(METRICS)}.")
    ] = "tvpi_mean",
    party: PartyOpt = None,
    paths: StudyPathsOpt = STUDY_PATHS,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """A tornado: the metric with each key assumption at a low and a high setting."""
    from sovfund.cli.render import sensitivity_view
    from sovfund.run.studies import SENSITIVITY_RUNS, sensitivity
    from sovfund.terms.load import load_terms

    terms = load_terms(scenario)
    result = _with_progress(
        "Sensitivity",
        SENSITIVITY_RUNS * paths,
        quiet,
        lambda report: sensitivity(
            terms, paths=paths, seed=seed, metric=metric, party=party, on_progress=report
        ),
    )
    data = {"scenario": scenario, **result.to_dict()}
    if as_json:
        print_json(data)
    else:
        out.print(sensitivity_view(data))


@app.command("compare")
@user_errors
def compare_command(
    first: Annotated[str, typer.Argument(metavar="A", help="A preset id or term-sheet file.")],
    second: Annotated[str, typer.Argument(metavar="B", help="A preset id or term-sheet file.")],
    paths: StudyPathsOpt = STUDY_PATHS,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Two structures on the same market paths: what each country puts in and gets."""
    from sovfund.cli.render import comparison_view
    from sovfund.run.studies import compare
    from sovfund.terms.load import load_terms

    a, b = load_terms(first), load_terms(second)
    result = _with_progress(
        "Comparing",
        2 * paths,
        quiet,
        lambda report: compare((first, a), (second, b), paths=paths, seed=seed, on_progress=report),
    )
    data = result.to_dict()
    if as_json:
        print_json(data)
    else:
        out.print(comparison_view(data))
