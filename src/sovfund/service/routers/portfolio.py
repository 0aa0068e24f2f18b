"""The fund's money: investments in projects, proceeds from them, valuations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from sovfund.service.auth import User
from sovfund.service.errors import ERROR_RESPONSES, responses
from sovfund.service.models import Booking, InvestmentRequest, MarkRequest, ProceedsRequest
from sovfund.service.routers.common import IdempotencyHeader, ServiceDep, booked, idempotency_key
from sovfund.service.rules import FUND_WRITE

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1", tags=["portfolio"], responses={**ERROR_RESPONSES, **responses(409)}
)


@router.post("/investments", response_model=Booking, summary="Cash into a project")
def invest(
    body: InvestmentRequest,
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(FUND_WRITE)],
    idempotency: IdempotencyHeader = None,
) -> dict[str, Any]:
    key = idempotency_key(request, body.key, idempotency)
    books = service.reader.books(user.name)
    return booked(books.invest(body.project, body.amount, date=body.date, key=key))


@router.post("/proceeds", response_model=Booking, summary="Proceeds from a project")
def receive(
    body: ProceedsRequest,
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(FUND_WRITE)],
    idempotency: IdempotencyHeader = None,
) -> dict[str, Any]:
    key = idempotency_key(request, body.key, idempotency)
    books = service.reader.books(user.name)
    return booked(
        books.receive(body.project, body.amount, date=body.date, usd_jpy=body.usd_jpy, key=key)
    )


@router.post("/marks", response_model=Booking, summary="A project's valuation")
def mark(
    body: MarkRequest,
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(FUND_WRITE)],
    idempotency: IdempotencyHeader = None,
) -> dict[str, Any]:
    key = idempotency_key(request, body.key, idempotency)
    books = service.reader.books(user.name)
    return booked(
        books.mark(body.project, body.value, date=body.date, usd_jpy=body.usd_jpy, key=key)
    )
