"""Backends: where the batches of a run are computed — in this process, in a local
process pool, or on a Dask cluster — behind one small interface.

A backend is a :class:`concurrent.futures.Executor` plus how many jobs to keep in
flight (:class:`Runner`). :meth:`Runner.map_ordered` submits jobs through a bounded
window (twice the worker slots) and yields their results in job order as they arrive,
so the client streams: it never holds more than a window of results, and never a
future per batch of a long run. Another engine (Ray, say) needs only an executor and a
``_start_*`` function registered in ``_STARTERS``.

Results cannot depend on the backend: a job is a pure function of its picklable
argument, random streams belong to blocks of paths (not to batches or workers), and
the kernels work one path per thread. What a backend changes is speed.

``auto`` picks the process pool when the run is worth the start-up of its workers (a
few seconds to spawn them, import sovfund and load the compiled kernels from Numba's
on-disk cache): at least :data:`AUTO_PATHS` paths, at least two batches, and at least
:data:`AUTO_CORES` cores, or ``--workers`` above 1; otherwise it runs serially.
``--scheduler`` means Dask.

Threads: the serial backend lets the compiled kernels and the random draws use every
core. A worker process gets ``cores // workers`` threads for both: Numba's count is set
per job (it is per thread, and Dask runs jobs on its own threads), and
``OMP_``/``MKL_``/``OPENBLAS_NUM_THREADS`` are set in each worker's environment (they
take effect for what loads them afterwards; Dask's nanny sets them to 1 before it
spawns a worker). The process pool spawns its workers ('spawn' start method): forking
a process whose Numba thread pool is running can deadlock.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

from sovfund.errors import ArgumentError, os_reason
from sovfund.scenarios.streams import BLOCK

__all__ = [
    "AUTO_CORES",
    "AUTO_PATHS",
    "BACKENDS",
    "BATCH_PATHS",
    "CONNECT_TIMEOUT",
    "MAX_WORKERS",
    "SCHEDULER_VARIABLE",
    "BackendName",
    "Plan",
    "Runner",
    "SerialExecutor",
    "choose",
    "cores",
    "die_with_parent",
    "limit_threads",
    "start",
]

BackendName = Literal["serial", "process", "dask"]
BACKENDS: tuple[BackendName, ...] = ("serial", "process", "dask")

AUTO_PATHS = 100_000
"""``auto`` uses the process pool from this many paths (on :data:`AUTO_CORES` cores)."""

AUTO_CORES = 4
"""``auto`` uses the process pool only on this many cores or more. Measured on 2 cores
(docs/scale-out.md): serial, whose kernels and draws use both cores, and a pool of 2
workers get through the same ~26,000 paths a second once started, so the pool's ~2 s
of start-up never pays back there. With more cores the pool also spreads the work
serial does on one thread (batch glue, merging); that gain is not measured here."""

BATCH_PATHS: dict[BackendName, int] = {
    "serial": 16 * BLOCK,
    "process": 32 * BLOCK,
    "dask": 32 * BLOCK,
}
"""Default paths per batch. Serial: small batches keep memory low. Pools: about a second
of work for one thread of the fast engine (~120 µs a path on son-2025), which dwarfs the
milliseconds that sending a batch and its results (~7 MB) costs a local pool or a Dask
cluster. Larger batches were slower a path (their arrays outgrow the caches), and make
the last batches of a run leave more workers idle."""

MIN_POOL_BATCH = 4 * BLOCK
"""Smallest default batch for a pool; smaller runs get fewer batches a worker."""
BATCHES_PER_WORKER = 4
"""A pool's default batches are shrunk (down to MIN_POOL_BATCH) until each worker gets
this many, so that the last batches do not leave workers idle."""

MAX_WORKERS = 256
"""The most worker processes a run may ask for."""
CONNECT_TIMEOUT = 5
"""Seconds to wait for an existing Dask scheduler before giving up."""
SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

J = TypeVar("J")
R = TypeVar("R")


@dataclass(frozen=True)
class Plan:
    """Where and how a run goes: the backend, its workers (0: an existing cluster's
    own), the scheduler address (existing Dask cluster only) and the batch size."""

    backend: BackendName
    workers: int
    scheduler: str | None
    batch_size: int
    scheduler_source: str = "scheduler"


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)  # pragma: no cover - not on Linux


def choose(
    backend: str = "auto",
    *,
    paths: int,
    batch_size: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> Plan:
    """Check the backend options and settle ``auto``, the worker count and the batch
    size. Starts nothing. Raises :class:`~sovfund.errors.ArgumentError` naming the
    parameter at fault."""
    if backend not in ("auto", *BACKENDS):
        raise ArgumentError("backend", repr(backend), f"one of auto, {', '.join(BACKENDS)}")
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise ArgumentError("workers", f"{workers:,}", f"a whole number from 1 to {MAX_WORKERS}")
    source = "scheduler"
    if scheduler is not None:
        if backend == "auto":
            backend = "dask"
        elif backend != "dask":
            raise ArgumentError(
                "scheduler", f"{scheduler!r} with backend {backend!r}", "it only with backend dask"
            )
    elif backend == "dask" and os.environ.get(SCHEDULER_VARIABLE):
        scheduler, source = os.environ[SCHEDULER_VARIABLE], f"${SCHEDULER_VARIABLE}"
    if scheduler is not None:
        scheduler = scheduler.strip()
        address_error = _address_error(scheduler)
        if address_error:
            raise ArgumentError(
                source,
                f"{scheduler!r} ({address_error})",
                "a scheduler address such as tcp://10.0.0.5:8786",
            )
        if workers is not None:
            raise ArgumentError(
                "workers",
                f"{workers} with {source} {scheduler}",
                "none: an existing cluster runs on the workers it has",
            )
    if backend == "auto":
        if workers is not None:
            backend = "process" if workers > 1 else "serial"
        else:
            many = paths >= AUTO_PATHS and (batch_size is None or paths > batch_size)
            backend = "process" if many and cores() >= AUTO_CORES else "serial"
    name = cast(BackendName, backend)
    if name == "serial" and workers not in (None, 1):
        raise ArgumentError(
            "workers", f"{workers} with backend 'serial'", "1 or none (serial runs in this process)"
        )
    count = 1 if name == "serial" else 0 if scheduler else workers or cores()
    size = batch_size if batch_size is not None else default_batch_size(name, paths, count)
    return Plan(name, count, scheduler, size, source)


def default_batch_size(backend: BackendName, paths: int, workers: int) -> int:
    """:data:`BATCH_PATHS` for the backend, shrunk for a short run on a pool (see
    :data:`BATCHES_PER_WORKER`). Always a multiple of ``BLOCK``."""
    target = BATCH_PATHS[backend]
    if backend == "serial" or workers < 1:
        return target
    share = -(-paths // (BATCHES_PER_WORKER * workers))
    share = -(-share // BLOCK) * BLOCK
    return max(MIN_POOL_BATCH, min(target, share))


def limit_threads(threads: int) -> None:
    """Run this process's compiled kernels and math libraries on ``threads`` threads.

    The environment variables reach what loads afterwards; Numba's count is set for the
    calling thread (Numba keeps it per thread), so a job calls this on the thread that
    runs it.
    """
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    import numba  # loaded by now; imported here to keep this module light

    most = int(getattr(numba.config, "NUMBA_NUM_THREADS", threads))  # the pool's size
    numba.set_num_threads(max(1, min(threads, most)))


def _call(fn: Callable[[J], R], threads: int, job: J) -> R:
    """``fn(job)`` on a worker, its kernels on ``threads`` threads (0: this machine's
    cores shared among the Dask worker's threads)."""
    if threads < 1:
        from distributed import get_worker  # only on a Dask worker

        threads = max(1, cores() // max(1, get_worker().state.nthreads))
    limit_threads(threads)
    return fn(job)


class SerialExecutor(Executor):
    """Runs each job in this process when it is submitted: the serial backend."""

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        future: Future[R] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:
            future.set_exception(error)
        return future


@dataclass(frozen=True)
class Runner:
    """A started backend: its executor, how many jobs to keep in flight, and the
    threads a worker gives each job (-1: leave them alone, as in this process)."""

    executor: Executor
    window: Callable[[], int]
    threads: int = -1

    def map_ordered(self, fn: Callable[[J], R], jobs: Iterable[J]) -> Iterator[R]:
        """``fn(job)`` of each job, in job order, as the results come in; at most
        ``window()`` jobs submitted and not yet yielded at any time."""
        pending: deque[Future[R]] = deque()
        todo = iter(jobs)
        try:
            while True:
                while len(pending) < max(1, self.window()):
                    job = next(todo, _END)
                    if job is _END:
                        break
                    if self.threads < 0:
                        pending.append(self.executor.submit(fn, job))
                    else:
                        pending.append(self.executor.submit(_call, fn, self.threads, job))
                if not pending:
                    return
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


_END: Any = object()


def start(plan: Plan) -> AbstractContextManager[Runner]:
    """Start the plan's backend (workers, a local cluster, or a connection to a
    scheduler) for the length of a ``with`` block, and shut it down after."""
    return _STARTERS[plan.backend](plan)


@contextmanager
def _start_serial(plan: Plan) -> Iterator[Runner]:
    yield Runner(SerialExecutor(), lambda: 1)


def _address_error(address: str) -> str:
    """Why ``address`` is no scheduler address, in words ('' if it is one)."""
    if not address or any(c.isspace() or not c.isprintable() for c in address):
        return "spaces or control characters"
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        protocol, location = parse_address(address)
        if protocol in ("tcp", "tls"):
            port = parse_host_port(location)[1]
            if not 0 < port < 65536:
                return f"port {port} is not a port number"
    except (ValueError, TypeError) as error:
        return str(error)
    return ""


def _reach(address: str, source: str) -> None:
    """Fail fast, and quietly, where nothing answers at ``address``: one plain TCP
    connection (refused at once, or none within :data:`CONNECT_TIMEOUT`) before Dask's
    client, which would retry for the whole timeout and complain again at exit."""
    from distributed.comm.addressing import parse_address, parse_host_port

    protocol, location = parse_address(address)
    if protocol not in ("tcp", "tls"):
        return
    host, port = parse_host_port(location)
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
    except OSError as error:
        reason = "no answer in time" if isinstance(error, TimeoutError) else os_reason(error)
        raise ArgumentError(
            source,
            f"{address!r}, where no Dask scheduler answers ({reason})",
            "the address of a running scheduler (`dask scheduler` prints it),"
            " such as tcp://10.0.0.5:8786",
        ) from None


def _worker_start(threads: int, parent: int) -> None:
    """A pool worker's start: die with the parent, then set the threads (see
    :func:`die_with_parent`)."""
    die_with_parent(parent)
    limit_threads(threads)


def die_with_parent(parent: int) -> None:
    """Make this process end when process ``parent`` does, however it ends (SIGKILL
    too): on Linux the kernel sends it SIGKILL (``PR_SET_PDEATHSIG``); elsewhere a
    daemon thread checks the parent every half second. Either way, if the parent is
    already gone, it ends now."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl
            _watch(parent)
    else:  # pragma: no cover - not on Linux
        _watch(parent)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _watch(parent: int) -> None:  # pragma: no cover - used where prctl is missing
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="sovfund-parent-watch", daemon=True).start()


@contextmanager
def _start_process(plan: Plan) -> Iterator[Runner]:
    threads = max(1, cores() // plan.workers)
    pool = ProcessPoolExecutor(
        max_workers=plan.workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_start,
        initargs=(threads, os.getpid()),
    )
    try:
        yield Runner(pool, lambda: 2 * plan.workers, threads)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _start_dask(plan: Plan) -> Iterator[Runner]:
    import dask  # only when asked for
    from distributed import Client, LocalCluster

    if plan.scheduler is None:
        threads = max(1, cores() // plan.workers)
        # Dask's default MALLOC_TRIM_THRESHOLD_ makes glibc hand every large array back
        # to the system, and a batch allocates many: 2.4x the page faults and ~15% slower
        # than the process pool. No statistical profiling (every 10 ms, for a dashboard
        # no one looks at) either.
        local = {
            "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
            "distributed.worker.profile.enabled": False,
        }
        with dask.config.set(local):
            cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=plan.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: 8787 may be taken
                env={name: str(threads) for name in THREAD_VARIABLES},
            )
        with cluster:
            client = Client(cluster, set_as_default=False)  # type: ignore[no-untyped-call]
            with client:
                executor = client.get_executor(pure=False)  # type: ignore[no-untyped-call]
                yield Runner(executor, lambda: 2 * plan.workers, threads)
        return
    _reach(plan.scheduler, plan.scheduler_source)
    try:
        client = Client(  # type: ignore[no-untyped-call]
            plan.scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False
        )
    except (OSError, TimeoutError, ValueError) as error:
        raise ArgumentError(
            plan.scheduler_source,
            f"{plan.scheduler!r}, where no Dask scheduler answers ({error})",
            "the address of a running scheduler (`dask scheduler` prints it),"
            " such as tcp://10.0.0.5:8786",
        ) from None
    with client:

        def window() -> int:  # asked each time: workers may join or leave during a run
            slots: dict[str, int] = client.nthreads()  # type: ignore[no-untyped-call]
            return 2 * max(1, sum(slots.values()))

        yield Runner(client.get_executor(pure=False), window, 0)  # type: ignore[no-untyped-call]


_STARTERS: dict[BackendName, Callable[[Plan], AbstractContextManager[Runner]]] = {
    "serial": _start_serial,
    "process": _start_process,
    "dask": _start_dask,
}
