"""Bad input on a live stream (issue 18): each a named event, never a crash, on real LSL outlets."""

from __future__ import annotations

import numpy as np
import pylsl
import pytest

from workbench.acquisition import Stream
from workbench.session.closed_loop import FAULT_EVENTS, GAP_EVENTS

from .outlets import CounterOutlet, wait_for

pytestmark = [pytest.mark.lsl, pytest.mark.timeout(60)]


def _kinds(stream):
    return [e.kind for e in stream.events]


@pytest.mark.parametrize("changed", [dict(n_channels=6), dict(sfreq=250.0)], ids=["channels", "rate"])
def test_a_source_returning_with_another_layout_is_reported_and_not_used(unique_name, changed):
    src = f"{unique_name}-src"
    with CounterOutlet(unique_name, source_id=src) as first, Stream(unique_name, source_id=src, bufsize=2.0) as st:
        assert wait_for(lambda: st.n_samples_received > 20)
        first.stop()
        assert wait_for(lambda: "disconnected" in _kinds(st))
        with CounterOutlet(unique_name, source_id=src, **{"n_channels": 4, "sfreq": 500.0, **changed}):
            assert wait_for(lambda: "layout_changed" in _kinds(st), timeout=10)
            n = st.n_samples_received
            ev = next(e for e in st.events if e.kind == "layout_changed")
            assert src in ev.detail and "not used" in ev.detail
            assert not st.connected and st.n_samples_received == n  # nothing of the other layout was stored
            assert _kinds(st).count("layout_changed") == 1  # once, not at every look
    assert FAULT_EVENTS["layout_changed"] == "stream_layout_changed" and "layout_changed" in GAP_EVENTS


@pytest.mark.slow
def test_a_stream_of_the_same_name_with_another_source_id_is_reported_and_not_used(unique_name):
    src = f"{unique_name}-src"
    with CounterOutlet(unique_name, source_id=src) as first, Stream(unique_name, source_id=src, bufsize=2.0) as st:
        assert wait_for(lambda: st.n_samples_received > 20)
        first.stop()
        assert wait_for(lambda: "disconnected" in _kinds(st))
        with CounterOutlet(unique_name, source_id=f"{unique_name}-other"):
            assert wait_for(lambda: "source_changed" in _kinds(st), timeout=10)
            ev = next(e for e in st.events if e.kind == "source_changed")
            assert f"{unique_name}-other" in ev.detail and not st.connected
        # the device of this session returns: used again, after a gap
        with CounterOutlet(unique_name, source_id=src):
            assert wait_for(lambda: st.connected and "gap" in _kinds(st), timeout=10)
    assert FAULT_EVENTS["source_changed"] == "stream_source_changed"


def _push_at(unique_name, offsets_s, expect_samples):
    """A 500 Hz, 2-channel outlet that pushes one 10-sample chunk per offset (s from now) into a Stream
    read as sent; returns the stream's events and the samples it kept."""
    info = pylsl.StreamInfo(unique_name, "EEG", 2, 500.0, "float32", f"{unique_name}-src")
    outlet = pylsl.StreamOutlet(info)
    with Stream(unique_name, bufsize=2.0, dejitter=False) as st:
        t = pylsl.local_clock()
        block = np.arange(20, dtype=np.float32).reshape(10, 2)
        for k, offset in enumerate(offsets_s):
            outlet.push_chunk(block + 100 * k, list(t + offset + np.arange(10) / 500.0))
            assert wait_for(lambda: st.n_samples_received >= 10 * (k + 1))
        assert st.n_samples_received == expect_samples
        data, _ = st.get_data()
        events = list(st.events)
    del outlet
    return events, data


def test_time_stamps_going_backwards_are_a_named_event_and_the_samples_are_kept(unique_name):
    events, data = _push_at(unique_name, [0.0, -1.0], 20)  # a clock reset: 1 s back
    ev = next(e for e in events if e.kind == "time_reversed")
    assert ev.gap_stop < ev.gap_start and "went back" in ev.detail
    assert len(data) == 20  # recorded as received, the event says where time broke
    assert FAULT_EVENTS["time_reversed"] == "timestamps_backwards" and "time_reversed" in GAP_EVENTS


def test_chunks_stamped_on_arrival_that_overlap_by_their_jitter_are_not_a_reversal(unique_name):
    """A source that stamps each chunk when it arrives overlaps chunks by a few ms: not a clock reset."""
    events, _ = _push_at(unique_name, [0.0, 0.015, 0.5], 30)  # the second starts 3 ms before the first ends
    assert "time_reversed" not in [e.kind for e in events]
