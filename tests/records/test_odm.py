"""CDISC ODM 1.3.2 export: valid against the schema, read back equal to the store, pseudonyms only."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
import xml.etree.ElementTree as ET
from pathlib import Path

import odmlib
import pytest
import xmlschema

from workbench.errors import WorkbenchError
from workbench.records import AdverseEvent, OutcomeAssessment, Participant, Study, Visit
from workbench.records.demo import open_demo_store
from workbench.records.odm import NS, export_odm, read_odm

# odmlib ships the CDISC ODM 1.3.2 schema (ODM1-3-2.xsd and its foundation, xlink and xmldsig parts),
# so the test validates offline against the official XSD.
XSD = Path(odmlib.__file__).parent / "schemas" / "odm" / "1.3.2" / "ODM1-3-2.xsd"


@pytest.fixture(scope="module")
def schema():
    return xmlschema.XMLSchema(str(XSD))


@pytest.fixture(scope="module")
def module_key(tmp_path_factory):
    return tmp_path_factory.mktemp("odm-keys") / "audit.key"


@pytest.fixture(autouse=True)
def audit_key_file(module_key, monkeypatch):
    """One audit key for the module's demo study (the package conftest gives each test its own)."""
    monkeypatch.setenv("WORKBENCH_AUDIT_KEY_FILE", str(module_key))
    return module_key


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory, module_key):
    ws = tmp_path_factory.mktemp("odm-ws")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_AUDIT_KEY_FILE", str(module_key))
        with open_demo_store(ws, role="investigator") as store:
            # one corrected value, so an item carries the audit record of its change
            p = store.find(Participant, id="SCI-001")[0]
            store.update(dataclasses.replace(p, age_years=(p.age_years or 40) + 1), reason="typed the wrong year")
            # and one with a coded reason (types/change_reasons.py), typed in another case with spaces
            q = store.find(Participant, id="SCI-002")[0]
            store.update(dataclasses.replace(q, age_years=(q.age_years or 40) + 1), reason="  Data Entry  Error ")
            onset = date(2026, 3, 2)
            store.add(AdverseEvent(participant_id="SCI-002", term="fall", onset_date=onset, severity="mild",
                                   serious=False, related_device="not related", related_procedure="not related",
                                   action_taken="none", outcome="recovered/resolved", resolution_date=onset))
    return ws


def _text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


@pytest.mark.slow
def test_export_validates_against_the_odm_schema_and_reads_back_as_stored(demo_ws, schema, tmp_path):
    with open_demo_store(demo_ws, role="data_manager") as store:
        result = export_odm(store, tmp_path / "odm")
        participants = store.find(Participant)
        assessments = store.find(OutcomeAssessment)
        visits = {v.id: v for v in store.find(Visit)}
        study_visits = [d.name for d in store.find(Study)[0].visit_schedule]
        staff = {store.user.name, *(a.assessor for a in assessments)}
        n_adverse_events = {p.id: len(store.find(AdverseEvent, participant_id=p.id)) for p in participants}
    errors = [f"{e.reason} at {e.path}" for e in schema.iter_errors(str(result.fname))]
    assert errors == []
    data = read_odm(result.fname)
    assert set(data) == {p.id for p in participants}  # SubjectKey = pseudonym
    for p in participants:
        [(key, values)] = [(k, v) for k, v in data[p.id].items() if k[1] == "F.participants"]
        assert values["IT.participants.baseline_ais"] == p.baseline_ais
        if p.age_years is not None:
            assert values["IT.participants.age_years"] == str(p.age_years)
    for a in assessments:
        event = f"SE.{visits[a.visit_id].name}" if a.visit_id else "SE.STUDY"
        got = data[a.participant_id][(event, f"F.OA.{a.instrument}", a.id)]
        stored = {k: _text(v) for k, v in a.item_values.items() if v is not None}
        exported = {oid.split(".item.", 1)[1]: v for oid, v in got.items() if ".item." in oid}
        # item OIDs keep letters, digits, - and _: map the stored ids the same way
        expected = {"".join(c if c.isalnum() or c in "-_" else "_" for c in k): v for k, v in stored.items()}
        assert exported.keys() == expected.keys()
        for k, v in exported.items():  # a sentence-like text value is held back by the export's identifier screen
            assert v == expected[k] or (v == "[withheld: may identify a person]" and " " in expected[k]), k
    for v in visits.values():  # each visit in its own event, as stored
        got = data[v.participant_id][(f"SE.{v.name}", "F.visits", v.id)]
        assert got["IT.visits.status"] == v.status and got["IT.visits.scheduled_date"] == v.scheduled_date.isoformat()
        assert got.get("IT.visits.actual_date") == (v.actual_date.isoformat() if v.actual_date else None)
    forms_per_subject = {pid: sorted(k[1] for k in rows) for pid, rows in data.items()}
    assert n_adverse_events["SCI-002"] >= 1  # the fixture's, besides any the demo has
    assert sum(f.count("F.adverse_events") for f in forms_per_subject.values()) == sum(n_adverse_events.values())
    # Metadata: one event per scheduled visit, AIS code list, forms from the instrument registry.
    root = ET.parse(result.fname).getroot()
    events = [e.get("Name") for e in root.iter(f"{{{NS}}}StudyEventDef")]
    assert events == study_visits + ["STUDY"]
    ais = root.find(f".//{{{NS}}}CodeList[@OID='CL.participants.baseline_ais']")
    assert [c.get("CodedValue") for c in ais] == list("ABCDE")
    forms = {f.get("OID") for f in root.iter(f"{{{NS}}}FormDef")}
    assert {"F.OA.SCIM-III", "F.OA.WISCI-II", "F.OA.BBT"} <= forms
    # Audit records: who as a staff code, when, and the correction's reason: its code when it is a coded
    # reason, else withheld (free text).
    audited = [a for a in root.iter(f"{{{NS}}}ItemData") if a.find(f"{{{NS}}}AuditRecord") is not None]
    assert audited, "the corrected field carries its audit record"
    reasons = {r.text for r in root.iter(f"{{{NS}}}ReasonForChange")}
    assert reasons == {"[withheld: free text]", "data entry error"}
    assert "typed the wrong year" not in result.fname.read_text()
    users = {u.text for u in root.iter(f"{{{NS}}}LoginName")}
    assert users and all(u.startswith("staff-") for u in users)
    text = result.fname.read_text()
    assert not any(name in text for name in staff), "no staff user name leaves the store"
    assert set(json.loads((result.fname.parent / "manifest.json").read_text())["left_out"]) == {
        "allocation_sequences"}


