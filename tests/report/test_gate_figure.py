"""The safety-gate figure reads as clock time however close together its decisions are."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.report.figures import GATE_MIN_SPAN_S, gate_events_figure
from tests.budget import examples

START = pd.Timestamp("2026-01-13 09:33:00")


@settings(max_examples=examples(40), deadline=None)
@given(st.lists(st.floats(0, 4 * 3600), min_size=1, max_size=20))
def test_the_axis_spans_at_least_a_minute_and_holds_every_decision(offsets_s):
    times = [START + pd.Timedelta(o, "s") for o in offsets_s]
    events = pd.DataFrame({"occurred_at": times, "decision": ["blocked"] * len(times), "rule": ["limit"] * len(times)})
    fig = gate_events_figure(events)
    axis = fig.layout.xaxis
    assert axis.tickformat.startswith("%H:%M:%S")  # no milliseconds in the ticks
    if axis.range is not None:  # decisions within a minute: a minute around them
        lo, hi = (pd.Timestamp(r) for r in axis.range)
        assert abs((hi - lo).total_seconds() - GATE_MIN_SPAN_S) < 1e-3
        assert lo <= min(times) and max(times) <= hi
    else:  # plotly's own range, over at least a minute of decisions
        assert max(times) - min(times) >= pd.Timedelta(GATE_MIN_SPAN_S, "s")
    assert sum(len(t.x) for t in fig.data) == len(times)
