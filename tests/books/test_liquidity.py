"""Retail liquidity: repurchase offers at NAV, gated, pro rata to the cent, with the
early repurchase deduction; figures worked by hand in each docstring. Each runs on
SQLite and on PostgreSQL.

The fund: DESIGN.md's term sheet (``lp``, $100M, no class) with ``[fund.redemptions]``
and three retail LPs from CSV, r1 $1M, r2 $2M, r3 $3M, all called in full and paid on
2026-01-15 unless a test says otherwise. Nothing else moves, so each partner's NAV
is what it paid in, and the retail class's NAV is $6M.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sovfund.books
from sovfund.cli.main import app
from sovfund.errors import BooksError, TermsError
from sovfund.terms.load import parse_terms

DESIGN = (Path(__file__).parents[2] / "examples" / "design.toml").read_text(encoding="utf-8")
RETAIL = "id,name,class,country,currency,commitment\n" + "".join(
    f"r{i},Retail {i},retail,US,USD,{i}000000\n" for i in (1, 2, 3)
)


def _terms(tmp_path: Path, gate: float = 0.05, extra: str = "") -> Path:
    path = tmp_path / "terms.toml"
    path.write_text(
        DESIGN + f'\n[fund.redemptions]\nclasses = ["retail"]\ngate = {gate}\n{extra}',
        encoding="utf-8",
    )
    return path


def _books(
    url: str, tmp_path: Path, *, gate: float = 0.05, split: bool = False
) -> sovfund.books.Books:
    books = sovfund.books.init(url, terms=_terms(tmp_path, gate))
    sheet = tmp_path / "retail.csv"
    sheet.write_text(RETAIL, encoding="utf-8")
    books.partners(sheet)
    if split:  # half paid on 2026-01-15, half on 2026-09-01
        first = books.call("53000000", date="2026-01-15")
        books.pay(first.entry or 0)
        second = books.call("53000000", date="2026-09-01")
        books.pay(second.entry or 0)
    else:
        call = books.call("106000000", date="2026-01-15")
        books.pay(call.entry or 0)
    return books


def _entries(books: sovfund.books.Books) -> int:
    return len(books.journal()["entries"])


@pytest.mark.parametrize(
    "asked",
    [
        ("300000", "300000", "300000"),
        ("150000.01", "299999.99", "450000"),
        ("0.03", "299999.98", "599999.99"),
    ],
)
def test_three_times_oversubscribed_pays_each_pro_rata_to_the_cent(
    books_url: str, tmp_path: Path, asked: tuple[str, str, str]
) -> None:
    """The cap is 5% of the class's $6M: $300,000. The requests sum to $900,000, three
    times it, so each is accepted at a third of what it asked, floored to the cent, the
    cents left over going to the largest remainders: exactly $300,000 in all. Units
    were held over a year (paid 2026-01-15, priced 2027-03-31): nothing is deducted,
    and the fund's cash falls by what it paid."""
    books = _books(books_url, tmp_path)
    books.invest("bridge", "100000000", date="2026-02-01")  # $6M of cash left
    offer = books.offer(date="2027-03-01")
    assert offer.data["pricing_date"] == "2027-03-31"
    for partner, amount in zip(("r1", "r2", "r3"), asked, strict=True):
        books.request(offer.offer, partner, amount)
    settled = books.settle(offer.offer, date="2027-04-02", key="settle-1")
    cents = [int(Decimal(a) * 100) for a in asked]
    exact = [Fraction(c * 30_000_000, sum(cents)) for c in cents]
    floors = [int(x) for x in exact]
    for k in sorted(range(3), key=lambda k: exact[k] - floors[k], reverse=True)[
        : 30_000_000 - sum(floors)
    ]:
        floors[k] += 1
    expected = {f"r{k + 1}": Decimal(f) / 100 for k, f in enumerate(floors)}
    assert dict(settled.allocations) == expected
    assert sum(settled.allocations.values()) == Decimal("300000.00") == settled.amount
    assert all(abs(expected[p] - Decimal(a) / 3) < Decimal("0.01") for p, a in
               zip(("r1", "r2", "r3"), asked, strict=True))  # fmt: skip
    assert settled.data["prorated"] is True
    assert settled.data["deduction"] == "0.00"
    assert books.settle(offer.offer, date="2027-04-02", key="settle-1") == settled
    for partner in ("r1", "r2", "r3"):
        statement = books.statement(partner).to_dict()
        assert Decimal(statement["repurchased"]) == expected[partner]
        assert Decimal(statement["capital_account"]) == (
            int(partner[1]) * Decimal(1_000_000) - expected[partner]
        )
    cash = {a["account"]: a["balance"] for a in books.trial_balance()["accounts"]}["cash"]
    assert Decimal(cash) == Decimal("6000000.00") - Decimal("300000.00")
    check = books.check()
    assert check.ok, check.breaches
    books.close()


