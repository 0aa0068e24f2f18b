"""Fund-level debt: draws and repayments (interest paid with each repayment)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from sovfund.service.auth import User
from sovfund.service.errors import ERROR_RESPONSES, responses
from sovfund.service.models import Booking, DebtRequest
from sovfund.service.routers.common import IdempotencyHeader, ServiceDep, booked, idempotency_key
from sovfund.service.rules import FUND_WRITE

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1/debt", tags=["debt"], responses={**ERROR_RESPONSES, **responses(409)}
)


@router.post("/draws", response_model=Booking, summary="Borrow")
def borrow(
    body: DebtRequest,
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(FUND_WRITE)],
    idempotency: IdempotencyHeader = None,
) -> dict[str, Any]:
    key = idempotency_key(request, body.key, idempotency)
    return booked(
        service.reader.books(user.name).borrow(
            body.amount,
            date=body.date,
            rate=body.rate,
            index_rate=body.index_rate,
            usd_jpy=body.usd_jpy,
            key=key,
        )
    )


@router.post("/repayments", response_model=Booking, summary="Repay, with the interest owed")
def repay(
    body: DebtRequest,
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(FUND_WRITE)],
    idempotency: IdempotencyHeader = None,
) -> dict[str, Any]:
    key = idempotency_key(request, body.key, idempotency)
    return booked(
        service.reader.books(user.name).repay(
            body.amount,
            date=body.date,
            rate=body.rate,
            index_rate=body.index_rate,
            usd_jpy=body.usd_jpy,
            key=key,
        )
    )
