"""What reaches a report's page: words a reader uses, never raw ids, dashes for checksums or one-sided relatedness."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest

from workbench.records import AdverseEvent, Participant, Session
from workbench.report import html_parts as H
from workbench.report.build import participant_report_html, study_report_html
from workbench.report.figures import adverse_events_relatedness_figure
from workbench.report.summaries import session_names
from workbench.report.trial_data import load_trial
from workbench.ui.dashboard.model import DashboardModel


@pytest.fixture(scope="module")
def pages(demo):
    ws, store = demo
    data = load_trial(store, today=date(2026, 11, 22))
    return data, study_report_html(store, data, ws.root), participant_report_html(store, data, "SCI-001", ws.root)


@pytest.mark.slow
def test_no_long_session_id_and_no_dash_for_a_checksum(pages):
    data, study, participant = pages
    long_ids = [s.id for s in data.sessions if len(s.id) > 20]
    for page in (study, participant):
        for sid in long_ids:
            assert sid not in page
        hash_tables = re.findall(r'<table[^>]*class="[^"]*hash[^"]*"[^>]*>(.*?)</table>', page, flags=re.S)
        assert len(hash_tables) == 2  # recordings and decoders
        for t in hash_tables:
            assert not re.search(r"<td>\s*[-—]\s*</td>", t), t
    assert "not recorded" in study  # the demo's seeded sessions carry no decoder file


def test_the_overview_counts_withdrawn_participants(pages):
    data, study, _ = pages
    n = int(data.participants["withdrawal_date"].notna().sum())
    assert f"{len(data.participants)} participants, {n} withdrawn" in study


def test_adverse_events_are_drawn_by_device_and_by_procedure_relatedness(pages):
    data, _, _ = pages
    ae = data.adverse_events
    assert len(ae)
    fig = adverse_events_relatedness_figure(ae)
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["related to the device", "related to the procedure"]
    for column, axis in (("related_device", "x"), ("related_procedure", "x2")):
        shown = {}
        for trace in fig.data:
            if trace.xaxis == axis:
                for x, y in zip(trace.x, trace.y):
                    shown[x] = shown.get(x, 0) + y
        assert {k: v for k, v in shown.items() if v} == ae[column].value_counts().to_dict()


def test_score_columns_name_scores_as_the_instrument_registry_does(pages):
    """The change and threshold tables read 'Blocks per minute (left)', never 'left.blocks_per_minute'."""
    data, study, participant = pages
    raw = set(data.outcomes["score"])
    tables = " ".join(re.findall(r"<table.*?</table>", study + participant, flags=re.S))
    cells = set(re.findall(r"<td>([^<]*)</td>", tables))
    leaked = {s for s in raw if s in cells and ("." in s or "_" in s)}
    assert not leaked, sorted(leaked)
    assert "Blocks per minute (left)" in cells or "LEMS" in cells


def test_sessions_are_named_as_the_dashboard_names_them(pages, demo):
    """A monitor reading the PDF finds the session a clinician saw on the dashboard: the same name on both."""
    data, study, participant = pages
    names = session_names(data)
    model = DashboardModel(demo[1], demo[0].root, today=date(2026, 11, 22))
    for pid in ("SCI-001", "SCI-002"):
        model.select_participant(pid)
        assert model.session_choices
        for label, sid in model.session_choices:
            assert label.startswith(names[sid])
            if any(r.session_id == sid for r in data.runs.itertuples()):
                assert H.esc(names[sid]) in study
    # The tables without a participant column get one: "session 2" is per participant.
    gate = re.search(r"<h3>Safety-gate decisions per session</h3>\s*<table.*?</table>", study, flags=re.S).group(0)
    assert "<th>participant</th>" in gate
    # A device deficiency's session too (the demo's is a short site id, "S-SCI-002-baseline").
    deficiency = next(d for d in data.device_deficiencies.itertuples() if d.session_id)
    assert H.esc(names[deficiency.session_id]) in study and deficiency.session_id not in study
    mine = [s for s in data.sessions if s.participant_id == "SCI-001" and s.recording_files]
    assert mine and all(H.esc(names[s.id]) in participant for s in mine)
