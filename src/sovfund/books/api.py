"""The books in Python: ``sovfund.books.init(BOOKS, terms=...)`` and ``open(BOOKS)``.

>>> import sovfund.books
>>> books = sovfund.books.init("fund.db", terms="son-2025")  # doctest: +SKIP
>>> call = books.call("1000000000", date="2026-01-15")  # doctest: +SKIP
>>> books.statement("japan_reserves").unfunded  # doctest: +SKIP

Every verb of ``sovfund books`` is a method with the same options; amounts are
decimal strings, ``Decimal``s or integers (never floats), dates ISO strings or
``datetime.date``. Bad input raises :class:`~sovfund.errors.BooksError` (an
:class:`~sovfund.errors.InputError`) and books nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert

from sovfund.books import capital, distributions, fees, liquidity, portfolio, schema
from sovfund.books.accounts import ACCOUNTS
from sovfund.books.check import check
from sovfund.books.context import Context, load_context
from sovfund.books.fx import parse_rate
from sovfund.books.ilpa import parse_quarter, write_ilpa
from sovfund.books.ledger import run_command
from sovfund.books.money import parse_amount
from sovfund.books.partners import (
    insert_partners,
    parse_partners_csv,
    party_rows,
    read_partners_csv,
)
from sovfund.books.results import Booking, Check, Distribution, FeesBilled, Offer, Statement
from sovfund.books.statements import (
    journal,
    nav_by_partner,
    statement,
    statement_html,
    statements,
    trial_balance,
)
from sovfund.books.store import (
    connect,
    is_current,
    is_initialized,
    migrate,
    reading,
    rehearsing,
    shown,
    writing,
)
from sovfund.errors import BooksError, UnknownScenarioError
from sovfund.presets import preset_ids, preset_text
from sovfund.terms.load import parse_terms

__all__ = ["Books", "init", "open"]

Amount = str | int | Decimal
Date = str | dt.date


def _date(value: Date | None, what: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise BooksError(f"{what} {value!r} is not a date; expected YYYY-MM-DD") from None


def _required(value: Date, what: str) -> dt.date:
    date = _date(value, what)
    assert date is not None
    return date


def _terms_text(terms: str | Path) -> tuple[str, str]:
    """The TOML of a preset id or a term-sheet file, and where it came from."""
    name = str(terms)
    if name in preset_ids():
        return preset_text(name), f"preset {name}"
    path = Path(name)
    try:
        return path.read_text(encoding="utf-8"), name
    except (OSError, UnicodeDecodeError):
        raise UnknownScenarioError(
            f"{name!r} is neither a preset ({', '.join(preset_ids())}) nor a readable"
            " term-sheet file"
        ) from None


def init(books: str | Path, *, terms: str | Path, user: str | None = None) -> Books:
    """Create the books of a term sheet's fund (schema migrated); its parties become
    partners and its ``[[project]]`` list the fund's projects."""
    text, source = _terms_text(terms)
    parsed = parse_terms(text, name=source)
    engine = connect(books)
    with writing(engine) as connection:
        migrate(connection)
        if is_initialized(connection):
            raise BooksError(f"{shown(books)} already holds the books of a fund")
        connection.execute(
            insert(schema.fund).values(
                id=1,
                name=parsed.fund.name,
                currency=parsed.fund.currency,
                start=parsed.fund.start,
                terms_source=source,
                terms=text,
                created_at=dt.datetime.now(dt.UTC).isoformat(),
            )
        )
        connection.execute(
            insert(schema.account),
            [{"code": c, "kind": k, "name": n} for c, (k, n) in ACCOUNTS.items()],
        )
        insert_partners(connection, party_rows(parsed))
        if parsed.projects:
            connection.execute(
                insert(schema.project),
                [{"id": p.id, "name": p.name, "from_terms": 1} for p in parsed.projects],
            )
    return Books(engine, user=user)


