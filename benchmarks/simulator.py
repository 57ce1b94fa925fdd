"""How much faster than real time does each simulated montage generate?

Usage::

    .venv/bin/python benchmarks/simulator.py [--seconds 10]

For each montage, generates ``--seconds`` of signal in 20 ms blocks (what the
Player asks for at the default ``chunk_ms``) on one thread and prints the
real-time factor (seconds of signal per second of CPU wall time; > 1 keeps up).
The reference, measured in the same run, is the bare cost of drawing the same
number of Gaussian samples with numpy; ``x reference`` says how many such
draws the full physiology costs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from workbench.datasets import MONTAGES, SyntheticSource  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    for name in MONTAGES:
        src = SyntheticSource(name, seed=0)
        block = int(round(0.02 * src.sfreq))
        n_blocks = int(args.seconds / 0.02)
        src.generate(block)  # first page and imports out of the timing
        start = time.perf_counter()
        for _ in range(n_blocks):
            src.generate(block)
        cost = time.perf_counter() - start
        rng = np.random.default_rng(0)
        start = time.perf_counter()
        for _ in range(n_blocks):
            rng.standard_normal((block, len(src.ch_names)))
        reference = time.perf_counter() - start
        print(
            f"{name:8s} {len(src.ch_names):3d} ch @ {src.sfreq:7g} Hz: real-time factor "
            f"{args.seconds / cost:7.1f}  ({cost / reference:5.1f} x reference Gaussian draw)"
        )


if __name__ == "__main__":
    main()
