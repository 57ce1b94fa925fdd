"""Rows as the store writes them: PostgreSQL's one-JSON-parameter insert stores what SQLAlchemy's INSERT does.

``rows._pg_insert`` hands the server a batch as one JSON array (issue 20: a multi-row VALUES statement
spent most of its time being compiled). The reference is SQLAlchemy's own multi-row INSERT of the same
rows; both go into columns of the record type's table (without its references), and every value read
back must be equal, for any valid values of every record type: floats to the last bit, times with
their zone, text of any script, JSON and nested records.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from workbench.errors import ValidationError
from workbench.records import RECORD_TYPES
from workbench.records.storage.rows import _pg_insert, to_row
from workbench.records.storage.tables import TABLES
from workbench.records.types.fields import check_value

from ..types.test_record_properties import record_values
from tests.budget import examples

STORED_TYPES = [rt for rt in RECORD_TYPES if getattr(rt, "TABLE", None) in TABLES]


def _records(rt):
    def build(values):
        try:
            return rt(**values)
        except ValidationError:
            pass
        # A cross-field rule or an instrument's items refused the draw: the values are still valid field
        # by field, and storage sees only columns, so they make the record without the rules.
        record = object.__new__(rt)
        for name, sp in rt.specs():
            problems = []
            object.__setattr__(record, name, check_value(name, values[name], sp, problems))
            assume(not problems)
        object.__setattr__(record, "version", 0)
        return record

    return st.lists(record_values(rt).map(build), min_size=1, max_size=3, unique_by=lambda r: r.id)


@pytest.fixture
def pg(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite's insert is unchanged")
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def _scratch(conn, rt, name):
    """A temporary table with the columns and types of ``rt``'s table, no constraints."""
    table = sa.Table(name, sa.MetaData(), *[sa.Column(c.name, c.type) for c in TABLES[rt.TABLE].columns],
                     prefixes=["TEMPORARY"])
    table.create(conn)
    return table


@pytest.mark.postgres
@pytest.mark.parametrize("rt", STORED_TYPES, ids=lambda t: t.__name__)
def test_json_insert_stores_what_sqlalchemys_insert_stores(pg, rt):
    ours, reference = _scratch(pg, rt, "rows_json"), _scratch(pg, rt, "rows_reference")

    @settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.filter_too_much])
    @given(records=_records(rt))
    def check(records):
        rows = [to_row(r) for r in records]
        example = pg.begin_nested()  # each example on empty tables, whatever the one before did
        try:
            pg.execute(reference.insert().values(rows))
            _pg_insert(pg, ours, rows)
            got = pg.execute(sa.select(ours).order_by(ours.c.id)).all()
            want = pg.execute(sa.select(reference).order_by(reference.c.id)).all()
        finally:
            example.rollback()
        assert len(got) == len(records) and got == want

    check()
