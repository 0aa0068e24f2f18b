"""The authorization matrix, generated from the app's route table.

Every route must declare exactly one rule (a new route without one fails here), and
the rule must say what DESIGN.md's roles table says (``DESIGN`` below is that table,
resource by resource). Then every route is called as every role, with no key and with
a wrong key, and the answer is held to the table: no key or a wrong one 401 (a page:
to the login page), a role without the right 403, an LP reaching for a job 404, the
others let through. An LP asking for another partner's statement, notice, document or
job gets 404, exactly like a missing one (the same body).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from sovfund.service.auth import ROLES, Rule

from .conftest import ROLE_USER, Fixture, bearer, log_in, wait_for_job

ALLOW, OWN, DENY = "allow", "own", "deny"


def _table(**rows: str) -> dict[str, str]:
    return {role: rows.get(role, DENY) for role in ROLES}


DESIGN: dict[str, dict[str, str]] = {
    # gp_admin: everything on the fund; lp: its own partner's statements, notices and
    # documents, nothing else; auditor: read everything, write nothing; analyst: run
    # simulations and studies, read fund-level figures, no partner's data.
    "public": _table(gp_admin=ALLOW, lp=ALLOW, auditor=ALLOW, analyst=ALLOW),
    "session": _table(gp_admin=ALLOW, lp=ALLOW, auditor=ALLOW, analyst=ALLOW),
    "fund.write": _table(gp_admin=ALLOW),
    "fund.read": _table(gp_admin=ALLOW, auditor=ALLOW, analyst=ALLOW),
    "partners.read": _table(gp_admin=ALLOW, auditor=ALLOW),
    "partner.own": _table(gp_admin=ALLOW, auditor=ALLOW, lp=OWN),
    "books.read": _table(gp_admin=ALLOW, auditor=ALLOW),
    "jobs.run": _table(gp_admin=ALLOW, analyst=ALLOW),
    "jobs.read": _table(gp_admin=ALLOW, auditor=ALLOW, analyst=OWN),
    "job.own": _table(gp_admin=ALLOW, auditor=ALLOW, analyst=OWN),
    "scenarios.read": _table(gp_admin=ALLOW, auditor=ALLOW, analyst=ALLOW),
    "page.home": _table(gp_admin=ALLOW, lp=ALLOW, auditor=ALLOW, analyst=ALLOW),
    "page.account": _table(lp=OWN),
    "page.console": _table(gp_admin=ALLOW, auditor=ALLOW),
    "page.console.write": _table(gp_admin=ALLOW),
    "page.explorer": _table(gp_admin=ALLOW, auditor=ALLOW, analyst=ALLOW),
    "page.explorer.run": _table(gp_admin=ALLOW, analyst=ALLOW),
    "page.job": _table(gp_admin=ALLOW, auditor=ALLOW, analyst=OWN),
}

IDENTITIES = (*ROLES, "no key", "wrong key")

BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/simulations": {"scenario": "son-2025", "paths": 64, "seed": 1},
    "/api/v1/studies": {"study": "frontier", "scenario": "son-2025", "paths": 8, "seed": 1},
}
"""Bodies other than the model's example (small runs)."""

FORMS: dict[str, dict[str, str]] = {
    "/explorer/jobs": {"paths": "64", "seed": "1"},
    "/console/calls/preview": {"amount": "1000", "date": "2027-03-01"},
    "/console/calls": {"amount": "1000", "date": "2027-03-01", "key": "matrix-call"},
    "/console/distributions/preview": {"amount": "10", "date": "2027-03-01"},
    "/console/distributions": {"amount": "10", "date": "2027-03-01", "key": "matrix-dist"},
}


