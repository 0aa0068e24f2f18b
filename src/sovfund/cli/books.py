"""``sovfund books``: the fund's ledger from the command line (talks to the user only).

Each command imports :mod:`sovfund.books` when it runs, so ``sovfund --help`` and the
other commands never load SQLAlchemy. Exit codes: 0 success, 1 invalid input or a
broken invariant, 2 usage error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.markup import escape

from sovfund.cli.common import JsonOpt, err, out, print_json, user_errors
from sovfund.errors import InputError

if TYPE_CHECKING:
    from sovfund.books import Books

__all__ = ["books_app"]

books_app = typer.Typer(
    help="The fund's books: partners, calls, payments, investments, debt, fees,"
    " distributions, statements (SQLite file or PostgreSQL URL).",
    no_args_is_help=True,
)

# "-5" is an amount (refused with a clear message), not an unknown option
AMOUNTS = {"ignore_unknown_options": True}

P = ParamSpec("P")
R = TypeVar("R")

BooksArg = Annotated[
    str, typer.Argument(metavar="BOOKS", help="A SQLite file, or a URL: postgresql+psycopg://...")
]
DateOpt = Annotated[str, typer.Option("--date", help="The date booked, YYYY-MM-DD.")]
KeyOpt = Annotated[
    str | None,
    typer.Option("--key", help="Idempotency key: the same key and request book once."),
]
RateOpt = Annotated[
    str | None,
    typer.Option("--usd-jpy", help="USD/JPY rate (yen per dollar) for partners in yen."),
]
IndexOpt = Annotated[
    float | None,
    typer.Option(
        "--index-rate",
        help="The index (SOFR) for floating hurdles and debt; default [macro].short_rate.",
    ),
]


def database_errors(command: Callable[P, R]) -> Callable[P, R]:
    """A database that cannot be reached is the user's input too: exit 1, no traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from sqlalchemy.exc import DatabaseError

        try:
            return command(*args, **kwargs)
        except DatabaseError as error:
            raise InputError(f"cannot use the books' database: {error.orig}") from None

    return wrapper


def _open(books: str) -> Books:
    import sovfund.books

    return sovfund.books.open(books)


def _show(data: dict[str, Any], as_json: bool, line: str) -> None:
    if as_json:
        print_json(data)
    else:
        out.print(escape(line), highlight=False)


def _booked(result: Any, as_json: bool, what: str) -> None:
    data = result.to_dict()
    entry = f"entry {data['entry']}" if data.get("entry") is not None else "nothing booked"
    parts = data.get("allocations") or {}
    line = f"{what}: {data.get('amount', '')} {data.get('currency', '')} ({entry})"
    if parts and len(parts) <= 20:
        line += "".join(f"\n  {p:<24} {v:>20}" for p, v in parts.items())
    elif parts:
        line += f", {len(parts):,} partners"
    _show(data, as_json, line)


@books_app.command("init")
@user_errors
@database_errors
def init_command(
    books: BooksArg,
    terms: Annotated[str, typer.Option("--terms", help="A preset id or a term-sheet file.")],
    as_json: JsonOpt = False,
) -> None:
    """Create the books of a term sheet's fund; its parties become partners."""
    import sovfund.books

    opened = sovfund.books.init(books, terms=terms)
    ctx = opened.context()
    data = {
        "books": books,
        "fund": ctx.terms.fund.name,
        "start": ctx.start.isoformat(),
        "partners": list(ctx.partners.ids),
    }
    _show(data, as_json, f"opened the books of {data['fund']}: {len(ctx.partners.ids)} partners")


