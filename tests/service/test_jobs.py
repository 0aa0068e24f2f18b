"""Jobs: a simulation job's result is the JSON of ``sovfund simulate --json`` for the
same inputs, byte for byte; a study's is its command's; the explorer's levers are the
stress they say; the report is the self-contained one."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from sovfund.run.simulate import simulate
from sovfund.run.studies import at_leverage, simulation_json
from sovfund.terms.load import load_terms

from .conftest import Fixture, bearer, wait_for_job

CLI_TIMEOUT = 600


def _run(client: TestClient, keys: dict[str, str], path: str, body: dict[str, object]) -> dict:
    ana = bearer(keys, "ana")
    submitted = client.post(path, headers=ana, json=body)
    assert submitted.status_code == 202, submitted.text
    assert submitted.headers["Location"] == f"{path}/{submitted.json()['id']}"
    job = wait_for_job(client, ana, submitted.headers["Location"])
    assert job["status"] == "done", job["error"]
    assert job["progress"]["done"] == job["progress"]["total"]
    return job


@pytest.mark.parametrize(
    ("body", "arguments"),
    [
        ({"scenario": "son-2025", "paths": 2000, "seed": 7}, []),
        (
            {"scenario": "mou-550b", "paths": 600, "seed": 3, "stress": "rates_up"},
            ["--stress", "rates_up"],
        ),
    ],
)
def test_a_job_is_the_cli_byte_for_byte(
    client: TestClient, books_copy: Fixture, sovfund_process, tmp_path, body, arguments
) -> None:
    """Against the real command, in its own process."""
    job = _run(client, books_copy.keys, "/api/v1/simulations", body)
    options = ["--paths", str(body["paths"]), "--seed", str(body["seed"]), *arguments]
    cli = sovfund_process(
        tmp_path, "simulate", str(body["scenario"]), *options, "--json", "--quiet"
    )
    assert cli.returncode == 0, cli.stderr
    result = client.get(
        f"/api/v1/simulations/{job['id']}/result", headers=bearer(books_copy.keys, "ana")
    )
    assert result.headers["content-type"] == "application/json"
    assert result.text == cli.stdout
    assert job["result"] == json.loads(cli.stdout)
    assert job["verdict"]["headline"]


def test_the_levers_are_one_stress_at_the_frontier_s_leverage(
    client: TestClient, books_copy: Fixture
) -> None:
    levers = {"leverage": 4, "overrun_scale": 1.5, "rate_shift": 0.01, "tariff_snapback": True}
    job = _run(
        client,
        books_copy.keys,
        "/api/v1/simulations",
        {"scenario": "son-2025", "paths": 512, "seed": 5, "levers": levers},
    )
    terms, stress = at_leverage(
        load_terms("son-2025"),
        4.0,
        title="Scenario explorer",
        description="leverage 4x, overruns x1.5, rates +100bp, tariff snap-back",
        overrun_scale=1.5,
        short_rate=0.01,
        yield_10y=0.01,
        tariff_snapback=True,
    )
    expected = simulation_json("son-2025", simulate(terms, paths=512, seed=5, stress=stress))
    assert job["result"] == json.loads(json.dumps(expected))
    assert job["result"]["stress"] == "Scenario explorer"


def test_a_study_is_its_command(
    client: TestClient, books_copy: Fixture, sovfund_cli, tmp_path
) -> None:
    job = _run(
        client,
        books_copy.keys,
        "/api/v1/studies",
        {"study": "frontier", "scenario": "son-2025", "paths": 64, "seed": 2},
    )
    cli = sovfund_cli(
        tmp_path, "frontier", "son-2025", "--paths", "64", "--seed", "2", "--json", "--quiet"
    )
    assert cli.returncode == 0, cli.stderr
    result = client.get(
        f"/api/v1/studies/{job['id']}/result", headers=bearer(books_copy.keys, "ana")
    )
    assert result.text == cli.stdout
    # a study is not a simulation
    missing = client.get(f"/api/v1/simulations/{job['id']}", headers=bearer(books_copy.keys, "ana"))
    assert missing.status_code == 404


def test_the_report_is_self_contained(client: TestClient, books_copy: Fixture) -> None:
    job = _run(
        client,
        books_copy.keys,
        "/api/v1/simulations",
        {"scenario": "son-2025", "paths": 300, "seed": 1},
    )
    report = client.get(
        f"/api/v1/simulations/{job['id']}/report", headers=bearer(books_copy.keys, "ana")
    )
    assert report.status_code == 200
    assert "attachment" in report.headers["Content-Disposition"]
    page = report.text
    assert "Plotly" in page
    assert not re.search(r"<script[^>]+src=", page)  # plotly.js inlined, no CDN
    assert "sovfund simulate son-2025 --paths 300 --seed 1" in page


def test_a_job_not_done_has_no_result_yet(client: TestClient, books_copy: Fixture) -> None:
    app = client.app
    app.state.service.jobs.stop()  # type: ignore[attr-defined]  (nobody takes it)
    ana = bearer(books_copy.keys, "ana")
    job = client.post("/api/v1/simulations", headers=ana, json={"paths": 10}).json()
    assert job["status"] == "queued"
    for tail in ("/result", "/report"):
        answer = client.get(f"/api/v1/simulations/{job['id']}{tail}", headers=ana)
        assert answer.status_code == 409
        assert "queued" in answer.json()["error"]
    listed = client.get("/api/v1/simulations", headers=ana).json()["jobs"]
    assert [j["id"] for j in listed] == [job["id"]]
    assert client.get("/api/v1/simulations", headers=bearer(books_copy.keys, "andy")).json() == {
        "jobs": []
    }
