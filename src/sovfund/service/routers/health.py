"""The health check, the OpenAPI document and who a key belongs to."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from sovfund.books.store import reading
from sovfund.service.auth import User
from sovfund.service.errors import ERROR_RESPONSES
from sovfund.service.models import Health, Me
from sovfund.service.routers.common import ServiceDep
from sovfund.service.rules import PUBLIC, SESSION

__all__ = ["router"]

router = APIRouter(tags=["service"])


@router.get("/healthz", response_model=Health, dependencies=[Depends(PUBLIC)])
def healthz(service: ServiceDep) -> dict[str, Any]:
    """Whether the service and its books answer (no key needed)."""
    try:
        with reading(service.reader.read_engine) as connection:
            connection.execute(text("SELECT 1"))
        books = "ok"
    except Exception:  # the books' database is down: say so, do not fail
        books = "unavailable"
    return {"status": "ok", "books": books, "jobs_waiting": service.jobs.waiting()}


@router.get("/openapi.json", include_in_schema=False, dependencies=[Depends(PUBLIC)])
def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/api/v1/me", response_model=Me, responses=ERROR_RESPONSES, summary="Who I am")
def me(user: Annotated[User, Depends(SESSION)]) -> dict[str, Any]:
    return user.to_dict()
