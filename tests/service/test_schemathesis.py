"""schemathesis over /openapi.json, as every role: no 5xx, and every answer (errors
included) as its schema says, for valid requests and invalid ones.

Each operation gets ``EXAMPLES`` generated requests per generation mode (valid,
invalid) per role; the number of cases run is written to
``out/test-artefacts/schemathesis.json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sovfund.service.auth import ROLES

from .conftest import ARTEFACTS, ROLE_USER, Fixture

EXAMPLES = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
COUNTS: dict[str, int] = {}


@pytest.fixture(scope="module")
def api(
    books_template: Fixture, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[FastAPI, Fixture]]:
    import shutil

    from sovfund.service.app import create_app
    from sovfund.service.settings import Settings

    folder = tmp_path_factory.mktemp("schemathesis")
    shutil.copy(books_template.path, folder / "books.db")
    settings = Settings(
        books=str(folder / "books.db"),
        rate_per_second=1e6,  # the fuzzer is not the client the limit is for
        rate_burst=10**6,
        job_max_paths=32,  # the jobs it submits run beside it: keep them small
        job_max_study_paths=4,
        job_queue=2,
    )
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False):  # the job worker runs
        yield app, books_template
    total = sum(COUNTS.values())
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "schemathesis.json").write_text(
        json.dumps({"cases": total, "by_role": COUNTS, "examples": EXAMPLES}, indent=2) + "\n"
    )


@pytest.mark.parametrize("role", ROLES)
def test_the_api_as_its_schema_says(api: tuple[FastAPI, Fixture], role: str) -> None:
    app, books = api
    headers = {"Authorization": f"Bearer {books.keys[ROLE_USER[role]]}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    count = 0
    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                nonlocal count
                count += 1
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:  # nothing invalid to send (an operation without inputs)
                assert mode is schemathesis.GenerationMode.NEGATIVE
    COUNTS[role] = count
    assert count >= len(operations) * 2
