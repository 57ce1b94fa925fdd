"""The Session tab shows what it names: loading at once, never a stale session, the chosen participant's."""

from __future__ import annotations

import html
import threading
import time
from concurrent.futures import Future
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from workbench.config import get_workspace
from workbench.records.demo import open_demo_store
from workbench.ui.dashboard import Dashboard, DashboardModel
from workbench.ui.dashboard.views import SessionPanel
from workbench.ui.dashboard.session_model import (DISPLAY_POINTS, SessionModel, decimate_envelope,
                                                   summary_path)

from ...report.trial_helpers import add_bci
from tests.budget import examples

B, C = "S-SCI-001-week6", "S-SCI-001-week12"


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    ws = get_workspace(tmp_path_factory.mktemp("sessions") / "workspace")
    store = open_demo_store(ws.root, role="investigator")
    add_bci(store, ws)  # SCI-001's first session has a recording, trials and a gate event
    store.close()
    return ws


@pytest.fixture
def model(ws):
    store = open_demo_store(ws.root, role="monitor")
    yield DashboardModel(store, ws.root, today=date(2026, 11, 22))
    store.close()


class Held:
    """An executor whose jobs run when the test says, in any order: a slow session made to finish late."""

    def __init__(self) -> None:
        self.jobs: dict[str, tuple] = {}

    def submit(self, fn, session, *args) -> Future:
        fut: Future = Future()
        self.jobs[session.id] = (fn, (session, *args), fut)
        return fut

    def finish(self, session_id: str) -> None:
        fn, args, fut = self.jobs.pop(session_id)
        fut.set_result(fn(*args))  # the model's done-callback runs here, as a worker's would


def test_loading_state_comes_first_and_a_late_result_for_another_session_is_never_shown(model):
    held = Held()
    sessions = SessionModel(model, executor=held)
    seen = []
    sessions.listeners.add(lambda: seen.append(sessions.state))
    model.select_session(B)
    assert seen[-1].status == "loading" and seen[-1].session_id == B and seen[-1].view is None
    model.select_session(C)  # chosen before B's figures are ready
    assert sessions.state.status == "loading" and sessions.state.session_id == C
    held.finish(B)  # B's figures arrive after C was chosen
    assert sessions.state.session_id == C and sessions.state.status == "loading"
    held.finish(C)
    final = sessions.wait(60)
    assert final.status == "ready" and final.session_id == C and final.view.session_id == C
    # Nothing of B was ever shown once C was chosen; every view shown names the state's session.
    after_c = seen[next(i for i, s in enumerate(seen) if s.session_id == C):]
    assert all(s.session_id == C for s in after_c)
    assert all(s.view is None or s.view.session_id == s.session_id for s in seen)
    assert [s.status for s in seen if s.session_id == C] == ["loading", "ready"]


def test_the_panel_clears_the_previous_figures_the_moment_another_session_is_chosen(model, ws):
    held = Held()  # each choice waits until the test finishes it: the loading state is observable
    dash_panel = SessionPanel(model, executor=held)
    held.finish(model.session_id)
    assert dash_panel.body.children  # the first session (a recording, trials, a gate event) is drawn
    # Until the browser has drawn a figure, its area names it (under the plot, which covers it).
    for box, fig in zip(dash_panel.body.children, dash_panel.state.state.view.figures.values()):
        drawing, plot = box.children
        title = fig.layout.title.text.split("<br>")[0]
        assert "wb-figure-drawing" in drawing._dom_classes and f"Drawing {html.escape(title)} ..." in drawing.value
        assert "wb-figure-plot" in plot._dom_classes and plot.outputs
    dash_panel.model.select_session(B)
    assert dash_panel.body.children == ()
    assert "Loading session" in dash_panel.notes.value and "wb-session-loading" in dash_panel.notes.value
    # The notes name their session, loading or drawn, so two sessions that read the same are told apart.
    assert f"data-wb-session='{B}'" in dash_panel.notes.value
    held.finish(B)
    assert dash_panel.state.wait(60).status == "ready"
    assert "Loading" not in dash_panel.notes.value and f"data-wb-session='{B}'" in dash_panel.notes.value


def test_a_live_panel_sends_one_plot_at_a_time_and_stops_when_another_session_is_chosen(model, ws):
    held = Held()
    panel = SessionPanel(model, background=True, executor=held)  # staggered, as in the live dashboard
    worker = threading.Thread(target=held.finish, args=(model.session_id,))  # the worker thread draws it
    worker.start()
    deadline = time.monotonic() + 60
    while not (panel.body.children and panel.body.children[0].children[1].outputs) and time.monotonic() < deadline:
        time.sleep(0.002)
    boxes = panel.body.children
    assert len(boxes) >= 2 == len(boxes[0].children)  # every area at once, each saying "Drawing ..."
    assert not boxes[-1].children[1].outputs  # the first plot sent, the last not yet
    panel.model.select_session(B)  # while the rest are still to come
    worker.join(60)
    # The loading state replaced (and closed) the first session's areas; no plot was sent after the choice.
    assert panel.body.children == () and all(b.comm is None for b in boxes)
    assert not boxes[-1].children[1].outputs
    held.finish(B)
    assert panel.state.wait(60).status == "ready" and panel.state.state.session_id == B