def test_units_held_under_a_year_pay_the_deduction_first_in_first_out(
    books_url: str, tmp_path: Path
) -> None:
    """Half of each commitment paid on 2026-01-15, half on 2026-09-01; the offer is
    priced 2027-03-31, so the first half was held over a year and the second 211 days.
    r1 sells all its $1M NAV (the gate is 50%: no proration). First in, first out:
    $500,000 of old units, free; $500,000 of young ones, 2% kept: $10,000. r1 is paid
    $990,000; the $10,000 stays in the fund for the others, pro rata to their NAV after
    the repurchase: lp $100M, r2 $2M, r3 $3M of $105M: 9,523.81, 190.48, 285.71 (the
    last cent to the largest remainder). r1's units are cancelled: a later
    distribution returns capital to the others only."""
    books = _books(books_url, tmp_path, gate=0.5, split=True)
    offer = books.offer(date="2027-03-01")
    books.request(offer.offer, "r1", share="1")
    settled = books.settle(offer.offer, date="2027-04-01")
    assert settled.allocations == {"r1": Decimal("990000.00")}
    assert settled.data["deduction"] == "10000.00"
    gains = {
        p: books.statement(p).data["gains"]["early_repurchase_deductions"]
        for p in ("lp", "r1", "r2", "r3")
    }
    assert gains == {"lp": "9523.81", "r1": "-10000.00", "r2": "190.48", "r3": "285.71"}
    assert books.statement("r1").capital_account == 0
    assert books.check().ok
    split = books.distribute("1050000", date="2027-05-01")
    paid = {p: s.distributed for p, s in split.parties.items()}
    assert paid["r1"] == 0
    assert {p: paid[p] for p in ("lp", "r2", "r3")} == {
        "lp": Decimal("1000000.00"),
        "r2": Decimal("20000.00"),
        "r3": Decimal("30000.00"),
    }
    assert books.check().ok
    books.close()


def test_bad_requests_and_settlements_are_refused_and_book_nothing(
    books_url: str, tmp_path: Path
) -> None:
    books = _books(books_url, tmp_path)
    offer = books.offer(date="2026-04-01", pricing_date="2026-04-30")
    books.request(offer.offer, "r1", "1000", key="r1-asks")
    assert books.request(offer.offer, "r1", "1000", key="r1-asks").data["amount"] == "1000.00"
    before = _entries(books)
    cases = [
        (lambda: books.request(offer.offer, "r2", "2000000.01"), "more than partner 'r2' holds"),
        (lambda: books.request(offer.offer, "lp", "5"), "an LP of no investor class"),
        (lambda: books.request(offer.offer, "gp", "5"), "is a GP"),
        (lambda: books.request(offer.offer, "nobody", "5"), "no partner 'nobody'"),
        (lambda: books.request(offer.offer, "r1", "5"), "already asked"),
        (lambda: books.request(offer.offer, "r2", share="1.5"), "at most 1"),
        (lambda: books.request(offer.offer, "r2"), "expected one"),
        (lambda: books.request(99, "r2", "5"), "no repurchase offer 99"),
        (lambda: books.offer(date="2026-05-01"), "still open"),
        (lambda: books.offer(investor_class="sovereign", date="2026-05-01"), "may not redeem"),
        (lambda: books.settle(offer.offer, date="2026-04-29"), "before offer 1's pricing"),
    ]
    for attempt, message in cases:
        with pytest.raises(BooksError, match=message):
            attempt()
    books.invest("bridge", "106000000", date="2026-04-30")  # no cash left
    with pytest.raises(BooksError, match="does not cover"):
        books.settle(offer.offer, date="2026-04-30")
    books.receive("bridge", "5000", date="2026-05-01")
    settled = books.settle(offer.offer, date="2026-05-01")
    assert settled.allocations == {"r1": Decimal("980.00")}  # held under a year: 2% kept
    with pytest.raises(BooksError, match="is settled"):
        books.request(offer.offer, "r2", "5")
    with pytest.raises(BooksError, match="already settled"):
        books.settle(offer.offer, date="2026-05-02")
    with pytest.raises(BooksError, match="already priced in the quarter"):
        books.offer(date="2026-05-02")  # priced 2026-06-30: one offer a quarter
    assert _entries(books) == before + 3  # the investment, the proceeds, the repurchase
    assert books.check().ok
    books.close()


