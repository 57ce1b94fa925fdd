"""Paradigm spec, seeded schedule and the runner's pause / resume / abort."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.errors import ValidationError
from workbench.session.paradigm import ITI, ParadigmRunner, ParadigmSpec
from tests.budget import examples


def test_schedule_is_balanced_seeded_and_jittered():
    spec = ParadigmSpec(classes=("rest", "grasp", "open"), repetitions=4, seed=3, cue_s=4, rest_s=2, jitter_s=0.5)
    a, b = spec.schedule(), spec.schedule()
    assert a == b
    cues = [lab for _, lab in a if lab != ITI]
    assert sorted(cues) == sorted(["rest", "grasp", "open"] * 4)
    assert cues != [lab for _, lab in ParadigmSpec(repetitions=4, seed=4).schedule() if lab != ITI]
    itis = [b[0] - a[0] for a, b in zip(a, a[1:]) if a[1] == ITI]
    assert all(2.0 <= d <= 2.5 for d in itis) and len(set(itis)) > 1
    assert all(b[0] - a[0] == pytest.approx(4.0) for a, b in zip(a, a[1:]) if a[1] != ITI)


@settings(max_examples=examples(50), deadline=None)
@given(st.integers(2, 4), st.floats(0.5, 10), st.floats(0, 5), st.integers(1, 6), st.integers(0, 1000),
       st.floats(0, 2))
def test_every_class_gets_its_repetitions_and_cues_never_overlap(n_classes, cue_s, rest_s, reps, seed, jitter):
    spec = ParadigmSpec(tuple(f"c{i}" for i in range(n_classes)), cue_s, rest_s, reps, seed, jitter)
    sched = spec.schedule()
    onsets = [t for t, _ in sched]
    assert all(b >= a for a, b in zip(onsets, onsets[1:]))
    assert all(b[0] - a[0] == pytest.approx(cue_s, abs=2e-6) for a, b in zip(sched, sched[1:]) if a[1] != ITI)
    runner = ParadigmRunner(spec)
    runner.start()
    assert [c for _, c, _, _ in runner.trials()].count("c0") == reps
    assert len(runner.trials()) == spec.n_trials


def test_bad_spec_lists_every_problem():
    with pytest.raises(ValidationError) as err:
        ParadigmSpec(classes=("grasp",), cue_s=-1, rest_s=math.nan, repetitions=0, seed=-2, jitter_s=100)
    assert set(err.value.fields) == {"classes", "cue_s", "rest_s", "repetitions", "seed", "jitter_s"}


def test_pause_repeats_the_cut_cue_and_delays_the_rest():
    spec = ParadigmSpec(classes=("rest", "grasp"), repetitions=2, jitter_s=0.0, rest_s=2.0, cue_s=4.0)
    runner = ParadigmRunner(spec)
    runner.start()
    first_cue = runner.trials()[0]
    before = runner.trials()
    t_pause = first_cue[2] + 1.0  # one second into the first cue
    runner.pause(t_pause)
    assert runner.cue_state(t_pause + 5).label == "pause" and runner.state == "paused"
    runner.resume(t_pause + 10.0)
    assert runner.state == "running"
    after = runner.trials()
    assert [c for _, c, _, _ in after] == [c for _, c, _, _ in before]  # the cut cue is run again, whole
    assert after[0][2] == pytest.approx(t_pause + 10.0) and after[0][3] - after[0][2] == pytest.approx(4.0)
    assert after[1][2] - before[1][2] == pytest.approx(10.0 + 1.0)
    assert runner.timeline.label_at(t_pause + 5)[0] == "pause"
    assert runner.end_s == pytest.approx(spec.duration_s + 11.0)


def test_abort_ends_the_run_and_keeps_only_complete_trials():
    spec = ParadigmSpec(repetitions=3, jitter_s=0.0)
    runner = ParadigmRunner(spec)
    runner.start()
    t = runner.trials()[2][2] + 1.0
    runner.abort(t)
    assert runner.state == "aborted" and runner.end_s == t
    assert len(runner.trials()) == 2
    assert runner.timeline.label_at(t + 1)[0] == "rest"


def test_update_returns_each_onset_once_and_finishes():
    spec = ParadigmSpec(repetitions=1, jitter_s=0.0)
    runner = ParadigmRunner(spec)
    runner.start()
    seen = []
    for t in np.arange(0, spec.duration_s + 1, 0.05):
        seen += runner.update(float(t))
    assert seen == spec.schedule()
    assert runner.state == "finished"