def test_every_participant_without_a_session_is_named_as_such(model, ws):
    panel = Dashboard(model.store, ws.root, today=date(2026, 11, 22)).session
    panel.model.select_participant("SCI-003")
    assert "No BCI session recorded for SCI-003" in panel.notes.value
    panel.model.select_participant("SCI-004")  # the previous participant must not stay named
    assert "SCI-004" in panel.notes.value and "SCI-003" not in panel.notes.value
    panel.model.select_participant("SCI-001")
    panel.wait()
    assert panel.state.state.session_id.startswith("S-SCI-001") and "No BCI session" not in panel.notes.value


def test_a_live_dashboard_builds_the_figures_in_a_worker_and_shows_them(model, ws):
    panel = Dashboard(model.store, ws.root, today=date(2026, 11, 22), background=True).session
    panel.model.select_session(C)
    state = panel.state.wait(60)
    assert state.status == "ready" and state.session_id == C
    assert "Loading" not in panel.notes.value


def test_a_recording_is_summarised_once_and_drawn_decimated(model, ws):
    sessions = SessionModel(model)
    first = sessions.wait()
    assert first.status == "ready" and "signal" in first.view.figures
    session = next(s for s in model.data.sessions if s.id == first.session_id)
    kept = summary_path(ws.root, session.recording_files[0].sha256)
    assert kept.is_file()
    for trace in first.view.figures["signal"].data:
        assert len(trace.x) <= DISPLAY_POINTS
    # Drawn again from the summary: the same figure as from the recording.
    model.select_session(B)
    model.select_session(first.session_id)
    again = sessions.wait()
    assert again.view.figures["signal"].to_json() == first.view.figures["signal"].to_json()


@settings(max_examples=examples(50), deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 9000)),
              elements=st.floats(-1e3, 1e3, allow_nan=False)))
def test_decimation_keeps_every_peak_and_the_time_span(data):
    times = np.arange(data.shape[1]) / 2000.0
    t, d = decimate_envelope(times, data, max_points=200)
    assert d.shape[1] <= max(200, data.shape[1] if data.shape[1] <= 200 else 0)
    assert len(t) == d.shape[1] and np.all(np.diff(t) >= 0)
    np.testing.assert_array_equal(d.max(axis=1), data.max(axis=1))
    np.testing.assert_array_equal(d.min(axis=1), data.min(axis=1))
    assert t[0] == times[0] and t[-1] == times[-1]


@pytest.mark.slow
def test_choosing_a_session_redraws_only_the_session_tab_and_a_reload_redraws_all(model, ws):
    """The overview (0.7 s of figures) and the participant view stay as drawn when a session is chosen."""
    dash = Dashboard(model.store, ws.root, today=date(2026, 11, 22))
    participant, session = dash.participant, dash.session
    overview, shown = dash.overview.body.children, participant.body.children
    dash.model.select_session(B)
    assert dash.overview.body.children is overview and participant.body.children is shown
    assert session.state.wait(60).session_id == B
    dash.model.reload()  # new records (an outcome saved, say): every view draws them
    assert dash.overview.body.children is not overview and participant.body.children is not shown


@pytest.mark.slow
def test_switching_sessions_all_day_leaves_no_widget_behind(model, ws):
    """Every figure replaced is closed: widgets in the kernel stay level however often one switches."""
    import ipywidgets as widgets

    live = widgets.widget._instances  # every open widget of this process, by model id
    dash = Dashboard(model.store, ws.root, today=date(2026, 11, 22))
    drawn = dash.session.state.wait(60).session_id  # SCI-001's first session: a recording, trials, a gate event
    assert dash.session.body.children
    dash.model.select_session(B)
    dash.model.select_session(drawn)
    dash.model.reload()  # new records: the overview and participant views are drawn again too
    dash.session.state.wait(60)
    before, first = set(live), {w.model_id for w in dash.session.body.children}
    for _ in range(3):
        for sid in (B, C, drawn):
            dash.model.select_session(sid)
            assert dash.session.state.wait(60).session_id == sid
        dash.model.reload()
        dash.session.state.wait(60)
    left = sorted(type(live[k]).__name__ for k in set(live) - before)
    assert len(live) == len(before), f"{len(live) - len(before)} widgets left open after 9 switches: {left}"
    # The first figures are closed (they are in no view any more); the panel's new ones are open.
    assert first and not first & set(live)
    assert dash.session.body.children and all(w.model_id in live for w in dash.session.body.children)