def routes(app: FastAPI) -> list[APIRoute]:
    """The app's route table (FastAPI >= 0.13x keeps included routers nested)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: included routes are flat
        return [r for r in app.routes if isinstance(r, APIRoute)]
    found = [c.original_route for c in iter_route_contexts(app.routes)]
    return [r for r in found if isinstance(r, APIRoute)]


def rule_of(route: APIRoute) -> Rule:
    rules = [d.call for d in route.dependant.dependencies if isinstance(d.call, Rule)]
    assert len(rules) == 1, f"{sorted(route.methods)} {route.path} declares {len(rules)} rules"
    return rules[0]


def cases(app: FastAPI) -> list[tuple[str, str, Rule]]:
    """(method, path, rule) of every route; logging out last (it ends the session)."""
    found = [(m, r.path, rule_of(r)) for r in routes(app) for m in sorted(r.methods)]
    return sorted(found, key=lambda case: case[1] == "/logout")


@pytest.fixture(scope="module")
def matrix(
    books_template: Fixture, tmp_path_factory: pytest.TempPathFactory
) -> Any:  # the app, its clients by identity, and the ids the paths need
    import shutil

    from sovfund.service.app import create_app
    from sovfund.service.settings import Settings

    folder = tmp_path_factory.mktemp("matrix")
    shutil.copy(books_template.path, folder / "books.db")
    app = create_app(Settings(books=str(folder / "books.db"), job_max_paths=5000))
    keys = books_template.keys
    with TestClient(app, raise_server_exceptions=False) as main:
        submitted = main.post(
            "/api/v1/simulations",
            headers=bearer(keys, "ana"),
            json={"scenario": "son-2025", "paths": 64, "seed": 3},
        ).json()
        wait_for_job(main, bearer(keys, "ana"), f"/api/v1/simulations/{submitted['id']}")
        clients: dict[str, tuple[TestClient, dict[str, str], str]] = {}
        for identity in IDENTITIES:
            client = TestClient(app, raise_server_exceptions=False)
            if identity in ROLES:
                key = keys[ROLE_USER[identity]]
                csrf = log_in(client, key)
                clients[identity] = (client, {"Authorization": f"Bearer {key}"}, csrf)
            elif identity == "wrong key":
                client.cookies.set("sovfund_session", "not.a.session")
                clients[identity] = (client, {"Authorization": "Bearer sfk_wrong"}, "x")
            else:
                clients[identity] = (client, {}, "")
        params = {
            "partner": "lp1",
            "entry": str(books_template.call_entry),
            "job": submitted["id"],
            "name": "style.css",
        }
        yield app, clients, params, keys


def test_every_route_declares_the_rule_design_says(matrix: Any) -> None:
    app = matrix[0]
    seen = set()
    for method, path, rule in cases(app):
        assert rule.resource in DESIGN, f"{method} {path}: resource {rule.resource!r} not in DESIGN"
        table = DESIGN[rule.resource]
        allowed = {role for role, may in table.items() if may != DENY}
        if rule.access != "public":
            assert set(rule.roles) == allowed, f"{method} {path}: {rule} but DESIGN {table}"
        seen.add(rule.resource)
    assert seen == set(DESIGN), f"resources no route uses: {set(DESIGN) - seen}"


def _expected(rule: Rule, identity: str) -> int | str:
    if rule.access == "public":
        return "public"
    if identity not in ROLES:
        return 401 if rule.access == "api" else "login"
    if DESIGN[rule.resource][identity] == DENY:
        return 404 if rule.own == "job" and identity == "lp" else 403
    return "let through"


def _call(
    matrix: Any, identity: str, method: str, path: str, values: dict[str, str] | None = None
) -> Any:
    app, clients, params, _ = matrix
    client, headers, csrf = clients[identity]
    url = re.sub(r"\{(\w+)\}", lambda m: (values or params)[m.group(1)], path)
    route = next(r for r in routes(app) if r.path == path and method in r.methods)
    if method == "GET":
        return client.get(url, headers=headers, follow_redirects=False)
    if path.startswith("/api/"):
        body = BODIES.get(path)
        if body is None and route.body_field is not None:
            model = route.body_field.field_info.annotation
            body = model.model_config["json_schema_extra"]["examples"][0]  # type: ignore[union-attr]
        return client.post(url, headers=headers, json=body, follow_redirects=False)
    form = {"csrf": csrf, **FORMS.get(path, {})}
    return client.post(url, headers=headers, data=form, follow_redirects=False)


def test_the_matrix(matrix: Any) -> None:
    """Every route x every role, no key, a wrong key: ``len(cases) * 6`` requests."""
    app = matrix[0]
    failures, count = [], 0
    for method, path, rule in cases(app):
        for identity in IDENTITIES:
            answer = _call(matrix, identity, method, path)
            count += 1
            want = _expected(rule, identity)
            status = answer.status_code
            if want == "public":  # no rule to pass; the handler may still refuse
                bad = status == 401 or status >= 500
            elif want == "let through":
                to_login = status == 303 and answer.headers["location"].startswith("/login")
                bad = status in (401, 403) or status >= 500 or (to_login and path != "/logout")
            elif want == "login":
                bad = status != 303 or not answer.headers["location"].startswith("/login")
            else:
                bad = status != want
            if bad:
                failures.append(f"{identity:>9} {method} {path}: {status}, expected {want}")
    for role in ROLES:  # logging out (the last route) ended the page sessions
        client, headers, _ = matrix[1][role]
        matrix[1][role] = (client, headers, log_in(client, matrix[3][ROLE_USER[role]]))
    assert not failures, "\n".join(failures)
    assert count == len(cases(app)) * len(IDENTITIES) >= 250
    docs = " ".join((Path(__file__).parents[2] / "docs" / "service.md").read_text().split())
    assert f"({len(cases(app))} routes, {count} requests)" in docs


def test_an_lp_gets_404_for_another_partner_exactly_as_for_a_missing_one(matrix: Any) -> None:
    app, _, params, _ = matrix
    own_routes = [(m, p) for m, p, rule in cases(app) if rule.own == "partner" and "{partner}" in p]
    assert len(own_routes) >= 6
    for method, path in own_routes:
        other = _call(matrix, "lp", method, path, {**params, "partner": "lp2"})
        missing = _call(matrix, "lp", method, path, {**params, "partner": "nobody"})
        own = _call(matrix, "lp", method, path)
        assert other.status_code == missing.status_code == 404, path
        assert other.content == missing.content, path
        assert own.status_code == 200, (path, own.text)
    # the LP's own notice document, and an entry of the fund that is not its notice
    # (the investment), and one that does not exist: the same 404
    path = "/account/notices/{entry}/document"
    for entry in ("3", "999999"):
        answer = _call(matrix, "lp", "GET", path, {**params, "entry": entry})
        assert answer.status_code == 404
    notice = _call(matrix, "lp", "GET", "/api/v1/partners/{partner}/notices/{entry}")
    assert notice.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/simulations/{job}", "/api/v1/simulations/{job}/result"])
def test_a_job_is_404_to_an_lp_and_to_another_analyst(matrix: Any, path: str) -> None:
    _, clients, params, keys = matrix
    missing_id = {**params, "job": "no-such-job"}
    seen = _call(matrix, "lp", "GET", path)
    missing = _call(matrix, "lp", "GET", path, missing_id)
    assert seen.status_code == missing.status_code == 404
    assert seen.content == missing.content
    andy = {"Authorization": f"Bearer {keys['andy']}"}  # the other analyst
    client = clients["analyst"][0]
    other = client.get(path.replace("{job}", params["job"]), headers=andy)
    missing = client.get(path.replace("{job}", "no-such-job"), headers=andy)
    assert other.status_code == missing.status_code == 404
    assert other.content == missing.content
    assert _call(matrix, "auditor", "GET", path).status_code == 200
