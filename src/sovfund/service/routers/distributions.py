"""Distributions through the waterfall, with a preview tier by tier."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from sovfund.service.auth import User
from sovfund.service.errors import ERROR_RESPONSES, responses
from sovfund.service.models import Distribution, DistributionRequest
from sovfund.service.routers.common import IdempotencyHeader, ServiceDep, booked, idempotency_key
from sovfund.service.rules import FUND_WRITE

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1", tags=["distributions"], responses={**ERROR_RESPONSES, **responses(409)}
)


@router.post("/distributions", response_model=Distribution, summary="A distribution (or preview)")
def distribute(
    body: DistributionRequest,
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(FUND_WRITE)],
    idempotency: IdempotencyHeader = None,
) -> dict[str, Any]:
    """In the shape of ``sovfund waterfall --json`` for this distribution, plus
    ``entry`` (None for a preview, which books nothing)."""
    key = idempotency_key(request, body.key, idempotency)
    return booked(
        service.reader.books(user.name).distribute(
            body.amount,
            date=body.date,
            preview=body.preview,
            project=body.project,
            usd_jpy=body.usd_jpy,
            index_rate=body.index_rate,
            key=None if body.preview else key,
        )
    )
