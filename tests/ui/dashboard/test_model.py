"""The dashboard's model: choices, views' contents and roles, without a browser."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from workbench.config import get_workspace
from workbench.errors import ValidationError
from workbench.records import RecordingFile, Session
from workbench.records.demo import open_demo_store
from workbench.ui.dashboard import Dashboard, DashboardModel
from workbench.ui.dashboard.session_model import session_view, sessions_with_figures

from ...report.trial_helpers import RECORDING, add_bci, add_isncsci, empty_store


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    ws = get_workspace(tmp_path_factory.mktemp("dash") / "workspace")
    store = open_demo_store(ws.root, role="investigator")
    add_isncsci(store, "SCI-001")
    add_bci(store, ws)
    store.close()
    return ws


@pytest.fixture
def monitor(ws):
    store = open_demo_store(ws.root, role="monitor")
    yield DashboardModel(store, ws.root, today=date(2026, 11, 22))
    store.close()


def test_participants_are_offered_by_pseudonym_arm_and_site(monitor):
    labels = dict((pid, label) for label, pid in monitor.participant_choices)
    assert list(labels) == ["SCI-001", "SCI-002", "SCI-003", "SCI-004"]
    assert labels["SCI-001"] == "SCI-001 · BCI · site ZH"
    assert monitor.participant == "SCI-001"


def test_choosing_a_participant_changes_the_figures(monitor):
    first = monitor.participant_figures()
    assert first["isncsci"].layout.title.text.startswith("SCI-001")
    monitor.select_participant("SCI-004")
    second = monitor.participant_figures()
    assert second["WISCI-II total"].layout.title.text == "SCI-004 · WISCI-II: WISCI II level"
    assert [t.name for t in second["WISCI-II total"].data] == ["SCI-004"]
    # A confirmed SCI threshold (WISCI II: one level) is drawn around the baseline.
    assert second["WISCI-II total"].layout.shapes


def test_unknown_participant_is_refused_with_the_choices(monitor):
    with pytest.raises(ValidationError, match="SCI-001"):
        monitor.select_participant("SCI-999")
    assert monitor.participant == "SCI-001"


def test_session_view_shows_the_recording_confusion_matrix_and_gate(monitor):
    assert monitor.session_id == "S-SCI-001-baseline"
    view = monitor.session()
    assert {"signal", "confusion", "gate"} <= set(view.figures)
    cm = view.figures["confusion"].data[0].z
    assert sum(map(sum, cm)) == 8  # the run's decoded trials
    assert any("ERD" in n for n in view.notes)  # a 4 s recording with one marker: said, not drawn


def test_the_sessions_said_to_have_figures_are_those_the_session_view_draws_for(monitor):
    """The Session tab's default and its view agree, session by session, on whether there is anything to draw."""
    drawn = sessions_with_figures(monitor.data)
    for session in monitor.data.sessions:
        view = session_view(session, monitor.data, monitor.workspace.root)
        nothing = sum(n.startswith("No ") for n in view.notes) == 3
        assert (session.id in drawn) == (not nothing), (session.id, view.notes)
    assert drawn and len(drawn) < len(monitor.data.sessions)


def test_sessions_are_offered_by_date_and_number_not_by_a_withheld_label(monitor):
    # The demo's device label has spaces, so it is withheld on the way out: the choice must still read.
    labels = [label for label, _ in monitor.session_choices]
    assert labels and "S-SCI-001-baseline" in [sid for _, sid in monitor.session_choices]
    assert all("withheld" not in label and label[:4].isdigit() for label in labels)
    assert [label.split(" · ")[1] for label in labels] == [f"session {k}" for k in range(1, len(labels) + 1)]


def test_closed_loop_runs_show_their_timing_as_the_report_does(monitor):
    timing = monitor.participant_tables()["Closed-loop timing per run"]
    # add_bci's closed-loop run, with the figures its RunMetrics stored; the run of scored trials has none.
    assert list(timing["run"]) == [2]
    # The session named as the Session tab offers it (start, number), not by its id.
    baseline = next(label for label, sid in monitor.session_choices if sid == "S-SCI-001-baseline")
    assert (baseline + " · ").startswith(timing["session"].iloc[0] + " · ") and "date" not in timing
    row = timing.iloc[0]
    assert (row["command latency p99 (ms)"], row["workbench share p99 (ms)"], row["samples lost"]) == (24.5, 0.8, 4470)
    assert row["loop thread"] == "real-time (SCHED_FIFO 20)" and "participant" not in timing
    monitor.select_participant("SCI-004")  # no closed-loop run: no table, rather than an empty one
    assert "Closed-loop timing per run" not in monitor.participant_tables()


