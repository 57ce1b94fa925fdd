"""Exports: every format, pseudonyms only, written atomically."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

import pandas as pd
import pytest

from tests.records import factories as f
from workbench.errors import ValidationError
from workbench.records import (
    AdverseEvent, Consent, DeviceDeficiency, Participant, ProtocolDeviation, RecordingFile, Run, Session, Trial,
    Visit,
)
from workbench.records import export as export_mod
from workbench.records.export import REDCAP_COLUMNS, export_study

NAME = "Jane Roe-Identifiable"
BIRTH = ("1961-03-14", "14.03.1961", "03/14/1961")
PLANT = f"patient {NAME}, born {BIRTH[0]} ({BIRTH[1]}, {BIRTH[2]})"


def _planted_study(store):
    """A study where a user typed the participant's name and birth date into every free-text field."""
    f.seeded(store)
    late = f.visit(delay_days=9, notes=PLANT)
    session = Session(participant_id="SCI-001", visit_id=late.id, started_at=datetime(2026, 3, 30, 9, tzinfo=timezone.utc),
                      device="OpenBCI Cyton", montage="C3 Cz C4", operator="eng.b", notes=PLANT,
                      recording_files=(RecordingFile(path="sub-SCI001/ses-1/eeg/run-1.xdf", sha256="a" * 64),))
    run = Run(session_id=session.id, number=1, task="imagery", notes=PLANT)
    trial = Trial(run_id=run.id, number=1, cue="left", onset_s=2.0, decoded="left", correct=True, latency_s=0.8)
    oa = f.assessment(visit_id=late.id, notes=PLANT)
    recs = [
        late, session, run, trial, oa,
        Consent(participant_id="SCI-001", form_version="v2", consent_date="2026-01-02", data_sharing=True,
                notes=PLANT),
        ProtocolDeviation(participant_id="SCI-001", visit_id=late.id, category="visit out of window",
                          occurred_on=late.actual_date, grade="minor", description=PLANT),
        AdverseEvent(participant_id="SCI-001", session_id=session.id, term=f"rash ({PLANT})", meddra_code="10037844",
                     onset_date="2026-03-30", severity="mild", serious=False, related_device="probable",
                     related_procedure="not related", action_taken="none", outcome="recovering/resolving",
                     description=PLANT),
        DeviceDeficiency(session_id=session.id, device="OpenBCI Cyton", observed_on="2026-03-30",
                         deficiency_type="reliability", could_have_led_to_sae=False, description=PLANT),
    ]
    saved = store.add(*recs)
    # Reasons are free text too, and so are changed free-text values in the trail.
    store.update(dataclasses.replace(saved[4], notes=PLANT + " (again)", item_values={"level": 13},
                                     scores={"total": 13}),
                 reason=f"told by {NAME} on the phone")
    return saved


def _all_text(folder):
    """Every exported file as text (Parquet decoded to its cell values)."""
    texts = {}
    for path in sorted(folder.iterdir()):
        if path.suffix == ".parquet":
            texts[path.name] = pd.read_parquet(path).astype(str).to_csv(index=False)
        else:
            texts[path.name] = path.read_text(encoding="utf-8")
    return texts


@pytest.mark.parametrize("fmt", ["csv", "parquet", "redcap", "bids"])
def test_exports_never_carry_planted_identity(store, tmp_path, fmt):
    _planted_study(store)
    assert PLANT in store.get(Visit, _planted_id(store)).notes  # the store itself keeps what was typed
    out = export_study(store, tmp_path / fmt, fmt)
    texts = _all_text(out)
    assert texts, "nothing exported"
    for name, text in texts.items():
        for needle in ("Jane", "Roe-Identifiable", *BIRTH):
            assert needle not in text, f"{needle!r} leaked into {name}"
    joined = "\n".join(texts.values())
    assert "SCI001" in joined.replace("-", "")  # the pseudonym is there instead


def _planted_id(store):
    return store.find(Visit)[0].id


