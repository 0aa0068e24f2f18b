"""Errors over HTTP: one JSON shape, the CLI's located problems, never a traceback.

Every error answers ``{"error": message, "problems": [{file, path, found,
expected}...]}`` (an HTML page on the pages). What a user sent that cannot be used
(sovfund's :class:`~sovfund.errors.InputError`: a term sheet's problems, a books
command that cannot be booked, a request body that does not validate) is 422; an
idempotency key sent again with another request 409; anything else is a bug: 500 with
a generic message and an incident id, the traceback only in the server's log.

    ServiceError                an answer other than success, decided on purpose
    ├── UnauthorizedError  401  no API key, or a key nobody holds
    ├── ForbiddenError     403  a role without the right
    ├── NotFoundError      404  missing, or another LP's (the same answer for both)
    ├── ConflictError      409  e.g. a job's result asked before the job is done
    ├── GoneError          410  a job's report no longer kept
    ├── RateLimitedError   429  past the key's request rate (Retry-After)
    └── QueueFullError     503  the job queue is full (Retry-After)
    LoginRequiredError          a page without a session: to the login page (303)
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from sovfund.errors import InputError, KeyReusedError

__all__ = [
    "ERROR_RESPONSES",
    "HTML_ERROR_RESPONSES",
    "ConflictError",
    "ErrorBody",
    "ForbiddenError",
    "GoneError",
    "LoginRequiredError",
    "NotFoundError",
    "ProblemBody",
    "QueueFullError",
    "RateLimitedError",
    "ServiceError",
    "UnauthorizedError",
    "error_body",
    "input_error",
    "responses",
    "unexpected",
    "validation_problems",
]

log = logging.getLogger("sovfund.service")


class ProblemBody(BaseModel):
    """One located problem, as ``sovfund validate --json`` lists them."""

    file: str
    path: str
    found: str
    expected: str


class ErrorBody(BaseModel):
    """Every error's body."""

    error: str = Field(description="What went wrong, in words.")
    problems: list[ProblemBody] = Field(
        default_factory=list, description="Each problem found in the input, located."
    )


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class UnauthorizedError(ServiceError):
    status = 401

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class ForbiddenError(ServiceError):
    status = 403


class NotFoundError(ServiceError):
    """Missing, or not the caller's: one message for both, so an LP learns nothing."""

    status = 404

    def __init__(self) -> None:
        super().__init__("not found")


class ConflictError(ServiceError):
    status = 409


class GoneError(ServiceError):
    status = 410


class RateLimitedError(ServiceError):
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many requests for this key; retry after {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )


class QueueFullError(ServiceError):
    status = 503

    def __init__(self, size: int) -> None:
        super().__init__(
            f"the job queue is full ({size} jobs waiting); retry later",
            headers={"Retry-After": "10"},
        )


class LoginRequiredError(Exception):
    """A page asked for without a session."""


def error_body(message: str, problems: Sequence[dict[str, str]] = ()) -> dict[str, Any]:
    return {"error": message, "problems": list(problems)}


def input_error(error: InputError) -> tuple[int, dict[str, Any]]:
    """The status and body of a sovfund input error: its problems, located."""
    problems = [p.as_dict() for p in getattr(error, "problems", ())]
    head = str(error).partition("\n")[0] if problems else str(error)
    return (409 if isinstance(error, KeyReusedError) else 422), error_body(head, problems)


def validation_problems(errors: Sequence[Any]) -> list[dict[str, str]]:
    """FastAPI's validation errors as located problems (``file`` is ``request``)."""
    problems = []
    for item in errors:
        location = [str(part) for part in item.get("loc", ())]
        found = item.get("input", None)
        text = "nothing" if found is None and item.get("type") == "missing" else repr(found)
        problems.append(
            {
                "file": "request",
                "path": ".".join(location),
                "found": text if len(text) <= 200 else text[:197] + "...",
                "expected": str(item.get("msg", "a valid value")),
            }
        )
    return problems


def unexpected(error: BaseException) -> dict[str, Any]:
    """A bug: logged with its traceback under an incident id; the answer has the id only."""
    incident = secrets.token_hex(6)
    log.error("incident %s: %s", incident, type(error).__name__, exc_info=error)
    return error_body(f"internal error (incident {incident}); the details are in the server log")


def responses(*statuses: int, beside_html: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route may answer. ``beside_html``: for a
    route whose success is a page (FastAPI would file a model's schema under the
    route's media type), the JSON schema named outright."""
    described = {
        401: "No API key, or one nobody holds",
        403: "The role may not do this",
        404: "Not found (or another partner's)",
        409: "The idempotency key was used for another request, or the job is not done",
        410: "No longer kept",
        422: "The request cannot be used as sent: its problems, located",
        429: "Too many requests for this key (see Retry-After)",
        500: "Internal error (the details are in the server log)",
        503: "The job queue is full (see Retry-After)",
    }
    if beside_html:
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        return {s: {"description": described[s], "content": content} for s in statuses}
    return {s: {"model": ErrorBody, "description": described[s]} for s in statuses}


ERROR_RESPONSES = responses(401, 403, 404, 422, 429, 500)
"""What every API route may answer besides success."""
HTML_ERROR_RESPONSES = responses(401, 403, 404, 422, 429, 500, beside_html=True)
"""The same, for a route whose success is an HTML document."""
