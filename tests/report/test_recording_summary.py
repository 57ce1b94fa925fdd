"""Summaries of a session's recordings built when it is recorded: the dashboard's first opening reads no recording."""

from __future__ import annotations

from datetime import date

import pytest

from workbench.config import get_workspace
from workbench.records import Session
from workbench.records.demo import open_demo_store
from workbench.report import recording_summary as R
from workbench.ui.dashboard import DashboardModel
from workbench.ui.dashboard.session_model import SessionModel

from .trial_helpers import add_bci


@pytest.fixture
def recorded(tmp_path):
    ws = get_workspace(tmp_path / "workspace")
    store = open_demo_store(ws.root, role="investigator")
    try:
        session = add_bci(store, ws)
    finally:
        store.close()
    return ws, session


def test_a_prebuilt_summary_is_drawn_without_reading_the_recording(recorded, monkeypatch):
    ws, session = recorded
    built = R.build_session_summaries([session], ws.root)
    assert built == [R.summary_path(ws.root, session.recording_files[0].sha256)] and built[0].is_file()

    def no_reading(*_args, **_kw):
        raise AssertionError("the first opening read the recording")

    monkeypatch.setattr("workbench.recording.read_recording", no_reading)
    store = open_demo_store(ws.root, role="monitor")
    try:
        model = DashboardModel(store, ws.root, today=date(2026, 11, 22))
        model.select_participant(session.participant_id)
        sessions = SessionModel(model)
        model.select_session(session.id)
        state = sessions.wait()
    finally:
        store.close()
    assert state.status == "ready" and "signal" in state.view.figures


def test_a_changed_recording_gets_no_summary_and_the_view_says_why(recorded):
    ws, session = recorded
    rec = session.recording_files[0]
    with open(ws.root / rec.path, "ab") as fh:
        fh.write(b"\0")
    assert R.build_session_summaries([session], ws.root) == []
    assert not R.summary_path(ws.root, rec.sha256).exists()
    store = open_demo_store(ws.root, role="monitor")
    try:
        model = DashboardModel(store, ws.root, today=date(2026, 11, 22))
        model.select_participant(session.participant_id)
        model.select_session(session.id)
        view = model.session()
    finally:
        store.close()
    assert "signal" not in view.figures and any("file changed" in n for n in view.notes)


def test_sessions_without_recordings_are_skipped(recorded):
    ws, _ = recorded
    store = open_demo_store(ws.root, role="monitor")
    try:
        bare = [s for s in store.find(Session) if not s.recording_files]
    finally:
        store.close()
    assert bare and R.build_session_summaries(bare, ws.root) == []
