"""Benchmark: the default preset's Monte Carlo end to end, against the reference engine.

Times ``simulate`` (draws, compiled project flows, the fund loop and waterfall, per-path
summaries) on ``--paths`` paths of son-2025 with the serial backend, reports the
process's peak memory, and times the reference engine (the same project and fund
kernels run as plain Python, and the NumPy summaries) on ``--reference-paths`` paths of
the same run. The
two are timed alternately ``--repeat`` times and the medians give the per-path speed
ratio, so that a busy machine slows both alike. Last, where the fast engine's time goes:
each stage timed on one batch of ``--stage-paths`` paths (medians of the repeats).

    python benchmarks/monte_carlo.py [--paths 100000] [--reference-paths 256] [--repeat 5]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import numpy as np

import sovfund
from sovfund.analytics.paths import summarize_paths
from sovfund.engine.fund import SUMMARY_SERIES, run_fund
from sovfund.engine.projects import project_flows
from sovfund.run.simulate import simulate
from sovfund.scenarios.monte_carlo import monte_carlo
from sovfund.scenarios.sectors import tariff_exposure


def stage_times(terms: sovfund.Terms, paths: int) -> dict[str, float]:
    """Seconds for each stage of one batch of the fast engine, in order."""
    times = {}
    start = time.perf_counter()
    draws = monte_carlo(terms, 1, 0, paths)
    times["draws"] = time.perf_counter() - start
    start = time.perf_counter()
    projects = project_flows(terms, draws, tariff_exposed=tariff_exposure(terms))
    times["project kernel"] = time.perf_counter() - start
    start = time.perf_counter()
    fund = run_fund(terms, draws, projects, record=SUMMARY_SERIES)
    times["fund loop"] = time.perf_counter() - start
    start = time.perf_counter()
    summarize_paths(fund, draws, np.array([p.country == "JP" for p in terms.parties]))
    times["summaries"] = time.perf_counter() - start
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument("--reference-paths", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--stage-paths", type=int, default=16_384)
    parser.add_argument("--scenario", default="son-2025")
    args = parser.parse_args()

    terms = sovfund.load_terms(args.scenario)
    simulate(terms, paths=256, seed=1, backend="serial")  # load compiled kernels first

    fast, reference = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        simulate(terms, paths=args.paths, seed=1, backend="serial")
        fast.append(time.perf_counter() - start)
        start = time.perf_counter()
        simulate(terms, paths=args.reference_paths, seed=1, engine="reference")
        reference.append(time.perf_counter() - start)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    fast_seconds = statistics.median(fast)
    fast_per_path = fast_seconds / args.paths
    reference_per_path = statistics.median(reference) / args.reference_paths
    spread = f"{min(fast):.2f}-{max(fast):.2f}"
    print(f"monte carlo: {args.scenario}, {args.paths:,} paths end to end, median of {args.repeat}")
    print(
        f"  fast engine        {fast_seconds:8.2f} s   ({fast_per_path * 1e6:.0f} us a path;"
        f" {spread} s)"
    )
    print(f"  peak memory        {peak_mib:8.0f} MiB (whole process)")
    print(
        f"  reference engine   {reference_per_path * 1e3:8.2f} ms a path"
        f" (timed on {args.reference_paths:,} paths)"
    )
    print(f"  speed-up per path  {reference_per_path / fast_per_path:8.1f}x")

    stages = [stage_times(terms, args.stage_paths) for _ in range(args.repeat)]
    print(f"  where the time goes, a batch of {args.stage_paths:,} paths:")
    for name in stages[0]:
        seconds = statistics.median(run[name] for run in stages)
        print(f"    {name:16s} {seconds / args.stage_paths * 1e6:6.1f} us a path")


if __name__ == "__main__":
    main()
