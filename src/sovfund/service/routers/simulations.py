"""Simulations and studies as jobs: submit (202), poll with progress, fetch the result
(the CLI's JSON, byte for byte) and the HTML report; the scenarios to run."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from fastapi.responses import HTMLResponse

from sovfund.service.auth import User
from sovfund.service.errors import ERROR_RESPONSES, ConflictError, GoneError, responses
from sovfund.service.jobs import Job, JobSpec, Levers
from sovfund.service.models import (
    JobBody,
    JobList,
    ScenarioList,
    SimulationRequest,
    StudyRequest,
)
from sovfund.service.routers.common import ServiceDep, visible_job
from sovfund.service.rules import JOB_OWN, JOBS_READ, JOBS_RUN, SCENARIOS_READ

__all__ = ["cli_json", "router"]

router = APIRouter(prefix="/api/v1", tags=["simulations"], responses=ERROR_RESPONSES)

JobId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
SUBMITTED = {**responses(503), 202: {"description": "Queued: poll the job's URL"}}
NOT_DONE = responses(409, 410)
REPORT: dict[int | str, dict[str, Any]] = {
    **responses(401, 403, 404, 409, 410, 422, 429, 500, beside_html=True),
    200: {"content": {"text/html": {}}, "description": "The report"},
}
JSON_DOCUMENT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}}, "description": "The CLI's JSON"}
}


def cli_json(data: Any) -> bytes:
    """JSON exactly as ``sovfund ... --json`` prints it."""
    from sovfund.reports.files import json_text

    return json_text(data).encode("utf-8")


def _submitted(service: Any, user: User, spec: JobSpec, response: Response, path: str) -> Job:
    job: Job = service.jobs.submit(user.name, spec)
    response.headers["Location"] = f"/api/v1/{path}/{job.id}"
    return job


def _done(job: Job) -> Job:
    if job.status == "failed":
        raise ConflictError("the job failed; its error is in the job's `error`")
    if job.status != "done" or job.result is None:
        raise ConflictError(f"the job is {job.status}; poll it until it is done")
    return job


def _jobs(service: Any, user: User, kind: str) -> dict[str, Any]:
    owner = user.name if user.role == "analyst" else None
    jobs = [j for j in service.jobs.list(owner) if j.spec.kind == kind]
    return {"jobs": [j.to_dict(with_result=False) for j in jobs]}


@router.post(
    "/simulations",
    status_code=202,
    response_model=JobBody,
    responses=SUBMITTED,
    summary="Run a simulation",
)
def submit_simulation(
    body: SimulationRequest,
    response: Response,
    service: ServiceDep,
    user: Annotated[User, Depends(JOBS_RUN)],
) -> dict[str, Any]:
    """Queue ``sovfund simulate SCENARIO --paths N --seed S [--stress NAME]``; ``levers``
    (the explorer's) make one ad hoc stress instead of a named one."""
    levers = None if body.levers is None else Levers(**body.levers.model_dump())
    if levers is not None and body.stress is not None:
        from sovfund.errors import InputError

        raise InputError("levers: found levers and a stress; expected one or the other")
    spec = JobSpec("simulation", body.scenario, body.paths, body.seed, body.stress, levers)
    return _submitted(service, user, spec, response, "simulations").to_dict()


@router.get("/simulations", response_model=JobList, summary="Simulation jobs")
def simulations(service: ServiceDep, user: Annotated[User, Depends(JOBS_READ)]) -> dict[str, Any]:
    """Newest first, without their results (an analyst sees its own)."""
    return _jobs(service, user, "simulation")


@router.get("/simulations/{job}", response_model=JobBody, summary="A simulation job")
def simulation(
    job: JobId, service: ServiceDep, user: Annotated[User, Depends(JOB_OWN)]
) -> dict[str, Any]:
    """Its progress (paths done of the total), then its result: the JSON of
    ``sovfund simulate --json`` for the same inputs."""
    return visible_job(service, user, job, "simulation").to_dict()


@router.get(
    "/simulations/{job}/result",
    response_class=Response,
    responses={**NOT_DONE, **JSON_DOCUMENT},
    summary="The result, as `sovfund simulate --json` prints it",
)
def simulation_result(
    job: JobId, service: ServiceDep, user: Annotated[User, Depends(JOB_OWN)]
) -> Response:
    found = _done(visible_job(service, user, job, "simulation"))
    return Response(cli_json(found.result), media_type="application/json")


@router.get(
    "/simulations/{job}/report",
    response_class=HTMLResponse,
    responses=REPORT,
    summary="The HTML report",
)
def simulation_report(
    job: JobId, service: ServiceDep, user: Annotated[User, Depends(JOB_OWN)]
) -> HTMLResponse:
    """The self-contained report of ``sovfund run`` for this simulation (no studies)."""
    from sovfund.reports.html import render_report

    found = _done(visible_job(service, user, job, "simulation"))
    outputs = found.outputs
    if outputs is None:
        raise GoneError("the report of this job is no longer kept; run the simulation again")
    page = render_report(found.summary(), *outputs)
    return HTMLResponse(
        page, headers={"Content-Disposition": f'attachment; filename="report-{found.id}.html"'}
    )


@router.post(
    "/studies", status_code=202, response_model=JobBody, responses=SUBMITTED, summary="Run a study"
)
def submit_study(
    body: StudyRequest,
    response: Response,
    service: ServiceDep,
    user: Annotated[User, Depends(JOBS_RUN)],
) -> dict[str, Any]:
    """Queue ``sovfund stress|frontier|sensitivity SCENARIO --paths N --seed S``."""
    spec = JobSpec("study", body.scenario, body.paths, body.seed, study=body.study)
    return _submitted(service, user, spec, response, "studies").to_dict()


@router.get("/studies", response_model=JobList, summary="Study jobs")
def studies(service: ServiceDep, user: Annotated[User, Depends(JOBS_READ)]) -> dict[str, Any]:
    return _jobs(service, user, "study")


@router.get("/studies/{job}", response_model=JobBody, summary="A study job")
def study(
    job: JobId, service: ServiceDep, user: Annotated[User, Depends(JOB_OWN)]
) -> dict[str, Any]:
    return visible_job(service, user, job, "study").to_dict()


@router.get(
    "/studies/{job}/result",
    response_class=Response,
    responses={**NOT_DONE, **JSON_DOCUMENT},
    summary="The result, as the study's command prints it with --json",
)
def study_result(
    job: JobId, service: ServiceDep, user: Annotated[User, Depends(JOB_OWN)]
) -> Response:
    found = _done(visible_job(service, user, job, "study"))
    return Response(cli_json(found.result), media_type="application/json")


@router.get("/scenarios", response_model=ScenarioList, summary="The scenarios to simulate")
def scenarios(service: ServiceDep, _: Annotated[User, Depends(SCENARIOS_READ)]) -> dict[str, Any]:
    return {"scenarios": scenario_list()}


def scenario_list() -> list[dict[str, Any]]:
    from sovfund.presets import preset_ids
    from sovfund.terms.load import load_terms

    out = []
    for preset in preset_ids():
        terms = load_terms(preset)
        out.append(
            {
                "id": preset,
                "name": terms.fund.name,
                "stresses": list(terms.stress),
                "leverage": terms.leverage.debt_to_equity,
            }
        )
    return out