def open(books: str | Path, *, user: str | None = None) -> Books:
    """The books at ``books`` (a SQLite file or a database URL), created by :func:`init`."""
    if "://" not in str(books) and not Path(books).is_file():
        raise BooksError(f"no books at {books}; expected books created with `books init`")
    from sqlalchemy.exc import DBAPIError

    engine = connect(books)
    try:
        with reading(engine) as connection:
            if not is_initialized(connection):
                raise BooksError(
                    f"{shown(books)} holds no books; expected books created with `books init`"
                )
            current = is_current(connection)
    except DBAPIError as error:  # not a database, or one that cannot be reached
        engine.dispose()
        raise BooksError(
            f"{shown(books)}: cannot open it as books ({error.orig}); expected books made by"
            " `books init` (a SQLite file or a database URL that answers)"
        ) from None
    if not current:  # books made by an earlier version: migrated once, under the write lock
        with writing(engine) as connection:
            migrate(connection)
    return Books(engine, user=user)


class Books:
    """One fund's books; every method that books is one transaction, all or nothing."""

    def __init__(self, engine: Engine, *, user: str | None = None) -> None:
        self.engine = engine
        self.user = user

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Books:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _run(
        self, command: str, request: dict[str, Any], key: str | None, work: Any
    ) -> dict[str, Any]:
        def booked(connection: Connection) -> tuple[dict[str, Any], list[int]]:
            result: tuple[dict[str, Any], list[int]] = work(connection, load_context(connection))
            return result

        return run_command(self.engine, command, request, key, booked, user=self.user)

    def context(self) -> Context:
        with reading(self.engine) as connection:
            return load_context(connection)

    # ---- partners and capital ----------------------------------------------------

    def partners(
        self,
        csv_file: str | Path,
        *,
        key: str | None = None,
        usd_jpy: Amount | None = None,
        equalization_rate: float | None = None,
        index_rate: float | None = None,
        text: str | None = None,
    ) -> Booking:
        """Add LPs from a CSV (all rows or none); later closings are equalized.
        ``text``: the CSV itself, ``csv_file`` then only its name in messages."""
        text = read_partners_csv(csv_file) if text is None else text
        rate = parse_rate(usd_jpy)

        def work(connection: Connection, ctx: Context) -> tuple[dict[str, Any], list[int]]:
            rows = parse_partners_csv(
                text, name=str(csv_file), start=ctx.start, existing=set(ctx.partners.ids)
            )
            insert_partners(connection, rows)
            ctx = load_context(connection)
            interest = (
                equalization_rate
                if equalization_rate is not None
                else capital.equalization_rate(ctx.terms, index_rate)
                if any(r.closing > ctx.start for r in rows)
                else 0.0
            )
            entries = capital.equalize(
                connection, ctx, [r.id for r in rows], interest_rate=interest, rate=rate
            )
            return {
                "entry": entries[0] if entries else None,
                "kind": "partners",
                "date": ctx.start.isoformat(),
                "amount": "0.00",
                "currency": "USD",
                "added": [r.id for r in rows],
                "entries": entries,
                "allocations": {},
            }, entries

        request = {
            "csv_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "usd_jpy": str(rate),
            "equalization_rate": equalization_rate,
            "index_rate": index_rate,
        }
        return Booking.from_dict(self._run("partners", request, key, work))

    def call(
        self,
        amount: Amount,
        *,
        date: Date,
        due: Date | None = None,
        purpose: str | None = None,
        project: str | None = None,
        usd_jpy: Amount | None = None,
        preview: bool = False,
        key: str | None = None,
    ) -> Booking:
        """A capital call pro rata to unfunded commitments; ``preview`` books nothing
        (it runs the call in a transaction rolled back: each partner's share, ``entry``
        None)."""
        cents = parse_amount(amount, "USD", what="call amount")
        day, due_day, rate = _required(date, "--date"), _date(due, "--due"), parse_rate(usd_jpy)
        request = {
            "amount": cents,
            "date": day,
            "due": due_day,
            "purpose": purpose,
            "project": project,
            "usd_jpy": str(rate),
        }

        def work(connection: Connection, ctx: Context) -> tuple[dict[str, Any], list[int]]:
            return capital.call(
                connection, ctx, amount=cents, date=day, due=due_day, purpose=purpose,
                project=project, rate=rate, key=key,
            )  # fmt: skip

        if preview:
            with rehearsing(self.engine) as connection:
                result, _ = work(connection, load_context(connection))
            return Booking.from_dict({**result, "entry": None, "preview": True})
        return Booking.from_dict(self._run("call", request, key, work))

    def pay(
        self,
        entry: int,
        *,
        partners: Sequence[str] | None = None,
        date: Date | None = None,
        amount: Amount | None = None,
        key: str | None = None,
    ) -> Booking:
        """Capital received on a call: all of it, some partners', or part of one's."""
        day = _date(date, "--date")
        chosen = list(partners) if partners else None
        text = None if amount is None else str(amount)
        request = {"entry": entry, "partners": chosen, "date": day, "amount": text}

        def work(connection: Connection, ctx: Context) -> tuple[dict[str, Any], list[int]]:
            return capital.pay(
                connection, ctx, entry=entry, partner_ids=chosen, date=day, amount=text, key=key
            )

        return Booking.from_dict(self._run("pay", request, key, work))

    # ---- the fund's money ----------------------------------------------------------

    def invest(
        self, project: str, amount: Amount, *, date: Date, key: str | None = None
    ) -> Booking:
        cents, day = parse_amount(amount, "USD", what="investment"), _required(date, "--date")

        def work(connection: Connection, ctx: Context) -> tuple[dict[str, Any], list[int]]:
            return portfolio.invest(
                connection, ctx, project=project, amount=cents, date=day, key=key
            )

        request = {"project": project, "amount": cents, "date": day}
        return Booking.from_dict(self._run("invest", request, key, work))

    def receive(
        self,
        project: str,
        amount: Amount,
        *,
        date: Date,
        usd_jpy: Amount | None = None,
        key: str | None = None,
    ) -> Booking:
        cents, day, rate = (
            parse_amount(amount, "USD", what="proceeds"),
            _required(date, "--date"),
            parse_rate(usd_jpy),
        )

        def work(connection: Connection, ctx: Context) -> tuple[dict[str, Any], list[int]]:
            return portfolio.receive(
                connection, ctx, project=project, amount=cents, date=day, rate=rate, key=key
            )

        request = {"project": project, "amount": cents, "date": day, "usd_jpy": str(rate)}
        return Booking.from_dict(self._run("receive", request, key, work))

    def mark(
        self,
        project: str,
        value: Amount,
        *,
        date: Date,
        usd_jpy: Amount | None = None,
        key: str | None = None,
    ) -> Booking:
        cents = parse_amount(value, "USD", what="value", allow_zero=True)
        day, rate = _required(date, "--date"), parse_rate(usd_jpy)

        def work(connection: Connection, ctx: Context) -> tuple[dict[str, Any], list[int]]:
            return portfolio.mark(
                connection, ctx, project=project, value=cents, date=day, rate=rate, key=key
            )

        request = {"project": project, "value": cents, "date": day, "usd_jpy": str(rate)}
        return Booking.from_dict(self._run("mark", request, key, work))

    def _debt(
        self,
        command: str,
        amount: Amount,
        date: Date,
        rate: float | None,
        index_rate: float | None,
        usd_jpy: Amount | None,
        key: str | None,
    ) -> Booking:
        cents, day, fx = (
            parse_amount(amount, "USD", what=command),
            _required(date, "--date"),
            parse_rate(usd_jpy),
        )
        verb = portfolio.borrow if command == "borrow" else portfolio.repay

        def work(connection: Connection, ctx: Context) -> tuple[dict[str, Any], list[int]]:
            annual = portfolio.debt_rate(ctx, rate, index_rate)
            return verb(connection, ctx, amount=cents, date=day, rate=annual, fx=fx, key=key)

        request = {
            "amount": cents,
            "date": day,
            "rate": rate,
            "index_rate": index_rate,
            "usd_jpy": str(fx),
        }
        return Booking.from_dict(self._run(command, request, key, work))

    def borrow(
        self,
        amount: Amount,
        *,
        date: Date,
        rate: float | None = None,
        index_rate: float | None = None,
        usd_jpy: Amount | None = None,
        key: str | None = None,
    ) -> Booking:
        """Draw fund debt (interest accrued so far on earlier draws is booked first)."""
        return self._debt("borrow", amount, date, rate, index_rate, usd_jpy, key)

    def repay(
        self,
        amount: Amount,
        *,
        date: Date,
        rate: float | None = None,
        index_rate: float | None = None,
        usd_jpy: Amount | None = None,
        key: str | None = None,
    ) -> Booking:
        """Repay fund debt with the interest owed on it."""
        return self._debt("repay", amount, date, rate, index_rate, usd_jpy, key)

    def fees(
        self, *, through: Date, usd_jpy: Amount | None = None, key: str | None = None
    ) -> FeesBilled:
        """Management fees of every quarter ended by ``through`` not billed yet."""
        day, rate = _required(through, "--through"), parse_rate(usd_jpy)

        def work(connection: Connection, ctx: Context) -> tuple[dict[str, Any], list[int]]:
            return fees.bill_fees(connection, ctx, through=day, rate=rate, key=key)

        request = {"through": day, "usd_jpy": str(rate)}
        return FeesBilled.from_dict(self._run("fees", request, key, work))

    # ---- distributions ------------------------------------------------------------

    def distribute(
        self,
        amount: Amount,
        *,
        date: Date,
        preview: bool = False,
        project: str | None = None,
        usd_jpy: Amount | None = None,
        index_rate: float | None = None,
        key: str | None = None,
    ) -> Distribution:
        """Cash to the partners through the waterfall; ``preview`` books nothing."""
        cents, day, rate = (
            parse_amount(amount, "USD", what="distribution"),
            _required(date, "--date"),
            parse_rate(usd_jpy),
        )
        if preview:
            with reading(self.engine) as connection:
                result, _ = distributions.compute(
                    connection, load_context(connection), amount=cents, date=day,
                    project=project, rate=rate, index=index_rate,
                )  # fmt: skip
            return Distribution.from_dict({**result, "preview": True})

        def work(connection: Connection, ctx: Context) -> tuple[dict[str, Any], list[int]]:
            return distributions.distribute(
                connection, ctx, amount=cents, date=day, project=project, rate=rate,
                index=index_rate, key=key,
            )  # fmt: skip

        request = {
            "amount": cents,
            "date": day,
            "project": project,
            "usd_jpy": str(rate),
            "index_rate": index_rate,
        }
        return Distribution.from_dict(self._run("distribute", request, key, work))

    def clawback(
        self,
        *,
        date: Date,
        usd_jpy: Amount | None = None,
        index_rate: float | None = None,
        key: str | None = None,
    ) -> Booking:
        """At wind-up (deal-by-deal terms): the GPs give back carry above the whole-fund due."""
        day, rate = _required(date, "--date"), parse_rate(usd_jpy)

        def work(connection: Connection, ctx: Context) -> tuple[dict[str, Any], list[int]]:
            return distributions.clawback(
                connection, ctx, date=day, rate=rate, index=index_rate, key=key
            )

        request = {"date": day, "usd_jpy": str(rate), "index_rate": index_rate}
        return Booking.from_dict(self._run("clawback", request, key, work))

    # ---- retail liquidity: repurchase offers ----------------------------------------

    def offer(
        self,
        *,
        investor_class: str = "retail",
        date: Date,
        pricing_date: Date | None = None,
        key: str | None = None,
    ) -> Offer:
        """Open a repurchase offer to one class, at NAV on the pricing date (default: the
        end of the offer's quarter), capped at ``[fund.redemptions] gate`` x the class's
        NAV. Books nothing until :meth:`settle`."""
        day, pricing = _required(date, "--date"), _date(pricing_date, "--pricing-date")

        def work(connection: Connection, ctx: Context) -> tuple[dict[str, Any], list[int]]:
            return liquidity.open_offer(
                connection, ctx, investor_class=investor_class, date=day, pricing=pricing
            )

        request = {"class": investor_class, "date": day, "pricing_date": pricing}
        return Offer.from_dict(self._run("offer", request, key, work))

    def request(
        self,
        offer: int,
        partner: str,
        amount: Amount | None = None,
        *,
        share: Amount | None = None,
        key: str | None = None,
    ) -> Offer:
        """A partner asks to sell ``amount`` of its NAV (in its currency) or a ``share``
        of it in an open offer; at most what it holds, once an offer."""
        text = None if amount is None else str(amount)
        part = None if share is None else str(share)

        def work(connection: Connection, ctx: Context) -> tuple[dict[str, Any], list[int]]:
            return liquidity.request(
                connection, ctx, offer=offer, partner=partner, amount=text, share=part
            )

        request = {"offer": offer, "partner": partner, "amount": text, "share": part}
        return Offer.from_dict(self._run("request", request, key, work))

    def settle(
        self,
        offer: int,
        *,
        date: Date,
        usd_jpy: Amount | None = None,
        key: str | None = None,
    ) -> Booking:
        """Settle an offer: each request valued at the requester's NAV on the pricing
        date, pro rata when oversubscribed, the early repurchase deduction kept by the
        fund, the rest paid from cash and booked as distributions."""
        day, rate = _required(date, "--date"), parse_rate(usd_jpy)

        def work(connection: Connection, ctx: Context) -> tuple[dict[str, Any], list[int]]:
            return liquidity.settle(connection, ctx, offer=offer, date=day, rate=rate, key=key)

        request = {"offer": offer, "date": day, "usd_jpy": str(rate)}
        return Booking.from_dict(self._run("settle", request, key, work))

    # ---- reports --------------------------------------------------------------------

    def statement(
        self, partner: str, *, as_of: Date | None = None, html: str | Path | None = None
    ) -> Statement:
        day = _date(as_of, "--as-of")
        with reading(self.engine) as connection:
            ctx = load_context(connection)
            data = statement(connection, ctx, partner, day)
        if html is not None:
            statement_html(data, ctx.terms.fund.name, Path(html))
        return Statement.from_dict(data)

    def statements(
        self,
        *,
        quarter: str,
        out: str | Path | None = None,
        jsonl: str | Path | None = None,
    ) -> dict[str, Any]:
        """Every partner's statement for a calendar quarter (``2026Q2``), as of its last
        day, with the quarter's own figures: one JSON file per partner in the folder
        ``out`` (``<partner>.json``), or one JSON line each in ``jsonl``. Streamed from
        one query: memory stays flat however many partners there are."""
        if (out is None) == (jsonl is None):
            raise BooksError("statements go to a folder (--out DIR) or one file (--jsonl FILE)")
        first, last = parse_quarter(quarter)
        count = 0
        target = Path(out if out is not None else str(jsonl))
        with reading(self.engine) as connection:
            lines = statements(connection, quarter, lines=True)
            if jsonl is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("w", encoding="utf-8") as file:
                    for line in lines:
                        file.write(line + "\n")
                        count += 1
            else:
                target.mkdir(parents=True, exist_ok=True)
                for line in lines:  # the id is a lowercase word: a safe file name
                    partner = line[12 : line.index('"', 12)]  # {"partner":"<id>"
                    (target / f"{partner}.json").write_text(line + "\n", encoding="utf-8")
                    count += 1
        return {
            "quarter": quarter.strip().upper(),
            "from": first.isoformat(),
            "to": last.isoformat(),
            "partners": count,
            "written": str(target),
        }

    def trial_balance(self, *, as_of: Date | None = None) -> dict[str, Any]:
        with reading(self.engine) as connection:
            return trial_balance(connection, _date(as_of, "--as-of"))

    def journal(self, *, since: Date | None = None) -> dict[str, Any]:
        with reading(self.engine) as connection:
            return journal(connection, _date(since, "--since"))

    def nav(self, *, as_of: Date | None = None) -> dict[str, str]:
        """Each partner's share of the fund's NAV: its capital account, in dollars."""
        with reading(self.engine) as connection:
            return nav_by_partner(connection, load_context(connection), _date(as_of, "--as-of"))

    def ilpa(
        self, *, quarter: str, out: str | Path, usd_jpy: Amount | None = None
    ) -> dict[str, Any]:
        with reading(self.engine) as connection:
            return write_ilpa(
                connection, load_context(connection), quarter, Path(out), parse_rate(usd_jpy)
            )

    def check(self) -> Check:
        with reading(self.engine) as connection:
            return Check(tuple(check(connection, load_context(connection))))

    def audit(self) -> list[dict[str, Any]]:
        """The audit log: who ran which command, asking what, booking which entries."""
        with reading(self.engine) as connection:
            rows = connection.execute(schema.audit.select().order_by(schema.audit.c.id))
            return [
                {
                    "at": r.at,
                    "user": r.user,
                    "command": r.command,
                    "request": json.loads(r.request),
                    "entries": json.loads(r.entries),
                }
                for r in rows
            ]
