"""``benchmarks/adaptation.py``: recalibration measured over simulated participants, every key consistent."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import REPO

SETTINGS = [f"{d}_{s}" for d in ("demo", "realistic") for s in ("drifting", "stationary", "drifting_next_day")]


@pytest.mark.slow
def test_every_setting_reports_both_decoders_and_a_paired_gain_with_its_interval():
    done = subprocess.run([sys.executable, "benchmarks/adaptation.py", "--participants", "3", "--json"], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    r = json.loads(done.stdout)
    assert sorted(r) == sorted(SETTINGS)
    for name, s in r.items():
        assert s["n_participants"] == 3, name
        for kind in ("window", "trial"):
            v1, v2 = s[f"unadapted_{kind}_accuracy"], s[f"recalibrated_{kind}_accuracy"]
            assert 0 <= v1 <= 1 and 0 <= v2 <= 1, name
            # the gain is the mean of paired differences: the difference of the means
            assert s[f"{kind}_gain"] == pytest.approx(v2 - v1), name
            lo, hi = s[f"{kind}_gain_ci95"]
            assert lo <= s[f"{kind}_gain"] <= hi, name


def test_too_few_participants_for_an_interval_is_refused_naming_the_option():
    done = subprocess.run([sys.executable, "benchmarks/adaptation.py", "--participants", "2"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--participants 2" in done.stderr and "at least 3" in done.stderr
