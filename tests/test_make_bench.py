"""``make bench`` runs every benchmark the README lists (a script not written yet is skipped, not failed)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from .conftest import REPO


def _readme_benchmarks() -> set[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Benchmarks", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"benchmarks/(\w+)\.py", section))


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_bench_runs_every_benchmark_the_readme_lists():
    listed = _readme_benchmarks()
    assert {"decoder", "acquisition", "player_drift"} <= listed  # the table was found
    # -n prints the recipe without running it; the shell loop is expanded by make only
    dry = subprocess.run(["make", "-n", "bench"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    recipe = dry.stdout
    loop = re.search(r"for b in ([\w ]+); do", recipe)
    assert loop, recipe
    run = set(loop.group(1).split()) | set(re.findall(r"benchmarks/(\w+)\.py --", recipe))
    assert listed <= run, f"README benchmarks that make bench does not run: {sorted(listed - run)}"
