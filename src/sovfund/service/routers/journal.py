"""The books as a whole: fund figures, the journal, the trial balance, the check and
the service's audit log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from sovfund.service.auth import User
from sovfund.service.errors import ERROR_RESPONSES
from sovfund.service.models import AuditPage, Check, Fund, JournalPage, TrialBalance
from sovfund.service.routers.common import ServiceDep
from sovfund.service.rules import BOOKS_READ, FUND_READ

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["books"], responses=ERROR_RESPONSES)

After = Annotated[int, Query(ge=0, le=2**62, description="Start after this id (paging)")]


@router.get("/fund", response_model=Fund, summary="Fund-level figures")
def fund(service: ServiceDep, _: Annotated[User, Depends(FUND_READ)]) -> dict[str, Any]:
    """Commitments, cash, investments, debt and net assets: no partner's data."""
    return service.reader.fund()


@router.get("/journal", response_model=JournalPage, summary="The journal, a page at a time")
def journal(
    service: ServiceDep,
    _: Annotated[User, Depends(BOOKS_READ)],
    since: Annotated[dt.date | None, Query(description="Entries dated from this day")] = None,
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    postings: Annotated[bool, Query(description="Include each entry's postings")] = True,
) -> dict[str, Any]:
    """Entries in the order booked with their postings (``sovfund books journal``)."""
    return service.reader.journal(since=since, after=after, limit=limit, postings=postings)


@router.get("/trial-balance", response_model=TrialBalance, summary="Debits and credits")
def trial_balance(
    service: ServiceDep,
    user: Annotated[User, Depends(BOOKS_READ)],
    as_of: Annotated[dt.date | None, Query()] = None,
) -> dict[str, Any]:
    return service.reader.books(user.name).trial_balance(as_of=as_of)


@router.get("/check", response_model=Check, summary="Every invariant of the books")
def check(service: ServiceDep, user: Annotated[User, Depends(BOOKS_READ)]) -> dict[str, Any]:
    return service.reader.books(user.name).check().to_dict()


@router.get("/audit", response_model=AuditPage, summary="The service's audit log")
def audit(
    service: ServiceDep,
    _: Annotated[User, Depends(BOOKS_READ)],
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Every write asked of the service: who, what, when, with which key and answer.
    (The books' own audit log, in the journal, records what each write booked.)"""
    return service.reader.audit(after=after, limit=limit)
