"""Roles, the rule every route declares, and the rate limit per key.

Every route declares a :class:`Rule` as a dependency: who may call it (the roles of
DESIGN.md, "The service", as :mod:`sovfund.service.rules` lists them) and how the
caller is identified (a bearer key for the API, the session cookie for the pages,
nobody for public routes). The authorization test walks the app's routes and fails
on one that declares no rule.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sovfund.service.errors import (
    ForbiddenError,
    LoginRequiredError,
    NotFoundError,
    RateLimitedError,
    UnauthorizedError,
)
from sovfund.service.users import ROLES, Role, User

if TYPE_CHECKING:
    from sovfund.service.state import Service

__all__ = [
    "ROLES",
    "Access",
    "ApiRule",
    "PageRule",
    "PublicRule",
    "RateLimiter",
    "Role",
    "Rule",
    "User",
    "authenticate",
    "bearer",
    "own_partner",
]

Access = Literal["api", "page", "public"]
"""How a route finds its caller: a bearer key, the page session, or not at all."""


class RateLimiter:
    """A token bucket per key: ``burst`` requests at once, refilled at ``rate`` a second."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one token of ``key``'s bucket: 0 if there was one, else the seconds
        until there is."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate


bearer = HTTPBearer(auto_error=False, description="An API key from `sovfund users add`.")


class Rule:
    """Who may call a route: declared on every route as a dependency, which answers
    the caller or refuses it. Three kinds: :class:`ApiRule` (a bearer key, 401 without
    a valid one), :class:`PageRule` (the session cookie; without one, to the login
    page) and :class:`PublicRule` (anyone).

    ``resource`` names what the route touches (``fund.write``, ``partner.own``...),
    the row of DESIGN.md's roles table the route falls under; ``roles`` the roles it
    lets in. ``own`` (``partner`` or ``job``): the route serves one partner's or one
    job's resources; an LP reaches only its own partner's (the handler checks with
    :func:`own_partner`), never a job, and the others answer 404 exactly as a missing
    one. A role not let in gets 403.
    """

    access: Access = "api"

    def __init__(
        self,
        resource: str,
        roles: tuple[Role, ...] = (),
        *,
        own: Literal["partner", "job"] | None = None,
    ) -> None:
        self.resource, self.roles, self.own = resource, roles, own

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.resource!r}, {self.roles})"

    def admit(self, request: Request, user: User) -> User:
        """Rate-limit ``user``'s key and check its role against the rule."""
        service: Service = request.app.state.service
        wait = service.limiter.take(user.key_hash)
        if wait > 0.0:
            raise RateLimitedError(math.ceil(wait))
        request.state.user = user
        if user.role not in self.roles:
            if self.own == "job" and user.role == "lp":
                raise NotFoundError()  # an LP has no jobs: any job is someone else's
            raise ForbiddenError(f"the {user.role} role may not use this ({self.resource})")
        return user


class ApiRule(Rule):
    """An API route: ``Authorization: Bearer KEY``."""

    access: Access = "api"

    async def __call__(
        self,
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),  # noqa: B008
    ) -> User:
        # async: run on the event loop, not in a worker thread (a key's user is cached,
        # so this reads the database only the first time a key is seen)
        return self.admit(request, authenticate(request.app.state.service, credentials))


class PageRule(Rule):
    """A page: the session cookie set by logging in."""

    access: Access = "page"

    async def __call__(self, request: Request) -> User:
        service: Service = request.app.state.service
        user = service.sessions.user(request)
        if user is None:
            raise LoginRequiredError()
        return self.admit(request, user)


class PublicRule(Rule):
    """Anyone, with or without a key (the health check, the OpenAPI document, the
    login page, static files)."""

    access: Access = "public"

    async def __call__(self) -> None:
        return None


def authenticate(service: Service, credentials: HTTPAuthorizationCredentials | None) -> User:
    """The user of a bearer key; 401 without one or with a key nobody holds."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UnauthorizedError("no API key; expected the header Authorization: Bearer KEY")
    user = service.users.by_key(credentials.credentials)
    if user is None:
        raise UnauthorizedError(
            "this API key is not valid; expected a key from `sovfund users add`"
        )
    return user


def own_partner(user: User, partner: str) -> None:
    """An LP asking for another partner's resource: 404, as if it did not exist."""
    if user.role == "lp" and not hmac.compare_digest(user.partner or "", partner):
        raise NotFoundError()
