"""No names, initials or birth dates in any report, whatever was typed into free-text fields."""

from __future__ import annotations

import subprocess

import pytest

from workbench.config import get_workspace
from workbench.report import write_participant_report, write_study_report

from .trial_helpers import PLANTED, full_demo_store, plant_identifiers


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    ws = get_workspace(tmp_path_factory.mktemp("planted") / "workspace")
    store = full_demo_store(ws)
    fields = plant_identifiers(store)
    yield ws, store, fields
    store.close()


def test_every_free_text_field_was_planted(planted):
    _, _, fields = planted
    # The check covers the fields that matter for a report: all free-text fields of the shown records.
    for field in ("AdverseEvent.term", "AdverseEvent.description", "Visit.notes", "Session.notes",
                  "OutcomeAssessment.notes", "ProtocolDeviation.description", "DeviceDeficiency.description",
                  "Consent.notes", "Run.notes"):
        assert field in fields


def _assert_clean(text: str, where: str) -> None:
    found = [p for p in PLANTED if p in text]
    assert not found, f"{where} shows {found}"


@pytest.mark.slow
def test_html_reports_show_no_identifier(planted):
    ws, store, _ = planted
    for files in (write_study_report(store, ws.root, pdf=False),
                  write_participant_report(store, "SCI-001", ws.root, pdf=False)):
        _assert_clean(files.html.read_text(encoding="utf-8"), files.html.name)


@pytest.mark.browser
@pytest.mark.slow
def test_pdf_text_shows_no_identifier(planted):
    ws, store, _ = planted
    for files in (write_study_report(store, ws.root), write_participant_report(store, "SCI-002", ws.root)):
        text = subprocess.run(["pdftotext", str(files.pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "Provenance" in text  # the text layer is there to be searched
        _assert_clean(text, files.pdf.name)


def test_the_report_names_its_author_by_a_keyed_staff_code_and_never_shows_the_key(planted):
    import base64
    import hashlib

    ws, store, _ = planted
    html = write_study_report(store, ws.root, pdf=False).html.read_text(encoding="utf-8")
    assert f"by {store.staff_code(store.user.name)} ({store.user.role})" in html
    unkeyed = "staff-" + hashlib.sha256(("workbench staff:" + store.user.name).encode()).hexdigest()[:10]
    assert unkeyed not in html  # the code before migration 0015, which anyone with the user name could compute
    key = store.staff_key
    assert not [n for n in (key.hex(), key.hex().upper(), base64.b64encode(key).decode()) if n in html]
