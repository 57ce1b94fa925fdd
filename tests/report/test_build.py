"""The HTML reports: every section, self-contained, pseudonyms and coded fields only."""

from __future__ import annotations

import dataclasses
import re

import pytest

from workbench.errors import ValidationError
from workbench.records.types.randomization import PENDING_ARM
from workbench.report import load_trial, write_participant_report, write_study_report
from workbench.report.build import _allocation

SECTIONS = ("Enrolment flow (CONSORT style)", "Baseline characteristics", "Outcomes: change from baseline",
            "BCI metrics", "Adverse events and device deficiencies", "Protocol deviations", "Provenance")


@pytest.fixture(scope="module")
def study_html(demo):
    ws, store = demo
    files = write_study_report(store, ws.root, pdf=False)
    assert files.pdf is None and files.html == ws.reports / "study-BCI-SCI-DEMO.html"
    return files.html.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def participant_html(demo):
    ws, store = demo
    return write_participant_report(store, "SCI-001", ws.root, pdf=False).html.read_text(encoding="utf-8")


@pytest.mark.slow
def test_study_report_has_every_section(study_html):
    for title in SECTIONS:
        assert f"<h2>{title}</h2>" in study_html


def test_the_first_line_never_reads_withheld(study_html):
    # The demo study's title has spaces, so it may not leave the store: the heading names the study by id.
    head = study_html.split("<h2>", 1)[0]
    assert "Study report BCI-SCI-DEMO" in head and "withheld" not in head and "4 participants" in head


def test_study_report_counts_and_lists_open_deviations(study_html):
    section = study_html.split("<h2>Protocol deviations</h2>")[1].split("<h2>")[0]
    opened = section.split("Closed deviations")[0]
    assert "Open deviations: 1" in opened and "PD-SCI-003-week12" in opened
    assert "Closed deviations: 0" in section


def test_study_report_lists_reporting_deadlines(study_html):
    section = study_html.split("<h2>Adverse events and device deficiencies</h2>")[1].split("<h2>")[0]
    assert "Reporting deadlines (MDCG 2020-10/1 s. 10): 0 overdue" in section
    rows = section.split("Reporting deadlines")[1].split("</table>")[0]
    assert "AE-SCI-002-1" in rows and "<td>reported</td>" in rows  # the demo's SAE, reported within 7 days


def test_study_report_shows_each_closed_loop_runs_timing(study_html):
    section = study_html.split("<h2>BCI metrics</h2>")[1].split("<h2>")[0]
    timing = section.split("<h3>Closed-loop timing per run</h3>")[1].split("</table>")[0]
    assert "<th>workbench share p99 (ms)</th>" in timing and "<th>samples lost</th>" in timing
    assert "<td>24.5</td>" in timing and "<td>4470</td>" in timing and "real-time (SCHED_FIFO 20)" in timing


def test_report_loads_nothing_from_the_network(study_html, participant_html):
    for page in (study_html, participant_html):
        assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=['\"]?https?:", page)
        assert page.count("plotly.js v") >= 1  # the library itself is inlined, once
        assert page.count("<div class='figure'>") >= 3


def test_figures_have_fixed_widths_that_fit_a4(study_html):
    widths = [int(w) for w in re.findall(r'"width":\s*(\d+)', study_html)]
    assert widths and max(widths) <= 720


def test_provenance_names_hashes_versions_and_the_audit_check(demo, study_html):
    ws, store = demo
    from workbench.records import Session

    session = next(s for s in store.find(Session) if s.recording_files)
    assert session.recording_files[0].sha256 in study_html
    assert "intact" in study_html  # the recording still has its hash
    assert "audit trail intact" in study_html
    for name in ("workbench", "numpy", "mne", "pylsl", "plotly"):
        assert f"<td>{name}</td>" in study_html


def test_changed_recording_is_reported(demo):
    ws, store = demo
    from workbench.records import Session

    session = next(s for s in store.find(Session) if s.recording_files)
    fname = ws.root / session.recording_files[0].path
    original = fname.read_bytes()
    try:
        fname.write_bytes(original + b"tampered")
        page = write_study_report(store, ws.root, pdf=False).html.read_text(encoding="utf-8")
        assert "file changed" in page
    finally:
        fname.write_bytes(original)


def test_participant_report_says_how_the_arm_was_given_and_lists_visits_in_schedule_order(participant_html):
    summary = participant_html.split("<h2>Participant</h2>")[1].split("<h2>")[0]
    assert "<td>randomized on 2026-01-" in summary  # the demo randomizes through workbench randomize
    visits = summary.split("<h3>Visits</h3>")[1]
    places = [visits.index(f"<td>{v}</td>") for v in ("baseline", "week6", "week12", "week26")]
    assert places == sorted(places)


def test_the_allocation_line_says_how_the_arm_came_and_nothing_to_a_blinded_reader(demo):
    data = load_trial(demo[1]).for_participant("SCI-001")
    assert _allocation(data, "BCI").startswith("randomized on ")
    assert _allocation(data, "blinded") == "blinded"  # not even that it was randomized
    unallocated = dataclasses.replace(data, allocations=data.allocations.iloc[0:0])
    assert _allocation(unallocated, PENDING_ARM) == "not yet randomized"
    assert _allocation(unallocated, "BCI") == "assigned without randomization"


def test_participant_report_shows_isncsci_and_change_flags(participant_html):
    assert "<h2>ISNCSCI across visits</h2>" in participant_html
    assert "UEMS" in participant_html and "AIS" in participant_html
    assert "important change" in participant_html
    assert "SCI-002" not in participant_html.split("Provenance")[0]  # only this participant's records


def test_unknown_participant_is_refused_and_nothing_is_written(demo):
    ws, store = demo
    with pytest.raises(ValidationError, match="SCI-001"):
        write_participant_report(store, "SCI-999", ws.root, pdf=False)
    assert not (ws.reports / "participant-SCI-999.html").exists()


def test_study_without_outcomes_says_so(tmp_path):
    from workbench.records.demo import open_demo_store
    from workbench.records import OutcomeAssessment

    store = open_demo_store(tmp_path / "ws")
    try:
        for oa in store.find(OutcomeAssessment):
            store.delete(oa, reason="test: a study before its first assessment")
        page = write_study_report(store, tmp_path / "ws", pdf=False).html.read_text(encoding="utf-8")
    finally:
        store.close()
    assert "No follow-up assessment yet" in page and "No outcome assessment recorded yet" in page


def test_reports_show_ais_conversion_per_arm_and_motor_score_change_with_references(study_html, participant_html):
    assert "<h3>AIS conversion per arm (baseline against last examination)</h3>" in study_html
    assert "improved" in study_html.split("AIS conversion per arm")[1].split("</table>")[0]
    for html in (study_html, participant_html):
        assert "<h3>UEMS and LEMS change (baseline to last examination)</h3>" in html
        assert "Scivoletto G" in html and "Eur J Phys Rehabil Med 2013" in html
    assert "AIS conversion per arm" not in participant_html  # one participant is no arm comparison
    assert "No ISNCSCI examination recorded" not in participant_html
