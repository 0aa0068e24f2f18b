"""Random sequences of every command keep every invariant (Hypothesis, stateful).

The model is the simplest account of the fund: cash, debt, and what each partner was
called. After every step ``books check`` passes (each entry balances, the partners'
capital accounts sum to the fund's net assets, nobody is called beyond commitment,
every allocation sums to its amount), the books' cash and debt equal the model's,
and a command the model says must fail (a call beyond the unfunded commitments, a
distribution beyond cash) fails and books nothing.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

import sovfund.books
from sovfund.errors import BooksError

CENT = Decimal("0.01")
COMMITMENTS = {"lp": Decimal("100000000"), "a": Decimal("250000.50"), "b": Decimal("7777.77")}
money = st.integers(min_value=1, max_value=30_000_000_00).map(lambda c: Decimal(c) * CENT)
days = st.integers(min_value=0, max_value=120)


def machine(make_url: Callable[[], str]) -> type[RuleBasedStateMachine]:
    class Books(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.folder = tempfile.TemporaryDirectory()
            self.books = sovfund.books.init(make_url(), terms="examples/design.toml")
            sheet = Path(self.folder.name) / "p.csv"
            sheet.write_text(
                "id,name,class,country,currency,commitment\n"
                f"a,A,retail,US,USD,{COMMITMENTS['a']}\nb,B,retail,JP,USD,{COMMITMENTS['b']}\n"
            )
            self.books.partners(sheet)
            self.date = dt.date(2026, 1, 1)
            self.cash = Decimal(0)
            self.debt = Decimal(0)
            self.accrued = Decimal(0)
            self.debt_date = self.date
            self.called = dict.fromkeys(COMMITMENTS, Decimal(0))
            self.open_calls: list[int] = []
            self.invested = False

        def teardown(self) -> None:
            self.books.close()
            self.folder.cleanup()

        def later(self, gap: int) -> str:
            self.date += dt.timedelta(days=gap)
            return self.date.isoformat()

        @rule(amount=money, gap=days)
        def call(self, amount: Decimal, gap: int) -> None:
            unfunded = sum(COMMITMENTS[p] - self.called[p] for p in COMMITMENTS)
            date = self.later(gap)
            if amount > unfunded:
                with pytest.raises(BooksError, match="unfunded"):
                    self.books.call(amount, date=date)
                return
            result = self.books.call(amount, date=date)
            assert sum(result.allocations.values()) == amount
            for partner, part in result.allocations.items():
                self.called[partner] += part
                assert self.called[partner] <= COMMITMENTS[partner]
            self.open_calls.append(result.entry or 0)

        @rule(gap=days, data=st.data())
        def pay(self, gap: int, data: st.DataObject) -> None:
            if not self.open_calls:
                return
            entry = data.draw(st.sampled_from(self.open_calls))
            result = self.books.pay(entry, date=self.later(gap))
            self.cash += result.amount
            self.open_calls.remove(entry)

        @rule(amount=money, gap=days)
        def invest(self, amount: Decimal, gap: int) -> None:
            date = self.later(gap)
            if amount > self.cash:
                with pytest.raises(BooksError, match="cash"):
                    self.books.invest("bridge", amount, date=date)
                return
            self.books.invest("bridge", amount, date=date)
            self.cash -= amount
            self.invested = True

        @rule(amount=money, gap=days)
        def receive(self, amount: Decimal, gap: int) -> None:
            if not self.invested:
                return
            self.books.receive("bridge", amount, date=self.later(gap))
            self.cash += amount

        @rule(value=money, gap=days)
        def mark(self, value: Decimal, gap: int) -> None:
            if self.invested:
                self.books.mark("bridge", value, date=self.later(gap))

        @rule(amount=money, gap=days)
        def distribute(self, amount: Decimal, gap: int) -> None:
            date = self.later(gap)
            if amount > self.cash:
                with pytest.raises(BooksError, match="cash"):
                    self.books.distribute(amount, date=date)
                return
            preview = self.books.distribute(amount, date=date, preview=True)
            result = self.books.distribute(amount, date=date)
            assert result.parties == preview.parties
            assert sum(p.distributed for p in result.parties.values()) == amount
            self.cash -= amount

        def accrue(self) -> None:
            """Interest on the debt since the last draw or repayment (5%, Actual/365)."""
            if self.debt:
                days = (self.date - self.debt_date).days
                self.accrued += (self.debt * Decimal("0.05") * days / 365).quantize(
                    CENT, rounding=ROUND_HALF_EVEN
                )
            self.debt_date = self.date

        @rule(amount=money, gap=days)
        def borrow(self, amount: Decimal, gap: int) -> None:
            date = self.later(gap)
            self.books.borrow(amount, date=date, rate=0.05)
            self.accrue()
            self.cash += amount
            self.debt += amount

        @rule(gap=days)
        def repay(self, gap: int) -> None:
            if not self.debt:
                return
            date = self.later(gap)
            before = (self.accrued, self.debt_date)
            self.accrue()
            if self.debt + self.accrued > self.cash:
                with pytest.raises(BooksError, match="cash"):
                    self.books.repay(self.debt, date=date, rate=0.05)
                self.accrued, self.debt_date = before  # nothing was booked
                return
            result = self.books.repay(self.debt, date=date, rate=0.05)
            assert Decimal(result.data["interest"]) == self.accrued
            self.cash -= self.debt + self.accrued
            self.debt = Decimal(0)
            self.accrued = Decimal(0)

        @invariant()
        def sound(self) -> None:
            check = self.books.check()
            assert check.ok, check.breaches
            balance = {
                a["account"]: Decimal(a["balance"]) for a in self.books.trial_balance()["accounts"]
            }
            assert balance.get("cash", Decimal(0)) == self.cash
            assert -balance.get("debt", Decimal(0)) == self.debt

    return Books


SETTINGS = settings(
    max_examples=6,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_random_commands_keep_every_invariant(new_books_url: Callable[[], str]) -> None:
    run_state_machine_as_test(machine(new_books_url), settings=SETTINGS)