def test_a_role_that_may_not_read_a_table_gets_it_left_out_and_told(demo_ws, schema, tmp_path):
    with open_demo_store(demo_ws, role="monitor") as store:
        monitor = export_odm(store, tmp_path / "monitor")
    assert monitor.left_out == ("allocation_sequences",)  # concealed from all but the allocator
    manifest = json.loads((monitor.fname.parent / "manifest.json").read_text())
    assert manifest["left_out"] == {"allocation_sequences": "role 'monitor' may not read it"}
    assert "allocation_sequence" not in monitor.fname.read_text()
    assert list(schema.iter_errors(str(monitor.fname))) == []


def test_cli_exports_odm_and_names_what_the_role_may_not_read(tmp_path, monkeypatch, capsys):
    from tests.records.accounts import first_investigator, password_of
    from workbench.cli import main
    from workbench.records.demo import seed_demo

    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "ws"))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    with first_investigator(url, "dr.demo") as inv:
        seed_demo(inv)
    monkeypatch.setenv("WORKBENCH_USER", "dr.demo")
    monkeypatch.setenv("WORKBENCH_PASSWORD", password_of("dr.demo"))
    code = main(["export", "--format", "odm", "--out", str(tmp_path / "odm"), "--db-url", url])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "left out" in text and "allocation_sequences" in text
    assert (tmp_path / "odm" / "study.odm.xml").is_file()
    # a selection belongs to the session formats: refused for odm, with the option named
    code = main(["export", "--format", "odm", "--participant", "SCI-001", "--out", str(tmp_path / "sel"),
                 "--db-url", url])
    assert code == 2 and "--participant" in capsys.readouterr().err


def test_the_document_stays_in_the_odm_1_3_namespace_whatever_odmlib_registered_last(demo_ws, tmp_path, monkeypatch):
    """odmlib's namespace registry is process-wide: loading another odmlib model (ODM 2.0 makes itself the
    default, as here) must not move the export out of the ODM 1.3 namespace."""
    import odmlib.ns_registry as NSR

    odm20 = "http://www.cdisc.org/ns/odm/v2.0"
    monkeypatch.setattr(NSR.NamespaceRegistry, "namespaces", {"odm": odm20})
    monkeypatch.setattr(NSR.NamespaceRegistry, "default_namespace", {"odm": odm20})
    with open_demo_store(demo_ws, role="data_manager") as store:
        result = export_odm(store, tmp_path / "odm")
    root = ET.parse(result.fname).getroot()
    assert {el.tag.partition("}")[0] for el in root.iter()} == {f"{{{NS}"}


def test_a_value_odm_does_not_allow_is_a_clear_error_and_nothing_is_written(demo_ws, tmp_path, monkeypatch):
    """odmlib checks values as the document is built: a refusal names the value and leaves no file."""
    import workbench.records.odm as odm

    monkeypatch.setattr(odm, "study_effective_date", lambda tables: "week 3")
    with open_demo_store(demo_ws, role="data_manager") as store, pytest.raises(WorkbenchError) as err:
        export_odm(store, tmp_path / "odm")
    assert "not valid in ODM 1.3.2" in str(err.value) and "week 3" in str(err.value)
    assert not (tmp_path / "odm").exists()
