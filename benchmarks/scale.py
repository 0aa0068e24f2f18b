"""Benchmark: one run of the default preset on each backend — serial, the local process
pool and a local Dask cluster — for time, the client's peak memory and the ratios.

Serial is timed on ``--serial-paths`` paths (its time grows linearly with the paths),
with the compiled kernels on every core as a user runs it, and on one thread
(``serial-1``: the work of one worker); the process pool and Dask on ``--paths``, each
with ``--workers`` worker processes, start-up included. Each timing runs in a fresh
Python process, so that the peak resident memory of the client (``ru_maxrss`` of the
process that merges the results; with Dask that includes the local cluster's scheduler
and nannies, not the workers) belongs to that one run. Runs take turns, ``--repeat``
times each, and medians are reported, because these machines are shared and noisy.
Every run's per-path summaries are hashed: the backends must agree bit for bit. The
full run takes several minutes; ``--paths 100000 --repeat 1`` gives a quick look.

    python benchmarks/scale.py [--paths 1000000] [--serial-paths 100000] [--workers 2]
                               [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

BACKENDS = ("serial", "process", "dask")
RUNS = ("serial-1", "serial", "process", "dask")  # serial-1: on one thread


def one_run(backend: str, paths: int, workers: int, scenario: str, prefix: int) -> dict[str, Any]:
    """Time one simulation in this process and measure its memory (the child side)."""
    import numpy as np

    import sovfund
    from sovfund.analytics.paths import PathSummary
    from sovfund.run.simulate import simulate

    terms = sovfund.load_terms(scenario)
    simulate(terms, paths=256, seed=1, backend="serial")  # load compiled kernels first
    base_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    progress: list[tuple[float, int]] = []
    start = time.perf_counter()
    sim = simulate(
        terms,
        paths=paths,
        seed=1,
        backend=backend,
        workers=None if backend == "serial" else workers,
        on_progress=lambda done: progress.append((time.perf_counter() - start, done)),
    )
    seconds = time.perf_counter() - start
    digest = hashlib.sha256()  # of the first `prefix` paths, which every run has
    for field in dataclasses.fields(PathSummary):
        digest.update(np.ascontiguousarray(getattr(sim.summary, field.name)[:prefix]).tobytes())
    summary_bytes = sum(
        getattr(sim.summary, f.name).nbytes for f in dataclasses.fields(sim.summary)
    )
    # batches after the first one done: throughput once every worker is up and warm
    (first_s, first_done), (last_s, _) = progress[0], progress[-1]
    steady = (paths - first_done) / (last_s - first_s) if last_s > first_s else float("nan")
    return {
        "backend": backend,
        "paths": paths,
        "batches": len(progress),
        "seconds": seconds,
        "first_batch_s": first_s,
        "steady_paths_per_s": steady,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "base_mib": base_mib,
        "summary_mib": summary_bytes / 2**20,
        "digest": digest.hexdigest(),
    }


def child(run: str, paths: int, workers: int, scenario: str, prefix: int) -> dict[str, Any]:
    """One run in a fresh Python process; ``serial-1``: serial on one thread."""
    backend, _, threads = run.partition("-")
    env = dict(os.environ, NUMBA_NUM_THREADS=threads) if threads else None
    command = [sys.executable, __file__, "--child", backend, "--paths", str(paths)]
    command += ["--workers", str(workers), "--scenario", scenario, "--serial-paths", str(prefix)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paths", type=int, default=1_000_000)
    parser.add_argument("--serial-paths", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenario", default="son-2025")
    parser.add_argument("--child", choices=BACKENDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = one_run(args.child, args.paths, args.workers, args.scenario, args.serial_paths)
        print(json.dumps(result))
        return

    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in RUNS}
    for _ in range(args.repeat):
        for name in RUNS:  # in turns, so that a busy spell hits all of them
            paths = args.serial_paths if name.startswith("serial") else args.paths
            runs[name].append(child(name, paths, args.workers, args.scenario, args.serial_paths))

    def median(name: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[name])

    per_path = {name: median(name, "seconds") / runs[name][0]["paths"] for name in RUNS}
    print(
        f"scale-out: {args.scenario}, {os.cpu_count()} cores, {args.workers} workers,"
        f" median of {args.repeat} run(s) each; client = the process that merges"
    )
    print(
        f"  {'run':<9}{'paths':>10}{'seconds':>9}{'us/path':>9}{'first batch s':>15}"
        f"{'paths/s after':>15}{'client peak MiB':>17}{'before':>8}{'summaries':>11}"
    )
    for name in RUNS:
        print(
            f"  {name:<9}{runs[name][0]['paths']:>10,}{median(name, 'seconds'):>9.1f}"
            f"{per_path[name] * 1e6:>9.1f}{median(name, 'first_batch_s'):>15.1f}"
            f"{median(name, 'steady_paths_per_s'):>15,.0f}{median(name, 'peak_mib'):>17,.0f}"
            f"{median(name, 'base_mib'):>8,.0f}{median(name, 'summary_mib'):>11,.0f}"
        )
    ratios = {
        "process pool vs serial, a path": per_path["serial"] / per_path["process"],
        "process pool vs serial on one thread": per_path["serial-1"] / per_path["process"],
        "Dask vs serial, a path": per_path["serial"] / per_path["dask"],
    }
    for label, value in ratios.items():
        print(f"  speed-up, {label:<38}{value:6.2f}x")
    overhead = per_path["dask"] / per_path["process"] - 1
    print(f"  Dask's overhead over the process pool{'':<11}{overhead:+6.1%}")
    identical = len({run["digest"] for name in RUNS for run in runs[name]}) == 1
    print(f"  first {args.serial_paths:,} paths bit-identical in every run: {identical}")
    for name in RUNS:
        times = ", ".join(f"{run['seconds']:.1f}" for run in runs[name])
        digests = ", ".join(run["digest"][:12] for run in runs[name])
        print(f"  {name} runs: {times} s; digests {digests}")


if __name__ == "__main__":
    main()
