"""Conversion between records and table rows: the one mapping of records to storage."""

from __future__ import annotations

import functools
import json
import operator
from datetime import date, datetime, timezone
from typing import Any

import sqlalchemy as sa

from ...errors import Problem, ValidationError
from ..types.base import TableRecord
from ..types.fields import to_plain
from ..types.identifiers import stored_values
from .blinded_reads import select_readable
from .tables import TABLES


@functools.cache
def layout(rt: type[TableRecord]) -> tuple[tuple[str, Any], ...]:
    """(name, Spec) of a record type's fields, computed once per type.

    ``Record.specs()`` walks ``dataclasses.fields`` on every call: at 10,000
    rows a second that walk was a tenth of an insert (profiled, issue 20).
    """
    return tuple(rt.specs())


@functools.cache
def references(rt: type[TableRecord]) -> tuple[tuple[str, str], ...]:
    """(field, referenced table) of a record type's foreign keys, computed once per type."""
    return tuple((name, sp.ref) for name, sp in layout(rt) if sp.ref)


def to_row(record: TableRecord) -> dict[str, Any]:
    """Column values of a record (lists and mappings for the JSON columns)."""
    row = {}
    for name, sp in layout(type(record)):
        value = getattr(record, name)
        row[name] = to_plain(value, sp) if sp.kind in ("strs", "nested") else value
    row["version"] = record.version
    return row


def insert_records(conn: sa.Connection, rt: type[TableRecord], records) -> None:
    """Insert new records of one type: one statement per batch.

    On SQLite the rows go to the driver as tuples (one ``executemany``), each value
    through the bind processor SQLAlchemy itself would apply to its column
    (``TypeEngine.bind_processor``), so the stored values are the same; skipping the
    per-row parameter compilation halves the cost of a machine-made row's insert
    (profiled, issue 20). On PostgreSQL, see :func:`_pg_insert`.
    """
    table = TABLES[rt.TABLE]
    if conn.dialect.name != "sqlite":
        _pg_insert(conn, table, [to_row(r) for r in records])
        return
    sql, columns = _sqlite_insert(conn.dialect, rt)
    conn.exec_driver_sql(sql, [tuple(get(r) for get in columns) for r in records])


def _pg_insert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """PostgreSQL: the rows as one JSON array, expanded by the server into the table's row type.

    One statement per row (executemany) cost ~1 ms a row (executor start-up, row-level security and
    triggers set up per statement), and a multi-row VALUES statement spent most of its time being
    compiled and parsed with 11 parameters a row (profiled, issue 20: 900 SafetyEvent rows a second).
    One JSON parameter keeps the statement the same for every batch; it is still one INSERT, so
    row-level security, the change-log trigger and every constraint apply as before. Records hold no
    NaN or infinity (fields.py refuses them), which JSON could not carry.
    """
    doc = json.dumps(rows, default=_json_value, allow_nan=False, ensure_ascii=False)
    statement = _PG_INSERTS.get(table)
    if statement is None:  # one per table (not per engine): every PostgreSQL dialect quotes alike
        statement = _PG_INSERTS[table] = _pg_json_insert(table, conn.dialect.identifier_preparer.quote)
    conn.execute(statement, {"rows": doc})


_PG_INSERTS: dict[sa.Table, sa.TextClause] = {}


def _pg_json_insert(table: sa.Table, quote) -> sa.TextClause:
    cols = ", ".join(quote(c.name) for c in table.columns)
    return sa.text(f"INSERT INTO {quote(table.name)} ({cols}) SELECT {cols} "
                   f"FROM json_populate_recordset(NULL::{quote(table.name)}, CAST(:rows AS json))")


def _json_value(value):
    """Dates and times as ISO 8601 text, which PostgreSQL reads back to the same value."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not stored through JSON")


_SQLITE_INSERTS: dict[tuple[type, type], tuple[str, tuple]] = {}


def _sqlite_insert(dialect, rt: type[TableRecord]) -> tuple[str, tuple]:
    """The positional INSERT of ``rt``'s table and one value getter per column.

    Cached per dialect class: every SQLite engine of the workbench (engine.py) has the
    same settings, so the same bind processors.
    """
    key = (type(dialect), rt)
    if key not in _SQLITE_INSERTS:
        table = TABLES[rt.TABLE]
        specs = dict(layout(rt))
        quote = dialect.identifier_preparer.quote
        getters = []
        for col in table.columns:
            proc = col.type.dialect_impl(dialect).bind_processor(dialect)
            sp = specs.get(col.name)
            getters.append(_getter(col.name, sp if sp is not None and sp.kind in ("strs", "nested") else None, proc))
        sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in table.columns)}) "
               f"VALUES ({', '.join('?' for _ in table.columns)})")
        _SQLITE_INSERTS[key] = (sql, tuple(getters))
    return _SQLITE_INSERTS[key]


def _getter(name: str, plain_spec, proc):
    if plain_spec is not None:  # tuples of texts or nested records: their JSON-ready form, as to_row
        if proc is None:
            return lambda r: to_plain(getattr(r, name), plain_spec)
        return lambda r: proc(to_plain(getattr(r, name), plain_spec))
    if proc is None:
        return operator.attrgetter(name)
    return lambda r: proc(getattr(r, name))


def plain_values(record: TableRecord) -> dict[str, Any]:
    """``record.to_plain()`` without its ``id``: what a row's trail entry holds (trail/audit.py).

    The same canonical values as :func:`~workbench.records.types.fields.to_plain`, with
    the common kinds inlined (this runs once per row of every machine-made batch).
    """
    out = {}
    for name, sp in layout(type(record)):
        if name == "id":
            continue
        value = getattr(record, name)
        kind = sp.kind
        if value is None or kind in ("str", "int", "bool", "json"):
            out[name] = value
        elif kind == "float":
            out[name] = float(value)
        else:
            out[name] = to_plain(value, sp)
    return out


def from_row(rt: type[TableRecord], row) -> TableRecord:
    """The record a table row holds, validated again on the way out.

    The study's code patterns are not applied again (``identifiers.stored_values``): a row
    written before a pattern was tightened must still be read.
    """
    values = {}
    for name, sp in rt.specs():
        value = row[name]
        if sp.kind == "datetime" and value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)  # SQLite keeps no zone; the store writes UTC only
        values[name] = value
    with stored_values():
        return rt(**values, version=row["version"])


def fetch(conn: sa.Connection, rt: type[TableRecord], id: str, where=None) -> TableRecord:
    """The stored record of type ``rt`` with this id; a ValidationError naming the id if none.

    ``where``: an extra condition (a site's visibility); a record it hides is
    reported exactly as a missing one, so its existence is not revealed.
    """
    table = TABLES[rt.TABLE]
    query = select_readable(conn, table).where(table.c.id == id)
    if where is not None:
        query = query.where(where)
    row = conn.execute(query).mappings().one_or_none()
    if row is None:
        raise ValidationError([Problem("id", id, f"the id of a stored {rt.__name__}")], what=rt.__name__)
    return from_row(rt, row)
