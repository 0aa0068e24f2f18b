"""The pages: log in with a key; the LP's account; the GP console; the scenario explorer.

Plain HTML from Jinja2 templates, a stylesheet and one small script (polling a job,
drawing its charts with the plotly.js served from here). Every form carries the
session's CSRF token; every POST checks it. Writes go through the same books verbs as
the API, with the user's name in the audit logs; a booking form carries an
idempotency key made when its preview was shown, so sending it twice books once.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import Markup

from sovfund.books.statements import render_statement_html
from sovfund.errors import InputError
from sovfund.service.auth import User
from sovfund.service.errors import NotFoundError, input_error
from sovfund.service.jobs import Job, JobSpec, Levers
from sovfund.service.routers.common import ServiceDep, visible_job
from sovfund.service.routers.simulations import cli_json, scenario_list
from sovfund.service.rules import (
    PAGE_ACCOUNT,
    PAGE_CONSOLE,
    PAGE_CONSOLE_WRITE,
    PAGE_EXPLORER,
    PAGE_EXPLORER_RUN,
    PAGE_HOME,
    PAGE_JOB,
    PUBLIC,
)
from sovfund.service.state import Service
from sovfund.service.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

HOME = {"lp": "/account", "gp_admin": "/console", "auditor": "/console", "analyst": "/explorer"}
ROLE_NAMES = {
    "lp": "Limited partner",
    "gp_admin": "GP administrator",
    "auditor": "Auditor",
    "analyst": "Analyst",
}
PREVIEW_ROWS = 100
"""Partners a call preview lists one by one (in order of admission); the rest are
summed per currency."""
TIER_COLUMNS = 8
"""Parties a distribution preview shows as columns (the largest receivers)."""
CENTS = Decimal("0.00")

JobId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
FormText = Annotated[str, Form(max_length=200)]
OptionalText = Annotated[str, Form(max_length=200)]


def _page(
    request: Request,
    service: Service,
    user: User | None,
    template: str,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    page = render(
        template,
        user=user,
        role_name=ROLE_NAMES.get(user.role, "") if user else "",
        csrf=service.sessions.csrf(request),
        fund=service.reader.context().terms.fund.name,
        path=request.url.path,
        **context,
    )
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _csrf(request: Request, service: Service, token: str) -> None:
    service.sessions.check_csrf(request, token)


def _optional(text: str) -> str | None:
    text = text.strip()
    return text or None


def _problems(error: InputError) -> dict[str, Any]:
    return input_error(error)[1]


# ---- logging in and out --------------------------------------------------------------------


def _safe_next(target: str | None) -> str | None:
    """Only a path of this site (no scheme, no host, not protocol-relative)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@router.get("/", dependencies=[Depends(PUBLIC)])
def home(request: Request, service: ServiceDep) -> RedirectResponse:
    user = service.sessions.user(request)
    return _see(HOME[user.role] if user else "/login")


def _login_page(
    request: Request, service: Service, next_page: str | None, *, failed: bool = False
) -> HTMLResponse:
    token = service.sessions.login_token(request)
    page = _page(
        request,
        service,
        None,
        "login.html.j2",
        status=401 if failed else 200,
        login_csrf=token,
        next=_safe_next(next_page),
        failed=failed,
    )
    service.sessions.set_login_token(page, token)
    return page


@router.get("/login", dependencies=[Depends(PUBLIC)])
def login_form(
    request: Request,
    service: ServiceDep,
    next: Annotated[str | None, Query(max_length=500)] = None,
) -> HTMLResponse:
    return _login_page(request, service, next)


