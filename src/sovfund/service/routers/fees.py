"""Management fees: every quarter ended by a date, not billed before."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from sovfund.service.auth import User
from sovfund.service.errors import ERROR_RESPONSES, responses
from sovfund.service.models import FeesBilled, FeesRequest
from sovfund.service.routers.common import IdempotencyHeader, ServiceDep, booked, idempotency_key
from sovfund.service.rules import FUND_WRITE

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["fees"], responses={**ERROR_RESPONSES, **responses(409)})


@router.post("/fees", response_model=FeesBilled, summary="Bill management fees")
def fees(
    body: FeesRequest,
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(FUND_WRITE)],
    idempotency: IdempotencyHeader = None,
) -> dict[str, Any]:
    key = idempotency_key(request, body.key, idempotency)
    books = service.reader.books(user.name)
    return booked(books.fees(through=body.through, usd_jpy=body.usd_jpy, key=key))