def test_csv_export_has_tables_dictionary_and_trail(store, tmp_path):
    saved = _planted_study(store)
    out = export_study(store, tmp_path / "csv", "csv")
    names = {p.name for p in out.iterdir()}
    assert {"participants.csv", "visits.csv", "trials.csv", "audit_trail.csv", "data_dictionary.csv",
            "manifest.json"} <= names
    ae = pd.read_csv(out / "adverse_events.csv", dtype=str)
    assert "term" not in ae.columns and ae.meddra_code.tolist() == ["10037844"]
    trail = pd.read_csv(out / "audit_trail.csv")
    assert len(trail) == store.verify_audit().n_entries
    upd = trail[(trail.action == "update") & (trail.field == "scores")]
    assert upd.new_value.tolist() == ['{"total":13}'] and (upd.reason == export_mod.WITHHELD).all()
    dd = pd.read_csv(out / "data_dictionary.csv")
    row = dd[(dd.table == "adverse_events") & (dd.field == "term")].iloc[0]
    assert row.exported.startswith("no")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["audit"]["intact"] and manifest["files"]["participants.csv"]
    assert saved[3].id in pd.read_csv(out / "trials.csv").id.tolist()


def test_redcap_pair_is_consistent(store, tmp_path):
    _planted_study(store)
    out = export_study(store, tmp_path / "rc", "redcap")
    dd = pd.read_csv(out / "redcap_data_dictionary.csv", dtype=str)
    records = pd.read_csv(out / "redcap_records.csv", dtype=str)
    assert tuple(dd.columns) == REDCAP_COLUMNS
    fields = dd["Variable / Field Name"].tolist()
    assert fields[0] == "record_id" and len(set(fields)) == len(fields)
    assert all(len(x) <= 100 and x == x.lower() and x[0].isalpha() for x in fields)
    assert records.columns.tolist() == ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance"] + fields[1:]
    assert set(records.record_id) == {"SCI-001"}
    # Coded values are choice numbers listed in the dictionary.
    sev = dd[dd["Variable / Field Name"] == "ae_severity"].iloc[0]
    ae = records[records.redcap_repeat_instrument == "adverse_event"].iloc[0]
    assert f"{ae.ae_severity}, mild" in sev["Choices, Calculations, OR Slider Labels"]
    trials = records[records.redcap_repeat_instrument == "trial"]
    assert trials.trl_correct.tolist() == ["1"] and trials.trl_latency_s.tolist() == ["0.8"]


def test_bids_participants(store, tmp_path):
    f.seeded(store, 3)
    out = export_study(store, tmp_path / "bids", "bids")
    tsv = pd.read_csv(out / "participants.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert tsv.participant_id.tolist() == ["sub-SCI001", "sub-SCI002", "sub-SCI003"]
    assert tsv.columns.tolist()[:4] == ["participant_id", "age", "sex", "group"]
    sidecar = json.loads((out / "participants.json").read_text())
    assert set(sidecar) == set(tsv.columns) - {"participant_id"}


def test_export_is_atomic(store, tmp_path, monkeypatch):
    _planted_study(store)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("x")
    with pytest.raises(ValidationError) as err:
        export_study(store, busy, "csv")
    assert err.value.fields == ("out",)

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(export_mod, "_write_manifest", fail)
    with pytest.raises(OSError):
        export_study(store, tmp_path / "half", "csv")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".sqlite")
                  and "sqlite" not in p.name and p.name != "keys") == ["busy"]


def test_export_refused_when_the_trail_is_broken(store, tmp_path):
    from workbench.errors import WorkbenchError

    _planted_study(store)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE participants SET arm = 'control' WHERE id = 'SCI-001'")
    with pytest.raises(WorkbenchError, match="export refused.*entry #"):
        export_study(store, tmp_path / "refused", "csv")
    assert not (tmp_path / "refused").exists()
    out = export_study(store, tmp_path / "forced", "csv", allow_broken_trail=True)
    assert json.loads((out / "manifest.json").read_text())["audit"]["intact"] is False


def _export(store, out, fmt):
    if fmt == "odm":
        from workbench.records.odm import export_odm

        return export_odm(store, out).fname.parent
    return export_study(store, out, fmt)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "redcap", "bids", "odm"])
