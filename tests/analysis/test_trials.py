"""Cues from markers and trials from decoder windows, for any cue timing and window step."""

from __future__ import annotations

import mne
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.analysis.trials import read_cues, score_cues
from tests.budget import examples

CLASSES = {"rest": "rest", "grasp": "attempt", "open": "attempt"}


def _raw(onsets_s, labels, sfreq=100.0, seconds=None):
    seconds = seconds or (max(onsets_s) + 2 if onsets_s else 5)
    raw = mne.io.RawArray(np.zeros((1, int(seconds * sfreq))), mne.create_info(["C3"], sfreq, "eeg"), verbose=False)
    raw.set_annotations(mne.Annotations(onsets_s, 0.0, labels))
    return raw


@st.composite
def cue_runs(draw):
    n = draw(st.integers(2, 12))
    lengths = draw(st.lists(st.integers(50, 400), min_size=n, max_size=n))  # samples at 100 Hz
    labels = draw(st.lists(st.sampled_from(sorted(CLASSES)), min_size=n, max_size=n))
    onsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]) + draw(st.integers(0, 100))
    return onsets, labels


@settings(max_examples=examples(60), deadline=None)
@given(cue_runs(), st.lists(st.sampled_from(["marker", "boundary"]), max_size=3))
def test_every_cue_but_the_last_is_a_trial_lasting_until_the_next(run, noise):
    onsets, labels = run
    raw = _raw(list(onsets / 100.0) + [0.5] * len(noise), labels + noise)
    cues = read_cues(raw, CLASSES)
    assert cues.n == len(onsets) - 1  # markers that are not cues are ignored
    np.testing.assert_array_equal(cues.onsets, onsets[:-1])
    np.testing.assert_array_equal(cues.ends, onsets[1:])
    assert list(cues.classes) == [CLASSES[lab] for lab in labels[:-1]]


@settings(max_examples=examples(60), deadline=None)
@given(cue_runs(), st.integers(1, 30), st.integers(0, 40))
def test_a_decoder_that_follows_the_cues_is_right_on_every_voting_trial(run, step, settle):
    onsets, labels = run
    cues = read_cues(_raw(list(onsets / 100.0), labels), CLASSES)
    window_end = np.arange(0, int(onsets[-1]) + 50, step)
    k = np.searchsorted(cues.onsets, window_end, side="right") - 1
    decided = np.where(k >= 0, cues.classes[np.clip(k, 0, None)], "rest").astype(object)
    trials = score_cues(cues, 100.0, settle, window_end, decided)
    assert [t.number for t in trials] == list(range(1, cues.n + 1))
    for t, onset, end in zip(trials, cues.onsets, cues.ends):
        votes = int(np.count_nonzero((window_end >= onset + settle) & (window_end < end)))
        assert t.n_windows == votes
        assert t.correct is (True if votes else None)
        changed = t.number == 1 or cues.classes[t.number - 2] != t.cue
        first = window_end[(window_end >= onset) & (window_end < end)]
        # Latency: onset to the first window of the cued class, only where the class changes.
        expected = (first[0] - onset) / 100.0 if changed and len(first) else None
        assert t.latency_s == expected


def test_a_decoder_that_never_changes_is_wrong_on_attempts():
    cues = read_cues(_raw([0, 4, 8, 12, 16], ["rest", "grasp", "open", "rest", "grasp"]), CLASSES)
    window_end = np.arange(0, 2000, 10)
    trials = score_cues(cues, 100.0, 150, window_end, np.full(len(window_end), "rest", dtype=object))
    assert [t.correct for t in trials] == [True, False, False, True]
    # Rest at 12 s follows an attempt (a change) and its first window says rest: latency 0.
    # grasp never gets its class; open asks for no change: no latency for either.
    assert [t.latency_s for t in trials] == [0.0, None, None, 0.0]


def test_windows_that_saw_non_finite_samples_do_not_vote():
    # Found on a fresh clone: the demo's glove run has a NaN burst inside a cue, its windows decide
    # None, and voting over a mix of None and class names failed the whole unit.
    cues = read_cues(_raw([0, 4, 8, 12], ["rest", "grasp", "open", "rest"]), CLASSES)
    window_end = np.arange(0, 1600, 10)
    decided = np.full(len(window_end), "attempt", dtype=object)
    decided[(window_end >= 0) & (window_end < 400)] = "rest"
    decided[(window_end >= 550) & (window_end < 700)] = None  # part of the grasp cue: a NaN burst
    decided[(window_end >= 800) & (window_end < 1200)] = None  # the whole open cue
    trials = score_cues(cues, 100.0, 150, window_end, decided)
    assert [t.decoded for t in trials] == ["rest", "attempt", None]
    assert [t.correct for t in trials] == [True, True, None]
    assert trials[1].n_windows == 10  # settled 550-790, of which only 700-790 are valid and vote
    assert trials[2].n_windows == 0


def test_an_inter_trial_interval_ends_a_cue_and_stream_prefixes_are_read_through():
    # As the demo's paradigm records them: iti, cue, iti, cue ...; several marker streams in one
    # file are named "<stream>/<label>"; other streams' markers (decoder outputs) are not cues.
    onsets = [0.0, 2.0, 5.0, 6.5, 9.5, 10.0, 10.5]
    labels = ["iti", "loop-markers/grasp", "loop-markers/iti", "rest", "iti", "loop-outputs/0.1/0.9", "grasp"]
    cues = read_cues(_raw(onsets, labels), CLASSES, boundaries=("iti",))
    np.testing.assert_array_equal(cues.onsets, [200, 650])
    np.testing.assert_array_equal(cues.ends, [500, 950])  # each cue ends at its iti, not at the next cue
    assert list(cues.labels) == ["grasp", "rest"] and list(cues.classes) == ["attempt", "rest"]
