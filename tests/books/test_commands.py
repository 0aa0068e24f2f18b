"""The books' commands on worked cases: figures worked out by hand in each docstring.

Each runs on SQLite and on PostgreSQL. Bad input gets a clear error, exit 1 from the
CLI, and books nothing.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sovfund.books
from sovfund.cli.main import app
from sovfund.errors import BooksError, InputError, KeyReusedError, PartnersError

DESIGN = "examples/design.toml"  # one LP (lp, $100M), one GP (gp); 8% hurdle, 20% carry


def _entries(books: sovfund.books.Books) -> int:
    return len(books.journal()["entries"])


def test_son_2025_call_pay_fees(books_url: str) -> None:
    """son-2025: a $1B call splits pro rata to the six LPs' commitments (all unfunded):
    Japan's reserves 100/300 = 333,333,333.33 (largest remainder: 1/3 and 1/6 shares
    leave one cent each to the largest remainders). Fees for 2026Q1: the private LPs
    (150B committed) pay 1.25%/4 = 468,750,000.00; the sovereigns pay 0.5%/4 on their
    share of the $1B invested: 416,666.67 (Japan) and 208,333.33 (US); the GPs get half
    each, 234,687,500.00. Billing again books nothing."""
    books = sovfund.books.init(books_url, terms="son-2025")
    call = books.call("1000000000", date="2026-01-15", due="2026-01-30", key="call-1")
    assert call.allocations == {
        "japan_reserves": Decimal("333333333.33"),
        "us_government": Decimal("166666666.67"),
        "us_institutional": Decimal("200000000.00"),
        "jp_institutional": Decimal("166666666.67"),
        "us_retail": Decimal("83333333.33"),
        "jp_retail": Decimal("50000000.00"),
    }
    assert sum(call.allocations.values()) == call.amount
    again = books.call("1000000000", date="2026-01-15", due="2026-01-30", key="call-1")
    assert again == call
    assert _entries(books) == 1
    books.pay(call.entry or 0)  # on the due date
    books.invest("icebreakers", "1000000000", date="2026-02-01")
    fees = books.fees(through="2026-03-31")
    assert fees.quarters == ("2026Q1",)
    assert fees.amount == Decimal("469375000.00")
    billed = fees.to_dict()["quarters"][0]
    assert billed["billed"]["japan_reserves"] == "416666.67"
    assert billed["billed"]["us_government"] == "208333.33"
    assert billed["credited"] == {"us_treasury": "234687500.00", "japan_mof": "234687500.00"}
    assert books.fees(through="2026-03-31").entries == ()
    assert books.statement("us_treasury").fees == Decimal("234687500.00")
    assert books.statement("us_retail").fees == Decimal("78125000.00")  # 25B x 1.25% / 4
    assert books.check().ok
    books.close()


def test_partial_payment_leaves_a_receivable(books_url: str) -> None:
    books = sovfund.books.init(books_url, terms=DESIGN)
    call = books.call("1000", date="2026-01-15")
    books.pay(call.entry or 0, partners=["lp"], amount="400", date="2026-01-20")
    statement = books.statement("lp")
    assert (statement.contributed, statement.data["receivable"]) == (Decimal("400.00"), "600.00")
    books.pay(call.entry or 0, date="2026-01-25")
    assert books.statement("lp").contributed == Decimal("1000.00")
    with pytest.raises(BooksError, match="paid in full"):
        books.pay(call.entry or 0, date="2026-01-26")
    assert books.check().ok
    books.close()


def test_later_closing_is_equalized_with_interest(books_url: str, tmp_path: Path) -> None:
    """lp is called 10,000,000 on 2026-01-15. late ($100M) closes 180 days later: it is
    called the same 10% of its commitment, 10,000,000, plus 8% (the preferred return)
    simple interest for 180 days: 10,000,000 x 0.08 x 180/365 = 394,520.55, credited
    to lp."""
    books = sovfund.books.init(books_url, terms=DESIGN)
    call = books.call("10000000", date="2026-01-15")
    books.pay(call.entry or 0)
    sheet = tmp_path / "late.csv"
    sheet.write_text(
        "id,name,class,country,currency,commitment,closing\n"
        "late,Late LP,institutional,US,USD,100000000,2026-07-14\n"
    )
    added = books.partners(sheet)
    (entry,) = added.to_dict()["entries"]
    late = books.statement("late").to_dict()
    assert late["called"] == "10000000.00"
    assert late["equalization_receivable"] == "394520.55"
    assert books.statement("lp").data["gains"]["equalization_interest"] == "394520.55"
    books.pay(entry, date="2026-07-20")
    next_call = books.call("2000000", date="2026-08-01")
    assert next_call.allocations == {"lp": Decimal("1000000.00"), "late": Decimal("1000000.00")}
    assert books.check().ok
    books.close()


def test_yen_partner(books_url: str, tmp_path: Path) -> None:
    """yen_lp commits 15,000,000,000 yen ($100M at 150). A $20M call at 150 calls each
    LP $10M: 1,500,000,000 yen. A distribution of $30M two years on, at 140 yen: each
    LP gets its capital back and its share of the rest; yen_lp's part in yen is its
    dollars x 140."""
    books = sovfund.books.init(books_url, terms=DESIGN)
    sheet = tmp_path / "yen.csv"
    sheet.write_text(
        "id,name,class,country,currency,commitment\n"
        "yen_lp,Yen LP,institutional,JP,JPY,15000000000\n"
    )
    books.partners(sheet)
    with pytest.raises(BooksError, match="usd-jpy"):
        books.call("20000000", date="2026-01-15")
    call = books.call("20000000", date="2026-01-15", usd_jpy="150")
    assert call.allocations == {"lp": Decimal("10000000.00"), "yen_lp": Decimal("1500000000")}
    assert books.check().ok  # a yen receivable outstanding
    books.pay(call.entry or 0)
    books.invest("bridge", "20000000", date="2026-01-15")
    books.receive("bridge", "30000000", date="2028-01-15", usd_jpy="140")
    split = books.distribute("30000000", date="2028-01-15", usd_jpy="140")
    dollars = split.parties["yen_lp"].distributed
    statement = books.statement("yen_lp")
    assert statement.currency == "JPY"
    assert statement.contributed == Decimal("1500000000")
    assert statement.distributed == (dollars * 140).quantize(Decimal(1))
    assert books.statement("lp").distributed == split.parties["lp"].distributed
    assert books.check().ok
    books.close()


def test_debt_interest_and_marks(books_url: str) -> None:
    """$1M drawn at 5% for 73 days costs 1,000,000 x 0.05 x 73/365 = 10,000.00, paid
    with the principal and charged to the LP. A mark of the $2M project at $2.5M is a
    $500k unrealized gain of the LP."""
    books = sovfund.books.init(books_url, terms=DESIGN)
    call = books.call("2000000", date="2026-01-15")
    books.pay(call.entry or 0)
    books.borrow("1000000", date="2026-02-01", rate=0.05)
    books.invest("bridge", "2000000", date="2026-02-01")
    books.receive("bridge", "1010000", date="2026-04-15")
    repaid = books.repay("1000000", date="2026-04-15", rate=0.05)
    assert repaid.data["interest"] == "10000.00"
    books.mark("bridge", "2500000", date="2026-06-30")
    lp = books.statement("lp").to_dict()
    assert lp["gains"] == {
        "realized": "1010000.00",
        "unrealized": "500000.00",
        "fund_expenses": "-10000.00",
        "equalization_interest": "0.00",
        "early_repurchase_deductions": "0.00",
    }
    assert lp["capital_account"] == "3500000.00"  # 2M + 1.01M - 10k + 500k
    assert books.check().ok
    books.close()


def test_bad_input_books_nothing(books_url: str, tmp_path: Path) -> None:
    books = sovfund.books.init(books_url, terms=DESIGN)
    call = books.call("1000", date="2026-02-01", key="k")
    before = _entries(books)
    cases = [
        (lambda: books.pay(call.entry or 0, partners=["nobody"]), "no partner 'nobody'"),
        (lambda: books.call("-5", date="2026-02-01"), "negative"),
        (lambda: books.call("ten", date="2026-02-01"), "not a number"),
        (lambda: books.call("1.001", date="2026-02-01"), "decimal places"),
        (lambda: books.call("5", date="2025-12-31"), "before the fund's start"),
        (lambda: books.call("5", date="2026-01-15"), "date order"),
        (lambda: books.call("5", date="2026-13-01"), "not a date"),
        (lambda: books.distribute("1", date="2026-02-01"), "more than the fund's cash"),
        (lambda: books.call("2000", date="2026-02-01", key="k"), "another request"),
        (lambda: books.call("200000000", date="2026-02-01"), "more than the unfunded"),
        (lambda: books.invest("Bad Id", "1", date="2026-02-01"), "lowercase word"),
        (lambda: books.repay("1", date="2026-02-01", rate=0.05), "more than the debt"),
        (lambda: books.borrow("1", date="2026-02-01", index_rate=math.nan), "--index-rate nan"),
        (lambda: books.borrow("1", date="2026-02-01", rate=math.inf), "--rate inf"),
        (lambda: books.borrow("1", date="2026-02-01", rate=1.5), "below 1"),
        (lambda: books.statement("lp", html=tmp_path / "x" / "y.html" / "z"), None),
    ]
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "y.html").write_text("a file in the way")
    for attempt, message in cases:
        with pytest.raises(InputError, match=message or "cannot write it"):
            attempt()
    with pytest.raises(KeyReusedError):
        books.call("2000", date="2026-02-01", key="k")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,name,class,country,currency,commitment\n"
        "good,Good,retail,US,USD,1000\n"
        "Bad,Bad,pension,USA,EUR,-3\n"
        "lp,Again,retail,US,USD,10\n"
    )
    with pytest.raises(PartnersError) as error:
        books.partners(bad)
    found = {(p.path, p.found) for p in error.value.problems}
    assert ("line 3, id", "'Bad'") in found
    assert ("line 3, class", "'pension'") in found
    assert ("line 3, country", "'USA'") in found
    assert ("line 3, currency", "'EUR'") in found
    assert ("line 4, id", "'lp'") in found
    assert books.context().partners.ids == ("lp", "gp")  # nobody added, not even 'good'
    assert _entries(books) == before
    assert books.check().ok
    books.close()


def test_cli_exit_codes_and_json(books_url: str) -> None:
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["books", *args])
        return result.exit_code, result.stdout

    assert run("init", books_url, "--terms", DESIGN)[0] == 0
    code, text = run("call", books_url, "1000", "--date", "2026-02-01", "--key", "c", "--json")
    assert code == 0
    call = json.loads(text)
    assert set(call) >= {"entry", "amount", "allocations"}
    assert call["allocations"] == {"lp": "1000.00"}
    assert run("call", books_url, "-5", "--date", "2026-02-01")[0] == 1
    assert run("call", books_url, "5", "--date", "2020-01-01")[0] == 1
    assert run("pay", books_url, "1", "--partner", "nobody")[0] == 1
    assert run("distribute", books_url, "5000", "--date", "2026-02-01")[0] == 1
    assert run("call", books_url, "--no-such-option")[0] == 2
    assert run("pay", books_url, str(call["entry"]), "--json")[0] == 0
    code, text = run("statement", books_url, "lp", "--json")
    statement = json.loads(text)
    assert set(statement) >= {
        "partner", "as_of", "currency", "commitment", "contributed", "distributed",
        "unfunded", "fees", "carry", "capital_account",
    }  # fmt: skip
    assert statement["contributed"] == "1000.00"
    assert run("check", books_url)[0] == 0
    code, text = run("journal", books_url, "--json")
    assert [e["kind"] for e in json.loads(text)["entries"]] == ["call", "payment"]
    assert run("statement", "/no/such/books.db", "lp")[0] == 1


def test_a_file_that_is_not_books_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00not a database" * 100)
    with pytest.raises(BooksError, match="cannot open it as books"):
        sovfund.books.open(junk)
    result = CliRunner().invoke(app, ["books", "statement", str(junk), "lp"])
    assert result.exit_code == 1
    assert "cannot open it as books" in result.stderr


def test_a_database_urls_password_is_never_shown() -> None:
    for url in ("mysql://u:s3cret@h/db", "postgresql+psycopg://u:s3cret@/nodb?host=/nonexistent"):
        with pytest.raises(BooksError) as error:
            sovfund.books.open(url)
        assert "s3cret" not in str(error.value)
        assert "***" in str(error.value)