def test_monitor_reads_everything_and_enters_nothing(monitor):
    assert not monitor.can_enter_outcomes
    dash = Dashboard(monitor.store, monitor.workspace.root, today=date(2026, 11, 22))
    assert dash.entry.form is None and "changes none" in dash.entry.widget.value
    assert dash.overview.closing is None  # no control to close a deviation either


def test_the_outcome_tab_says_what_to_do_until_a_form_is_open(ws):
    """An empty drop-down alone does not say what the tab is for: a line does, naming the participant viewed."""
    store = open_demo_store(ws.root, role="investigator")
    try:
        dash = Dashboard(store, ws.root, today=date(2026, 11, 22))
        hint = dash.entry.chooser.hint
        assert "Choose the instrument to enter for SCI-001" in hint.value and hint.layout.display != "none"
        dash.model.select_participant("SCI-003")
        assert "for SCI-003" in hint.value
        dash.entry.instrument.value = "WISCI-II"
        assert hint.layout.display == "none" and dash.entry.form.save_panel.participant.value == "SCI-003"
        dash.entry.instrument.value = None
        assert dash.entry.form is None and hint.layout.display != "none"
    finally:
        store.close()


def test_investigator_enters_outcomes_and_the_views_follow(ws):
    store = open_demo_store(ws.root, role="investigator")
    try:
        dash = Dashboard(store, ws.root, today=date(2026, 11, 22))
        dash.model.select_participant("SCI-002")
        dash.entry.instrument.value = "WISCI-II"
        form = dash.entry.form
        assert form.save_panel.participant.value == "SCI-002"
        visit = next(v for label, v in form.save_panel.visit.options if label.startswith("week12"))
        form.save_panel.visit.value = visit
        form.inputs["level"].value = 3
        form.save_panel.button.click()
        # The demo holds a WISCI II for this visit: the form asks whether this is a correction or a repeat.
        assert "correction" in form.save_panel.question.children[0].value
        form.save_panel.repeat_button.click()
        assert "Saved WISCI-II" in form.save_panel.status.value
        tables = dash.model.participant_tables()
        wisci = tables["Change from baseline"]
        # Named as the registry names it (issue 22: no internal ids on the page).
        wisci = wisci[(wisci["instrument"] == "Walking Index for Spinal Cord Injury II") & (wisci["visit"] == "week12")]
        assert 3 in list(wisci["value"])  # the dashboard reloaded from the store
    finally:
        store.close()


def test_empty_study_is_a_message_not_an_error(tmp_path):
    with empty_store(tmp_path / "ws") as store:
        model = DashboardModel(store, tmp_path / "ws")
        assert model.data is None and "no study yet" in model.message
        dash = Dashboard(store, tmp_path / "ws")
        assert "no study yet" in dash.message.value and dash.tabs.layout.display == "none"


def test_closing_a_deviation_needs_the_resolution_and_is_audited(tmp_path):
    from workbench.records import ProtocolDeviation
    from workbench.records.trail.audit import read_entries

    ws = get_workspace(tmp_path / "workspace")
    store = open_demo_store(ws.root, role="investigator")
    try:
        model = DashboardModel(store, ws.root, today=date(2026, 11, 22))
        assert list(model.overview_tables()["Open deviations (1)"]["id"]) == ["PD-SCI-003-week12"]
        with pytest.raises(ValidationError) as err:
            model.close_deviation("PD-SCI-003-week12", closed_on="soon", resolution="  ")
        assert [p.field for p in err.value.problems] == ["date closed", "resolution"]
        with pytest.raises(ValidationError) as err:  # closed before the deviation happened (2026-05-09)
            model.close_deviation("PD-SCI-003-week12", closed_on=date(2026, 5, 1), resolution="visit re-done")
        assert [p.field for p in err.value.problems] == ["date closed"]
        assert store.get(ProtocolDeviation, "PD-SCI-003-week12").status == "open"  # nothing half-written

        model.close_deviation("PD-SCI-003-week12", closed_on=date(2026, 6, 1), resolution="site retrained")
        saved = store.get(ProtocolDeviation, "PD-SCI-003-week12")
        assert (saved.status, saved.closed_on, saved.resolution) == ("closed", date(2026, 6, 1), "site retrained")
        tables = model.overview_tables()
        assert "Open deviations (0)" in tables and tables["Open deviations (0)"].empty
        with store.engine.connect() as conn:
            trail = {e.field: e for e in read_entries(conn, ("protocol_deviations", "PD-SCI-003-week12"))
                     if e.action == "update"}
        assert trail["status"].new_value == '"closed"' and trail["status"].user_name == store.user.name
        assert trail["status"].reason == "deviation closed"
        assert store.verify_audit().ok
        with pytest.raises(ValidationError, match="an open deviation"):
            model.close_deviation("PD-SCI-003-week12", closed_on=date(2026, 6, 2), resolution="again")
    finally:
        store.close()


