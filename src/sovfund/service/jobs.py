"""Simulations and studies as jobs: off the request path, on the CLI's backends.

A submission is checked (the scenario a preset, the paths within the cap), queued in
a bounded queue (full: 503) and answered at once with the job's id. One worker thread
takes jobs in order and runs them with :func:`~sovfund.run.simulate.simulate` on the
configured backend (serial in that thread, a process pool, or Dask), reporting
progress (paths done) as batches come back. One thread, because the serial backend's
compiled kernels already use every core, and Numba's default threading layer must not
be entered by two threads at once; the pool and Dask backends spread a job's batches.

A simulation job's ``result`` is the ``sovfund simulate --json`` document for the same
scenario, paths, seed and stress (:func:`~sovfund.run.studies.simulation_json`); a
study's is ``sovfund stress|frontier|sensitivity --json``'s. The explorer's levers
(leverage, cost overruns, rates, tariff snap-back) make one ad hoc stress, at the
leverage the way the frontier runs it (:func:`~sovfund.run.studies.at_leverage`).

Jobs live in memory: the last ``job_keep`` finished jobs keep their result; the last
``REPORTS`` simulation jobs also keep what their HTML report is drawn from (the
per-path summaries: tens of MB for 100,000 paths).
"""

from __future__ import annotations

import datetime as dt
import queue
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Literal

from sovfund.errors import InputError
from sovfund.service.errors import QueueFullError, error_body, input_error, unexpected
from sovfund.service.settings import Settings

if TYPE_CHECKING:
    from sovfund.analytics.base_case import BaseCase
    from sovfund.run.simulate import Simulation

__all__ = ["REPORTS", "Job", "JobSpec", "Jobs", "Levers"]

REPORTS = 16
"""Simulation jobs whose report can still be drawn (the most recent)."""

Status = Literal["queued", "running", "done", "failed"]
Backend = Literal["auto", "serial", "process", "dask"]
Study = Literal["stress", "frontier", "sensitivity"]


@dataclass(frozen=True)
class Levers:
    """The scenario explorer's levers: one ad hoc stress on a preset."""

    leverage: float | None = None
    """Debt to equity (None: the term sheet's)."""
    overrun_scale: float = 1.0
    """Cost overruns times this."""
    rate_shift: float = 0.0
    """Added to the short rate and the 10-year yield."""
    tariff_snapback: bool = False
    """Tariffs snap back."""

    def describe(self) -> str:
        parts = [
            f"leverage {self.leverage:g}x" if self.leverage is not None else None,
            f"overruns x{self.overrun_scale:g}" if self.overrun_scale != 1.0 else None,
            f"rates {self.rate_shift * 1e4:+.0f}bp" if self.rate_shift else None,
            "tariff snap-back" if self.tariff_snapback else None,
        ]
        return ", ".join(p for p in parts if p) or "the term sheet as it stands"


@dataclass(frozen=True)
class JobSpec:
    """What a job runs."""

    kind: Literal["simulation", "study"]
    scenario: str
    paths: int
    seed: int
    stress: str | None = None
    levers: Levers | None = None
    study: Study | None = None

    def request(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scenario": self.scenario, "paths": self.paths, "seed": self.seed}
        if self.kind == "study":
            out["study"] = self.study
        if self.stress is not None:
            out["stress"] = self.stress
        if self.levers is not None:
            out["levers"] = {
                "leverage": self.levers.leverage,
                "overrun_scale": self.levers.overrun_scale,
                "rate_shift": self.levers.rate_shift,
                "tariff_snapback": self.levers.tariff_snapback,
            }
        return out


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class Job:
    id: str
    owner: str
    spec: JobSpec
    total: int
    status: Status = "queued"
    done: int = 0
    submitted_at: str = field(default_factory=_now)
    started_at: str | None = None
    finished_at: str | None = None
    seconds: float | None = None
    result: dict[str, Any] | None = None
    verdict: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    outputs: tuple[BaseCase, Simulation] | None = field(default=None, repr=False)

    def to_dict(self, *, with_result: bool = True) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.spec.kind,
            "owner": self.owner,
            "status": self.status,
            "request": self.spec.request(),
            "progress": {"done": self.done, "total": self.total},
            "submitted_at": self.submitted_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "seconds": self.seconds,
            "verdict": self.verdict,
            "result": self.result if with_result else None,
            "error": self.error,
        }

    def summary(self) -> dict[str, Any]:
        """``summary.json`` of this job as ``sovfund run`` writes it (without studies)."""
        assert self.outputs is not None
        assert self.result is not None
        base, sim = self.outputs
        spec = self.spec
        return {
            "scenario": spec.scenario,
            "run": {
                "version": _version(),
                "seed": spec.seed,
                "paths": spec.paths,
                "study_paths": 0,
                "engine": sim.engine,
                "backend": "service",
                "seconds": self.seconds,
                "command": f"sovfund simulate {spec.scenario} --paths {spec.paths}"
                f" --seed {spec.seed}"
                + (f" --stress {spec.stress}" if spec.stress else "")
                + (f" (explorer: {spec.levers.describe()})" if spec.levers else ""),
            },
            "verdict": self.verdict,
            "base_case": base.to_dict(),
            "simulation": self.result,
        }