@router.post("/login", dependencies=[Depends(PUBLIC)])
def login(
    request: Request,
    service: ServiceDep,
    key: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Log in with an API key: a session cookie, then the role's home page."""
    service.sessions.check_login_token(request, csrf)
    user = service.users.by_key(key.strip()) if key.strip() else None
    if user is None:
        return _login_page(request, service, next, failed=True)
    request.state.user = user
    response = _see(_safe_next(next) or HOME[user.role])
    service.sessions.log_in(response, user)
    return response


@router.post("/logout")
def logout(
    request: Request,
    service: ServiceDep,
    _: Annotated[User, Depends(PAGE_HOME)],
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> RedirectResponse:
    _csrf(request, service, csrf)
    response = _see("/login")
    service.sessions.log_out(response)
    return response


# ---- the LP's account ------------------------------------------------------------------------


@router.get("/account")
def account(
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(PAGE_ACCOUNT)],
    as_of: Annotated[dt.date | None, Query()] = None,
) -> HTMLResponse:
    """The LP's capital account, its statements and its notices."""
    partner = user.partner or ""
    statement = service.reader.statement(partner, as_of)
    if statement is None:
        raise NotFoundError()
    return _page(
        request,
        service,
        user,
        "account.html.j2",
        statement=statement,
        dates=service.reader.statement_dates(partner),
        notices=service.reader.notices(partner),
    )


@router.get("/account/statement/document")
def account_statement(
    service: ServiceDep,
    user: Annotated[User, Depends(PAGE_ACCOUNT)],
    as_of: Annotated[dt.date | None, Query()] = None,
) -> HTMLResponse:
    partner = user.partner or ""
    data = service.reader.statement(partner, as_of)
    if data is None:
        raise NotFoundError()
    page = render_statement_html(data, service.reader.context().terms.fund.name)
    name = f"statement-{partner}-{data['as_of']}.html"
    return HTMLResponse(page, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/account/notices/{entry}/document")
def account_notice(
    entry: Annotated[int, Path(ge=1, le=2**62)],
    service: ServiceDep,
    user: Annotated[User, Depends(PAGE_ACCOUNT)],
) -> HTMLResponse:
    partner = user.partner or ""
    found = service.reader.notices(partner, entry)
    if not found:
        raise NotFoundError()
    fund = service.reader.context().terms.fund.name
    page = render("notice.html.j2", notice=found[0], fund=fund)
    name = f"notice-{entry}-{partner}.html"
    return HTMLResponse(page, headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ---- the GP console --------------------------------------------------------------------------


def _console(
    request: Request, service: Service, user: User, page: int, *, status: int = 200, **extra: Any
) -> HTMLResponse:
    size = service.settings.register_page_size
    total = len(service.reader.context().partners.ids)
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    register = service.reader.register(offset=(page - 1) * size, limit=size)
    forms = {
        "call": {"amount": "", "date": "", "due": "", "purpose": "", "usd_jpy": ""},
        "distribution": {"amount": "", "date": "", "usd_jpy": ""},
    }
    forms.update(extra.pop("forms", {}))
    extra = {"message": None, "call_error": None, "distribution_error": None, **extra}
    return _page(
        request,
        service,
        user,
        "console.html.j2",
        status=status,
        figures=service.reader.fund(),
        register=register,
        page=page,
        pages=pages,
        can_write=user.role == "gp_admin",
        forms=forms,
        **extra,
    )


@router.get("/console")
def console(
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(PAGE_CONSOLE)],
    page: Annotated[int, Query(ge=1, le=10**7)] = 1,
    booked: Annotated[str | None, Query(max_length=20)] = None,
    entry: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> HTMLResponse:
    """Fund figures, the register a page at a time, and (GP admins) the call and
    distribution forms."""
    message = f"Booked the {booked} as entry {entry}." if booked and entry else None
    return _console(request, service, user, page, message=message)


def _call_form(amount: str, date: str, due: str, purpose: str, usd_jpy: str) -> dict[str, str]:
    return {"amount": amount, "date": date, "due": due, "purpose": purpose, "usd_jpy": usd_jpy}


def _call_args(form: dict[str, str]) -> dict[str, Any]:
    return {
        "amount": form["amount"].strip(),
        "date": form["date"].strip(),
        "due": _optional(form["due"]),
        "purpose": _optional(form["purpose"]),
        "usd_jpy": _optional(form["usd_jpy"]),
    }


@router.post("/console/calls/preview")
def call_preview(
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(PAGE_CONSOLE_WRITE)],
    csrf: FormText = "",
    amount: FormText = "",
    date: FormText = "",
    due: OptionalText = "",
    purpose: OptionalText = "",
    usd_jpy: OptionalText = "",
) -> HTMLResponse:
    """Each partner's share of a call, before it is booked."""
    _csrf(request, service, csrf)
    form = _call_form(amount, date, due, purpose, usd_jpy)
    try:
        preview = service.reader.books(user.name).call(preview=True, **_call_args(form)).to_dict()
    except InputError as error:
        return _console(
            request,
            service,
            user,
            1,
            status=422,
            forms={"call": form},
            call_error=_problems(error),
        )
    rows, rest = _shares(service, preview["allocations"], PREVIEW_ROWS)
    return _page(
        request,
        service,
        user,
        "call_preview.html.j2",
        form=form,
        preview=preview,
        rows=rows,
        rest=rest,
        count=len(preview["allocations"]),
        key=f"page-call-{secrets.token_urlsafe(12)}",
    )


@router.post("/console/calls")
def book_call(
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(PAGE_CONSOLE_WRITE)],
    csrf: FormText = "",
    key: FormText = "",
    amount: FormText = "",
    date: FormText = "",
    due: OptionalText = "",
    purpose: OptionalText = "",
    usd_jpy: OptionalText = "",
) -> Response:
    _csrf(request, service, csrf)
    form = _call_form(amount, date, due, purpose, usd_jpy)
    request.state.key = _optional(key)
    try:
        result = service.reader.books(user.name).call(key=_optional(key), **_call_args(form))
    except InputError as error:
        return _console(
            request,
            service,
            user,
            1,
            status=422,
            forms={"call": form},
            call_error=_problems(error),
        )
    return _see(f"/console?booked=call&entry={result.entry}")


def _distribution_form(amount: str, date: str, usd_jpy: str) -> dict[str, str]:
    return {"amount": amount, "date": date, "usd_jpy": usd_jpy}


@router.post("/console/distributions/preview")
def distribution_preview(
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(PAGE_CONSOLE_WRITE)],
    csrf: FormText = "",
    amount: FormText = "",
    date: FormText = "",
    usd_jpy: OptionalText = "",
) -> HTMLResponse:
    """A distribution through the waterfall, tier by tier, before it is booked."""
    _csrf(request, service, csrf)
    form = _distribution_form(amount, date, usd_jpy)
    try:
        preview = (
            service.reader.books(user.name)
            .distribute(amount.strip(), date=date.strip(), usd_jpy=_optional(usd_jpy), preview=True)
            .to_dict()
        )
    except InputError as error:
        return _console(
            request,
            service,
            user,
            1,
            status=422,
            forms={"distribution": form},
            distribution_error=_problems(error),
        )
    return _page(
        request,
        service,
        user,
        "distribution_preview.html.j2",
        form=form,
        preview=preview,
        table=_tier_table(preview),
        key=f"page-distribution-{secrets.token_urlsafe(12)}",
    )


