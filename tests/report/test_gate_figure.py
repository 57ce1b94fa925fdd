"""The safety-gate figure reads as clock time however close together its decisions are."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.report.figures import GATE_MAX_MARKS, GATE_MIN_SPAN_S, gate_events_figure
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


@settings(max_examples=examples(30), deadline=None)
@given(st.integers(1, 3000), st.integers(0, 30), st.floats(0.001, 8 * 3600))
def test_a_long_session_is_drawn_in_bounded_marks_and_every_rare_decision_is_drawn(n_passed, n_safe, span_s):
    passed = [START + pd.Timedelta(span_s * k / max(n_passed - 1, 1), "s") for k in range(n_passed)]
    safe = [START + pd.Timedelta(span_s * (k + 0.5) / max(n_safe, 1), "s") for k in range(n_safe)]
    events = pd.DataFrame({"occurred_at": passed + safe, "decision": ["passed"] * n_passed + ["safe_state"] * n_safe,
                           "rule": ["ok"] * n_passed + ["signal_lost"] * n_safe})
    fig = gate_events_figure(events)
    traces = {t.name.split(" (")[0]: t for t in fig.data}
    assert traces["passed"].name == f"passed ({n_passed:,})"  # the legend counts every decision
    assert len(traces["passed"].x) <= min(n_passed, GATE_MAX_MARKS)
    drawn = pd.to_datetime(pd.Series(traces["passed"].x), format="ISO8601")
    assert drawn.min() == min(passed) and drawn.max() <= max(passed)  # from the first decision on
    if n_passed > GATE_MAX_MARKS:  # each mark says how many decisions its bin holds; together all of them
        assert sum(int(t.split()[0]) for t in traces["passed"].text) == n_passed
    if n_safe:  # rows and rules in words, as the reports' tables say them
        assert len(traces["safe state"].x) == n_safe and set(traces["safe state"].y) == {"safe state"}
        assert set(traces["safe state"].text) == {"signal lost (no samples)"}
        assert [t.name.split(" (")[0] for t in fig.data] == ["passed", "safe state"]  # the gate's order
