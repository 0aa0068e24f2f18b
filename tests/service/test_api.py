"""The API's contract: binding paths and bodies, idempotency, errors, rate limits, the
audit log, and notices an LP sees once a call is booked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import sovfund.books
from sovfund.books.store import connect
from sovfund.service.app import create_app
from sovfund.service.auth import RateLimiter
from sovfund.service.reader import prepare_books
from sovfund.service.settings import Settings
from sovfund.service.users import Users

from .conftest import AppFactory, Fixture, bearer


def test_the_binding_paths_are_in_the_openapi_document(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    for method, path in [
        ("get", "/api/v1/partners/{partner}/statement"),
        ("get", "/api/v1/journal"),
        ("post", "/api/v1/calls"),
        ("post", "/api/v1/distributions"),
        ("post", "/api/v1/simulations"),
        ("get", "/api/v1/simulations/{job}"),
        ("get", "/healthz"),
    ]:
        assert method in paths[path], path
    call = document["components"]["schemas"]["CallRequest"]["properties"]
    assert {"amount", "date", "key"} <= call.keys()
    assert {"amount", "date", "key", "preview"} <= document["components"]["schemas"][
        "DistributionRequest"
    ]["properties"].keys()
    assert "202" in paths["/api/v1/simulations"]["post"]["responses"]
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_healthz_needs_no_key(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "books": "ok", "jobs_waiting": 0}


def test_a_statement_in_decimal_strings(client: TestClient, books_copy: Fixture) -> None:
    answer = client.get("/api/v1/partners/lp2/statement", headers=bearer(books_copy.keys, "bob"))
    assert answer.status_code == 200
    statement = answer.json()
    assert statement["currency"] == "JPY"
    assert statement["commitment"] == "150000000"
    assert isinstance(statement["capital_account"], str)
    earlier = client.get(
        "/api/v1/partners/lp2/statement?as_of=2026-01-31", headers=bearer(books_copy.keys, "bob")
    ).json()
    assert earlier["as_of"] == "2026-01-31"
    assert earlier["distributed"] == "0"


def test_the_same_key_books_once_and_another_request_with_it_is_409(
    client: TestClient, books_copy: Fixture
) -> None:
    gp = bearer(books_copy.keys, "gp")
    body = {"amount": "1000", "date": "2027-03-01", "usd_jpy": "150", "key": "call-3"}
    first = client.post("/api/v1/calls", headers=gp, json=body)
    again = client.post("/api/v1/calls", headers=gp, json=body)
    assert first.status_code == again.status_code == 200
    assert first.json()["entry"] == again.json()["entry"]
    assert first.json()["allocations"] == again.json()["allocations"]
    other = client.post("/api/v1/calls", headers=gp, json={**body, "amount": "2000"})
    assert other.status_code == 409
    assert "call-3" in other.json()["error"]
    # the header is the same key
    header = client.post(
        "/api/v1/calls", headers={**gp, "Idempotency-Key": "call-3"}, json={**body, "key": None}
    )
    assert header.json()["entry"] == first.json()["entry"]
    both = client.post(
        "/api/v1/calls", headers={**gp, "Idempotency-Key": "other"}, json=body
    )  # two different keys
    assert both.status_code == 422
    journal = client.get("/api/v1/journal", headers=gp).json()["entries"]
    assert [e["kind"] for e in journal].count("call") == 2  # the fixture's and this one


def test_a_preview_books_nothing(client: TestClient, books_copy: Fixture) -> None:
    gp = bearer(books_copy.keys, "gp")
    before = client.get("/api/v1/journal?postings=false", headers=gp).json()["entries"]
    call = client.post(
        "/api/v1/calls",
        headers=gp,
        json={"amount": "1000", "date": "2027-03-01", "preview": True, "usd_jpy": "150"},
    ).json()
    assert call["entry"] is None
    assert call["preview"] is True
    assert set(call["allocations"]) == {"lp", "lp1", "lp2"}  # each in its own currency
    distribution = client.post(
        "/api/v1/distributions",
        headers=gp,
        json={"amount": "100", "date": "2027-03-01", "preview": True, "usd_jpy": "150"},
    ).json()
    assert distribution["entry"] is None
    assert distribution["tiers"][0]["name"] == "return of capital"
    after = client.get("/api/v1/journal?postings=false", headers=gp).json()["entries"]
    assert after == before


def test_errors_are_located_problems(client: TestClient, books_copy: Fixture) -> None:
    gp = bearer(books_copy.keys, "gp")
    bad = client.post("/api/v1/calls", headers=gp, json={"amount": "1,0x0", "date": "Tuesday"})
    assert bad.status_code == 422
    body = bad.json()
    assert set(body) == {"error", "problems"}
    paths = {p["path"] for p in body["problems"]}
    assert paths == {"body.amount", "body.date"}
    assert all(set(p) == {"file", "path", "found", "expected"} for p in body["problems"])
    # the books refuse what cannot be booked: the CLI's message, 422
    beyond = client.post(
        "/api/v1/calls", headers=gp, json={"amount": "1e12", "date": "2027-03-01", "usd_jpy": "150"}
    )
    assert beyond.status_code == 422
    assert "unfunded" in beyond.json()["error"]
    early = client.post(
        "/api/v1/calls", headers=gp, json={"amount": "10", "date": "2026-01-02", "usd_jpy": "150"}
    )
    assert early.status_code == 422
    assert "date order" in early.json()["error"]


def test_no_key_is_401_even_before_the_body_is_read(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/calls", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_never_a_stack_trace(
    make_client: AppFactory,
    books_copy: Fixture,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, client = make_client()

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret detail: /etc/passwd at line 42")

    monkeypatch.setattr(app.state.service.reader, "statement", broken)
    for url, headers in [
        ("/api/v1/partners/lp1/statement", bearer(books_copy.keys, "alice")),
    ]:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 500
        body = answer.json()
        assert set(body) == {"error", "problems"}
        assert "incident" in body["error"]
        for leak in ("Traceback", "secret", "RuntimeError", "File ", ".py"):
            assert leak not in answer.text
    assert "secret detail" in caplog.text  # in the server's log, with its traceback


def test_a_page_error_is_a_page_and_no_trace_either(
    make_client: AppFactory, books_copy: Fixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .conftest import log_in

    app, client = make_client()
    log_in(client, books_copy.keys["alice"])

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(app.state.service.reader, "notices", broken)
    answer = client.get("/account")
    assert answer.status_code == 500
    assert "secret" not in answer.text
    assert "Traceback" not in answer.text


def test_past_the_rate_a_key_gets_429_with_retry_after(
    make_client: AppFactory, books_copy: Fixture
) -> None:
    _, client = make_client(rate_per_second=1.0, rate_burst=3)
    alice = bearer(books_copy.keys, "alice")
    answers = [client.get("/api/v1/me", headers=alice).status_code for _ in range(5)]
    assert answers == [200, 200, 200, 429, 429]
    refused = client.get("/api/v1/me", headers=alice)
    assert int(refused.headers["Retry-After"]) >= 1
    assert client.get("/api/v1/me", headers=bearer(books_copy.keys, "bob")).status_code == 200


def test_the_token_bucket_refills() -> None:
    now = [0.0]
    limiter = RateLimiter(2.0, 2, clock=lambda: now[0])
    assert [limiter.take("k") for _ in range(3)] == [0.0, 0.0, 0.5]
    now[0] = 0.5
    assert limiter.take("k") == 0.0
    assert limiter.take("k") > 0.0


def test_every_write_is_in_the_audit_log_with_its_user(
    client: TestClient, books_copy: Fixture
) -> None:
    gp = bearer(books_copy.keys, "gp")
    client.post(
        "/api/v1/calls",
        headers=gp,
        json={"amount": "1000", "date": "2027-03-01", "usd_jpy": "150", "key": "audited"},
    )
    client.post("/api/v1/calls", headers=bearer(books_copy.keys, "alice"), json={})
    client.post("/api/v1/simulations", headers=bearer(books_copy.keys, "ana"), json={"paths": 0})
    records = client.get("/api/v1/audit", headers=bearer(books_copy.keys, "audrey")).json()
    seen = [(r["user"], r["path"], r["key"], r["status"]) for r in records["records"]]
    assert ("gp", "/api/v1/calls", "audited", 200) in seen
    assert ("alice", "/api/v1/calls", None, 403) in seen
    assert ("ana", "/api/v1/simulations", None, 422) in seen
    # and the books' own audit log names the service user who booked it
    from sovfund.books import open as open_books

    with open_books(str(books_copy.path)) as books:
        assert books.audit()[-1]["user"] == "gp"


def test_a_booked_call_is_a_notice_the_lp_can_download(
    client: TestClient, books_copy: Fixture
) -> None:
    gp, alice = bearer(books_copy.keys, "gp"), bearer(books_copy.keys, "alice")
    before = client.get("/api/v1/partners/lp1/notices", headers=alice).json()["notices"]
    assert [n["kind"] for n in before] == ["distribution", "call"]
    call = client.post(
        "/api/v1/calls",
        headers=gp,
        json={
            "amount": "100000",
            "date": "2027-03-01",
            "due": "2027-03-15",
            "purpose": "second bridge",
            "usd_jpy": "150",
        },
    )
    entry = call.json()["entry"]
    notices = client.get("/api/v1/partners/lp1/notices", headers=alice).json()["notices"]
    assert notices[0] == {
        "entry": entry,
        "kind": "call",
        "date": "2027-03-01",
        "partner": "lp1",
        "currency": "USD",
        "amount": call.json()["allocations"]["lp1"],
        "carry": None,
        "fund_amount": "100000.00",
        "due": "2027-03-15",
        "purpose": "second bridge",
    }
    document = client.get(f"/api/v1/partners/lp1/notices/{entry}/document", headers=alice)
    assert document.status_code == 200
    assert "attachment" in document.headers["Content-Disposition"]
    assert "Capital call notice" in document.text
    assert call.json()["allocations"]["lp1"] in document.text
    statement = client.get("/api/v1/partners/lp1/statement/document", headers=alice)
    assert "Capital account statement" in statement.text


def test_the_register_pages_through_the_partners(client: TestClient, books_copy: Fixture) -> None:
    auditor = bearer(books_copy.keys, "audrey")
    page = client.get("/api/v1/partners?offset=1&limit=2", headers=auditor).json()
    assert page["total"] == 4
    assert [p["partner"] for p in page["partners"]] == ["gp", "lp1"]
    assert page["partners"][1]["called"] != "0.00"


def test_a_job_queue_that_is_full_answers_503(make_client: AppFactory, books_copy: Fixture) -> None:
    app, client = make_client(job_queue=1)
    app.state.service.jobs.stop()  # nobody takes jobs: the queue fills
    ana = bearer(books_copy.keys, "ana")
    body = {"scenario": "son-2025", "paths": 10, "seed": 1}
    assert client.post("/api/v1/simulations", headers=ana, json=body).status_code == 202
    full = client.post("/api/v1/simulations", headers=ana, json=body)
    assert full.status_code == 503
    assert "queue is full" in full.json()["error"]
    assert "Retry-After" in full.headers


def test_paths_are_capped(make_client: AppFactory, books_copy: Fixture) -> None:
    _, client = make_client(job_max_paths=1000)
    answer = client.post(
        "/api/v1/simulations",
        headers=bearer(books_copy.keys, "ana"),
        json={"scenario": "son-2025", "paths": 1001, "seed": 1},
    )
    assert answer.status_code == 422
    assert "1 to 1,000" in answer.json()["error"]
    unknown = client.post(
        "/api/v1/simulations",
        headers=bearer(books_copy.keys, "ana"),
        json={"scenario": "no-such", "paths": 10},
    )
    assert unknown.status_code == 422
    assert "preset" in unknown.json()["error"]


def test_the_service_reads_repurchases_as_the_books_do(tmp_path: Path) -> None:
    """A settled repurchase offer shows in the service as in ``books statement``: the
    service reads statements (and its register) with the books' own code."""
    path = tmp_path / "books.db"
    with sovfund.books.init(str(path), terms="son-2025") as books:
        call = books.call("1000000", date="2026-01-15")
        books.pay(call.entry or 0)
        offer = books.offer(date="2026-04-01")
        books.request(offer.offer, "us_retail", "1000")
        books.settle(offer.offer, date="2026-06-30")
        expected = {p: books.statement(p).to_dict() for p in ("us_retail", "japan_reserves")}
    prepare_books(str(path))
    engine = connect(str(path))
    key = Users(engine).add("audrey", "auditor", None)[1]
    engine.dispose()
    app = create_app(Settings(books=str(path)))
    with TestClient(app) as client:
        auditor = {"Authorization": f"Bearer {key}"}
        for partner, statement in expected.items():
            answer = client.get(f"/api/v1/partners/{partner}/statement", headers=auditor)
            assert answer.status_code == 200, answer.text
            assert answer.json() == statement
        assert expected["us_retail"]["repurchased"] == "980.00"
        assert expected["japan_reserves"]["gains"]["early_repurchase_deductions"] != "0.00"
        register = client.get("/api/v1/partners?limit=100", headers=auditor).json()
    for row in register["partners"]:
        if row["partner"] in expected:
            for figure in ("called", "unfunded", "distributed"):
                assert row[figure] == expected[row["partner"]][figure]


def test_the_journal_in_pages_is_the_whole_journal(client: TestClient, books_copy: Fixture) -> None:
    auditor = bearer(books_copy.keys, "audrey")
    whole = client.get("/api/v1/journal", headers=auditor).json()
    assert whole["next"] is None
    assert len(whole["entries"]) >= 3
    pages, after = [], 0
    while True:
        page = client.get(f"/api/v1/journal?limit=2&after={after}", headers=auditor).json()
        assert len(page["entries"]) <= 2
        pages += page["entries"]
        if page["next"] is None:
            break
        after = page["next"]
    assert pages == whole["entries"]
    assert all(e["postings"] for e in pages)