def test_assessor_sees_own_site_and_no_arm(ws):
    store = open_demo_store(ws.root, role="assessor")
    try:
        model = DashboardModel(store, ws.root, today=date(2026, 11, 22))
        assert model.blinded and model.can_enter_outcomes
        assert model.participant_choices == [("SCI-001 · site ZH", "SCI-001"), ("SCI-002 · site ZH", "SCI-002")]
        tables = model.overview_tables()
        assert "Enrolment by site and arm" not in tables
        assert tables["Enrolment by site"].to_dict() == {"participants": {"ZH": 2, "total": 2}}
        shown = [f.to_json() for f in model.overview_figures().values()]
        shown += [f.to_json() for f in model.participant_figures().values()]
        shown += [t.to_csv() for t in [*tables.values(), *model.participant_tables().values()]]
        shown += [label for label, _ in model.participant_choices]
        for arm in ("control", "blinded"):  # the demo arms are "BCI" (also the device's name) and "control"
            assert not [s for s in shown if arm in s], arm
    finally:
        store.close()


def test_overview_flags_an_overdue_report_of_a_serious_related_event(tmp_path):
    from workbench.records import AdverseEvent

    ws = get_workspace(tmp_path / "workspace")
    store = open_demo_store(ws.root, role="investigator")
    try:
        # Serious, possibly device-related, known since 1 November: 7 days to report (MDCG 2020-10/1 s. 10).
        store.add(AdverseEvent(participant_id="SCI-001", term="skin lesion under electrode", onset_date=date(2026, 11, 1),
                               severity="severe", serious=True, seriousness_criteria=("hospitalisation or prolonged "
                                                                                      "hospitalisation",),
                               related_device="possible", related_procedure="not related", anticipated=True,
                               awareness_date=date(2026, 11, 1), action_taken="device removed",
                               outcome="recovering/resolving", follow_up="ongoing", id="AE-SCI-001-late"))
        model = DashboardModel(store, ws.root, today=date(2026, 11, 22))
        title, table = next((k, v) for k, v in model.overview_tables().items() if k.startswith("Reporting deadlines"))
        assert title.endswith("(1 overdue)")
        assert table.iloc[0].to_dict() == {"kind": "adverse event", "id": "AE-SCI-001-late", "participant": "SCI-001",
                                           "aware": date(2026, 11, 1), "deadline": date(2026, 11, 8),
                                           "reported": None, "status": "OVERDUE: not reported"}
        assert set(table["status"]) == {"OVERDUE: not reported", "reported"}  # the demo's SAE was reported in time
        early = DashboardModel(store, ws.root, today=date(2026, 11, 5))
        title = next(k for k in early.overview_tables() if k.startswith("Reporting deadlines"))
        assert title.endswith("(0 overdue)")
    finally:
        store.close()


def test_tabs_other_than_the_overview_are_built_when_first_opened(monitor):
    dash = Dashboard(monitor.store, monitor.workspace.root, today=date(2026, 11, 22))
    assert [len(slot.children) for slot in dash.tabs.children[1:]] == [0, 0, 0]
    dash.tabs.selected_index = 2  # the session tab, as a click in the browser sets it
    assert len(dash.tabs.children[2].children) == 2 and dash.session.body.children
    assert [len(dash.tabs.children[k].children) for k in (1, 3)] == [0, 0]
    assert dash.participant.chooser.value == "SCI-001" and len(dash.tabs.children[1].children) == 1


