"""When a stream's time stamps count as going back (``Stream._reversal``), for any stamps: against a naive scan."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.acquisition import Stream
from workbench.acquisition.stream import REVERSAL_TOLERANCE_S
from workbench.errors import ValidationError
from tests.budget import examples


def _naive_reversal(last, stamps, tol):
    """Sample by sample: how far each stamp is below the newest stamp seen before it; the largest drop."""
    best = None
    newest = stamps[0] if last is None else last
    for t in stamps:
        drop = newest - t
        if drop > tol and (best is None or drop > best[0] - best[1]):
            best = (newest, t)
        newest = max(newest, t)
    return best


stamps = st.lists(st.floats(-5.0, 5.0, allow_nan=False), min_size=0, max_size=40)


@settings(max_examples=examples(300), deadline=None)
@given(last=st.none() | st.floats(-5.0, 5.0), ts=stamps, tol=st.sampled_from([0.0, 0.001, REVERSAL_TOLERANCE_S, 1.0]))
def test_the_largest_step_back_beyond_the_tolerance_is_found_as_a_sample_by_sample_scan_finds_it(last, ts, tol):
    stream = Stream("never-connected", reversal_tolerance=tol)
    stream._last_ts = last
    got = stream._reversal(np.asarray(ts, dtype=float))
    want = _naive_reversal(last, ts, tol) if ts else None
    if want is None:
        assert got is None
    else:
        assert got is not None and got[0] - got[1] == pytest.approx(want[0] - want[1])
        assert got[1] < got[0]


def test_regular_stamps_with_chunk_jitter_below_the_tolerance_are_not_a_reversal():
    rng = np.random.default_rng(0)
    stream = Stream("never-connected")
    t = 0.0
    for _ in range(500):  # chunks of 8 samples at 2 kHz, each stamped on arrival with up to 4 ms of jitter
        ts = t + rng.uniform(-0.004, 0.004) + np.arange(8) / 2000.0
        assert stream._reversal(ts) is None
        stream._last_ts = float(ts[-1])
        t += 8 / 2000.0


def test_a_reset_in_the_middle_of_a_chunk_is_found_where_it_happened():
    stream = Stream("never-connected")
    stream._last_ts = 10.0
    ts = np.array([10.001, 10.002, 9.5, 9.501, 9.502])
    assert stream._reversal(ts) == (10.002, 9.5)


@pytest.mark.parametrize("bad", [-0.001, float("nan"), float("inf"), "5 ms", True])
def test_a_tolerance_that_is_not_seconds_at_or_above_zero_is_refused_by_name(bad):
    with pytest.raises(ValidationError, match="reversal_tolerance"):
        Stream("never-connected", reversal_tolerance=bad)
