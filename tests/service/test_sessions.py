"""Pages: logging in with a key into a signed HttpOnly SameSite cookie, CSRF tokens on
every form, the session ending with its key."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from .conftest import AppFactory, Fixture, log_in


def test_logging_in_sets_a_signed_httponly_samesite_cookie(
    client: TestClient, books_copy: Fixture
) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token
    answer = client.post(
        "/login",
        data={"key": books_copy.keys["alice"], "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/account"
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("sovfund_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert books_copy.keys["alice"] not in cookie
    page = client.get("/account")
    assert page.status_code == 200
    assert "Alice&#39;s pension plan" in page.text


def test_a_wrong_key_does_not_log_in(client: TestClient) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token
    answer = client.post("/login", data={"key": "sfk_nobody", "csrf": token.group(1)})
    assert answer.status_code == 401
    assert "not valid" in answer.text
    assert "sovfund_session" not in answer.headers.get("set-cookie", "")


def test_logging_in_needs_the_login_form_s_token(client: TestClient, books_copy: Fixture) -> None:
    answer = client.post("/login", data={"key": books_copy.keys["alice"], "csrf": "forged"})
    assert answer.status_code == 403


def test_a_form_without_the_csrf_token_is_refused(client: TestClient, books_copy: Fixture) -> None:
    csrf = log_in(client, books_copy.keys["gp"])
    form = {"amount": "1000", "date": "2027-03-01", "usd_jpy": "150"}
    assert client.post("/console/calls/preview", data=form).status_code == 403
    assert (
        client.post("/console/calls/preview", data={**form, "csrf": "x" + csrf}).status_code == 403
    )
    preview = client.post("/console/calls/preview", data={**form, "csrf": csrf})
    assert preview.status_code == 200
    assert "Book this call" in preview.text


def test_a_page_without_a_session_goes_to_the_login_page(client: TestClient) -> None:
    answer = client.get("/console?page=2", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/console%3Fpage%3D2"
    client.cookies.set("sovfund_session", "tampered.value.here")
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_the_login_page_sends_nobody_elsewhere(client: TestClient, books_copy: Fixture) -> None:
    form = client.get("/login?next=https://evil.example/")
    assert "evil.example" not in form.text
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token
    form_data = {"key": books_copy.keys["alice"], "csrf": token.group(1), "next": "//evil.example/"}
    answer = client.post("/login", follow_redirects=False, data=form_data)
    assert answer.headers["location"] == "/account"


def test_logging_out_ends_the_session(client: TestClient, books_copy: Fixture) -> None:
    csrf = log_in(client, books_copy.keys["alice"])
    answer = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_pages_are_served_with_a_strict_policy_and_local_scripts(
    make_client: AppFactory, books_copy: Fixture
) -> None:
    _, client = make_client()
    log_in(client, books_copy.keys["ana"])
    page = client.get("/explorer")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert not re.search(r"<script(?![^>]*src=\"/static/)[^>]*>\s*\S", page.text)
    plotly = client.get("/static/plotly.min.js")
    assert plotly.status_code == 200
    assert plotly.headers["content-type"].startswith("text/javascript")
    assert len(plotly.content) > 1_000_000
    assert client.get("/static/../../settings.py").status_code == 404
    assert client.get("/static/missing.js").status_code == 404
