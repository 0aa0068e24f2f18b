"""The service's settings: one typed, immutable object, built once at start-up.

``sovfund serve`` builds it from its options; tests build it directly. Every limit
the service enforces is here, with its default and the reason for it.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Settings"]

JobBackend = Literal["auto", "serial", "process", "dask"]


class Settings(BaseModel):
    """What ``sovfund serve`` runs with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    books: str
    """The books: a SQLite file or a database URL (as ``sovfund books`` takes)."""

    session_secret: str = Field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    """Signs the pages' session cookies. A new one each start unless given
    (``$SOVFUND_SESSION_SECRET``): a restart then logs everyone out of the pages."""
    session_hours: Annotated[float, Field(gt=0, le=24 * 30, allow_inf_nan=False)] = 8.0
    """How long a page session lasts after logging in."""
    secure_cookies: bool = False
    """Mark cookies ``Secure`` (HTTPS only): set it behind TLS."""

    rate_per_second: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 50.0
    """Requests a key may make per second, sustained (a token bucket refilled at this
    rate)..."""
    rate_burst: Annotated[int, Field(ge=1, le=10**9)] = 200
    """...and in one burst (the bucket's size). Past it: 429 with ``Retry-After``."""

    job_backend: JobBackend = "auto"
    """Where simulation jobs run their batches, as ``sovfund simulate --backend`` says:
    in the service's worker thread (``serial``; the compiled kernels use every core), a
    local process pool, or Dask (``job_scheduler``, else ``$DASK_SCHEDULER_ADDRESS``,
    else a local cluster); ``auto`` chooses per job as the CLI does."""
    job_workers: Annotated[int, Field(ge=1)] | None = None
    """Processes of the pool or local Dask cluster (default: one a core)."""
    job_scheduler: str | None = None
    """The Dask scheduler's address (``tcp://host:port``)."""
    job_queue: Annotated[int, Field(ge=1, le=1000)] = 8
    """Jobs waiting to run at most; past it a submission answers 503."""
    job_max_paths: Annotated[int, Field(ge=1, le=100_000_000)] = 100_000
    """Paths one simulation may ask for (about 4 s of the fast engine on 2 cores);
    studies run their several simulations at ``job_max_study_paths`` each."""
    job_max_study_paths: Annotated[int, Field(ge=1, le=100_000_000)] = 10_000
    job_keep: Annotated[int, Field(ge=1)] = 200
    """Finished jobs kept in memory (results and reports); the oldest go first."""

    register_page_size: Annotated[int, Field(ge=1, le=1000)] = 50
    """Partners a page of the register shows (books may hold 100,000)."""