class Jobs:
    """The queue, the worker thread and the jobs it has run."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=settings.job_queue)
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._starts = 0

    # ---- life -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker (once, however many times the app is started: a test
        client and a fuzzer may each run its lifespan)."""
        with self._lock:
            self._starts += 1
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping.clear()
            self._thread = threading.Thread(target=self._work, name="sovfund-jobs", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking jobs (at the last of the starts); the one running stops at its
        next batch (it fails, saying so); waits ``timeout`` seconds at most for it."""
        with self._lock:
            self._starts = max(0, self._starts - 1)
            if self._starts:
                return
        self._stopping.set()
        while True:  # drop what waits, so the sentinel fits
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def warm_up(self) -> None:
        """Load the compiled kernels now (from Numba's cache, or compiling them), so
        the first job does not wait for them."""
        paths = min(256, self.settings.job_max_paths)
        self.submit("service", JobSpec("simulation", "son-2025", paths, 0), internal=True)

    # ---- jobs -----------------------------------------------------------------------------

    def submit(self, owner: str, spec: JobSpec, *, internal: bool = False) -> Job:
        """Queue a job; :class:`QueueFullError` if the queue is."""
        total = self._check(spec)
        job = Job(secrets.token_urlsafe(12), owner, spec, total)
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            raise QueueFullError(self.settings.job_queue) from None
        if not internal:
            with self._lock:
                self._jobs[job.id] = job
                self._evict()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def list(self, owner: str | None = None) -> list[Job]:
        """The jobs (of ``owner``, if given), newest first."""
        with self._lock:
            jobs = list(self._jobs.values())
        return [j for j in reversed(jobs) if owner is None or j.owner == owner]

    def waiting(self) -> int:
        return self._queue.qsize()

    def _check(self, spec: JobSpec) -> int:
        from sovfund.presets import preset_ids

        if spec.scenario not in preset_ids():
            raise InputError(
                f"scenario: found {spec.scenario!r}; expected a preset: {', '.join(preset_ids())}"
            )
        cap = (
            self.settings.job_max_paths
            if spec.kind == "simulation"
            else self.settings.job_max_study_paths
        )
        if not 1 <= spec.paths <= cap:
            raise InputError(f"paths: found {spec.paths}; expected 1 to {cap:,} for a {spec.kind}")
        if spec.stress is not None and spec.stress != "base":
            from sovfund.terms.load import load_terms

            named = load_terms(spec.scenario).stress
            if spec.stress not in named:
                raise InputError(
                    f"stress: found {spec.stress!r}; expected one of {spec.scenario}'s"
                    f" stresses: {', '.join(named)}"
                )
        if spec.kind == "simulation":
            return spec.paths
        return _study_runs(spec) * spec.paths

    def _evict(self) -> None:
        finished = [j for j in self._jobs.values() if j.status in ("done", "failed")]
        for job in finished[: max(0, len(finished) - self.settings.job_keep)]:
            del self._jobs[job.id]
        with_outputs = [j for j in self._jobs.values() if j.outputs is not None]
        for job in with_outputs[: max(0, len(with_outputs) - REPORTS)]:
            job.outputs = None

    # ---- the worker ------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            self._run(job)

    def _run(self, job: Job) -> None:
        job.status, job.started_at = "running", _now()
        started = time.perf_counter()
        try:
            if job.spec.kind == "simulation":
                self._simulation(job)
            else:
                self._study(job)
            job.status = "done"
        except _Stopped:
            job.error = error_body("the service stopped before the job was done")
            job.status = "failed"
        except InputError as error:
            job.error, job.status = input_error(error)[1], "failed"
        except Exception as error:  # a bug: logged, and the job says so without details
            job.error, job.status = unexpected(error), "failed"
        finally:
            job.seconds = round(time.perf_counter() - started, 2)
            job.finished_at = _now()
            with self._lock:
                self._evict()

    def _options(self) -> dict[str, Any]:
        settings = self.settings
        return {
            "backend": settings.job_backend,
            "workers": settings.job_workers,
            "scheduler": settings.job_scheduler,
        }

    def _progress(self, job: Job) -> Callable[[int], None]:
        def report(done: int) -> None:
            job.done = done
            if self._stopping.is_set():
                raise _Stopped()

        return report

    def _simulation(self, job: Job) -> None:
        from sovfund.analytics.base_case import run_base_case
        from sovfund.analytics.verdict import verdict
        from sovfund.reports.files import json_ready
        from sovfund.run.simulate import simulate
        from sovfund.run.studies import at_leverage, simulation_json
        from sovfund.terms.load import load_terms
        from sovfund.terms.models import Stress

        spec = job.spec
        terms = load_terms(spec.scenario)
        stress: str | Stress | None = spec.stress
        if spec.levers is not None:
            levers = spec.levers
            level = (
                levers.leverage if levers.leverage is not None else terms.leverage.debt_to_equity
            )
            terms, stress = at_leverage(
                terms,
                level,
                title="Scenario explorer",
                description=levers.describe(),
                overrun_scale=levers.overrun_scale,
                short_rate=levers.rate_shift,
                yield_10y=levers.rate_shift,
                tariff_snapback=levers.tariff_snapback,
            )
        sim = simulate(
            terms,
            paths=spec.paths,
            seed=spec.seed,
            stress=stress,
            on_progress=self._progress(job),
            **self._options(),
        )
        figures = simulation_json(spec.scenario, sim)
        base = run_base_case(sim.terms)
        # as the CLI prints them: NaN and infinities as null (JSON has no NaN)
        job.verdict = json_ready(verdict(sim.terms, base.to_dict(), figures, None))
        job.result, job.outputs = json_ready(figures), (base, sim)

    def _study(self, job: Job) -> None:
        from sovfund.reports.files import json_ready
        from sovfund.run.studies import leverage_frontier, sensitivity, stress_test
        from sovfund.terms.load import load_terms

        spec = job.spec
        terms = load_terms(spec.scenario)
        common: dict[str, Any] = {
            "paths": spec.paths,
            "seed": spec.seed,
            "on_progress": self._progress(job),
            **self._options(),
        }
        if spec.study == "frontier":
            data = leverage_frontier(terms, **common).to_dict()
        elif spec.study == "sensitivity":
            data = sensitivity(terms, **common).to_dict()
        else:
            data = stress_test(terms, **common).to_dict()
        job.result = json_ready({"scenario": spec.scenario, **data})


class _Stopped(Exception):  # noqa: N818 - not an error: the service is stopping
    """Raised from a job's progress report to end it when the service stops."""


def _study_runs(spec: JobSpec) -> int:
    from sovfund.run.defaults import LEVERAGE_LEVELS
    from sovfund.run.studies import SENSITIVITY_RUNS, stress_runs
    from sovfund.terms.load import load_terms

    if spec.study == "frontier":
        return len(LEVERAGE_LEVELS)
    if spec.study == "sensitivity":
        return SENSITIVITY_RUNS
    return stress_runs(load_terms(spec.scenario))


def _version() -> str:
    try:
        return version("sovfund")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"
