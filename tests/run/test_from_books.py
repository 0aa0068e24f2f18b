"""The Monte Carlo of the fund as booked (``sovfund simulate --from-books``): what the
books hold is fixed on every path, only the future is simulated (issue 14, part 3;
the rules in :mod:`sovfund.books.history`).

The books here are son-2025's first year booked as its base case plans it: the
calls paid, the debt drawn, each project's investment.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

import sovfund
import sovfund.books
from sovfund.books.history import booked
from sovfund.engine.calendar import quarter_dates
from sovfund.engine.projects import project_flows
from sovfund.scenarios.draws import base_case

PATHS = 512
SEED = 3
YEAR = 4  # quarters booked


@pytest.fixture(scope="module")
def son() -> sovfund.Terms:
    return sovfund.load_terms("son-2025")


def _book_first_year(path: Path, terms: sovfund.Terms, mark: float | None) -> None:
    """Book the base case's first year; with ``mark``, mark every project invested in at
    ``mark`` times its cost at the year's end."""
    plan = sovfund.run_base_case(terms).paths
    invest = project_flows(terms, base_case(terms), per_project=True).by_project
    assert invest is not None
    dates = quarter_dates(terms.fund.start, terms.fund.quarters)
    with sovfund.books.init(path, terms="son-2025") as books:
        for t in range(YEAR):
            call = books.call(f"{plan.calls[0, t]:.2f}", date=dates[t])
            books.pay(call.entry, date=dates[t])
            if plan.debt_drawn[0, t] > 0:
                books.borrow(f"{plan.debt_drawn[0, t]:.2f}", date=dates[t])
            for j, project in enumerate(terms.projects):
                if invest.investment[0, j, t] > 0:
                    books.invest(project.id, f"{invest.investment[0, j, t]:.2f}", date=dates[t])
        if mark is not None:
            for j, project in enumerate(terms.projects):
                cost = invest.investment[0, j, :YEAR].sum()
                if cost > 0:
                    books.mark(project.id, f"{cost * mark:.2f}", date=dates[YEAR - 1])
        assert books.check().ok


@pytest.fixture(scope="module")
def books_at(tmp_path_factory: pytest.TempPathFactory, son: sovfund.Terms):
    """Books of son-2025's first year, unmarked (None) or marked at a fraction of cost."""
    made: dict[float | None, Path] = {}

    def make(mark: float | None) -> Path:
        if mark not in made:
            path = tmp_path_factory.mktemp("books") / "fund.db"
            _book_first_year(path, son, mark)
            made[mark] = path
        return made[mark]

    return make


@pytest.fixture(scope="module")
def fresh(son: sovfund.Terms) -> sovfund.Simulation:
    return sovfund.simulate(son, paths=PATHS, seed=SEED)


def test_books_at_the_start_give_the_term_sheets_numbers(tmp_path, son, fresh):
    path = tmp_path / "fund.db"
    sovfund.books.init(path, terms="son-2025").close()
    terms, state = booked(path)
    assert state.start == 0
    sim = sovfund.simulate(terms, paths=PATHS, seed=SEED, booked=state)
    for name in ("defaulted", "irr", "tvpi", "received"):
        a, b = getattr(sim.summary, name), getattr(fresh.summary, name)
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_the_booked_year_is_the_same_on_every_path(books_at, son):
    terms, state = booked(books_at(None))
    assert state.start == YEAR
    plan = sovfund.run_base_case(son).paths
    sim = sovfund.simulate(terms, paths=PATHS, seed=SEED, booked=state)
    calls = sim.sample["calls"]
    assert calls.shape[0] > 1
    expected = np.broadcast_to(plan.calls[0, :YEAR], calls[:, :YEAR].shape)
    np.testing.assert_allclose(calls[:, :YEAR], expected, rtol=0, atol=0.01)
    for series in ("debt", "asset_value", "nav", "distributions"):  # as booked, every path
        booked_year = sim.sample[series][:, :YEAR]
        expected = np.broadcast_to(state.fund[series], booked_year.shape)
        np.testing.assert_allclose(booked_year, expected, err_msg=series)
    # and the future is simulated: the paths part after the booked year
    assert np.ptp(calls[:, YEAR:].sum(axis=1)) > 0