def test_no_export_carries_the_staff_code_key(store, tmp_path, fmt):
    """The key that makes staff codes unguessable stays in the database, in every format, in any encoding."""
    import base64

    from workbench.records.storage.tables import RECORD_TYPES, staff_code_key

    _planted_study(store)
    key = store.staff_key
    out = _export(store, tmp_path / fmt, fmt)
    needles = (key, key.hex().encode(), key.hex().upper().encode(), base64.b64encode(key))
    for path in out.rglob("*"):
        data = path.read_bytes()
        assert not [n for n in needles if n in data], f"the staff code key leaked into {path.name}"
        assert staff_code_key.name not in path.name
    if fmt == "csv":  # the tables exported are the record types' (the key's table is none), and nothing else
        tables = {p.stem for p in out.glob("*.csv")} - {"audit_trail", "data_dictionary"}
        assert tables == {rt.TABLE for rt in RECORD_TYPES if store.may_read(rt)}


def test_staff_codes_are_the_study_keys_stable_across_exports_and_logins(store, tmp_path):
    import hashlib

    from tests.records.accounts import first_investigator, login
    from workbench.records.types.identifiers import staff_code

    _planted_study(store)

    def codes(out):
        sessions = pd.read_csv(out / "sessions.csv", dtype=str)
        trail = pd.read_csv(out / "audit_trail.csv", dtype=str)
        manifest = json.loads((out / "manifest.json").read_text())
        return list(sessions.operator), set(trail.user_name), manifest["exported_by"]["user"]

    first = codes(export_study(store, tmp_path / "first", "csv"))
    key = store.staff_key
    assert first == ([staff_code("eng.b", key)], {staff_code("dr.inv", key)}, staff_code("dr.inv", key))
    unkeyed = "staff-" + hashlib.sha256(b"workbench staff:eng.b").hexdigest()[:10]  # the code before 0015
    assert first[0] != [unkeyed]
    store.close()
    with login(store.url, "dr.inv") as again:  # a later login, a later export: the same codes
        assert codes(export_study(again, tmp_path / "again", "csv")) == first
    # Another study: the same user names get other codes.
    with first_investigator(f"sqlite:///{tmp_path / 'other.sqlite'}") as other:
        _planted_study(other)
        theirs = codes(export_study(other, tmp_path / "other", "csv"))
    assert theirs[0] != first[0] and theirs[1].isdisjoint(first[1])


def test_an_integer_field_left_empty_on_one_record_stays_whole_on_the_others(store, tmp_path):
    """An age given for one participant and not for another: 34, never 34.0 (a float column once one value was
    missing), in the store's frame and in each export; REDCap and ODM type the field as an integer."""
    store.add(f.study(), f.site(), f.participant("SCI-001"), f.participant("SCI-002", age_years=None),
              f.consent("SCI-001"), f.consent("SCI-002"))
    frame = store.frame(Participant).set_index("id")
    assert str(frame["age_years"].dtype) == "Int64"
    assert frame.loc["SCI-001", "age_years"] == 34 and pd.isna(frame.loc["SCI-002", "age_years"])
    csv = pd.read_csv(export_study(store, tmp_path / "csv", "csv") / "participants.csv", dtype=str,
                      keep_default_na=False).set_index("id")
    assert csv["age_years"].to_dict() == {"SCI-001": "34", "SCI-002": ""}
    import pyarrow.parquet as pq

    parquet = export_study(store, tmp_path / "pq", "parquet") / "participants.parquet"
    assert str(pq.read_schema(parquet).field("age_years").type) == "int64"
    assert pq.read_table(parquet).column("age_years").to_pylist() == [34, None]
    records = pd.read_csv(export_study(store, tmp_path / "rc", "redcap") / "redcap_records.csv", dtype=str,
                          keep_default_na=False)
    ages = records.loc[records["age_years"] != "", ["record_id", "age_years"]].values.tolist()
    assert ages == [["SCI-001", "34"]]
