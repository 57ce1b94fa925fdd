"""ERD map windows: one per cue, inside its cue, whatever the cue lengths (no LSL: an MNE Raw built here)."""

from __future__ import annotations

import mne
import numpy as np
from hypothesis import given, settings, strategies as st

from workbench.report.signals import erd_map
from tests.budget import examples

SFREQ = 250.0


def _raw(cues: list[tuple[str, float]], iti: float) -> mne.io.RawArray:
    """Noise on C3/C4 with ``label, seconds`` cues each followed by an 'iti' marker lasting ``iti`` s."""
    onsets, labels, t = [], [], 0.5
    for label, seconds in cues:
        onsets += [t, t + seconds]
        labels += [label, "iti"]
        t += seconds + iti
    data = np.random.default_rng(0).standard_normal((2, int((t + 0.5) * SFREQ))) * 1e-5
    raw = mne.io.RawArray(data, mne.create_info(["C3", "C4"], SFREQ, "eeg"), verbose=False)
    raw.set_annotations(mne.Annotations(onsets, [0.0] * len(onsets), labels))
    return raw


@settings(max_examples=examples(40), deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["rest", "grasp", "open"]), st.floats(1.05, 4.0)), min_size=1, max_size=9),
       st.floats(0.0, 1.0))
def test_every_cue_long_enough_gives_one_window_and_iti_is_never_a_class(cues, iti):
    erd = erd_map(_raw(cues, iti))
    classes = {c for c, _ in cues}
    if "rest" not in classes or classes == {"rest"}:
        assert erd is None
        return
    assert set(erd.classes) == classes - {"rest"} and "iti" not in erd.classes
    assert erd.n_rest == sum(c == "rest" for c, _ in cues)
    assert erd.n_windows == {c: sum(k == c for k, _ in cues) for c in erd.classes}
    assert np.isfinite(erd.erd_percent).all() and erd.erd_percent.shape[:2] == (len(erd.classes), 2)


def test_a_cue_shorter_than_tmin_plus_min_length_is_left_out():
    erd = erd_map(_raw([("rest", 2.0), ("grasp", 2.0), ("grasp", 0.8)], 0.5))
    assert erd.n_windows == {"grasp": 1} and erd.n_rest == 1