def test_an_offer_needs_a_redemptions_table(books_url: str) -> None:
    books = sovfund.books.init(books_url, terms="examples/design.toml")
    with pytest.raises(BooksError, match=r"no \[fund.redemptions\]"):
        books.offer(date="2026-04-01")
    books.close()


def test_the_deduction_is_a_share_below_one(tmp_path: Path) -> None:
    text = _terms(tmp_path, extra="early_repurchase_deduction = 1.5\n").read_text()
    with pytest.raises(TermsError, match=r"fund\.redemptions\.early_repurchase_deduction"):
        parse_terms(text, name="terms.toml")


def test_cli_offer_request_settle(books_url: str, tmp_path: Path) -> None:
    _books(books_url, tmp_path).close()
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["books", *args])
        return result.exit_code, result.stdout

    code, text = run("offer", books_url, "--class", "retail", "--date", "2026-04-01", "--json")
    assert code == 0
    offer = json.loads(text)
    assert (offer["offer"], offer["cap"]) == (1, "300000.00")
    assert run("request", books_url, "1", "r2", "--share", "0.5", "--key", "a")[0] == 0
    assert run("request", books_url, "1", "r3", "-5")[0] == 1
    assert run("request", books_url, "1", "lp", "5")[0] == 1
    code, text = run("settle", books_url, "1", "--date", "2026-07-01", "--json")
    assert code == 0
    settled = json.loads(text)
    assert settled["accepted"] == "300000.00"
    assert settled["prorated"] is True
    assert settled["allocations"] == {"r2": "294000.00"}  # 2% kept: held under a year
    assert run("settle", books_url, "1", "--date", "2026-07-01")[0] == 1
    assert run("check", books_url)[0] == 0


def test_statements_for_every_partner_stream_to_a_folder_or_json_lines(
    books_url: str, tmp_path: Path
) -> None:
    """A quarter's statements: one per partner, each the partner's statement as of the
    quarter's last day plus the quarter's own figures, which reconcile: beginning
    capital account + contributions - distributions - fees + carry + gains = ending."""
    books = _books(books_url, tmp_path)
    offer = books.offer(date="2026-04-01")
    books.request(offer.offer, "r3", "600000")
    books.settle(offer.offer, date="2026-07-01")
    lines = tmp_path / "2026Q3.jsonl"
    done = books.statements(quarter="2026Q3", jsonl=lines)
    assert done["partners"] == 5
    rows = [json.loads(line) for line in lines.read_text().splitlines()]
    assert [r["partner"] for r in rows] == ["lp", "gp", "r1", "r2", "r3"]
    for row in rows:
        single = books.statement(row["partner"], as_of="2026-09-30").to_dict()
        assert {k: v for k, v in row.items() if k != "quarter"} == single
        q = {k: Decimal(v) for k, v in row["quarter"].items() if k not in ("quarter", "from", "to")}
        assert (
            q["beginning_capital_account"]
            + q["contributions"]
            - q["distributions"]
            - q["fees"]
            + q["carry"]
            + q["gains"]
            == q["ending_capital_account"]
        )
    assert rows[4]["repurchased"] == "294000.00"  # $300,000 accepted, 2% kept
    folder = books.statements(quarter="2026Q3", out=tmp_path / "statements")
    assert sorted(p.name for p in (tmp_path / "statements").iterdir()) == [
        "gp.json", "lp.json", "r1.json", "r2.json", "r3.json"
    ]  # fmt: skip
    assert json.loads((tmp_path / "statements" / "r3.json").read_text()) == rows[4]
    assert folder["partners"] == 5
    with pytest.raises(BooksError, match="--out DIR"):
        books.statements(quarter="2026Q3")
    books.close()
