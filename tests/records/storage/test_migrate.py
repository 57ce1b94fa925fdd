"""Migrations: the schema they build is the schema the code maps, and they run both ways."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from workbench.records.storage.engine import create_engine
from workbench.records.storage.migrate import current_revision, head_revision, upgrade_database
from workbench.records.storage.tables import metadata

UNGRADED_0005 = "to be reviewed: graded major by schema migration 0005 (recorded before deviations were graded)"


def test_migrations_match_the_tables_and_downgrade(db_url):
    engine = create_engine(db_url)
    try:
        assert current_revision(engine) is None
        head = head_revision()
        assert upgrade_database(engine) == head and int(head) >= 3
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == [], f"tables.py and the migrations disagree: {diff}"
        assert upgrade_database(engine, "base") is None  # downgrade drops everything
        with engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        assert upgrade_database(engine, "0001") == "0001"  # one step at a time, too
        assert upgrade_database(engine) == head
        with engine.connect() as conn:
            chain = conn.exec_driver_sql("SELECT seq, hash FROM audit_head").one()
            fks = conn.exec_driver_sql("PRAGMA foreign_keys").scalar() if engine.dialect.name == "sqlite" else 1
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar() if engine.dialect.name == "sqlite" else "wal"
        assert tuple(chain) == (0, "0" * 64) and fks == 1 and mode == "wal"
    finally:
        engine.dispose()


def test_0004_rekeys_an_existing_trail_and_refuses_a_broken_one(tmp_path):
    """A trail written before keys existed is checked, then re-keyed; a broken one is never laundered."""
    import hashlib
    import json

    import pytest

    from tests.records import factories as f
    from tests.records.accounts import first_investigator, password_of
    from workbench.records import Store

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = first_investigator(url)
    f.seeded(store)
    store.close()
    engine = create_engine(url)
    try:
        assert upgrade_database(engine, "0003") == "0003"  # back to the plain SHA-256 chain
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT * FROM audit_log ORDER BY seq").mappings().all()
        prev = "0" * 64
        for row in rows:  # a naive plain chain: what 0001-0003 wrote
            body = {k: row[k] for k in row.keys() if k != "hash"}
            payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            assert hashlib.sha256((prev + payload).encode()).hexdigest() == row["hash"]
            prev = row["hash"]
        upgrade_database(engine)
    finally:
        engine.dispose()
    # the passwords went with the downgrade: the kept investigator sets one as the first login
    with Store.create_first_account(url, user="dr.inv", password=password_of("dr.inv")) as again:
        assert again.verify_audit().ok
    engine = create_engine(url)
    try:
        upgrade_database(engine, "0003")
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            conn.exec_driver_sql("UPDATE audit_log SET reason = 'slipped in' WHERE seq = 4")
        with pytest.raises(RuntimeError, match="entry #4 does not match"):
            upgrade_database(engine)
        assert current_revision(engine) == "0003"
    finally:
        engine.dispose()


def test_0008_audits_the_defaults_0005_filled_in_and_launders_nothing(db_url, monkeypatch):
    """A database built at 0004 and upgraded: the defaults 0005 set get their entries; a change made
    behind the workbench's back is still reported."""
    import json
    from datetime import date
    from types import SimpleNamespace

    from tests.records import factories as f
    from workbench.records import AdverseEvent, DeviceDeficiency, ProtocolDeviation
    from workbench.records import User
    from workbench.records.trail.audit import AuditWriter, verify_trail
    from workbench.records.trail.keys import load_audit_key
    from workbench.records.storage.rows import to_row

    onset = date(2026, 3, 2)
    records = [f.study(), f.site(), f.participant(), f.consent(),
               AdverseEvent(participant_id="SCI-001", term="fall", onset_date=onset, severity="mild", serious=False,
                            related_device="not related", related_procedure="not related", action_taken="none",
                            outcome="recovered/resolved", resolution_date=onset),
               DeviceDeficiency(device="amp", observed_on=onset, deficiency_type="usability",
                                could_have_led_to_sae=False),
               DeviceDeficiency(device="cap", observed_on=onset, deficiency_type="usability",
                                could_have_led_to_sae=False),
               ProtocolDeviation(participant_id="SCI-001", category="procedure", occurred_on=onset, grade="minor")]
    key = load_audit_key()
    engine = create_engine(db_url)
    try:
        assert upgrade_database(engine, "0004") == "0004"
        with engine.begin() as conn:  # what the 0004 workbench wrote: the columns of then, each audited
            writer = AuditWriter(conn, User("dr.old", "investigator"), key)
            for rec in records:
                table = sa.Table(rec.TABLE, sa.MetaData(), autoload_with=conn)
                row = {k: v for k, v in to_row(rec).items() if k in table.c}
                conn.execute(table.insert(), [row])
                plain = {k: v for k, v in rec.to_plain().items() if k in table.c}
                writer.created(SimpleNamespace(TABLE=rec.TABLE, id=rec.id, to_plain=lambda plain=plain: plain))
            writer.flush()
        upgrade_database(engine, "0007")
        with engine.begin() as conn:
            # the trail checked against the tables as 0007 built them (later revisions add columns,
            # e.g. 0010's latency shares, that a 0007 database cannot have)
            from workbench.records.trail import audit
            # (and tables of later revisions, e.g. 0014's identifier_policy, are not there at all)
            there = set(sa.inspect(conn).get_table_names())
            then = {name: sa.Table(name, sa.MetaData(), autoload_with=conn) for name in audit.TABLES if name in there}
            with monkeypatch.context() as m:
                m.setattr(audit, "TABLES", then)
                before = verify_trail(conn, key)
            conn.execute(sa.text("UPDATE device_deficiencies SET imminent_risk = :t WHERE device = 'cap'"),
                         {"t": True})  # behind the workbench's back
        flagged = {m.split(" is ")[0].split(".")[-1] for m in map(str, before.findings)}
        assert {"usade", "imminent_risk", "grade", "corrective_action"} <= flagged  # the gap 0008 closes
        assert upgrade_database(engine) == head_revision()
        with engine.begin() as conn:
            after = verify_trail(conn, key)
            entries = conn.exec_driver_sql("SELECT user_name, entity, field, new_value FROM audit_log "
                                           "WHERE user_name = 'schema-migration-0005' ORDER BY seq").all()
    finally:
        engine.dispose()
    (finding,) = after.findings  # the deficiency changed behind the back: not given an entry, still reported
    assert f"device_deficiencies/{records[6].id}.imminent_risk is True in the table" in str(finding)
    assert [(e.entity, e.field, e.new_value) for e in entries] == [
        ("adverse_events", "usade", "false"), ("adverse_events", "imminent_risk", "false"),
        ("device_deficiencies", "imminent_risk", "false"), ("protocol_deviations", "grade", '"major"'),
        ("protocol_deviations", "corrective_action", json.dumps(UNGRADED_0005))]


def test_the_migrations_folder_is_found_and_packaged():
    """migrate finds the scripts beside it, and pyproject's package discovery ships them (an install runs them)."""
    import tomllib

    from setuptools import find_namespace_packages

    from tests.conftest import REPO
    from workbench.records.storage.migrate import MIGRATIONS

    assert MIGRATIONS == REPO / "workbench" / "records" / "storage" / "migrations"
    assert (MIGRATIONS / "env.py").is_file() and (MIGRATIONS / "script.py.mako").is_file()
    assert sorted(p.name for p in (MIGRATIONS / "versions").glob("0*.py"))[-1].startswith(head_revision())
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    # pyproject's [tool.setuptools.packages.find] takes folders without __init__.py too (namespaces).
    packages = find_namespace_packages(str(REPO), include=setuptools["packages"]["find"]["include"])
    assert {"workbench.records.storage.migrations", "workbench.records.storage.migrations.versions"} <= set(packages)
    assert "**/*.mako" in setuptools["package-data"]["workbench"]  # script.py.mako is not a .py file
