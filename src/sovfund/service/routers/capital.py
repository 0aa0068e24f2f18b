"""Capital: calls (with a preview) and payments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from sovfund.service.auth import User
from sovfund.service.errors import ERROR_RESPONSES, responses
from sovfund.service.models import Booking, CallRequest, PaymentRequest
from sovfund.service.routers.common import IdempotencyHeader, ServiceDep, booked, idempotency_key
from sovfund.service.rules import FUND_WRITE

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1", tags=["capital"], responses={**ERROR_RESPONSES, **responses(409)}
)


@router.post("/calls", response_model=Booking, summary="A capital call (or its preview)")
def call(
    body: CallRequest,
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(FUND_WRITE)],
    idempotency: IdempotencyHeader = None,
) -> dict[str, Any]:
    """Pro rata to the unfunded commitments of the LPs admitted by the call's date;
    ``preview``: each partner's share, nothing booked."""
    key = idempotency_key(request, body.key, idempotency)
    return booked(
        service.reader.books(user.name).call(
            body.amount,
            date=body.date,
            due=body.due,
            purpose=body.purpose,
            project=body.project,
            usd_jpy=body.usd_jpy,
            preview=body.preview,
            key=None if body.preview else key,
        )
    )


@router.post("/payments", response_model=Booking, summary="Called capital received")
def pay(
    body: PaymentRequest,
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(FUND_WRITE)],
    idempotency: IdempotencyHeader = None,
) -> dict[str, Any]:
    """All of a call (default), some partners' part, or part of one partner's."""
    key = idempotency_key(request, body.key, idempotency)
    return booked(
        service.reader.books(user.name).pay(
            body.entry, partners=body.partners, date=body.date, amount=body.amount, key=key
        )
    )
