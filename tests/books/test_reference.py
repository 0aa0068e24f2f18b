"""The books and ``sovfund waterfall`` give the same split, to the cent, for the same flows.

Each case is a published worked example of tests/reference/test_waterfall_examples.py
(the sources are cited there; the term sheets and flows are taken from that module,
not restated): the CFA Level III catch-up example (Kaplan Schweser via AnalystForum),
Plumule Advisory's hard hurdle and no-hurdle cases, Syndication Attorneys' compounding
preferred return, Sydecar's deal-by-deal clawback, the ten-deal clawback of
preqveca.ru, and the MOU 2025 split worked by hand. The flows are booked as the books
would see them: each contribution is a call of that amount paid on its date (for the
deal it funds), each distribution is first received from the deal, then distributed;
deal-by-deal terms end with the clawback on the last date.

The calculator works in floats, the books in cents by largest remainder: every tier's
payment to every party agrees within a cent, and the books' parts sum exactly to what
was distributed.
"""

from __future__ import annotations

import csv
import importlib.util
import io
from decimal import Decimal
from pathlib import Path

import pytest

import sovfund.books
from sovfund.analytics.calculator import run_waterfall
from sovfund.terms.flows import parse_flows

ROOT = Path(__file__).parents[2]
_spec = importlib.util.spec_from_file_location(
    "reference_examples", ROOT / "tests" / "reference" / "test_waterfall_examples.py"
)
assert _spec is not None
assert _spec.loader is not None
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

SCHWESER = """
date,party,kind,amount
2025-01-01,lp,contribution,50
2026-01-01,,proceeds,100
"""
PLUMULE = """
date,party,kind,amount
2025-01-01,lp,contribution,100
2026-01-01,,proceeds,200
"""
SYNDICATION = """
date,party,kind,amount
2025-01-01,lp,contribution,100000
2027-01-01,,proceeds,150000
"""
SYDECAR = """
date,party,kind,amount,investment
2025-01-01,lp,contribution,500000,deal1
2025-01-01,lp,contribution,500000,deal2
2026-01-01,,proceeds,2000000,deal1
2027-01-01,,proceeds,0,deal2
"""
TEN_DEALS = "\n".join(
    ["date,party,kind,amount,investment"]
    + [f"2025-01-01,lp,contribution,100,deal{k}" for k in range(10)]
    + [f"2026-01-01,,proceeds,200,deal{k}" for k in range(5)]
    + [f"2026-01-01,,proceeds,0,deal{k}" for k in range(5, 10)]
)
MOU_TERMS = """
[[party]]
id = "japan"
role = "lp"
commitment = 550.0

[[party]]
id = "us"
role = "gp"

[waterfall]
preset = "mou-2025"
rate = 0.05
"""
MOU = """
date,party,kind,amount
2025-01-01,japan,contribution,550
2026-01-01,,proceeds,300
2027-01-01,,proceeds,500
"""

CASES = {
    "schweser-catch-up": (ref.one_lp_one_gp(50.0), ref.CLASSIC_TIERS, SCHWESER),
    "schweser-european-preset": (
        ref.one_lp_one_gp(50.0),
        '[waterfall]\npreset = "european"\n',
        SCHWESER,
    ),
    "plumule-hard-hurdle": (ref.one_lp_one_gp(100.0), ref.HARD_HURDLE_TIERS, PLUMULE),
    "plumule-no-hurdle": (ref.one_lp_one_gp(100.0), ref.NO_HURDLE_TIERS, PLUMULE),
    "syndication-compounding": (ref.one_lp_one_gp(100000.0), ref.HARD_HURDLE_TIERS, SYNDICATION),
    "sydecar-clawback": (ref.one_lp_one_gp(1_000_000.0), ref.AMERICAN_NO_HURDLE, SYDECAR),
    "sydecar-american-preset": (ref.one_lp_one_gp(1_000_000.0), ref.AMERICAN_PRESET, SYDECAR),
    "ten-deals-clawback": (ref.one_lp_one_gp(1000.0), ref.AMERICAN_PRESET, TEN_DEALS),
    "mou-2025": (MOU_TERMS, "", MOU),
}


