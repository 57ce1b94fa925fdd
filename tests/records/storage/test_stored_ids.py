"""Which ids a table already holds: exact on both back ends, and on PostgreSQL answered by the key's index."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.records.trail.test_row_entries import T0, run  # noqa: F401 (fixture: a seeded study's run)
from workbench.errors import ValidationError
from workbench.records import SafetyEvent
from workbench.records.storage.rules import stored_ids


def _events(run, n):
    return [SafetyEvent(session_id=run.session_id, run_id=run.id, occurred_at=T0 + timedelta(milliseconds=i),
                        decision="held", rule="all_limits") for i in range(n)]


def _count(store) -> int:
    with store.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM safety_events").scalar_one()


def test_stored_ids_are_exactly_those_stored_and_a_batch_repeating_one_is_refused_whole(store, run):
    saved = store.add_many(_events(run, 1200))
    asked = {e.id for e in saved[::2]} | {uuid.uuid4().hex for _ in range(700)}  # over SQLite's 500 a query
    with store.engine.connect() as conn:
        assert stored_ids(conn, "safety_events", asked) == {e.id for e in saved[::2]}
        assert stored_ids(conn, "safety_events", set()) == set()
    (repeat,) = _events(run, 1)
    again = [*_events(run, 3), dataclasses.replace(repeat, id=saved[700].id), *_events(run, 3)]
    with pytest.raises(ValidationError, match=r"SafetyEvent\[3\]\.id: .*an id not yet used"):
        store.add_many(again)
    assert _count(store) == 1200  # nothing of the refused batch was written


@pytest.mark.postgres
def test_postgres_answers_from_the_primary_key_index_as_the_table_grows(store, run):
    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    for _ in range(5):
        store.add_many(_events(run, 1000))
    sent = []
    listen = lambda conn, cursor, statement, params, context, many: sent.append(statement)  # noqa: E731
    sa.event.listen(store.engine, "before_cursor_execute", listen)
    try:
        with store.engine.connect() as conn:
            stored_ids(conn, "safety_events", {uuid.uuid4().hex for _ in range(1000)})
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", listen)
    (statement,) = sent
    # The plan a prepared statement gets once the server settles on a generic one (the parameter
    # unknown), under the store's own login role with its row-level security.
    with store.engine.connect() as conn:
        conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        conn.exec_driver_sql(f"PREPARE wb_ids(text[]) AS {statement.replace('%(ids)s', '$1')}")
        plan = "\n".join(conn.exec_driver_sql("EXPLAIN EXECUTE wb_ids('{a,b}')").scalars())
    assert "Index" in plan and "Seq Scan on safety_events" not in plan, plan
