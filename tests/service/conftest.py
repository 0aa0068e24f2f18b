"""Fixtures of the service's tests: small books with a call, a payment, an investment,
its proceeds and a distribution; a user of every role (two LPs, two analysts); the
app over a copy of them, through Starlette's test client (the browser tests start a
real server)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import sovfund.books
from sovfund.books.store import connect
from sovfund.service.app import create_app
from sovfund.service.reader import prepare_books
from sovfund.service.settings import Settings
from sovfund.service.users import Users

ROOT = Path(__file__).parents[2]
TERMS = ROOT / "examples" / "design.toml"
ARTEFACTS = ROOT / "out" / "test-artefacts"

PARTNERS = """id,name,class,country,currency,commitment
lp1,Alice's pension plan,institutional,US,USD,1000000
lp2,Bob's yen fund,institutional,JP,JPY,150000000
"""

USERS = {
    "gp": ("gp_admin", None),
    "alice": ("lp", "lp1"),
    "bob": ("lp", "lp2"),
    "audrey": ("auditor", None),
    "ana": ("analyst", None),
    "andy": ("analyst", None),
}
"""name -> (role, partner)."""

ROLE_USER = {"gp_admin": "gp", "lp": "alice", "auditor": "audrey", "analyst": "ana"}
"""The user the tests use for each role."""


@dataclass(frozen=True)
class Fixture:
    """Books on disk and the keys of their users."""

    path: Path
    keys: dict[str, str]
    call_entry: int
    distribution_entry: int


def build_books(folder: Path) -> Fixture:
    """The test books: a year of a small fund (DESIGN.md's term sheet, two more LPs)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "books.db"
    csv = folder / "partners.csv"
    csv.write_text(PARTNERS, encoding="utf-8")
    books = sovfund.books.init(str(path), terms=str(TERMS))
    books.partners(csv, usd_jpy="150")
    call = books.call(
        "500000", date="2026-01-15", due="2026-01-30", purpose="first bridge", usd_jpy="150"
    )
    books.pay(call.entry or 0)
    books.invest("bridge", "400000", date="2026-02-01")
    books.receive("bridge", "600000", date="2027-02-01", usd_jpy="150")
    distribution = books.distribute("300000", date="2027-02-01", usd_jpy="150")
    books.close()
    prepare_books(str(path))
    engine = connect(str(path))
    users = Users(engine)
    keys = {name: users.add(name, role, partner)[1] for name, (role, partner) in USERS.items()}
    engine.dispose()
    return Fixture(path, keys, call.entry or 0, distribution.entry or 0)


@pytest.fixture(scope="session")
def books_template(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return build_books(tmp_path_factory.mktemp("service-books"))


@pytest.fixture
def books_copy(books_template: Fixture, tmp_path: Path) -> Fixture:
    """A copy of the test books that a test may write to."""
    path = tmp_path / "books.db"
    shutil.copy(books_template.path, path)
    return Fixture(
        path, books_template.keys, books_template.call_entry, books_template.distribution_entry
    )


AppFactory = Callable[..., tuple[FastAPI, TestClient]]


@pytest.fixture
def make_client(books_copy: Fixture) -> Iterator[AppFactory]:
    """``make_client(**settings)``: the app over the test books (a copy) and a test
    client with the app started (its job worker running); stopped after the test."""
    opened: list[TestClient] = []

    def make(**settings: Any) -> tuple[FastAPI, TestClient]:
        defaults: dict[str, Any] = {"job_max_paths": 5_000, "job_max_study_paths": 500}
        app = create_app(Settings(books=str(books_copy.path), **{**defaults, **settings}))
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return app, client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    return make_client()[1]


def bearer(keys: dict[str, str], user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys[user]}"}


def log_in(client: TestClient, key: str) -> str:
    """Log ``client`` in with ``key`` (its cookie jar keeps the session); the session's
    CSRF token."""
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token, form.text
    answer = client.post(
        "/login", data={"key": key, "csrf": token.group(1)}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    home = client.get(answer.headers["location"])
    csrf = re.search(r'name="csrf" value="([^"]+)"', home.text)
    assert csrf, home.text
    return csrf.group(1)


def wait_for_job(client: TestClient, headers: dict[str, str], url: str) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(url, headers=headers).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {url} did not finish")
