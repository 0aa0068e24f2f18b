"""``sovfund serve`` and ``sovfund users``: the service over HTTP, and who may use it.

FastAPI and uvicorn are imported when ``serve`` runs, so ``sovfund --help`` and the
other commands never load them (``users`` needs only the books).
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.markup import escape

from sovfund.cli.books import BooksArg, database_errors
from sovfund.cli.common import (
    BackendOpt,
    JsonOpt,
    SchedulerOpt,
    WorkersOpt,
    app,
    err,
    out,
    print_json,
    user_errors,
)

__all__ = ["users_app"]

users_app = typer.Typer(
    help="Who may use `sovfund serve`: users, roles, API keys.", no_args_is_help=True
)
app.add_typer(users_app, name="users")

SECRET_VARIABLE = "SOVFUND_SESSION_SECRET"
SETTING_FLAGS = {
    "job_backend": "--backend",
    "job_workers": "--workers",
    "job_scheduler": "--scheduler",
    "job_max_paths": "--max-paths",
    "job_queue": "--queue",
    "rate_per_second": "--rate",
    "rate_burst": "--burst",
    "session_secret": f"${SECRET_VARIABLE}",
}
"""The option (or variable) behind each setting, for messages."""


def _check_host(host: str, port: int) -> None:
    """An address this machine can listen on, or an input error naming --host."""
    import socket

    from sovfund.errors import InputError

    if not host.strip():
        raise InputError("--host: found ''; expected an address to listen on, such as 127.0.0.1")
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as error:
        raise InputError(
            f"--host: found {host!r} ({error}); expected an address to listen on, such as"
            " 127.0.0.1 or 0.0.0.0"
        ) from None


@app.command("serve")
@user_errors
@database_errors
def serve(
    books: BooksArg,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port.")] = 8000,
    backend: BackendOpt = "auto",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    max_paths: Annotated[
        int, typer.Option("--max-paths", min=1, help="Most paths one simulation may ask.")
    ] = 100_000,
    queue: Annotated[int, typer.Option("--queue", min=1, help="Jobs waiting at most.")] = 8,
    rate: Annotated[
        float, typer.Option("--rate", min=0.001, help="Requests a second per key, sustained.")
    ] = 50.0,
    burst: Annotated[int, typer.Option("--burst", min=1, help="Requests per key at once.")] = 200,
    secure_cookies: Annotated[
        bool, typer.Option("--secure-cookies", help="HTTPS only cookies (behind TLS).")
    ] = False,
    warm_up: Annotated[
        bool, typer.Option("--warm-up/--no-warm-up", help="Load the simulation kernels at start.")
    ] = True,
) -> None:
    """Serve the books and the simulations: the API under /api/v1 (OpenAPI at
    /openapi.json) and the pages (log in at /login with a key from `sovfund users add`).
    Sessions are signed with $SOVFUND_SESSION_SECRET (a new secret each start if unset)."""
    import uvicorn
    from pydantic import ValidationError

    from sovfund.errors import InputError
    from sovfund.run.backends import choose, start
    from sovfund.service.app import create_app
    from sovfund.service.settings import Settings

    options: dict[str, object] = {
        "books": books,
        "job_backend": backend,
        "job_workers": workers,
        "job_scheduler": scheduler,
        "job_max_paths": max_paths,
        "job_queue": queue,
        "rate_per_second": rate,
        "rate_burst": burst,
        "secure_cookies": secure_cookies,
    }
    if os.environ.get(SECRET_VARIABLE):
        options["session_secret"] = os.environ[SECRET_VARIABLE]
    # every option is checked before the books are opened or anything is started
    plan = choose(backend, paths=1, workers=workers, scheduler=scheduler)
    try:
        settings = Settings.model_validate(options)
    except ValidationError as error:
        problem = error.errors()[0]
        field = str(problem["loc"][0]) if problem["loc"] else ""
        raise InputError(f"{SETTING_FLAGS.get(field, field)}: {problem['msg']}") from None
    _check_host(host, port)
    if plan.scheduler is not None:
        with start(plan):  # the cluster answers, or its address is named now
            pass
    application = create_app(settings, warm_up=warm_up)
    err.print(f"sovfund: serving {escape(books)} at http://{host}:{port}/ (log in at /login)")
    uvicorn.run(application, host=host, port=port, log_level="info", access_log=False)


@users_app.command("add")
@user_errors
@database_errors
def users_add(
    books: BooksArg,
    name: Annotated[str, typer.Argument(help="The user's name (lowercase).")],
    role: Annotated[
        str,
        typer.Option("--role", metavar="[gp_admin|lp|auditor|analyst]", help="What it may do."),
    ],
    partner: Annotated[
        str | None, typer.Option("--partner", metavar="ID", help="The partner an lp user reads.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a user and print its new API key, once (only a hash of it is kept)."""
    from sovfund.books.store import connect
    from sovfund.service.reader import prepare_books
    from sovfund.service.users import Users

    prepare_books(books)
    engine = connect(books)
    try:
        user, key = Users(engine).add(name, role, partner)
    finally:
        engine.dispose()
    if as_json:
        print_json({"name": user.name, "role": user.role, "key": key})
        return
    who = f"{user.name} ({user.role}{', partner ' + user.partner if user.partner else ''})"
    out.print(f"added {escape(who)}; its API key, shown only this once:", highlight=False)
    out.print(key, markup=False, highlight=False)


@users_app.command("list")
@user_errors
@database_errors
def users_list(books: BooksArg, as_json: JsonOpt = False) -> None:
    """The users and their roles (never their keys)."""
    from sovfund.books.store import connect
    from sovfund.service.reader import prepare_books
    from sovfund.service.users import Users

    prepare_books(books)
    engine = connect(books)
    try:
        rows = Users(engine).all()
    finally:
        engine.dispose()
    if as_json:
        print_json(rows)
        return
    for row in rows:
        partner = f"  partner {row['partner']}" if row["partner"] else ""
        out.print(f"{row['name']:<24} {row['role']:<9}{partner}", markup=False, highlight=False)
