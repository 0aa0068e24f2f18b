"""Run every benchmark: `make bench` (or `python benchmarks/run.py`).

Each benchmark times sovfund against a baseline measured in the same run and prints
the ratio, because these machines are shared and noisy: quote medians and ratios.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

BENCHMARKS = ["waterfall.py", "monte_carlo.py", "scale.py", "books.py"]


def main() -> None:
    here = Path(__file__).parent
    for name in BENCHMARKS:
        sys.argv = [name]
        runpy.run_path(str(here / name), run_name="__main__")
        print()


if __name__ == "__main__":
    main()
