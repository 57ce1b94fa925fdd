"""A name, a birth date and a phone number typed into every text field never leave the store (issue 24, item 7).

Each value is planted, as a user of the Python API would, into every text
field of every record type the demo study holds (plus a visit lock and a
staff account whose user name is a person's name). A field may refuse it at
entry: the refusal must then name the field. Then every export format and
both reports (HTML, and the PDF's text layer) are searched for each value.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import uuid

import pandas as pd
import pytest

from tests.report.trial_helpers import full_demo_store
from workbench.config import get_workspace
from workbench.errors import PermissionDeniedError, ValidationError, WorkbenchError
from workbench.records import Session, UserAccount, Visit
from workbench.records import RECORD_TYPES
from workbench.records.demo import open_demo_store
from workbench.records.export import FORMATS, export_study
from workbench.records.trail.locks import lock_visit, unlock
from workbench.report import write_participant_report, write_study_report

NAME, BIRTH, PHONE = "Jane Doe", "1961-04-12", "+44 20 7946 0958"
PLANTED = (NAME, BIRTH, PHONE)
#: A staff account named after its holder: it must appear only as a staff code.
STAFF_NAME = "jane.doe"
#: The fields issue 24's probe found leaking: each must be planted or refused, never skipped.
PROBED = {"Study.title", "Site.name", "Consent.form_version", "Consent.id", "Session.operator", "Session.device",
          "Session.montage", "Run.task", "DeviceDeficiency.device", "OutcomeAssessment.assessor",
          "Participant.id", "Lock.reason"}

pytestmark = pytest.mark.slow


def _text_fields(rt) -> list[str]:
    """Fields a user can type text into: not free text (withheld wholesale), a choice or a reference."""
    return [n for n, sp in rt.specs() if sp.kind == "str" and not sp.free_text and not sp.choices and not sp.ref]


def _plant(store, rec, name: str, value: str, outcome: dict[str, str]) -> None:
    """Put ``value`` into ``rec.name`` (an update, or a new record when the type is add-only or it is the id)."""
    key = f"{type(rec).__name__}.{name}"
    try:
        if name == "id":
            store.add(dataclasses.replace(rec, id=value, version=0))
        else:
            change = {name: value}
            if name in ("cue", "decoded") and getattr(rec, "correct", None) is not None:  # keep the derived flag true
                change["correct"] = value == getattr(rec, "decoded" if name == "cue" else "cue")
            changed = dataclasses.replace(rec, **change)
            try:
                store.update(changed, reason="test: planted identifier")
            except ValidationError:
                raise
            except WorkbenchError:  # add-only, machine-made rows (trials, safety events): a new row instead
                store.add(dataclasses.replace(changed, id=uuid.uuid4().hex, version=0))
    except ValidationError as err:
        # The field, by its name or by the label the user sees ("Instrument").
        fields = {p.field.split("[")[0].split(".")[-1].lower() for p in err.problems}
        assert name.lower() in fields or type(rec).spec_of(name).label.lower() in fields, f"{key}={value!r} refused without naming the field: {err}"
        outcome.setdefault(key, "refused")
        return
    outcome[key] = "stored"


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted-ids")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_AUDIT_KEY_FILE", str(root / "keys" / "audit.key"))
        ws = get_workspace(root / "workspace")
        store = full_demo_store(ws)
        outcome: dict[str, str] = {}
        # The demo study is randomized at seeding: its allocations and sequences are the allocator's to
        # write, so what the investigator may not write is planted by the allocator.
        allocator = open_demo_store(ws.root, role="allocator")
        for rt in RECORD_TYPES:
            if not store.may_read(rt) or rt is UserAccount:
                continue
            for name in _text_fields(rt):
                for value in PLANTED:
                    records = store.find(rt)
                    if records:
                        try:
                            _plant(store, records[0], name, value, outcome)
                        except PermissionDeniedError:
                            _plant(allocator, allocator.find(rt, id=records[0].id)[0], name, value, outcome)
        allocator.close()
        # A visit lock's reason, and a staff account named after its holder (plus the refused names).
        visit = store.find(Visit)[0]
        for value in PLANTED:
            lock = lock_visit(store, visit.id, reason=value)
            outcome["Lock.reason"] = "stored"
            unlock(store, lock, reason="test")
        for value in (*PLANTED, STAFF_NAME):
            try:
                store.add_account(UserAccount(id=value, role="assessor", site_id="ZH"), "a long enough pass phrase 7")
                outcome[f"UserAccount.id={value}"] = "stored"
            except ValidationError as err:
                assert "id" in {p.field for p in err.problems}, err
                outcome[f"UserAccount.id={value}"] = "refused"
        yield ws, store, outcome
        store.close()


def test_every_probed_field_was_planted_or_refused(planted):
    _, store, outcome = planted
    assert PROBED <= set(outcome), f"not covered: {sorted(PROBED - set(outcome))}"
    assert outcome[f"UserAccount.id={STAFF_NAME}"] == "stored"
    # Codes refuse a name, a birth date and a phone number at entry (the study's patterns).
    for key in ("Participant.id", "Consent.form_version", "Session.operator", "OutcomeAssessment.assessor",
                "Site.id", "Consent.id"):
        assert outcome[key] == "refused", key
    # Free labels took them: the screen on the way out is what keeps them in.
    assert outcome["Study.title"] == outcome["Session.device"] == "stored"


def _texts(folder):
    texts = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            texts[path.name] = pd.read_parquet(path).astype(str).to_csv(index=False)
        else:
            texts[path.name] = path.read_text(encoding="utf-8", errors="replace")
    return texts


def _assert_clean(texts: dict[str, str]) -> None:
    leaks = [(needle, name) for name, text in texts.items() for needle in (*PLANTED, STAFF_NAME) if needle in text]
    assert not leaks, f"planted identifiers found: {leaks}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_export_carries_a_planted_identifier(planted, tmp_path, fmt):
    _, store, _ = planted
    out = export_study(store, tmp_path / fmt, fmt)
    texts = _texts(out)
    assert texts
    _assert_clean(texts)
    if fmt == "csv":  # the screened rows are still there, with the marker instead of the value
        sessions = pd.read_csv(out / "sessions.csv", dtype=str)
        assert sessions["operator"].str.startswith("staff-").all()


def test_html_reports_carry_no_planted_identifier(planted):
    ws, store, _ = planted
    for files in (write_study_report(store, ws.root, pdf=False),
                  write_participant_report(store, "SCI-001", ws.root, pdf=False)):
        _assert_clean({files.html.name: files.html.read_text(encoding="utf-8")})


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_pdf_reports_carry_no_planted_identifier(planted):
    ws, store, _ = planted
    for files in (write_study_report(store, ws.root), write_participant_report(store, "SCI-001", ws.root)):
        text = subprocess.run(["pdftotext", str(files.pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "Provenance" in text  # the text layer is there to be searched
        _assert_clean({files.pdf.name: text})


def test_odm_export_carries_no_planted_identifier(planted, tmp_path):
    from workbench.records.odm import export_odm

    _, store, _ = planted
    done = export_odm(store, tmp_path / "odm")
    _assert_clean(_texts(done.fname.parent))


def test_bids_study_export_carries_no_planted_identifier(planted, tmp_path):
    """The BIDS dataset of the planted study, every file of it: run sidecars (json, tsv), the scans and
    sessions tables, participants.tsv and dataset_description.json (the recording's BrainVision header too)."""
    from workbench.analysis import export_bids_study

    ws, store, _ = planted
    # The recorded session is the one planted into: its device and montage hold a planted value.
    recorded = [s for s in store.find(Session) if s.recording_files]
    assert recorded and all({s.device, s.montage} <= set(PLANTED) for s in recorded), recorded
    out = export_bids_study(store, tmp_path / "bids", ws.root)
    texts = _texts(out)
    # A BIDS export with no run would only repeat the records' participants files: this one has one.
    assert any(name.endswith("_scans.tsv") for name in texts), sorted(texts)
    assert {"dataset_description.json", "participants.tsv", "participants.json"} <= set(texts)
    assert any(name.endswith("_eeg.json") for name in texts), sorted(texts)
    _assert_clean(texts)


def test_nwb_export_carries_no_planted_identifier(planted, tmp_path):
    """Every NWB file of the planted study, byte for byte and as pynwb reads it, and its manifest and names."""
    from pynwb import NWBHDF5IO

    from workbench.recording.nwb import export_nwb

    ws, store, _ = planted
    recorded = [s for s in store.find(Session) if s.recording_files]
    assert recorded and all({s.device, s.montage} <= set(PLANTED) for s in recorded), recorded
    out = export_nwb(store, tmp_path / "nwb", ws.root)
    files = sorted(out.rglob("*.nwb"))
    assert files
    needles = (*PLANTED, STAFF_NAME)
    leaks = [(n, f.name) for f in out.rglob("*") for n in needles if n in f.name]
    leaks += [(n, "manifest.json") for n in needles if n in (out / "manifest.json").read_text(encoding="utf-8")]
    for f in files:
        raw = f.read_bytes()
        leaks += [(n, f.name) for n in needles if n.encode("utf-8") in raw]
        with NWBHDF5IO(str(f), "r") as io:
            nwb = io.read()
            said = [nwb.session_description, nwb.institution or "", " ".join(nwb.experimenter or ()),
                    *(d.description or "" for d in nwb.devices.values()),
                    *(f"{g.description} {g.location}" for g in nwb.electrode_groups.values()),
                    str(nwb.subject.fields if nwb.subject is not None else "")]
        leaks += [(n, f"{f.name} (pynwb)") for n in needles for text in said if n in text]
    assert not leaks, f"planted identifiers found: {leaks}"
