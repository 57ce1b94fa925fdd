"""Visits as the schedule has them (issue 22): schedule order, marked done from the dashboard (audited),
"unable to walk" shown as found, labels from the instrument registry, out-of-window assessments marked."""

from __future__ import annotations

from datetime import date

import pytest

from workbench.errors import ValidationError
from workbench.records import OutcomeAssessment, Visit
from workbench.records.demo import open_demo_store
from workbench.ui.dashboard import Dashboard, DashboardModel

TODAY = date(2026, 11, 22)


@pytest.fixture
def investigator(tmp_path):
    store = open_demo_store(tmp_path / "ws", role="investigator")
    yield DashboardModel(store, tmp_path / "ws", today=TODAY)
    store.close()


def test_visits_are_listed_in_schedule_order(investigator):
    m = investigator
    assert m.visit_order() == ["baseline", "week6", "week12", "week26"]
    assert list(m.participant_tables()["Visits"]["visit"]) == ["baseline", "week6", "week12", "week26"]
    assert [v.name for v in m.visits()] == ["baseline", "week6", "week12", "week26"]
    changes = m.participant_tables()["Change from baseline"]
    bbt = changes[changes["instrument"] == "Box and Block Test"]
    assert list(dict.fromkeys(bbt["visit"])) == ["week6", "week12"]  # changes from baseline, in schedule order


def test_labels_come_from_the_instrument_registry(investigator):
    m = investigator
    shown = m.participant_tables()["Change from baseline"].to_csv()
    shown += " ".join(f.to_json() for f in m.participant_figures().values())
    for internal in ("left.blocks_per_minute", "right.blocks", "blocks_per_minute", ",BBT,"):
        assert internal not in shown, internal


def test_unable_to_walk_is_shown_with_its_reason(investigator):
    m = investigator
    m.select_participant("SCI-002")  # the demo records SCI-002 as unable to walk at baseline
    unable = m.participant_tables()["Recorded as unable to do the test"]
    assert set(unable["reason"]) == {"cannot stand or step, even with assistance"}
    assert list(unable["visit"])[0] == "baseline" and list(unable["recorded"])[0] == "unable to do the test"
    figs = m.participant_figures()
    walk = [f for name, f in figs.items() if name.startswith("10MWT")]
    assert walk
    for fig in walk:
        text = fig.to_json()
        assert "unable to do the test (cannot stand or step, even with assistance)" in text
        assert "No 10MWT" not in text


@pytest.mark.slow
def test_a_visit_is_marked_done_from_the_dashboard_and_audited(investigator):
    m = investigator
    dash = Dashboard(m.store, m.workspace.root, today=TODAY)
    panel = dash.participant.marking
    dash.model.select_participant("SCI-001")
    assert [label.split(" ·")[0] for label, _ in panel.visit.options] == ["week26"]
    panel.done_on.value = None
    panel.mark()
    assert "date done: empty" in panel.status.value
    panel.done_on.value = date(2026, 9, 1)  # weeks after the window closed: the store asks for a deviation
    panel.mark()
    assert "Not marked done" in panel.status.value and "deviation" in panel.status.value.lower()
    assert m.store.get(Visit, "V-SCI-001-week26").status == "planned"
    panel.done_on.value = date(2026, 7, 14)
    panel.mark()
    done = m.store.get(Visit, "V-SCI-001-week26")
    assert (done.status, done.actual_date) == ("done", date(2026, 7, 14))
    assert "visit done (dashboard)" in set(m.store.audit_trail(done)["reason"].dropna())
    states = dash.model.participant_tables()["Visits"]
    assert list(states[states["visit"] == "week26"]["state"]) == ["done in window"]
    with pytest.raises(ValidationError, match="a planned visit"):
        dash.model.mark_visit_done("V-SCI-001-week26", actual_date=date(2026, 7, 15))


@pytest.mark.slow
def test_an_assessment_outside_its_visit_window_is_warned_and_marked(investigator):
    m = investigator
    dash = Dashboard(m.store, m.workspace.root, today=TODAY)
    dash.model.select_participant("SCI-001")
    dash.entry.instrument.value = "WISCI-II"
    form = dash.entry.form
    form.save_panel.visit.value = "V-SCI-001-week6"
    form.save_panel.assessed_on.value = date(2026, 5, 1)  # the week6 window closed on 2026-03-02
    assert "outside the week6 window (2026-02-16 to 2026-03-02)" in form.save_panel.window_note.value
    form.inputs["level"].value = 2
    form.save_panel.submit()
    form.save_panel.repeat_button.click()  # the demo holds a WISCI II at week6 already
    assert "Marked: 2026-05-01 is outside the week6 window" in form.save_panel.status.value
    (late,) = [a for a in m.store.find(OutcomeAssessment, participant_id="SCI-001", instrument="WISCI-II")
               if a.assessed_on == date(2026, 5, 1)]
    assert "Outside the visit window" in late.notes
    changes = dash.model.participant_tables()["Change from baseline"]
    assert "week6 (outside window)" in set(changes["visit"])


@pytest.mark.slow
def test_a_date_typed_in_another_shape_is_refused_by_its_label_and_nothing_is_saved(investigator):
    m = investigator
    dash = Dashboard(m.store, m.workspace.root, today=TODAY)
    panel = dash.participant.marking
    dash.model.select_participant("SCI-001")
    panel.done_on.text.value = "14/07/2026"  # as a clinician in Europe writes it; the box asks for ISO
    assert "not a date" in panel.done_on.echo.value
    panel.mark()
    assert "date done: 14/07/2026; allowed: the date the visit took place, as YYYY-MM-DD" in panel.status.value
    assert m.store.get(Visit, "V-SCI-001-week26").status == "planned"
    panel.done_on.text.value = "2026-07-14"
    panel.mark()
    assert m.store.get(Visit, "V-SCI-001-week26").actual_date == date(2026, 7, 14)
