"""Machine-made records: one keyed trail entry per row, batches all or nothing, older trails still verify."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.records import factories as f
from workbench.errors import ValidationError
from workbench.records import GATE_DECISIONS, Participant, Run, RunMetrics, SafetyEvent, Session, Trial, User
from workbench.records.storage.rows import plain_values
from workbench.records.storage.tables import audit_head
from workbench.records.trail import audit
from tests.budget import examples

T0 = datetime(2026, 1, 6, 10, tzinfo=timezone.utc)


def _owner_sql(store, *statements):
    """SQL run as the database's owner: a change made behind the store's back."""
    owner = sa.create_engine(store.url)
    try:
        with owner.begin() as conn:
            for s in statements:
                conn.exec_driver_sql(s)
    finally:
        owner.dispose()


@pytest.fixture
def run(store):
    f.seeded(store)
    (session,) = store.add_many([
        Session(participant_id="SCI-001", started_at=T0, device="sim", montage="sim", operator="dr.inv")])
    (run,) = store.add_many([Run(session_id=session.id, number=1, task="gate")])
    return run


def events(run, n, start=0, **kw):
    return [SafetyEvent(session_id=run.session_id, run_id=run.id, occurred_at=T0 + timedelta(milliseconds=i),
                        lsl_time=100.0 + 0.001 * i, decision=GATE_DECISIONS[i % len(GATE_DECISIONS)],
                        rule="all_limits", command="program:walk", detail=f"decision {i}", **kw)
            for i in range(start, start + n)]


def _trail(store, entity):
    trail = store.audit_trail()
    return trail[trail.entity == entity]


def test_each_machine_row_is_one_signed_entry_holding_every_field(store, run):
    rows = events(run, 50)
    before = len(store.audit_trail())
    saved = store.add_many(rows)
    assert [r.version for r in saved] == [1] * 50 and [r.id for r in saved] == [r.id for r in rows]
    entries = _trail(store, "safety_events")
    assert len(entries) == 50 and entries.field.isna().all() and set(entries.action) == {"create"}
    for rec, (_, e) in zip(rows, entries.iterrows()):
        assert e.entity_id == rec.id
        assert json.loads(e.new_value) == {k: v for k, v in rec.to_plain().items() if k != "id"}
    # One transaction: every entry of it chained, and one signature, on its last entry.
    with store.engine.connect() as conn:
        signed = conn.exec_driver_sql(f"SELECT seq FROM audit_log WHERE seq > {before} AND signature IS NOT NULL"
                                      ).scalars().all()
    assert signed == [before + 50]
    report = store.verify_audit()
    assert report.ok, report.summary()
    assert len(store.find(SafetyEvent, run_id=run.id)) == 50


def test_people_edited_records_keep_one_entry_per_field(store, run):
    fields = _trail(store, "participants")
    assert set(fields.field) == {n for n, _ in Participant.specs()} - {"id"}
    assert len(_trail(store, "runs")) == len([n for n, _ in Run.specs()]) - 1


def test_a_mixed_batch_keeps_each_record_type_s_trail_and_verifies(store, run):
    trial = Trial(run_id=run.id, number=1, cue="open", onset_s=1.0, decoded="open", correct=True)
    run2 = Run(session_id=run.session_id, number=2, task="gate")
    metrics = RunMetrics(run_id=run2.id, n_trials=1, n_classes=2, accuracy=1.0)
    store.add_many([trial, *events(run, 3), run2, metrics, *events(run2, 2, start=10)])
    assert len(_trail(store, "trials")) == 1 and len(_trail(store, "run_metrics")) == 1
    assert len(_trail(store, "runs")) == 2 * (len([n for n, _ in Run.specs()]) - 1)
    assert store.verify_audit().ok


@pytest.mark.parametrize("column, sql_value", [
    ("detail", "'edited by hand'"), ("lsl_time", "7.5"), ("decision", "'passed'"), ("command", "NULL"),
    ("time_to_safe_ms", "12.0"),
])
def test_a_column_changed_behind_the_store_s_back_is_named(store, run, column, sql_value):
    rows = store.add_many(events(run, 20))
    target = rows[7] if rows[7].decision != "passed" else rows[8]
    seq = int(_trail(store, "safety_events").set_index("entity_id").loc[target.id, "seq"])
    _owner_sql(store, f"UPDATE safety_events SET {column} = {sql_value} WHERE id = '{target.id}'")
    report = store.verify_audit()
    (finding,) = [f for f in report.findings if f".{column} " in f.message]
    assert finding.message.startswith(f"safety_events/{target.id}.{column} ") and finding.seq == seq
    # PostgreSQL also names the UPDATE that no trail entry accounts for (db_change_log, pg_crosscheck.py).
    assert all(f"safety_events/{target.id}" in f.message for f in report.findings)


def test_a_row_inserted_or_removed_behind_the_store_s_back_is_named(store, run):
    rows = store.add_many(events(run, 5))
    _owner_sql(store, f"DELETE FROM safety_events WHERE id = '{rows[2].id}'")
    report = store.verify_audit()
    assert any(f.message.startswith(f"safety_events/{rows[2].id}: row is missing") for f in report.findings)
    assert all(f"safety_events/{rows[2].id}" in f.message for f in report.findings)


def test_an_update_or_delete_after_a_row_entry_is_per_field_and_verifies(store, run):
    rows = store.add_many(events(run, 4))
    changed = store.update(dataclasses.replace(rows[1], detail="annotated"), reason="operator note")
    store.delete(rows[3], reason="entered in error")
    upd = _trail(store, "safety_events").query("action == 'update'")
    assert list(upd.field) == ["detail"] and changed.version == 2
    assert store.verify_audit().ok


def test_a_batch_with_one_bad_row_is_refused_whole_naming_the_row(store, run):
    rows = events(run, 10)
    rows[6] = dataclasses.replace(rows[6], run_id="no-such-run")
    with store.engine.connect() as conn:
        head = conn.execute(sa.select(audit_head.c.seq, audit_head.c.hash)).one()
    with pytest.raises(ValidationError) as err:
        store.add_many(rows)
    assert [p.field for p in err.value.problems] == ["SafetyEvent[6].run_id"]
    assert err.value.problems[0].value == "no-such-run"
    assert store.find(SafetyEvent, session_id=run.session_id) == []
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(audit_head.c.seq, audit_head.c.hash)).one() == head
    # A row already saved, or a duplicate inside the batch, is named the same way.
    (kept,) = store.add_many(rows[:1])
    with pytest.raises(ValidationError) as err:
        store.add_many([*events(run, 2, start=20), dataclasses.replace(kept, version=0)])
    assert [p.field for p in err.value.problems] == ["SafetyEvent[2].id"]
    assert len(store.find(SafetyEvent, session_id=run.session_id)) == 1
    with pytest.raises(TypeError, match="sequence of records"):
        store.add_many(rows[0])


def test_a_trail_written_per_field_before_still_verifies_and_names_a_change(store, run, monkeypatch):
    # The trail as the store wrote it before issue 20: one entry per field of every record.
    with monkeypatch.context() as m:
        m.setattr(audit, "per_row", lambda rt: False)
        old = store.add_many(events(run, 6))
    assert len(_trail(store, "safety_events")) == 6 * (len([n for n, _ in SafetyEvent.specs()]) - 1)
    new = store.add_many(events(run, 6, start=6))
    assert len(_trail(store, "safety_events")) == 6 * 9 + 6
    assert store.verify_audit().ok
    _owner_sql(store, f"UPDATE safety_events SET rule = 'forged' WHERE id IN ('{old[2].id}', '{new[2].id}')")
    findings = store.verify_audit().findings
    named = sorted(f.message.split(" ")[0] for f in findings if ".rule " in f.message)
    assert named == sorted([f"safety_events/{old[2].id}.rule", f"safety_events/{new[2].id}.rule"])
    assert all(old[2].id in f.message or new[2].id in f.message for f in findings)


def test_a_row_entry_altered_in_the_trail_breaks_the_chain(store, run):
    rows = store.add_many(events(run, 3))
    if store.engine.dialect.name == "sqlite":
        _owner_sql(store, "DROP TRIGGER audit_log_no_update")
    else:
        _owner_sql(store, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    forged = json.dumps({**json.loads(_trail(store, "safety_events").new_value.iloc[1]), "detail": "x"})
    _owner_sql(store, f"UPDATE audit_log SET new_value = '{forged}' WHERE entity_id = '{rows[1].id}'")
    report = store.verify_audit()
    assert any("content was altered" in f.message for f in report.findings)


@settings(max_examples=examples(60), deadline=None)
@given(lsl=st.one_of(st.none(), st.floats(-1e9, 1e9, allow_nan=False)),
       decision=st.sampled_from(GATE_DECISIONS), detail=st.one_of(st.none(), st.text(
           st.characters(blacklist_characters="\r\n\t\x00", blacklist_categories=("Cs",)), min_size=1, max_size=200)),
       ms=st.integers(0, 10**9), tts=st.one_of(st.none(), st.floats(0, 60_000)))
def test_a_row_entry_replays_to_the_record_s_canonical_fields(lsl, decision, detail, ms, tts):
    if detail is not None and not detail.strip():
        detail = None
    rec = SafetyEvent(session_id="s1", run_id=None, occurred_at=T0 + timedelta(microseconds=ms), lsl_time=lsl,
                      decision=decision, rule="r", detail=detail, time_to_safe_ms=tts)
    plain = rec.to_plain()
    assert plain_values(rec) == {k: v for k, v in plain.items() if k != "id"}
    # The entry the writer makes hashes exactly as the verifier recomputes it.
    w = audit.AuditWriter.__new__(audit.AuditWriter)
    w._key, w._user, w._ts, w._seq, w._hash, w._entries = b"k" * 32, User("e", "engineer"), "t", 0, audit.GENESIS, []
    w.created_rows([rec])
    (row,) = w._entries
    entry = audit.AuditEntry(**row)
    assert entry.compute_hash(b"k" * 32) == row["hash"]
    state, last = audit._replay([entry], [])
    assert state[("safety_events", rec.id)] == {k: v for k, v in plain.items() if k != "id"}


@settings(max_examples=examples(12), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_bad_row_anywhere_in_a_batch_leaves_the_store_as_it_was(store, run, data):
    # The same store across examples: a refused batch must leave nothing, so every example starts equal.
    n = data.draw(st.integers(1, 60), label="rows")
    bad = data.draw(st.integers(0, n - 1), label="bad row")
    how = data.draw(st.sampled_from(["run_id", "session_id", "version"]), label="what is wrong")
    rows = events(run, n)
    change = {"run_id": "no-such-run", "session_id": "no-such-session", "version": 3}[how]
    rows[bad] = dataclasses.replace(rows[bad], **{how: change})
    with store.engine.connect() as conn:
        head = conn.execute(sa.select(audit_head.c.seq, audit_head.c.hash)).one()
    with pytest.raises(ValidationError) as err:
        store.add_many(rows)
    assert [p.field for p in err.value.problems] == [f"SafetyEvent[{bad}].{how}" if n > 1 else how]
    assert store.find(SafetyEvent, session_id=run.session_id) == []
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(audit_head.c.seq, audit_head.c.hash)).one() == head
