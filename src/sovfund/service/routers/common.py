"""What the routers share: the service, the user, idempotency keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request

from sovfund.errors import InputError
from sovfund.service.auth import User
from sovfund.service.errors import NotFoundError
from sovfund.service.jobs import Job
from sovfund.service.state import Service

__all__ = ["IdempotencyHeader", "ServiceDep", "idempotency_key", "visible_job"]


async def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(_service)]

IdempotencyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Idempotency key (or the body's `key`): the same key and request book once",
    ),
]


def idempotency_key(request: Request, body_key: str | None, header: str | None) -> str | None:
    """The request's key: the body's ``key`` or the ``Idempotency-Key`` header (the same
    if both are given)."""
    if body_key is not None and header is not None and body_key != header:
        raise InputError(
            f"key: found {body_key!r} in the body and {header!r} in the Idempotency-Key"
            " header; expected one key"
        )
    key = body_key if body_key is not None else header
    request.state.key = key
    return key


def visible_job(service: Service, user: User, job_id: str, kind: str) -> Job:
    """The job if ``user`` may see it (its owner, a GP admin, an auditor); else 404."""
    job = service.jobs.get(job_id)
    if job is None or job.spec.kind != kind:
        raise NotFoundError()
    if user.role == "analyst" and job.owner != user.name:
        raise NotFoundError()
    return job


def booked(result: Any) -> dict[str, Any]:
    data: dict[str, Any] = result.to_dict()
    return data
