"""Benchmark: the waterfall over many paths against a plain-Python loop.

100,000 paths x 120 quarters through a 4-tier European waterfall (return of capital,
8% preferred return, full catch-up, 20% carry; two LPs and one GP), each quarter's
hurdle accrual, contributions and distribution. The baseline is the same rule written
as a plain-Python loop, one path at a time, timed in the same run on the first
``--baseline-paths`` paths (all of them takes minutes) and compared per path; its
results are checked against the fast allocator's on those paths.

    python benchmarks/waterfall.py [--paths 100000] [--quarters 120] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import sovfund
from sovfund.engine.waterfall import WaterfallSpec, accrual_factors, allocate

TERMS = """
[fund]
name = "Benchmark fund"
start = 2026-01-01
term_years = 30
investment_period_years = 5

[[party]]
id = "lp_a"
role = "lp"
commitment = 60.0

[[party]]
id = "lp_b"
role = "lp"
commitment = 40.0

[[party]]
id = "gp"
role = "gp"

[waterfall]
preset = "european"

[[project]]
id = "asset"
name = "An asset"
sector = "grid"
contractor = "Builder"
contractor_country = "JP"
capex = 10.0
construction_quarters = 1
start_quarter = 0
revenue_model = "availability"
annual_revenue = 1.0
operating_years = 10

[macro]
short_rate = 0.04
yield_10y = 0.045
inflation = 0.02
usd_jpy = 150.0
"""


def flows(paths: int, quarters: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Calls in the first 20 quarters, then lumpy proceeds.

    Shapes (paths, quarters, 3) and (paths, quarters)."""
    rng = np.random.default_rng(seed)
    calls = np.zeros((paths, quarters, 3))
    calls[:, :20, :2] = rng.uniform(0.0, 3.0, (paths, 20, 1)) * np.array([0.6, 0.4])
    proceeds = np.where(
        rng.random((paths, quarters)) < 0.5, rng.lognormal(0.0, 1.0, (paths, quarters)), 0.0
    )
    proceeds[:, :8] = 0.0
    return calls, proceeds


def by_quarter(
    spec: WaterfallSpec, calls: np.ndarray, proceeds: np.ndarray, *, fast: bool = True
) -> np.ndarray:
    """The shipped allocator, one call per quarter over every path (compiled, as the fund
    loop runs it; or as plain Python, as the calculator and the books run it)."""
    paths, quarters, _ = calls.shape
    state = spec.empty_state(paths)
    received = np.zeros((paths, calls.shape[2]))
    factors = accrual_factors(spec, 0.25, 0.0)
    for t in range(quarters):
        state.accrue(factors)
        state.contribute(spec, np.ascontiguousarray(calls[:, t]))
        received += allocate(spec, state, np.ascontiguousarray(proceeds[:, t]), fast=fast)
    return received


def plain(
    calls: np.ndarray, proceeds: np.ndarray, hurdle: float = 0.08, carry: float = 0.2
) -> np.ndarray:
    """The same European waterfall as a plain-Python loop over paths and quarters."""
    paths, quarters, _ = calls.shape
    growth = (1.0 + hurdle) ** 0.25
    out = np.zeros((paths, 3))
    for p in range(paths):
        paid_in = [0.0, 0.0]
        got = [0.0, 0.0, 0.0]
        balance = 0.0
        for t in range(quarters):
            balance *= growth
            for i in range(2):
                paid_in[i] += calls[p, t, i]
                balance += calls[p, t, i]
            cash = proceeds[p, t]
            lp_in = paid_in[0] + paid_in[1]
            weights = (paid_in[0] / lp_in, paid_in[1] / lp_in) if lp_in > 0 else (0.6, 0.4)
            # return of capital, then the preferred return, to the LPs
            for need in (lp_in - got[0] - got[1], None):
                need = balance if need is None else need
                size = min(max(need, 0.0), cash)
                for i in range(2):
                    got[i] += size * weights[i]
                balance -= size
                cash -= size
            # full catch-up to the GP
            profit = got[0] + got[1] + got[2] - lp_in
            size = min(max((carry * profit - got[2]) / (1.0 - carry), 0.0), cash)
            got[2] += size
            cash -= size
            # 80/20
            for i in range(2):
                got[i] += cash * (1.0 - carry) * weights[i]
                balance -= cash * (1.0 - carry) * weights[i]
            got[2] += cash * carry
        out[p] = got
    return out


def median_seconds(run, repeats: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument("--quarters", type=int, default=120)
    parser.add_argument("--baseline-paths", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    spec = WaterfallSpec.from_terms(sovfund.parse_terms(TERMS, name="benchmark"))
    calls, proceeds = flows(args.paths, args.quarters)
    sample = min(args.baseline_paths, args.paths)
    by_quarter(spec, calls[:10], proceeds[:10])  # compile before timing

    fast_seconds = median_seconds(lambda: by_quarter(spec, calls, proceeds), args.repeats)
    start = time.perf_counter()
    expected = plain(calls[:sample], proceeds[:sample])
    plain_seconds = time.perf_counter() - start
    start = time.perf_counter()
    kernel = by_quarter(spec, calls[:sample], proceeds[:sample], fast=False)
    kernel_seconds = time.perf_counter() - start
    got = by_quarter(spec, calls[:sample], proceeds[:sample])
    agree = np.allclose(got, expected, rtol=1e-9, atol=1e-9) and np.array_equal(got, kernel)

    per_path = args.paths / sample  # baselines projected to every path
    print(f"waterfall: {args.paths:,} paths x {args.quarters} quarters, 4-tier European")
    print(f"  allocate, compiled    {fast_seconds:8.3f} s  (median of {args.repeats})")
    print(
        f"  allocate, plain       {kernel_seconds * per_path:8.3f} s  (timed on {sample:,} paths)"
    )
    print(f"  plain Python loop     {plain_seconds * per_path:8.3f} s  (timed on {sample:,} paths)")
    print(f"  speed-up per path     {plain_seconds * per_path / fast_seconds:8.1f}x the plain loop")
    print(f"  results agree with the plain loop, and compiled with plain: {agree}")
    if not agree:
        raise SystemExit("the allocator and the plain loop disagree")


if __name__ == "__main__":
    main()