@router.post("/console/distributions")
def book_distribution(
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(PAGE_CONSOLE_WRITE)],
    csrf: FormText = "",
    key: FormText = "",
    amount: FormText = "",
    date: FormText = "",
    usd_jpy: OptionalText = "",
) -> Response:
    _csrf(request, service, csrf)
    form = _distribution_form(amount, date, usd_jpy)
    request.state.key = _optional(key)
    try:
        result = service.reader.books(user.name).distribute(
            amount.strip(), date=date.strip(), usd_jpy=_optional(usd_jpy), key=_optional(key)
        )
    except InputError as error:
        return _console(
            request,
            service,
            user,
            1,
            status=422,
            forms={"distribution": form},
            distribution_error=_problems(error),
        )
    return _see(f"/console?booked=distribution&entry={result.entry}")


def _shares(
    service: Service, allocations: dict[str, str], count: int
) -> tuple[list[tuple[str, str, str]], list[dict[str, Any]]]:
    """The first ``count`` shares in order of admission (partner, currency, amount),
    and the others summed per currency."""
    partners = service.reader.context().partners
    rows = [
        (partner, str(currency), allocations[partner])
        for partner, currency in zip(partners.ids, partners.currency, strict=True)
        if partner in allocations
    ]
    rest: dict[str, list[Decimal | int]] = {}
    for _, currency, amount in rows[count:]:
        total = rest.setdefault(currency, [Decimal(0), 0])
        total[0] += Decimal(amount)
        total[1] += 1
    summed = [{"currency": c, "amount": str(t[0]), "count": t[1]} for c, t in sorted(rest.items())]
    return rows[:count], summed


