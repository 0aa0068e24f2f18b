"""Partners: the register, adding LPs, and each partner's statements and notices.

An LP reaches only its own partner: any other partner id answers 404, the same
answer as a partner that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from sovfund.books.statements import render_statement_html
from sovfund.service.auth import User, own_partner
from sovfund.service.errors import (
    ERROR_RESPONSES,
    HTML_ERROR_RESPONSES,
    NotFoundError,
    responses,
)
from sovfund.service.models import (
    Booking,
    Notice,
    NoticeList,
    Partner,
    PartnersRequest,
    Register,
    Statement,
    StatementDates,
)
from sovfund.service.routers.common import IdempotencyHeader, ServiceDep, booked, idempotency_key
from sovfund.service.rules import FUND_WRITE, PARTNER_OWN, PARTNERS_READ
from sovfund.service.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/partners", tags=["partners"], responses=ERROR_RESPONSES)

PartnerId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Entry = Annotated[int, Path(ge=1, le=2**62)]
AsOf = Annotated[
    dt.date | None, Query(description="The statement's date (default: the latest entry's)")
]
HTML: dict[int | str, dict[str, Any]] = {
    **HTML_ERROR_RESPONSES,
    200: {"content": {"text/html": {}}, "description": "A printable HTML document"},
}


@router.get("", response_model=Register, summary="The register, a page at a time")
def register(
    service: ServiceDep,
    _: Annotated[User, Depends(PARTNERS_READ)],
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, Any]:
    """Partners in order of admission, with what each has been called and distributed."""
    return service.reader.register(offset=offset, limit=limit)


@router.post("", response_model=Booking, responses=responses(409), summary="Add LPs")
def add_partners(
    body: PartnersRequest,
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(FUND_WRITE)],
    idempotency: IdempotencyHeader = None,
) -> dict[str, Any]:
    """LPs from CSV rows, all or none; later closings are equalized."""
    key = idempotency_key(request, body.key, idempotency)
    books = service.reader.books(user.name)
    return booked(books.partners("request.csv", text=body.csv, usd_jpy=body.usd_jpy, key=key))


def _partner(service: Any, user: User, partner: str) -> None:
    own_partner(user, partner)
    if not service.reader.has_partner(partner):
        raise NotFoundError()


@router.get("/{partner}", response_model=Partner, summary="A partner")
def partner(
    partner: PartnerId, service: ServiceDep, user: Annotated[User, Depends(PARTNER_OWN)]
) -> dict[str, Any]:
    own_partner(user, partner)
    row = service.reader.partner(partner)
    if row is None:
        raise NotFoundError()
    return row


@router.get("/{partner}/statement", response_model=Statement, summary="Capital account statement")
async def statement(
    partner: PartnerId,
    service: ServiceDep,
    user: Annotated[User, Depends(PARTNER_OWN)],
    as_of: AsOf = None,
) -> dict[str, Any]:
    """In the partner's currency, as ``sovfund books statement --json`` prints it."""
    own_partner(user, partner)
    # the hot path (every LP reads it): one hop to a worker thread for the read, and
    # the answer checked on the event loop, not in a second hop
    data = await anyio.to_thread.run_sync(
        service.reader.statement, partner, as_of, limiter=service.reader.limiter()
    )
    if data is None:
        raise NotFoundError()
    return data


@router.get(
    "/{partner}/statement/document",
    response_class=HTMLResponse,
    responses=HTML,
    summary="The statement as a printable page",
)
def statement_document(
    partner: PartnerId,
    service: ServiceDep,
    user: Annotated[User, Depends(PARTNER_OWN)],
    as_of: AsOf = None,
) -> HTMLResponse:
    own_partner(user, partner)
    data = service.reader.statement(partner, as_of)
    if data is None:
        raise NotFoundError()
    name = service.reader.context().terms.fund.name
    return _download(render_statement_html(data, name), f"statement-{partner}-{data['as_of']}.html")


@router.get("/{partner}/statements", response_model=StatementDates, summary="Statement dates")
def statement_dates(
    partner: PartnerId, service: ServiceDep, user: Annotated[User, Depends(PARTNER_OWN)]
) -> dict[str, Any]:
    """The quarter ends (and the latest entry's date) a statement can be drawn up at."""
    _partner(service, user, partner)
    return {"partner": partner, "dates": service.reader.statement_dates(partner)}


@router.get(
    "/{partner}/notices", response_model=NoticeList, summary="Call and distribution notices"
)
def notices(
    partner: PartnerId, service: ServiceDep, user: Annotated[User, Depends(PARTNER_OWN)]
) -> dict[str, Any]:
    _partner(service, user, partner)
    return {"partner": partner, "notices": service.reader.notices(partner)}


def _notice(service: Any, user: User, partner: str, entry: int) -> dict[str, Any]:
    _partner(service, user, partner)
    found = service.reader.notices(partner, entry)
    if not found:
        raise NotFoundError()
    notice: dict[str, Any] = found[0]
    return notice


@router.get("/{partner}/notices/{entry}", response_model=Notice, summary="A notice")
def notice(
    partner: PartnerId,
    entry: Entry,
    service: ServiceDep,
    user: Annotated[User, Depends(PARTNER_OWN)],
) -> dict[str, Any]:
    return _notice(service, user, partner, entry)


@router.get(
    "/{partner}/notices/{entry}/document",
    response_class=HTMLResponse,
    responses=HTML,
    summary="A notice as a printable page",
)
def notice_document(
    partner: PartnerId,
    entry: Entry,
    service: ServiceDep,
    user: Annotated[User, Depends(PARTNER_OWN)],
) -> HTMLResponse:
    data = _notice(service, user, partner, entry)
    context = service.reader.context()
    page = render("notice.html.j2", notice=data, fund=context.terms.fund.name)
    return _download(page, f"notice-{entry}-{partner}.html")


def _download(page: str, filename: str) -> HTMLResponse:
    return HTMLResponse(page, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