def _book(books: sovfund.books.Books, flows: str, deal_by_deal: bool) -> None:
    rows = sorted(csv.DictReader(io.StringIO(flows.strip())), key=lambda r: r["date"])
    last = rows[-1]["date"]
    for row in rows:
        deal = (row.get("investment") or None) if deal_by_deal else None
        project = deal or "fund"
        if row["kind"] == "contribution":
            call = books.call(row["amount"], date=row["date"], project=deal)
            books.pay(call.entry or 0, date=row["date"])
            books.invest(project, row["amount"], date=row["date"])
        elif Decimal(row["amount"]) > 0:
            books.receive(project, row["amount"], date=row["date"])
            books.distribute(row["amount"], date=row["date"], project=deal)
    if deal_by_deal:
        books.clawback(date=last)


@pytest.mark.parametrize("case", list(CASES))
def test_books_and_calculator_split_alike(case: str, books_url: str, tmp_path: Path) -> None:
    parties, waterfall, flows = CASES[case]
    text = ref.FUND + parties + waterfall + ref.PROJECT_AND_MACRO
    terms = sovfund.parse_terms(text, name=f"{case}.toml")
    expected = run_waterfall(terms, parse_flows(flows.strip() + "\n", terms, name="flows.csv"))
    sheet = tmp_path / "terms.toml"
    sheet.write_text(text, encoding="utf-8")
    books = sovfund.books.init(books_url, terms=sheet)
    _book(books, flows, terms.waterfall.style == "deal_by_deal")

    journal = books.journal()["entries"]
    for entry in journal:
        if entry["kind"] != "distribution":
            continue
        split = [Decimal(p["amount"]) for p in entry["postings"] if p["account"] == "distributions"]
        assert sum(split) == Decimal(entry["details"]["amount"])  # parts sum to the whole
    result = books.check()
    assert result.ok, result.breaches
    for party in expected.parties:
        statement = books.statement(party)
        i = expected.parties.index(party)
        assert float(statement.distributed) == pytest.approx(expected.distributed[i], abs=0.01)
        assert float(statement.contributed) == pytest.approx(expected.contributed[i], abs=0.01)
    clawbacks = [e for e in journal if e["kind"] == "clawback"]
    if expected.clawback.any():
        (clawback,) = clawbacks
        assert float(clawback["details"]["amount"]) == pytest.approx(
            float(expected.clawback.sum()), abs=0.01
        )
    books.close()


@pytest.mark.parametrize("case", ["schweser-catch-up", "mou-2025", "sydecar-clawback"])
def test_tiers_agree_to_the_cent(case: str, tmp_path: Path) -> None:
    """Every tier's payment to every party, summed over the distributions (SQLite: the
    test above holds PostgreSQL to the same statements)."""
    parties, waterfall, flows = CASES[case]
    text = ref.FUND + parties + waterfall + ref.PROJECT_AND_MACRO
    terms = sovfund.parse_terms(text, name=f"{case}.toml")
    expected = run_waterfall(terms, parse_flows(flows.strip() + "\n", terms, name="flows.csv"))
    sheet = tmp_path / "terms.toml"
    sheet.write_text(text, encoding="utf-8")
    url = str(tmp_path / "books.db")
    books = sovfund.books.init(url, terms=sheet)
    tiers: dict[tuple[str, str], Decimal] = {}
    rows = sorted(csv.DictReader(io.StringIO(flows.strip())), key=lambda r: r["date"])
    deal_by_deal = terms.waterfall.style == "deal_by_deal"
    for row in rows:
        deal = (row.get("investment") or None) if deal_by_deal else None
        project = deal or "fund"
        if row["kind"] == "contribution":
            call = books.call(row["amount"], date=row["date"], project=deal)
            books.pay(call.entry or 0, date=row["date"])
            books.invest(project, row["amount"], date=row["date"])
        elif Decimal(row["amount"]) > 0:
            books.receive(project, row["amount"], date=row["date"])
            split = books.distribute(row["amount"], date=row["date"], project=deal)
            assert sum(sum(t.paid.values()) for t in split.tiers) == split.amount
            for tier in split.tiers:
                for party, amount in tier.paid.items():
                    tiers[tier.name, party] = tiers.get((tier.name, party), Decimal(0)) + amount
    for k, name in enumerate(expected.tiers):
        for i, party in enumerate(expected.parties):
            booked = float(tiers.get((name, party), Decimal(0)))
            assert booked == pytest.approx(float(expected.paid[k, i]), abs=0.01), (name, party)
    books.close()