def _tier_table(preview: dict[str, Any]) -> dict[str, Any]:
    """Tiers by parties (the largest receivers as columns, the rest as one)."""
    received = {p: Decimal(v["distributed"]) for p, v in preview["parties"].items()}
    ordered = sorted(received, key=lambda p: -received[p])
    columns, others = ordered[:TIER_COLUMNS], set(ordered[TIER_COLUMNS:])
    rows = []
    for tier in preview["tiers"]:
        paid = {p: Decimal(v) for p, v in tier["paid"].items()}
        cells = [str(paid.get(p, CENTS)) for p in columns]
        if others:
            cells.append(str(sum((v for p, v in paid.items() if p in others), CENTS)))
        rows.append({"name": tier["name"], "cells": cells, "total": str(sum(paid.values(), CENTS))})
    headers = list(columns) + ([f"{len(others):,} others"] if others else [])
    totals = [str(received[p]) for p in columns]
    if others:
        totals.append(str(sum((received[p] for p in others), CENTS)))
    return {"headers": headers, "rows": rows, "totals": totals}


# ---- the scenario explorer -------------------------------------------------------------------


@router.get("/explorer")
def explorer(
    request: Request, service: ServiceDep, user: Annotated[User, Depends(PAGE_EXPLORER)]
) -> HTMLResponse:
    """The levers, and the jobs run so far."""
    owner = user.name if user.role == "analyst" else None
    jobs = [j for j in service.jobs.list(owner) if j.spec.kind == "simulation"][:20]
    return _page(
        request,
        service,
        user,
        "explorer.html.j2",
        scenarios=scenario_list(),
        jobs=jobs,
        can_run=user.role in PAGE_EXPLORER_RUN.roles,
        max_paths=service.settings.job_max_paths,
        error=None,
    )


@router.post("/explorer/jobs")
def explorer_run(
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(PAGE_EXPLORER_RUN)],
    csrf: FormText = "",
    scenario: FormText = "son-2025",
    paths: FormText = "2000",
    seed: FormText = "0",
    leverage: OptionalText = "",
    overruns: FormText = "1",
    rate_shift_bp: FormText = "0",
    tariff_snapback: OptionalText = "",
) -> Response:
    _csrf(request, service, csrf)
    try:
        spec = JobSpec(
            "simulation",
            scenario.strip(),
            _number(paths, "paths", int),
            _number(seed, "seed", int),
            levers=Levers(
                leverage=_number(leverage, "leverage", float) if leverage.strip() else None,
                overrun_scale=_number(overruns, "overruns", float, low=0, high=5),
                rate_shift=_number(rate_shift_bp, "rates", float, low=-500, high=1000) / 1e4,
                tariff_snapback=bool(tariff_snapback),
            ),
        )
        if spec.levers and spec.levers.leverage is not None and not 0 <= spec.levers.leverage <= 20:
            raise InputError(f"leverage: found {spec.levers.leverage:g}; expected 0 to 20")
        if spec.seed < 0:
            raise InputError(f"seed: found {spec.seed}; expected 0 or more")
        job = service.jobs.submit(user.name, spec)
    except InputError as error:
        owner = user.name if user.role == "analyst" else None
        return _page(
            request,
            service,
            user,
            "explorer.html.j2",
            status=422,
            scenarios=scenario_list(),
            can_run=True,
            max_paths=service.settings.job_max_paths,
            jobs=[j for j in service.jobs.list(owner) if j.spec.kind == "simulation"][:20],
            error=_problems(error),
        )
    return _see(f"/explorer/jobs/{quote(job.id)}")


