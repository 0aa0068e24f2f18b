"""Page sessions: logging in with an API key, a signed cookie, CSRF tokens on forms.

Logging in checks the key once and sets ``sovfund_session``: HttpOnly (no script
reads it), SameSite=Lax (other sites' forms and scripts do not send it), ``Secure``
behind TLS, signed with the service's secret (itsdangerous, with its time stamp: it
expires after ``session_hours``). It holds the user's name, the hash of its key (a
session ends when the key is no longer valid) and the session's CSRF token; every
form carries that token in a hidden field and a POST without it is refused (403).
The login form has a token of its own, in a cookie set with the form.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from sovfund.service.errors import ForbiddenError
from sovfund.service.settings import Settings
from sovfund.service.users import User, Users

__all__ = ["LOGIN_COOKIE", "SESSION_COOKIE", "Sessions"]

SESSION_COOKIE = "sovfund_session"
LOGIN_COOKIE = "sovfund_login"
LOGIN_MINUTES = 30


class Sessions:
    def __init__(self, settings: Settings, users: Users) -> None:
        self.settings, self.users = settings, users
        self._signer = URLSafeTimedSerializer(settings.session_secret, salt="sovfund-session")
        self._login_signer = URLSafeTimedSerializer(settings.session_secret, salt="sovfund-login")
        self.max_age = int(settings.session_hours * 3600)

    def _data(self, request: Request) -> dict[str, Any] | None:
        cached = getattr(request.state, "session", None)
        if cached is not None:
            return dict(cached)
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        try:
            data = self._signer.loads(cookie, max_age=self.max_age)
        except BadSignature:  # tampered with, or expired (SignatureExpired is one)
            return None
        if not isinstance(data, dict) or not {"user", "key", "csrf"} <= data.keys():
            return None
        request.state.session = data
        return dict(data)

    def user(self, request: Request) -> User | None:
        """The session's user, or None (no cookie, a bad or expired one, a dead key)."""
        data = self._data(request)
        if data is None:
            return None
        return self.users.by_name(str(data["user"]), str(data["key"]))

    def csrf(self, request: Request) -> str:
        """The session's CSRF token, for the forms of a page."""
        data = self._data(request)
        return "" if data is None else str(data["csrf"])

    def check_csrf(self, request: Request, token: str) -> None:
        expected = self.csrf(request)
        if not expected or not hmac.compare_digest(expected, token):
            raise ForbiddenError("the form's CSRF token is missing or wrong; reload the page")

    def _cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=True,
            samesite="lax",
            secure=self.settings.secure_cookies,
            path="/",
        )

    def log_in(self, response: Response, user: User) -> None:
        """Start a session for ``user`` (a new CSRF token: nothing carries over)."""
        data = {"user": user.name, "key": user.key_hash, "csrf": secrets.token_urlsafe(24)}
        self._cookie(response, SESSION_COOKIE, self._signer.dumps(data), self.max_age)
        response.delete_cookie(LOGIN_COOKIE, path="/")

    def log_out(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/")

    def login_token(self, request: Request) -> str:
        """The login form's CSRF token: the one in its cookie, else a new one (send it
        back with :meth:`set_login_token`)."""
        return self._login_data(request) or secrets.token_urlsafe(24)

    def set_login_token(self, response: Response, token: str) -> None:
        self._cookie(response, LOGIN_COOKIE, self._login_signer.dumps(token), LOGIN_MINUTES * 60)

    def _login_data(self, request: Request) -> str | None:
        cookie = request.cookies.get(LOGIN_COOKIE)
        if not cookie:
            return None
        try:
            token = self._login_signer.loads(cookie, max_age=LOGIN_MINUTES * 60)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    def check_login_token(self, request: Request, token: str) -> None:
        expected = self._login_data(request)
        if not expected or not hmac.compare_digest(expected, token):
            raise ForbiddenError(
                "the login form expired or its CSRF token is wrong; reload the page"
            )