def test_the_same_seed_gives_the_same_numbers_whatever_the_batch(books_at):
    terms, state = booked(books_at(None))
    a = sovfund.simulate(terms, paths=300, seed=SEED, booked=state, batch_size=300)
    b = sovfund.simulate(terms, paths=300, seed=SEED, booked=state, batch_size=77)
    np.testing.assert_array_equal(a.summary.irr, b.summary.irr)
    np.testing.assert_array_equal(a.summary.defaulted, b.summary.defaulted)


def test_a_mark_down_raises_the_chance_of_default(books_at):
    def p_default(mark: float | None) -> float:
        terms, state = booked(books_at(mark))
        sim = sovfund.simulate(terms, paths=PATHS, seed=SEED, booked=state)
        return float(sim.summary.defaulted.mean())

    unmarked, down, up = p_default(None), p_default(0.5), p_default(1.5)
    assert down > unmarked > up


def test_as_of_an_earlier_date_books_fewer_quarters(books_at, son):
    dates = quarter_dates(son.fund.start, son.fund.quarters)
    _, state = booked(books_at(None), as_of=dates[1])
    assert state.start == 2
    assert state.as_of == dates[1]


def test_the_cli_heads_its_json_with_the_booking(books_at, sovfund_cli):
    path = books_at(None)
    result = sovfund_cli(
        path.parent, "simulate", "--from-books", str(path), "--paths", "256", "--json", "--quiet"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["books"]["books"] == str(path)
    assert data["books"]["booked_quarters"] == YEAR
    assert data["paths"] == 256


def test_a_scenario_and_books_together_are_refused(books_at, sovfund_cli):
    result = sovfund_cli(Path.cwd(), "simulate", "son-2025", "--from-books", str(books_at(None)))
    assert result.returncode == 1
    assert "--from-books" in result.stderr


def test_run_writes_the_report_headed_with_the_booking(books_at, sovfund_cli, tmp_path):
    path = books_at(0.5)
    out = tmp_path / "out"
    result = sovfund_cli(
        tmp_path, "run", "--from-books", str(path), "--paths", "256", "--study-paths", "64",
        "--out", str(out), "--quiet", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["simulation"]["books"]["booked_quarters"] == YEAR
    assert summary["run"]["command"].startswith(f"sovfund run --from-books {path} --as-of ")
    _, state = booked(path)
    day = f"{state.as_of:%-d %B %Y}"
    report = (out / "report.html").read_text()
    assert f"the fund as booked on {day}" in report
    assert f"As booked on <strong>{day}</strong>" in report
    # the studies start from the books too: their base runs equal the main run's
    # figures where they share paths and seed (the stress test's base row, 64 paths)
    stress = summary["stress"]["scenarios"][0]
    assert stress["name"] == "base"
    terms, state = booked(path)
    sim = sovfund.simulate(terms, paths=64, seed=0, booked=state)
    assert stress["fund"]["p_default"] == pytest.approx(float(sim.summary.defaulted.mean()))


def test_books_with_a_repurchase_are_refused_after_it(tmp_path):
    """A settled repurchase offer cancels units the simulation would not know of: the
    books are refused from its date on (a clear error), simulated up to the day before."""
    path = tmp_path / "fund.db"
    with sovfund.books.init(path, terms="son-2025") as books:
        call = books.call("1000000", date="2026-01-15")
        books.pay(call.entry or 0)
        offer = books.offer(date="2026-04-01")
        books.request(offer.offer, "us_retail", "1000")
        books.settle(offer.offer, date="2026-06-30")
    with pytest.raises(sovfund.BooksError, match="repurchase settled on 2026-06-30"):
        booked(path)
    _, state = booked(path, as_of=dt.date(2026, 6, 29))
    assert state.start == 2


def test_what_is_not_books_is_a_clear_error(tmp_path, sovfund_cli):
    junk = tmp_path / "junk.db"
    junk.write_text("not a database\n" * 100)
    secret = "postgresql+psycopg://books:s3cret@/nodb?host=/nonexistent"
    for books in (str(junk), secret):
        result = sovfund_cli(tmp_path, "simulate", "--from-books", books, "--paths", "10")
        assert result.returncode == 1, result.stderr
        assert "cannot open it as books" in result.stderr
        assert "s3cret" not in result.stderr
