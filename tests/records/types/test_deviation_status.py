"""Protocol deviations: open or closed (migration 0007), closing needs a date and the resolution."""

from __future__ import annotations

from datetime import date

import pytest

from tests.records.accounts import first_investigator, login
from tests.records.factories import seeded
from workbench.errors import ValidationError
from workbench.records import ProtocolDeviation
from workbench.records.storage.engine import create_engine
from workbench.records.storage.migrate import upgrade_database
from workbench.records.trail.audit import read_entries

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


def test_0007_opens_existing_deviations_in_the_audit_trail(tmp_path):
    """A database from before 0007 comes up with its deviations open, and the trail still replays.

    SQLite only for now: on PostgreSQL a downgrade below 0009 fails in apply_privileges (it
    grants to the allocator group role that 0009's downgrade has just dropped); 0007 itself
    passed there before 0009 landed.
    """
    store = first_investigator(f"sqlite:///{tmp_path / 'study.sqlite'}")
    seeded(store)
    store.add(ProtocolDeviation(id="PD-1", **BASE))
    url = store.url
    store.close()
    engine = create_engine(url)
    try:
        assert upgrade_database(engine, "0006") == "0006"  # the columns go: the schema before this issue
        assert upgrade_database(engine) >= "0007"
        with engine.connect() as conn:
            status = conn.exec_driver_sql("SELECT status FROM protocol_deviations").scalars().all()
            entries = read_entries(conn, ("protocol_deviations", "PD-1"))
    finally:
        engine.dispose()
    assert status == ["open"]
    last = entries[-1]
    assert (last.field, last.new_value, last.user_name) == ("status", '"open"', "schema-migration-0007")
    again = login(url, "dr.inv")
    try:
        assert again.verify_audit().ok
        assert again.get(ProtocolDeviation, "PD-1").status == "open"
    finally:
        again.close()
