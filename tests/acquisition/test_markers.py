"""MarkerStream's bookkeeping: every marker read once, in order, whatever the pattern of arrivals and reads."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from workbench.acquisition import MarkerStream
from tests.budget import examples


def _arrive(stream: MarkerStream, values: list[str], t0: float) -> None:
    """A pull of ``values`` as the inlet's thread stores it (one string channel)."""
    data = np.array([[v] for v in values], dtype=object).reshape(len(values), 1)
    stream._store(data, np.arange(len(values), dtype=float) + t0)


def _read_new_naive(stored: list[str], n_read: int, maxlen: int) -> list[str]:
    """The markers not read yet among the last ``maxlen`` stored (the older ones were dropped)."""
    return stored[max(n_read, len(stored) - maxlen):]


@settings(max_examples=examples(200), deadline=None)
@given(maxlen=st.integers(1, 20),
       steps=st.lists(st.one_of(st.just("read"), st.integers(0, 30)), max_size=40))
def test_read_new_returns_each_kept_marker_once_in_order(maxlen, steps):
    stream = MarkerStream("wb-test-markers-unconnected", maxlen=maxlen)
    stored, n_read = [], 0
    for step in steps:
        if step == "read":
            got = [m.value for m in stream.read_new()]
            assert got == _read_new_naive(stored, n_read, maxlen)
            n_read = len(stored)
        else:
            values = [f"m{len(stored) + k}" for k in range(step)]
            _arrive(stream, values, float(len(stored)))
            stored += values
    assert [m.value for m in stream.read_new()] == _read_new_naive(stored, n_read, maxlen)
    assert stream.read_new() == []  # nothing new since


def test_read_new_keeps_time_stamps_with_their_values():
    stream = MarkerStream("wb-test-markers-unconnected", maxlen=3)
    _arrive(stream, ["a", "b", "c", "d", "e"], 10.0)  # a and b dropped: only three are kept
    got = stream.read_new()
    assert [(m.timestamp, m.value) for m in got] == [(12.0, "c"), (13.0, "d"), (14.0, "e")]
