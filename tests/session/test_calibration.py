"""Cued calibration and trial scoring, without LSL: the same calls the live demo makes."""

import numpy as np
import pytest

from workbench.datasets import SyntheticSource
from workbench.errors import ValidationError
from workbench.session.calibration import (
    CalibrationSpec,
    fit_attempt_decoder,
    pick_sensorimotor,
    score_trials,
    settled_windows,
)


def _source(seed):
    return SyntheticSource(montage="eeg-64", seed=seed)


def test_attempt_decoder_generalizes_to_another_session():
    train, test = _source(1), _source(2)
    picks = pick_sensorimotor(train.ch_names)
    cols = [train.ch_names.index(c) for c in picks]
    x, _ = train.generate(120 * 500)
    dec = fit_attempt_decoder(x[:, cols], sfreq=500.0, ch_names=picks, cue_at=train.cue_at,
                              cue_samples=train.cue_samples)
    y, _ = test.generate(60 * 500)
    out = dec.decode(y[:, cols].astype(float))
    decided = dec.model.classes_[out.values.argmax(axis=1)]
    _, _, settle = CalibrationSpec().samples(500.0)
    ok = settled_windows(out.sample_index, test.cue_samples, settle)
    truth = np.where(test.cue_at(out.sample_index) == "rest", "rest", "attempt")
    accuracy = np.mean(decided[ok] == truth[ok])
    # mu/beta desynchronization separates rest from attempt well above chance (0.5)
    assert accuracy > 0.8, accuracy


def test_score_trials_one_per_complete_cue():
    sfreq, cue = 100.0, 400
    cues = np.array(["rest", "grasp", "open"])
    cue_at = lambda s: cues[(np.asarray(s) // cue) % 3]  # noqa: E731  (the simulator's cycle)
    # outputs every 10 samples from source sample 250 to 1990: cues start at 400, 800, 1200, 1600
    idx = np.arange(250, 2000, 10)
    truth = np.where(cue_at(idx) == "rest", "rest", "attempt")
    decided = truth.copy()
    decided[(idx >= 1600)] = "rest"  # the decoder misses the last complete cue ('open' at 1600)
    trials = score_trials(decided, idx, sfreq=sfreq, cue_at=cue_at, cue_samples=cue, settle=150,
                          first_source_sample=250)
    assert [t.onset_sample for t in trials] == [400, 800, 1200], "cues cut by the run's ends are left out"
    assert [t.cue for t in trials] == ["attempt", "attempt", "rest"]
    assert all(t.correct for t in trials)
    assert trials[0].onset_s == pytest.approx(1.5) and trials[0].latency_s == pytest.approx(0.0)
    assert trials[1].latency_s is None, "grasp -> open asks for no change of class: no detection latency"


def test_score_trials_majority_and_latency():
    cue_at = lambda s: np.where((np.asarray(s) // 100) % 2 == 0, "rest", "grasp")  # noqa: E731
    idx = np.arange(0, 300)
    decided = np.full(len(idx), "rest", dtype=object)
    decided[180:200] = "attempt"  # late: only the last 20 of the 50 settled windows
    [t] = score_trials(decided.astype(str), idx, sfreq=100.0, cue_at=cue_at, cue_samples=100, settle=50,
                       first_source_sample=0)[1:2]
    assert t.cue == "attempt" and t.decoded == "rest" and not t.correct
    assert t.latency_s == pytest.approx(0.8)


def test_pick_sensorimotor_refuses_montage_without_motor_channels():
    with pytest.raises(ValidationError, match="sensorimotor"):
        pick_sensorimotor(["ECOG1", "ECOG2", "ECOG3"])
