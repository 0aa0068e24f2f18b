"""The app: ``create_app(settings)`` wires the routers, the error handlers, the audit
log of writes and the job worker.

Checked at the start: the books exist (else :class:`~sovfund.errors.BooksError`) and
their schema is brought to the newest revision (books made before the service get
its tables). The job worker starts with the app and stops with it.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import sovfund
from sovfund.errors import InputError
from sovfund.service.auth import authenticate
from sovfund.service.errors import (
    LoginRequiredError,
    ServiceError,
    UnauthorizedError,
    error_body,
    input_error,
    unexpected,
    validation_problems,
)
from sovfund.service.reader import prepare_books
from sovfund.service.routers import (
    capital,
    debt,
    distributions,
    fees,
    health,
    journal,
    pages,
    partners,
    portfolio,
    simulations,
    static,
)
from sovfund.service.settings import Settings
from sovfund.service.state import Service
from sovfund.service.templates import render

__all__ = ["create_app"]

log = logging.getLogger("sovfund.service")

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
        b" img-src 'self' data:; object-src 'none'; base-uri 'none';"
        b" frame-ancestors 'none'; form-action 'self'",
    ),
]

DESCRIPTION = """The books and the simulations of the fund over HTTP (DESIGN.md, "The service").

Send `Authorization: Bearer KEY` (a key from `sovfund users add`). Money is a decimal
string; dates are `YYYY-MM-DD`. Writes take an idempotency key (`key` in the body or the
`Idempotency-Key` header): the same key and request book once, the same key with
another request is a 409. Errors are `{"error", "problems": [{file, path, found,
expected}]}`. Roles: `gp_admin` everything on the fund; `lp` its own partner's
statements, notices and documents (another partner's answer 404, as a missing one);
`auditor` reads everything and writes nothing; `analyst` runs simulations and reads
fund-level figures.
"""


def create_app(settings: Settings, *, warm_up: bool = False) -> FastAPI:
    """The service over ``settings.books``. ``warm_up``: load the simulation kernels at
    start, so the first job does not wait for them."""
    prepare_books(settings.books)
    service = Service.of(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(service.reader.context)  # partners loaded once, now
        gc.freeze()  # what is loaded by now stays: the collector need not walk it again
        service.jobs.start()
        if warm_up:
            service.jobs.warm_up()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(service.jobs.stop)

    app = FastAPI(
        title="sovfund",
        version=sovfund.__version__,
        description=DESCRIPTION,
        docs_url=None,  # Swagger UI and ReDoc load from CDNs: nothing here does
        redoc_url=None,
        openapi_url=None,  # served by the health router, under a rule like every route
        lifespan=lifespan,
    )
    app.state.service = service
    for module in (
        health,
        partners,
        capital,
        portfolio,
        debt,
        fees,
        distributions,
        journal,
        simulations,
        pages,
        static,
    ):
        app.include_router(module.router)
    _handlers(app)
    app.add_middleware(AuditWrites)
    app.add_middleware(SecurityHeaders)
    return app


# ---- errors ------------------------------------------------------------------------------------


def _is_page(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path == "/healthz" or path == "/openapi.json")


def _answer(
    request: Request, status: int, body: dict[str, Any], headers: dict[str, str]
) -> Response:
    if _is_page(request) and status != 401:
        service: Service = request.app.state.service
        user = getattr(request.state, "user", None)
        page = render(
            "error.html.j2",
            status=status,
            error=body,
            user=user,
            role_name="",
            csrf="",
            fund=_fund_name(service),
            path=request.url.path,
        )
        return HTMLResponse(page, status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


def _fund_name(service: Service) -> str:
    try:
        return service.reader.context().terms.fund.name
    except Exception:  # the error page must render even if the books do not answer
        return "sovfund"


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(request: Request, error: ServiceError) -> Response:
        return _answer(request, error.status, error_body(error.message), error.headers)

    @app.exception_handler(LoginRequiredError)
    async def login_required(request: Request, _: LoginRequiredError) -> Response:
        from urllib.parse import quote

        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(InputError)
    async def sovfund_input(request: Request, error: InputError) -> Response:
        status, body = input_error(error)
        return _answer(request, status, body, {})

    async def unauthenticated(request: Request) -> Response | None:
        # a body that is not even JSON is read before the route's rule runs: the key
        # is checked here, so that no key still answers 401 first
        if request.url.path.startswith("/api/"):
            try:
                await anyio.to_thread.run_sync(
                    authenticate, request.app.state.service, await _credentials(request)
                )
            except UnauthorizedError as refused:
                return _answer(request, 401, error_body(refused.message), refused.headers)
        return None

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        refused = await unauthenticated(request)
        if refused is not None:
            return refused
        problems = validation_problems(error.errors())
        count = len(problems)
        message = f"{count} problem{'s' if count != 1 else ''} in the request"
        return _answer(request, 422, error_body(message, problems), {})

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if error.status_code == 404:
            return _answer(request, 404, error_body("not found"), {})
        if error.status_code == 400:  # a body that cannot be parsed at all
            refused = await unauthenticated(request)
            if refused is not None:
                return refused
            problem = {
                "file": "request",
                "path": "body",
                "found": "a body that cannot be read",
                "expected": "a JSON object (or a form, on the pages)",
            }
            return _answer(request, 422, error_body("1 problem in the request", [problem]), {})
        message = str(error.detail) if error.detail else "request refused"
        return _answer(request, error.status_code, error_body(message), dict(error.headers or {}))

    @app.exception_handler(Exception)
    async def bug(request: Request, error: Exception) -> Response:
        return JSONResponse(unexpected(error), status_code=500)


async def _credentials(request: Request) -> Any:
    from sovfund.service.auth import bearer

    return await bearer(request)


# ---- middleware ------------------------------------------------------------------------------


class AuditWrites:
    """Every write asked of the service by a known user goes into its audit log, with
    the answer's status (refusals too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITES:
            await self.app(scope, receive, send)
            return
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            state = scope.get("state") or {}
            user = state.get("user")
            if user is not None:
                service: Service = scope["app"].state.service
                try:
                    await anyio.to_thread.run_sync(
                        service.audit,
                        user,
                        scope["method"],
                        scope["path"],
                        state.get("key"),
                        status,
                    )
                except Exception:  # the answer has gone; say so in the log
                    log.exception(
                        "could not write the audit record of %s %s", scope["method"], scope["path"]
                    )


class SecurityHeaders:
    """No sniffing, no framing, scripts and everything else from this site only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, sending)