@books_app.command("partners")
@user_errors
@database_errors
def partners_command(
    books: BooksArg,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.csv", help="id,name,class,country,currency,commitment[,closing]"
        ),
    ],
    usd_jpy: RateOpt = None,
    equalization_rate: Annotated[
        float | None,
        typer.Option(
            "--equalization-rate",
            help="Interest of later closings (default: the preferred return).",
        ),
    ] = None,
    index_rate: IndexOpt = None,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add LP partners in bulk from a CSV: all rows or none."""
    result = _open(books).partners(
        file, key=key, usd_jpy=usd_jpy, equalization_rate=equalization_rate, index_rate=index_rate
    )
    data = result.to_dict()
    _show(
        data,
        as_json,
        f"added {len(data['added']):,} partners; equalization entries {data['entries']}",
    )


@books_app.command("call", context_settings=AMOUNTS)
@user_errors
@database_errors
def call_command(
    books: BooksArg,
    amount: Annotated[str, typer.Argument(help="The amount called, in the fund's currency.")],
    date: DateOpt,
    due: Annotated[str | None, typer.Option("--due", help="When payment is due.")] = None,
    purpose: Annotated[str | None, typer.Option("--purpose", help="What the call is for.")] = None,
    project: Annotated[
        str | None, typer.Option("--project", help="The project it funds (deal by deal).")
    ] = None,
    usd_jpy: RateOpt = None,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A capital call pro rata to unfunded commitments."""
    result = _open(books).call(
        amount, date=date, due=due, purpose=purpose, project=project, usd_jpy=usd_jpy, key=key
    )
    _booked(result, as_json, "called")