def _number(
    text: str, what: str, kind: type, *, low: float | None = None, high: float | None = None
) -> Any:
    try:
        value = kind(text.strip())
    except ValueError:
        raise InputError(f"{what}: found {text!r}; expected a number") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise InputError(f"{what}: found {text!r}; expected {low:g} to {high:g}")
    return value


@router.get("/explorer/jobs/{job}")
def explorer_job(
    job: JobId,
    request: Request,
    service: ServiceDep,
    user: Annotated[User, Depends(PAGE_JOB)],
) -> HTMLResponse:
    """A job: its progress while it runs; then the verdict, the key figures and the
    outcome charts."""
    found = visible_job(service, user, job, "simulation")
    return _page(
        request,
        service,
        user,
        "job.html.j2",
        job=found,
        figures=_key_figures(found),
        charts=_charts(found),
    )


@router.get("/explorer/jobs/{job}/status")
def explorer_status(
    job: JobId, service: ServiceDep, user: Annotated[User, Depends(PAGE_JOB)]
) -> JSONResponse:
    found = visible_job(service, user, job, "simulation")
    return JSONResponse(
        {"status": found.status, "done": found.done, "total": found.total},
        headers={"Cache-Control": "no-store"},
    )


@router.get("/explorer/jobs/{job}/report")
def explorer_report(
    job: JobId, service: ServiceDep, user: Annotated[User, Depends(PAGE_JOB)]
) -> HTMLResponse:
    from sovfund.reports.html import render_report

    found = visible_job(service, user, job, "simulation")
    if found.status != "done" or found.outputs is None:
        raise NotFoundError()
    page = render_report(found.summary(), *found.outputs)
    name = f"report-{found.id}.html"
    return HTMLResponse(page, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/explorer/jobs/{job}/result")
def explorer_result(
    job: JobId, service: ServiceDep, user: Annotated[User, Depends(PAGE_JOB)]
) -> Response:
    found = visible_job(service, user, job, "simulation")
    if found.status != "done" or found.result is None:
        raise NotFoundError()
    name = f"simulation-{found.id}.json"
    return Response(
        cli_json(found.result),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _key_figures(job: Job) -> list[dict[str, Any]]:
    """Each party's median and 5th-percentile IRR, mean TVPI and chance of a loss."""
    if job.result is None:
        return []
    rows = []
    for party, figures in job.result["parties"].items():
        irr, tvpi = figures.get("irr") or {}, figures.get("tvpi") or {}
        rows.append(
            {
                "party": party,
                "irr_p50": irr.get("p50"),
                "irr_p05": irr.get("p05"),
                "tvpi_mean": tvpi.get("mean"),
                "p_loss": figures.get("p_loss"),
            }
        )
    return rows


def _charts(job: Job) -> Markup | None:
    """The outcome charts as JSON for the page's script (no inline code: the pages'
    Content-Security-Policy allows scripts from this site only)."""
    if job.status != "done" or job.outputs is None:
        return None
    from sovfund.reports import charts

    base, sim = job.outputs
    style = charts.PartyStyle.of(base.terms)
    figures = [
        ("lp-outcomes", charts.lp_outcomes(sim, base, style)),
        ("fan", charts.fan_charts(sim, base)),
        ("gp-receipts", charts.gp_receipts(sim, base, style)),
    ]
    data = [{"id": name, "figure": json.loads(f.to_json())} for name, f in figures if f is not None]
    text = json.dumps(data).replace("</", "<\\/")
    return Markup(text)