def test_the_overview_panel_closes_a_deviation_and_says_what_is_missing(tmp_path):
    ws = get_workspace(tmp_path / "workspace")
    store = open_demo_store(ws.root, role="investigator")
    try:
        panel = Dashboard(store, ws.root, today=date(2026, 11, 22)).overview.closing
        assert [v for _, v in panel.deviation.options] == ["PD-SCI-003-week12"]
        panel.button.click()  # no date, no resolution
        assert "date closed" in panel.status.value and "resolution" in panel.status.value
        assert "deviation:" not in panel.status.value  # the only open one is chosen already
        panel.closed_on.value, panel.resolution.value = date(2026, 6, 1), "visit re-scheduled, site retrained"
        panel.button.click()
        assert "Closed PD-SCI-003-week12" in panel.status.value
        assert panel.deviation.options == () and panel.widget.layout.display == "none"  # none left open
    finally:
        store.close()


def test_isncsci_conversion_per_arm_and_motor_change_are_shown_to_the_unblinded(monitor):
    conversion = monitor.overview_tables()["AIS conversion per arm (baseline against last examination)"]
    assert conversion["participants"].sum() == 4 and set(conversion["arm"]) == {"BCI", "control"}
    monitor.select_participant("SCI-003")
    motor = monitor.participant_tables()["UEMS and LEMS change (baseline to last examination)"]
    assert list(motor["score"]) == ["UEMS", "LEMS"] and (motor["change"] > 0).all()
    assert motor["reference"].str.contains("Scivoletto").all()


def test_overview_groups_adverse_events_by_device_and_procedure_and_counts_withdrawals(monitor):
    from workbench.report import summaries as S

    tables = monitor.overview_tables()
    device = tables["Adverse events by seriousness and relatedness to the device"]
    procedure = tables["Adverse events by seriousness and relatedness to the procedure"]
    assert device.equals(S.adverse_event_counts(monitor.data, "device"))
    assert procedure.equals(S.adverse_event_counts(monitor.data, "procedure"))
    fig = monitor.overview_figures()["adverse events"]
    assert [a.text for a in fig.layout.annotations] == ["related to the device", "related to the procedure"]
    (withdrawn_title,) = [t for t in tables if t.startswith("Participants enrolled and withdrawn")]
    assert "(1 withdrawn)" in withdrawn_title and tables[withdrawn_title].loc["total", "withdrawn"] == 1
    flow = tables["Flow (CONSORT 2010): allocated from the randomization records"].set_index("arm")
    assert flow.loc["total", "allocated"] == len(monitor.data.allocations)


def test_an_assessor_sees_withdrawals_but_no_flow_by_arm(ws):
    store = open_demo_store(ws.root, role="assessor")
    try:
        tables = DashboardModel(store, ws.root, today=date(2026, 11, 22)).overview_tables()
    finally:
        store.close()
    assert any(t.startswith("Participants enrolled and withdrawn") for t in tables)
    assert not any("CONSORT" in t or "procedure" in t for t in tables)


def test_the_session_tab_opens_on_the_newest_session_with_something_to_show(tmp_path):
    """Not the first seeded visit with nothing recorded: the newest session holding a recording, decoded
    trials or gate decisions; the newest of all when none does; the user's own choice kept over a reload."""
    ws = get_workspace(tmp_path / "workspace")
    store = open_demo_store(ws.root, role="investigator")
    try:
        def opened() -> tuple[str, list[str]]:
            model = DashboardModel(store, ws.root, today=date(2026, 11, 22))
            model.select_participant("SCI-002")
            return model.session_id, [sid for _, sid in model.session_choices]

        chosen, ids = opened()
        assert len(ids) >= 3 and chosen == ids[-1]  # nothing recorded in any: the newest
        add_bci(store, ws, "SCI-002")  # its first session gets a recording, trials and a gate decision
        chosen, ids = opened()
        assert chosen == ids[0]
        newest = store.get(Session, ids[-1])
        target = ws.recordings / RECORDING.name
        store.update(dataclasses.replace(newest, recording_files=(RecordingFile.from_file(target, ws.root),)),
                     reason="recording attached")
        chosen, ids = opened()
        assert chosen == ids[-1]
        model = DashboardModel(store, ws.root, today=date(2026, 11, 22))
        model.select_participant("SCI-002")
        model.select_session(ids[1])
        model.reload()
        assert model.session_id == ids[1]
    finally:
        store.close()
