"""A BIDS dataset's runs as units: chosen like the workspace's sessions, linked back to their session records."""

from __future__ import annotations

import shutil
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.analysis import (AnalysisSpec, Selection, bids_units, export_bids_study, link_units, reanalyze,
                                simulate_sessions, workspace_units)
from workbench.errors import ValidationError
from workbench.recording.bids import write_bids_run
from workbench.recording.read import read_recording
from workbench.recording.runs import RunEntities
from workbench.records import Participant, Reanalysis, Session, Visit
from workbench.records.demo import open_demo_store
from tests.budget import examples

pytestmark = pytest.mark.slow

#: ERD re-analysis only (no decoder): the cheapest analysis that still reads every run.
SPEC = AnalysisSpec(result_version=11)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(workspace, BIDS export): 8 sessions over both demo sites, several visits and days, exported whole."""
    ws = tmp_path_factory.mktemp("bids-runs-ws")
    with open_demo_store(ws, role="investigator") as store:
        simulate_sessions(store, ws, n_sessions=8, duration_s=12.0)
        out = export_bids_study(store, tmp_path_factory.mktemp("bids-runs") / "bids", ws)
    return ws, out


@pytest.fixture(scope="module")
def foreign(exported, tmp_path_factory):
    """A dataset from elsewhere: one run written by mne-bids alone (no sessions, sites, dates or links)."""
    ws, _ = exported
    fname = sorted((ws / "recordings" / "simulated").glob("*.fif"))[0]
    root = tmp_path_factory.mktemp("foreign") / "ds"
    write_bids_run(read_recording(fname), root, RunEntities(subject="01", task="attempt", run=1))
    return root


def _sessions(units):
    return sorted(u.session_id for u in units)


def test_each_selection_picks_the_same_sessions_from_bids_as_from_the_workspace(exported):
    ws, out = exported
    with open_demo_store(ws, role="investigator") as store:
        sessions = [s for s in store.find(Session) if s.recording_files]
        site_of = {p.id: p.site_id for p in store.find(Participant)}
        visit = store.find(Visit, id=sessions[0].visit_id)[0]
        days = sorted({s.started_at.date() for s in sessions})
        assert {site_of[s.participant_id] for s in sessions} == {"ZH", "HD"} and len(days) >= 4
        selections = [
            Selection(), Selection(sites=("ZH",)), Selection(sites=("HD",)),
            Selection(participants=("SCI-002",)), Selection(participants=("SCI-001", "SCI-003")),
            Selection(visits=("baseline",)), Selection(visits=(visit.id,)), Selection(visits=("week6", "week12")),
            Selection(date_from=days[1]), Selection(date_to=days[2]), Selection(date_from=days[1], date_to=days[2]),
            Selection(sites=("ZH",), visits=("baseline",), date_to=days[-1]),
        ]
        for sel in selections:
            from_ws = _sessions(workspace_units(store, ws, sel))
            assert from_ws, sel  # each selection chooses something, so agreeing is not trivial
            assert _sessions(bids_units(out, sel)) == from_ws, sel
        assert len(bids_units(out)) == len(sessions)


@pytest.fixture(scope="module")
def names(exported):
    """What the export holds, to draw selections from: sites, pseudonyms, visit names and ids, days."""
    ws, _ = exported
    with open_demo_store(ws, role="investigator") as store:
        sessions = [s for s in store.find(Session) if s.recording_files]
        people = {p.id: p.site_id for p in store.find(Participant) if p.id in {s.participant_id for s in sessions}}
        visits = [v for v in store.find(Visit) if v.id in {s.visit_id for s in sessions}]
    days = sorted({s.started_at.date() for s in sessions})
    return (sorted(set(people.values())), sorted(people), sorted({v.name for v in visits} | {v.id for v in visits}),
            [days[0] + timedelta(days=d) for d in range(-1, (days[-1] - days[0]).days + 2)])


@pytest.fixture(scope="module")
def lead(exported):
    """The investigator's store, opened once for the property test's examples (a login costs argon2)."""
    with open_demo_store(exported[0], role="investigator") as store:
        yield store


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_selection_of_names_the_export_holds_agrees_with_the_workspace(exported, names, lead, data):
    ws, out = exported
    sites, people, visits, days = names
    pick = lambda values: tuple(data.draw(st.lists(st.sampled_from(values), max_size=2, unique=True)))  # noqa: E731
    first, last = (data.draw(st.one_of(st.none(), st.sampled_from(days))) for _ in range(2))
    if first and last and last < first:
        first, last = last, first
    sel = Selection(sites=pick(sites), participants=pick(people), visits=pick(visits), date_from=first, date_to=last)
    assert _sessions(bids_units(out, sel)) == _sessions(workspace_units(lead, ws, sel))


def test_criteria_the_dataset_cannot_answer_name_the_option_and_what_it_has(foreign, exported):
    with pytest.raises(ValidationError) as err:
        bids_units(foreign, Selection(sites=("ZH",), participants=("SCI-001",), visits=("baseline",),
                                      date_from=date(2026, 1, 1)))
    assert err.value.fields == ("site", "participant", "visit", "from")
    text = str(err.value)
    assert "participants.tsv has the columns participant_id" in text  # no site column there
    assert "a participant of the dataset: sub-01" in text
    assert "this dataset has none" in text  # no ses- entity
    assert "1 of 1 runs are not" in text  # no acq_time
    # Names the export does not hold are refused, listing what it has.
    _, out = exported
    with pytest.raises(ValidationError) as err:
        bids_units(out, Selection(sites=("XX",), visits=("week99",), date_from=date(2026, 5, 2),
                                  date_to=date(2026, 5, 1)))
    assert err.value.fields == ("site", "visit", "to")
    assert "HD, ZH" in str(err.value) and "baseline" in str(err.value)


def test_an_exported_run_keeps_its_session_and_a_foreign_run_its_bids_path(exported, foreign, tmp_path):
    ws, out = exported
    units = bids_units(out, Selection(participants=("SCI-003",)))
    with open_demo_store(ws, role="investigator") as store:
        session_of = {s.id: s for s in store.find(Session)}
        report = reanalyze(store, units, SPEC, scheduler="serial")
        foreign_report = reanalyze(store, bids_units(foreign), SPEC, scheduler="serial")
        stored = {r.source: r for r in store.find(Reanalysis, result_version=SPEC.result_version)}
    assert report.done == len(units) == 2 and foreign_report.done == 1
    for u in units:  # results land on the session (and its participant) the run was recorded in
        row = stored[u.identity]
        assert row.session_id == u.session_id and row.participant_id == session_of[u.session_id].participant_id
    (row,) = (r for r in stored.values() if r.session_id is None)
    assert row.participant_id is None and row.status == "done"
    # Provenance of a foreign run: its dataset (no name: its location) and its BIDS path.
    assert row.source == f"bids:{foreign}/sub-01/eeg/sub-01_task-attempt_run-01_eeg.vhdr"


def test_a_link_whose_recording_hash_differs_is_dropped(exported, tmp_path):
    ws, out = exported
    copy = shutil.copytree(out, tmp_path / "copy")
    scans = sorted(copy.glob("sub-*/ses-*/*_scans.tsv"))[0]
    frame = pd.read_csv(scans, sep="\t", dtype=str)
    frame["source_sha256"] = "0" * 64  # a scans.tsv edited or copied from another study
    frame.to_csv(scans, sep="\t", index=False)
    with open_demo_store(ws, role="investigator") as store:
        linked = {u.label: u for u in link_units(store, bids_units(copy))}
    tampered = set(frame["filename"].str.rsplit("/", n=1).str[-1])
    assert all(linked[name].session_id is None for name in tampered)
    assert all(u.session_id and u.participant_id for name, u in linked.items() if name not in tampered)


def test_two_foreign_datasets_with_the_same_paths_are_different_units(foreign, tmp_path):
    other = shutil.copytree(foreign, tmp_path / "other")
    (a,), (b,) = bids_units(foreign), bids_units(other)
    path = "/sub-01/eeg/sub-01_task-attempt_run-01_eeg.vhdr"
    assert a.identity.endswith(path) and b.identity.endswith(path) and a.identity != b.identity
    assert SPEC.unit_key(a.identity) != SPEC.unit_key(b.identity)
