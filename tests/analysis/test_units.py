"""Work units chosen by site, participant, visit or date from the study's sessions."""

from __future__ import annotations

from datetime import date

import pytest

from workbench.analysis import Selection, select_sessions, workspace_units
from workbench.errors import ValidationError
from workbench.records import Participant, Visit
from workbench.records.demo import open_demo_store

from .conftest import open_store


def _ids(units):
    return sorted(u.session_id for u in units)


@pytest.mark.slow
def test_each_criterion_narrows_the_sessions(study):
    ws, units, _ = study
    with open_store(ws) as store:
        site_of = {p.id: p.site_id for p in store.find(Participant)}
        visit_name = {v.id: v.name for v in store.find(Visit)}
        sessions = {s.id: s for s in select_sessions(store) if s.recording_files}  # the demo's own have none
        assert _ids(units) == sorted(sessions)
        zh = workspace_units(store, ws, Selection(sites=("ZH",)))
        assert zh and _ids(zh) == sorted(i for i, s in sessions.items() if site_of[s.participant_id] == "ZH")
        one = workspace_units(store, ws, Selection(participants=("SCI-003",), visits=("baseline",)))
        assert _ids(one) == sorted(i for i, s in sessions.items()
                                   if s.participant_id == "SCI-003" and visit_name[s.visit_id] == "baseline")
        day = min(s.started_at.date() for s in sessions.values())
        first = workspace_units(store, ws, Selection(date_from=day, date_to=day))
        assert first and all(sessions[u.session_id].started_at.date() == day for u in first)
        # Units name their recording independently of where the workspace is mounted.
        moved = workspace_units(store, ws, root="file:///elsewhere/ws")
        assert [u.identity for u in moved] == [u.identity for u in units]
        assert moved[0].source.startswith("file:///elsewhere/ws/recordings/")


def test_criteria_naming_nothing_are_refused_together(study):
    ws, _, _ = study
    with open_store(ws) as store:
        with pytest.raises(ValidationError) as err:
            workspace_units(store, ws, Selection(sites=("XX",), participants=("SCI-999",), visits=("week99",),
                                                 date_from=date(2026, 5, 1), date_to=date(2026, 1, 1)))
    assert err.value.fields == ("site", "participant", "visit", "to")


def test_a_site_account_sees_only_its_site_and_is_refused_another(study):
    ws, units, _ = study
    with open_store(ws) as lead:
        site_of = {p.id: p.site_id for p in lead.find(Participant)}
    zh = sorted(u.session_id for u in units if site_of[u.participant_id] == "ZH")
    assert zh and len(zh) < len(units)
    with open_demo_store(ws, role="engineer") as store:  # demo.engineer works at site ZH
        assert _ids(workspace_units(store, ws)) == zh
        assert _ids(workspace_units(store, ws, Selection(sites=("ZH",)))) == zh
        with pytest.raises(ValidationError) as err:
            workspace_units(store, ws, Selection(sites=("HD", "ZH")))
    assert err.value.fields == ("site",) and err.value.problems[0].value == "HD"
    assert "works at site 'ZH'" in str(err.value)