@books_app.command("pay")
@user_errors
@database_errors
def pay_command(
    books: BooksArg,
    entry: Annotated[int, typer.Argument(metavar="ENTRY", help="The call's entry.")],
    partner: Annotated[
        list[str] | None, typer.Option("--partner", help="Only this partner (repeat).")
    ] = None,
    date: Annotated[
        str | None, typer.Option("--date", help="Default: the call's due date, else its date.")
    ] = None,
    amount: Annotated[
        str | None, typer.Option("--amount", help="Part of what one partner owes, in its currency.")
    ] = None,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record called capital received."""
    result = _open(books).pay(entry, partners=partner, date=date, amount=amount, key=key)
    _booked(result, as_json, "received")


@books_app.command("invest", context_settings=AMOUNTS)
@user_errors
@database_errors
def invest_command(
    books: BooksArg,
    project: Annotated[str, typer.Argument(help="A project id (new ids are recorded).")],
    amount: Annotated[str, typer.Argument(help="Cash invested.")],
    date: DateOpt,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cash into a project."""
    _booked(
        _open(books).invest(project, amount, date=date, key=key), as_json, f"invested in {project}"
    )


@books_app.command("receive", context_settings=AMOUNTS)
@user_errors
@database_errors
def receive_command(
    books: BooksArg,
    project: Annotated[str, typer.Argument(help="The project paying.")],
    amount: Annotated[str, typer.Argument(help="Proceeds received.")],
    date: DateOpt,
    usd_jpy: RateOpt = None,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Proceeds from a project into the fund's cash."""
    result = _open(books).receive(project, amount, date=date, usd_jpy=usd_jpy, key=key)
    _booked(result, as_json, f"received from {project}")


DebtRate = Annotated[
    float | None,
    typer.Option("--rate", help="Annual interest rate (default: index rate + leverage.spread)."),
]


@books_app.command("borrow", context_settings=AMOUNTS)
@user_errors
@database_errors
def borrow_command(
    books: BooksArg,
    amount: Annotated[str, typer.Argument(help="Debt drawn.")],
    date: DateOpt,
    rate: DebtRate = None,
    index_rate: IndexOpt = None,
    usd_jpy: RateOpt = None,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Draw fund-level debt."""
    result = _open(books).borrow(
        amount, date=date, rate=rate, index_rate=index_rate, usd_jpy=usd_jpy, key=key
    )
    _booked(result, as_json, "borrowed")


@books_app.command("repay", context_settings=AMOUNTS)
@user_errors
@database_errors
def repay_command(
    books: BooksArg,
    amount: Annotated[
        str, typer.Argument(help="Principal repaid (interest owed is paid with it).")
    ],
    date: DateOpt,
    rate: DebtRate = None,
    index_rate: IndexOpt = None,
    usd_jpy: RateOpt = None,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Repay fund-level debt with its interest."""
    result = _open(books).repay(
        amount, date=date, rate=rate, index_rate=index_rate, usd_jpy=usd_jpy, key=key
    )
    _booked(result, as_json, "repaid")


@books_app.command("fees")
@user_errors
@database_errors
def fees_command(
    books: BooksArg,
    through: Annotated[
        str, typer.Option("--through", help="Bill the quarters ended by this date.")
    ],
    usd_jpy: RateOpt = None,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Management fees per [[fee]], quarter by quarter; billed quarters are skipped."""
    result = _open(books).fees(through=through, usd_jpy=usd_jpy, key=key)
    line = f"fees: {result.amount} USD for {', '.join(result.quarters) or 'no new quarter'}"
    _show(result.to_dict(), as_json, line)


@books_app.command("distribute", context_settings=AMOUNTS)
@user_errors
@database_errors
def distribute_command(
    books: BooksArg,
    amount: Annotated[str, typer.Argument(help="Cash distributed.")],
    date: DateOpt,
    preview: Annotated[
        bool, typer.Option("--preview", help="Show the split; book nothing.")
    ] = False,
    project: Annotated[
        str | None, typer.Option("--project", help="The deal (deal-by-deal terms).")
    ] = None,
    usd_jpy: RateOpt = None,
    index_rate: IndexOpt = None,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cash to the partners through the waterfall."""
    result = _open(books).distribute(
        amount, date=date, preview=preview, project=project, usd_jpy=usd_jpy,
        index_rate=index_rate, key=key,
    )  # fmt: skip
    data = result.to_dict()
    head = "preview (nothing booked)" if preview else f"entry {data['entry']}"
    lines = [f"distribution of {data['amount']} USD: {head}"]
    for tier in result.tiers:
        total = sum(tier.paid.values())
        lines.append(f"  {tier.name:<40} {total:>20}")
    _show(data, as_json, "\n".join(lines))


@books_app.command("clawback")
@user_errors
@database_errors
def clawback_command(
    books: BooksArg,
    date: DateOpt,
    usd_jpy: RateOpt = None,
    index_rate: IndexOpt = None,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """At wind-up (deal-by-deal terms): the GPs give back carry above the whole-fund due."""
    result = _open(books).clawback(date=date, usd_jpy=usd_jpy, index_rate=index_rate, key=key)
    _booked(result, as_json, "clawback")


@books_app.command("mark", context_settings=AMOUNTS)
@user_errors
@database_errors
def mark_command(
    books: BooksArg,
    project: Annotated[str, typer.Argument(help="The project valued.")],
    value: Annotated[str, typer.Argument(help="Its value.")],
    date: DateOpt,
    usd_jpy: RateOpt = None,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A valuation; NAV follows."""
    result = _open(books).mark(project, value, date=date, usd_jpy=usd_jpy, key=key)
    _booked(result, as_json, f"marked {project} (change)")


@books_app.command("statement")
@user_errors
@database_errors
def statement_command(
    books: BooksArg,
    partner: Annotated[str, typer.Argument(help="The partner's id.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Default: the latest entry.")] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a printable HTML page.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """A partner's capital account statement."""
    data = _open(books).statement(partner, as_of=as_of, html=html).to_dict()
    keys = (
        "commitment",
        "called",
        "contributed",
        "unfunded",
        "distributed",
        "fees",
        "carry",
        "capital_account",
    )
    lines = [f"{data['partner']} as of {data['as_of']} ({data['currency']})"]
    lines += [f"  {k:<18} {data[k]:>22}" for k in keys]
    _show(data, as_json, "\n".join(lines))


@books_app.command("statements")
@user_errors
@database_errors
def statements_command(
    books: BooksArg,
    quarter: Annotated[str, typer.Option("--quarter", help="The quarter, e.g. 2026Q2.")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="A folder: one <partner>.json each.")
    ] = None,
    jsonl: Annotated[
        Path | None, typer.Option("--jsonl", help="One file: a JSON line per partner.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Every partner's statement for a quarter, streamed to a folder or a JSON Lines file."""
    data = _open(books).statements(quarter=quarter, out=out_dir, jsonl=jsonl)
    _show(
        data, as_json, f"{data['partners']:,} statements for {data['quarter']}: {data['written']}"
    )


@books_app.command("offer")
@user_errors
@database_errors
def offer_command(
    books: BooksArg,
    date: Annotated[str, typer.Option("--date", help="The day the offer opens, YYYY-MM-DD.")],
    investor_class: Annotated[
        str, typer.Option("--class", help="The investor class offered to ([fund.redemptions]).")
    ] = "retail",
    pricing_date: Annotated[
        str | None,
        typer.Option("--pricing-date", help="The NAV date (default: the end of its quarter)."),
    ] = None,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a repurchase offer at NAV, capped at the gate x the class's NAV."""
    result = _open(books).offer(
        investor_class=investor_class, date=date, pricing_date=pricing_date, key=key
    )
    data = result.to_dict()
    line = (
        f"offer {data['offer']} to the {data['class']} LPs, priced {data['pricing_date']}:"
        f" up to {data['gate']} of their NAV (now {data['cap']} of {data['class_nav']} USD)"
    )
    _show(data, as_json, line)


@books_app.command("request", context_settings=AMOUNTS)
@user_errors
@database_errors
def request_command(
    books: BooksArg,
    offer: Annotated[int, typer.Argument(metavar="OFFER", help="The offer's number.")],
    partner: Annotated[str, typer.Argument(help="The partner asking.")],
    amount: Annotated[
        str | None, typer.Argument(help="How much of its NAV, in its currency.")
    ] = None,
    share: Annotated[
        str | None, typer.Option("--share", help="Or a share of its NAV (0.25 = a quarter).")
    ] = None,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A partner asks to sell units in an open repurchase offer."""
    data = _open(books).request(offer, partner, amount, share=share, key=key).to_dict()
    asked = f"{data['amount']} {data['currency']}" if data["amount"] else f"{data['share']} of"
    _show(data, as_json, f"{partner} asks {asked} its NAV ({data['nav']}) in offer {offer}")


@books_app.command("settle")
@user_errors
@database_errors
def settle_command(
    books: BooksArg,
    offer: Annotated[int, typer.Argument(metavar="OFFER", help="The offer's number.")],
    date: DateOpt,
    usd_jpy: RateOpt = None,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Settle a repurchase offer: pro rata when oversubscribed, paid from cash."""
    result = _open(books).settle(offer, date=date, usd_jpy=usd_jpy, key=key)
    data = result.to_dict()
    head = (
        f"offer {offer}: asked {data['requested']}, accepted {data['accepted']}"
        f"{' pro rata' if data['prorated'] else ''}, kept {data['deduction']}"
    )
    _booked(result, as_json, head + "; paid")


@books_app.command("check")
@user_errors
@database_errors
def check_command(books: BooksArg, as_json: JsonOpt = False) -> None:
    """Verify every invariant; exit 1 naming each breach."""
    result = _open(books).check()
    if as_json:
        print_json(result.to_dict())
    elif result.ok:
        out.print("[green]ok[/]: every invariant holds")
    for breach in result.breaches:
        err.print(f"[bold red]breach:[/] {escape(breach)}", highlight=False)
    if not result.ok:
        raise typer.Exit(1)


@books_app.command("journal")
@user_errors
@database_errors
def journal_command(
    books: BooksArg,
    since: Annotated[
        str | None, typer.Option("--since", help="Entries dated from this date.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The entries and their postings."""
    data = _open(books).journal(since=since)
    lines = [
        f"{e['entry']:>6} {e['date']} {e['kind']:<13} {len(e['postings']):>8} postings"
        for e in data["entries"]
    ]
    _show(data, as_json, "\n".join(lines) or "no entries")


@books_app.command("trial-balance")
@user_errors
@database_errors
def trial_balance_command(
    books: BooksArg,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Default: the latest entry.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Debits and credits per account and currency."""
    data = _open(books).trial_balance(as_of=as_of)
    lines = [
        f"{a['account']:<24} {a['currency']} {a['debit']:>22} {a['credit']:>22}"
        for a in data["accounts"]
    ]
    lines += [
        f"{'total':<24} {c} {t['debit']:>22} {t['credit']:>22}" for c, t in data["totals"].items()
    ]
    _show(data, as_json, "\n".join(lines))


@books_app.command("ilpa")
@user_errors
@database_errors
def ilpa_command(
    books: BooksArg,
    quarter: Annotated[str, typer.Option("--quarter", help="The quarter, e.g. 2026Q2.")],
    out_file: Annotated[Path, typer.Option("--out", help="The .xlsx file to write.")],
    usd_jpy: RateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The ILPA reporting template (RT v2.0) for a quarter, as .xlsx."""
    data = _open(books).ilpa(quarter=quarter, out=out_file, usd_jpy=usd_jpy)
    _show(data, as_json, f"wrote {data['file']}")
