"""The audit trail: complete, chained, append-only, and it catches changes made behind its back."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json

import pytest
import sqlalchemy as sa

from tests.records import factories as f
from workbench.records import OutcomeAssessment, Participant


def _sql(store, *statements):
    """Run SQL as the database's owner (on PostgreSQL the people's own roles may not even try)."""
    owner = sa.create_engine(store.url)
    try:
        with owner.begin() as conn:
            for s in statements:
                conn.exec_driver_sql(s)
    finally:
        owner.dispose()


def _drop_append_only_guard(store):
    if store.engine.dialect.name == "sqlite":
        _sql(store, "DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete")
    else:
        _sql(store, "DROP TRIGGER audit_log_append_only ON audit_log")


def _setup(store):
    (p,) = f.seeded(store)
    v = f.visit()
    _, oa = store.add(v, f.assessment(visit_id=v.id, total=12))
    p2 = store.update(dataclasses.replace(p, age_years=35), reason="age misread")
    return p2, oa


def test_entries_record_who_what_when_why(store):
    p, oa = _setup(store)
    trail = store.audit_trail()
    created = trail[(trail.entity == "participants") & (trail.action == "create")]
    assert set(created.field) == {n for n, _ in Participant.specs()} - {"id"}
    assert created.old_value.isna().all() and set(created.user_name) == {"dr.inv"}
    (upd,) = trail[trail.action == "update"].itertuples()
    assert (upd.entity, upd.entity_id, upd.field, upd.old_value, upd.new_value, upd.reason, upd.role) == (
        "participants", "SCI-001", "age_years", "34", "35", "age misread", "investigator")
    assert upd.ts.endswith("+00:00")  # UTC
    store.delete(oa, reason="wrong instrument")
    last = store.audit_trail().iloc[-1]
    assert (last.action, last.entity_id, last.reason) == ("delete", oa.id, "wrong instrument")
    assert json.loads(last.old_value)["scores"] == {"total": 12}


def test_chain_matches_a_naive_recomputation(store, audit_key_file):
    _setup(store)
    key = bytes.fromhex(audit_key_file.read_text().strip())
    trail = store.audit_trail()
    assert list(trail.seq) == list(range(1, len(trail) + 1))
    prev = "0" * 64
    for row in trail.to_dict("records"):
        body = {k: v for k, v in row.items() if k != "hash"}
        body = {k: (None if v != v else v) for k, v in body.items()}  # NaN -> None
        payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert row["prev_hash"] == prev
        assert hmac.new(key, (prev + payload).encode(), hashlib.sha256).hexdigest() == row["hash"]
        prev = row["hash"]
    report = store.verify_audit()
    assert report.ok and report.n_entries == len(trail) and report.n_rows == 7  # study, site, participant, consent, visit, assessment, account


def test_trail_is_append_only_in_the_database(store):
    _setup(store)
    for statement in ("UPDATE audit_log SET reason = 'x' WHERE seq = 2", "DELETE FROM audit_log WHERE seq = 2"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):  # even the owner, short of DDL
            _sql(store, statement)
        if store.postgres:  # a person with psql: not granted at all
            with store.engine.begin() as conn, pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                conn.exec_driver_sql(statement)
    assert store.verify_audit().ok


def test_sql_update_of_a_table_names_the_entry(store):
    p, _ = _setup(store)
    trail = store.audit_trail()
    seq = int(trail[(trail.field == "age_years")].seq.max())  # the update to 35
    _sql(store, "UPDATE participants SET age_years = 40 WHERE id = 'SCI-001'")
    report = store.verify_audit()
    assert not report.ok and report.first_broken.seq == seq
    assert "participants/SCI-001.age_years is 40" in str(report.first_broken)


def test_sql_insert_and_delete_behind_the_back(store):
    _, oa = _setup(store)
    _sql(store, f"DELETE FROM outcome_assessments WHERE id = '{oa.id}'")
    _sql(store, "INSERT INTO studies (id, title, arms, visit_schedule, version) VALUES "
                "('ROGUE-1', 't', '[\"a\"]', '[]', 1)")
    report = store.verify_audit()
    messages = [str(x) for x in report.findings]
    assert any(oa.id in m and "missing from the table" in m for m in messages)
    assert any("studies/ROGUE-1" in m and "no audit trail" in m for m in messages)
    assert report.first_broken.seq is not None  # the deleted row's last entry


def test_altered_entry_is_named_even_without_the_guard(store):
    _setup(store)
    _drop_append_only_guard(store)
    _sql(store, "UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 3")
    report = store.verify_audit()
    assert report.first_broken.seq == 3 and "altered" in str(report.first_broken)


def test_truncated_trail_is_detected(store):
    _setup(store)
    n = store.verify_audit().n_entries
    _drop_append_only_guard(store)
    _sql(store, f"DELETE FROM audit_log WHERE seq = {n}")
    report = store.verify_audit()
    assert not report.ok
    assert any("removed" in str(x) for x in report.findings)


def test_monitor_can_verify(store):
    from tests.records.accounts import as_user

    _setup(store)
    with as_user(store, "mon", "monitor") as mon:
        assert mon.verify_audit().ok
        assert len(mon.find(OutcomeAssessment)) == 1
