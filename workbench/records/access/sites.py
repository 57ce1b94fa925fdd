"""Which site a record belongs to, so site staff see and change only their own site.

A record belongs to the site of the participant it hangs under: a
participant's own ``site_id``; a visit, consent or assessment through its
``participant_id``; a run through its session; a trial through its run and
session. The path is read from the record types' references, so a new record
type that refers to a participant (or to something that does) is covered
without listing it here. Records under no participant (the study, its sites,
accounts) belong to the whole study.

ICH E6(R2) 4.1-4.2 make each site's investigator responsible for their own
site's subjects; GDPR art. 5(1)(c) (data minimisation) keeps other sites'
participants out of their view.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from ..storage.tables import BY_TABLE, TABLES
from ..types.base import TableRecord
from ..types.participant import Participant


@lru_cache(maxsize=None)
def site_paths(table: str) -> tuple[tuple[str, str], ...]:
    """The reference fields of ``table`` that lead to a participant, as (field, target table).

    Empty for tables under no participant. A record uses the first of them
    that is set.
    """
    if table == Participant.TABLE:
        return (("site_id", "sites"),)
    paths = []
    for name, sp in BY_TABLE[table].specs():
        if sp.ref and sp.ref != table and (sp.ref == Participant.TABLE or site_paths(sp.ref)):
            if sp.ref != "sites":
                paths.append((name, sp.ref))
    return tuple(paths)


def _all_optional(table: str) -> bool:
    rt = BY_TABLE[table]
    return all(not rt.spec_of(f).required for f, _ in site_paths(table))


def visible_clause(table: str, site_id) -> sa.ColumnElement[bool] | None:
    """A WHERE clause keeping the rows of ``table`` that belong to ``site_id`` (or to the whole study).

    ``site_id``: a site code, or a SQL expression (PostgreSQL's policies use ``wb_my_site()``).

    None for tables under no participant (every row visible).
    """
    paths = site_paths(table)
    if not paths:
        return None
    tbl = TABLES[table]
    if table == Participant.TABLE:
        return tbl.c.site_id == site_id
    branches, earlier_null = [], []
    for field, target in paths:
        target_tbl = TABLES[target]
        sub = sa.select(target_tbl.c.id).where(visible_clause(target, site_id))
        branches.append(sa.and_(*earlier_null, tbl.c[field].in_(sub)))
        earlier_null.append(tbl.c[field].is_(None))
    if _all_optional(table):
        branches.append(sa.and_(*earlier_null))  # under no participant: the whole study's
    return sa.or_(*branches)


def site_of(lookup, record: TableRecord) -> tuple[bool, str | None]:
    """(belongs to a participant, that participant's site) for ``record``.

    ``lookup(table, id)`` returns the stored or batched record, or None.
    A record whose parent cannot be found belongs to no site we know: reported
    as (True, None), which no site's staff may write (the reference check
    reports the missing parent itself).
    """
    if isinstance(record, Participant):
        return True, record.site_id
    for field, target in site_paths(record.TABLE):
        parent_id: Any = getattr(record, field)
        if parent_id is None:
            continue
        parent = lookup(target, parent_id)
        if parent is None:
            return True, None
        return site_of(lookup, parent)
    return False, None
