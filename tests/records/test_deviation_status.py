"""Protocol deviations: open or closed (migration 0007), closing needs a date and the resolution."""

from __future__ import annotations

from datetime import date

import pytest

from workbench.config import get_workspace
from workbench.errors import ValidationError
from workbench.records import ProtocolDeviation
from workbench.records.audit import read_entries
from workbench.records.demo import open_demo_store
from workbench.records.engine import create_engine
from workbench.records.migrate import current_revision, upgrade_database

BASE = dict(participant_id="SCI-001", category="procedure", occurred_on=date(2026, 5, 9), grade="minor")


def test_a_deviation_is_open_until_closed_with_date_and_resolution():
    assert ProtocolDeviation(**BASE).status == "open"
    with pytest.raises(ValidationError) as err:
        ProtocolDeviation(**BASE, status="closed", resolution=" ")
    assert sorted(p.field for p in err.value.problems) == ["date closed", "resolution"]
    with pytest.raises(ValidationError) as err:
        ProtocolDeviation(**BASE, closed_on=date(2026, 6, 1), resolution="done")  # still open
    assert sorted(p.field for p in err.value.problems) == ["date closed", "resolution"]
    with pytest.raises(ValidationError, match="on or after the date of the deviation"):
        ProtocolDeviation(**BASE, status="closed", closed_on=date(2026, 5, 1), resolution="done")
    with pytest.raises(ValidationError, match="'open', 'closed'"):
        ProtocolDeviation(**BASE, status="resolved")
    closed = ProtocolDeviation(**BASE, status="closed", closed_on=date(2026, 6, 1), resolution="retrained")
    assert closed.closed_on == date(2026, 6, 1)


def test_0007_opens_existing_deviations_in_the_audit_trail(db_url, tmp_path, monkeypatch):
    """A database from before 0007 comes up with its deviations open, and the trail still replays."""
    monkeypatch.setenv("WORKBENCH_DB_URL", db_url)
    ws = get_workspace(tmp_path / "workspace")
    open_demo_store(ws.root).close()
    engine = create_engine(ws.db_url)
    try:
        assert upgrade_database(engine, "0006", workspace=ws.root) == "0006"
        assert upgrade_database(engine, workspace=ws.root) >= "0007"
        with engine.connect() as conn:
            status = conn.exec_driver_sql("SELECT status FROM protocol_deviations").scalars().all()
            entries = read_entries(conn, ("protocol_deviations", "PD-SCI-003-week12"))
    finally:
        engine.dispose()
    assert status == ["open"]
    last = entries[-1]
    assert (last.field, last.new_value, last.user_name) == ("status", '"open"', "schema-migration-0007")
    store = open_demo_store(ws.root, role="monitor")
    try:
        assert store.verify_audit().ok
        assert store.get(ProtocolDeviation, "PD-SCI-003-week12").status == "open"
    finally:
        store.close()
