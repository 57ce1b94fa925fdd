"""ERD% = (A - R) / R x 100 (Pfurtscheller & Lopes da Silva 1999) on signals of known band power."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.analysis.erd import erd_percent, settled_mask
from workbench.analysis.trials import Cues

SFREQ = 250.0


def _cues(n_cues, cue_n, classes):
    onsets = np.arange(n_cues) * cue_n
    return Cues(onsets, np.array([classes[k % len(classes)] for k in range(n_cues)], dtype=object), onsets + cue_n)


def test_a_mu_rhythm_halved_during_attempts_is_a_75_percent_desynchronization():
    cue_n, n_cues = int(4 * SFREQ), 9
    t = np.arange(cue_n * n_cues) / SFREQ
    cues = _cues(n_cues, cue_n, ["rest", "attempt", "attempt"])
    amplitude = np.where(settled_mask(len(t), cues, 0, "attempt"), 0.5, 1.0)
    c3 = amplitude * np.sin(2 * np.pi * 10 * t)  # mu: amplitude halves, power quarters
    c4 = np.sin(2 * np.pi * 22 * t)  # beta untouched
    flat = np.zeros_like(t)
    erd = erd_percent(np.column_stack([c3, c4, flat]), SFREQ, ["C3", "C4", "Oz"], cues, int(SFREQ), (
        ("mu", 8.0, 12.0), ("beta", 18.0, 26.0)))
    assert erd["mu:C3"] == pytest.approx(-75.0, abs=2.0)
    assert erd["beta:C4"] == pytest.approx(0.0, abs=2.0)
    assert "mu:Oz" not in erd  # a flat channel has no rest power, so no ERD


def test_no_settled_rest_or_attempt_gives_nothing():
    cues = _cues(3, 500, ["attempt"])
    assert erd_percent(np.random.default_rng(0).normal(size=(1500, 2)), SFREQ, ["C3", "C4"], cues, 10,
                       (("mu", 8.0, 12.0),)) == {}
