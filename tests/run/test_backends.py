"""Backends: serial, a local process pool and Dask give the same numbers, bit for bit,
whatever the number of workers and the batch size; bad options are clear errors.

The Dask tests share one LocalCluster (two worker processes, one thread each) started
once for the module: starting workers costs seconds, running a few hundred paths does
not.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from typer.testing import CliRunner

import sovfund
from sovfund.analytics.distribution import summary_dict
from sovfund.analytics.paths import PathSummary
from sovfund.cli.main import app
from sovfund.errors import ArgumentError, InputError
from sovfund.run import backends
from sovfund.run.backends import BATCH_PATHS, Runner, choose
from sovfund.run.simulate import SAMPLED, Simulation, simulate
from sovfund.scenarios.monte_carlo import BLOCK

if TYPE_CHECKING:
    from conftest import CliRun

PATHS, SEED = 1000, 3  # four blocks of 256 paths, the last one short
FIELDS = [f.name for f in dataclasses.fields(PathSummary)]
CLI_TIMEOUT = 300  # seconds a CLI call may take (the sovfund_cli fixture reads it)


def assert_identical(got: Simulation, expected: Simulation) -> None:
    """Every per-path array and every sampled path equal byte for byte, and so the
    JSON summary too."""
    assert got.paths == expected.paths
    for name in FIELDS:
        a, b = getattr(got.summary, name), getattr(expected.summary, name)
        assert a.dtype == b.dtype, name
        assert a.shape == b.shape, name
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), name
        assert a.tobytes() == b.tobytes(), name
    for name in SAMPLED:
        assert got.sample[name].tobytes() == expected.sample[name].tobytes(), name
    assert json.dumps(summary_json(got)) == json.dumps(summary_json(expected))


def summary_json(sim: Simulation) -> dict[str, Any]:
    parties = tuple(p.id for p in sim.terms.parties)
    japanese = tuple(p.country == "JP" for p in sim.terms.parties)
    return summary_dict(sim.summary, parties, japanese)


@pytest.fixture(scope="module")
def terms() -> sovfund.Terms:
    return sovfund.load_terms("son-2025")


@pytest.fixture(scope="module")
def serial(terms: sovfund.Terms) -> Simulation:
    return simulate(terms, paths=PATHS, seed=SEED, backend="serial")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of a LocalCluster of two worker processes with one thread each."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address


@pytest.mark.parametrize(("workers", "batch_size"), [(2, 256), (1, 768)])
def test_process_pool_equals_serial(
    terms: sovfund.Terms, serial: Simulation, workers: int, batch_size: int
) -> None:
    sim = simulate(
        terms, paths=PATHS, seed=SEED, backend="process", workers=workers, batch_size=batch_size
    )
    assert_identical(sim, serial)


@pytest.mark.parametrize("batch_size", [256, 512, None])
def test_dask_cluster_equals_serial(
    terms: sovfund.Terms, serial: Simulation, scheduler: str, batch_size: int | None
) -> None:
    done: list[int] = []
    sim = simulate(
        terms,
        paths=PATHS,
        seed=SEED,
        backend="dask",
        scheduler=scheduler,
        batch_size=batch_size,
        on_progress=done.append,
    )
    assert_identical(sim, serial)
    assert done == sorted(done)  # in path order
    assert done[-1] == PATHS


def test_dask_scheduler_from_the_environment(
    terms: sovfund.Terms, serial: Simulation, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(backends.SCHEDULER_VARIABLE, scheduler)
    assert choose("dask", paths=PATHS).scheduler == scheduler
    assert_identical(simulate(terms, paths=PATHS, seed=SEED, backend="dask"), serial)


def test_dask_local_cluster_equals_serial(terms: sovfund.Terms, serial: Simulation) -> None:
    sim = simulate(terms, paths=PATHS, seed=SEED, backend="dask", workers=2, batch_size=512)
    assert_identical(sim, serial)


def test_mou_on_a_pool_equals_serial(scheduler: str) -> None:
    terms = sovfund.load_terms("mou-550b")
    expected = simulate(terms, paths=600, seed=8, backend="serial")
    got = simulate(terms, paths=600, seed=8, backend="dask", scheduler=scheduler, batch_size=256)
    assert_identical(got, expected)


def test_a_stressed_run_on_dask_equals_serial(terms: sovfund.Terms, scheduler: str) -> None:
    expected = simulate(terms, paths=600, seed=2, stress="rates_up", backend="serial")
    got = simulate(terms, paths=600, seed=2, stress="rates_up", scheduler=scheduler)
    assert_identical(got, expected)
    assert got.stress == "rates_up"


class CountingExecutor(ThreadPoolExecutor):
    """A thread pool that counts the jobs submitted."""

    def __init__(self) -> None:
        super().__init__(max_workers=3)
        self.submitted = 0
        self.lock = threading.Lock()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self.lock:
            self.submitted += 1
        return super().submit(fn, *args, **kwargs)


def slow_square(job: int) -> int:
    time.sleep(0.002 * (job % 3))  # finish out of order
    return job * job


def test_results_stream_in_order_through_a_bounded_window() -> None:
    with CountingExecutor() as executor:
        runner = Runner(executor, lambda: 4)
        seen = []
        for result in runner.map_ordered(slow_square, range(40)):
            assert executor.submitted - len(seen) <= 4  # never more than the window
            seen.append(result)
    assert seen == [i * i for i in range(40)]


def test_a_failing_job_raises_its_error() -> None:
    def fail(job: int) -> int:
        raise InputError(f"job {job}")

    runner = Runner(backends.SerialExecutor(), lambda: 1)
    with pytest.raises(InputError, match="job 0"):
        list(runner.map_ordered(fail, range(3)))


def test_auto_is_serial_for_small_runs_and_a_pool_for_large_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(backends, "cores", lambda: 4)
    assert choose(paths=1000).backend == "serial"
    big = choose(paths=backends.AUTO_PATHS)
    assert (big.backend, big.workers) == ("process", 4)
    assert choose(paths=backends.AUTO_PATHS, batch_size=2 * backends.AUTO_PATHS).backend == (
        "serial"
    )
    assert choose(paths=1000, workers=3).backend == "process"
    assert choose(paths=1000, scheduler="tcp://127.0.0.1:8786").backend == "dask"
    monkeypatch.setattr(backends, "cores", lambda: 2)  # serial is as fast on 2 cores
    assert choose(paths=10 * backends.AUTO_PATHS).backend == "serial"
    monkeypatch.setattr(backends, "cores", lambda: 1)
    assert choose(paths=10 * backends.AUTO_PATHS).backend == "serial"


@pytest.mark.parametrize("paths", [1, 1000, 20_000, 50_000, 10**6, 10**8])
@pytest.mark.parametrize("backend", ["serial", "process", "dask"])
def test_default_batches_are_whole_blocks_and_at_most_the_backend_size(
    backend: str, paths: int
) -> None:
    plan = choose(backend, paths=paths, workers=None if backend == "serial" else 2)
    assert plan.batch_size % BLOCK == 0
    assert BLOCK <= plan.batch_size <= BATCH_PATHS[plan.backend]
    if paths >= 10**6:
        assert plan.batch_size == BATCH_PATHS[plan.backend]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backend": "gpu"}, "backend: found 'gpu'; expected one of auto, serial, process"),
        ({"workers": 0}, "workers: found 0; expected a whole number from 1 to 256"),
        ({"workers": 10**6}, "workers: found 1,000,000; expected a whole number from 1 to"),
        ({"backend": "serial", "workers": 2}, "workers: found 2 with backend 'serial'"),
        ({"backend": "process", "scheduler": "tcp://h:1"}, "scheduler: found 'tcp://h:1'"),
        ({"scheduler": "tcp://h:1", "workers": 2}, "workers: found 2 with scheduler"),
        ({"scheduler": "  "}, "scheduler: found '' (spaces or control characters); expected"),
        ({"scheduler": "nonsense"}, "scheduler: found 'nonsense' (missing port number"),
    ],
)
def test_bad_options_name_the_parameter(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError) as error:
        choose(paths=1000, **kwargs)
    assert str(error.value).startswith(message)


def test_an_unreachable_scheduler_is_a_clear_error(
    terms: sovfund.Terms, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backends, "CONNECT_TIMEOUT", 1)
    start = time.perf_counter()
    with pytest.raises(ArgumentError, match=r"scheduler: found 'tcp://127\.0\.0\.1:9', where"):
        simulate(terms, paths=256, seed=1, scheduler="tcp://127.0.0.1:9")
    assert time.perf_counter() - start < 5  # refused at once: no waiting out a timeout


def test_cli_process_pool_prints_the_serial_json_byte_for_byte(
    tmp_path: Path, sovfund_cli: CliRun
) -> None:
    args = ("simulate", "--paths", "512", "--seed", "5", "--json", "--quiet")
    serial = sovfund_cli(tmp_path, *args, "--backend", "serial")
    pool = sovfund_cli(tmp_path, *args, "--backend", "process", "--workers", "2")
    assert serial.returncode == 0, serial.stderr
    assert pool.returncode == 0, pool.stderr
    assert pool.stdout == serial.stdout
    assert json.loads(serial.stdout)["paths"] == 512


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--backend", "gpu"), "--backend: found 'gpu'; expected one of auto, serial"),
        (("--workers", "0"), "--workers: found 0; expected a whole number of at least 1"),
        (("--scheduler", "tcp://127.0.0.1:9"), "--scheduler: found 'tcp://127.0.0.1:9', where"),
    ],
)
def test_cli_bad_backend_options_exit_1_with_a_message(
    args: tuple[str, ...], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backends, "CONNECT_TIMEOUT", 1)  # in-process, to wait less
    result = CliRunner().invoke(app, ["simulate", "--paths", "256", "--quiet", *args])
    assert result.exit_code == 1, result.output
    assert message in " ".join(result.stderr.split())
    assert result.exception is None or isinstance(result.exception, SystemExit)
