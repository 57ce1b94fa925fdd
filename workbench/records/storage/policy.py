"""The study's stored identifier policy: reading it, and checking records and stored rows against it.

The store reads the policy inside each write transaction (so a change another
process committed a moment ago is the one applied) and, before an
investigator changes it, scans every readable table for codes the new policy
would refuse: a policy the stored data does not meet is refused, never
written (issue 24, item 7).
"""

from __future__ import annotations

from typing import Callable, Sequence

import sqlalchemy as sa

from ...errors import Problem
from ..types.base import TableRecord
from ..types.identifiers import IdentifierPolicy, code_problems
from ..types.participant import AIS_GRADES
from ..types.policy import POLICY_ID, StoredIdentifierPolicy
from ..types.randomization import AllocationSequence, sequence_id
from .rows import from_row
from .rules import label_of
from .tables import RECORD_TYPES, TABLES

#: How many offending stored values a refused policy change lists.
MAX_LISTED = 20


def stored_policy_record(conn: sa.Connection) -> StoredIdentifierPolicy | None:
    """The study's policy row, or None if the study has stored none (databases before 0014 or never set)."""
    table = TABLES[StoredIdentifierPolicy.TABLE]
    # A schema below 0014 (downgraded under an open store) has no policy: the defaults, as before.
    if not conn.dialect.has_table(conn, table.name):
        return None
    row = conn.execute(sa.select(table).where(table.c.id == POLICY_ID)).mappings().one_or_none()
    return None if row is None else from_row(StoredIdentifierPolicy, row)


def stored_policy(conn: sa.Connection) -> IdentifierPolicy | None:
    """The study's stored :class:`IdentifierPolicy`, or None."""
    rec = stored_policy_record(conn)
    return None if rec is None else rec.policy()


def batch_code_problems(records: Sequence[TableRecord], policy: IdentifierPolicy,
                        fields: Sequence[set[str] | None] | None = None) -> list[Problem]:
    """Every code of a batch of records checked against the study's ``policy``, labelled as the batch's rules are.

    ``fields[i]``: only those fields of ``records[i]`` (an update checks what it changes). A record
    whose codes were checked when it was made under this very policy is not checked again
    (``Record._codes_checked_under``; nested record types hold no codes).
    """
    problems = []
    for i, rec in enumerate(records):
        made_under = getattr(rec, "_codes_checked_under", None)
        if made_under is policy or (made_under is not None and made_under == policy):
            continue
        only = None if fields is None else fields[i]
        for p in code_problems(rec, policy, only):
            problems.append(Problem(label_of(records, i, p.field), p.value, p.allowed))
    return problems


def stored_code_problems(conn: sa.Connection, policy: IdentifierPolicy, *,
                         readable: Callable[[type[TableRecord]], bool] = lambda rt: True,
                         limit: int = MAX_LISTED) -> tuple[list[Problem], list[str]]:
    """Stored codes that ``policy`` would refuse (at most ``limit``), and the tables that could not be read.

    Reads the code columns only (``Spec.code``: ids, pseudonyms, site codes,
    consent versions, staff names, device/montage/task labels), table by table
    in insert order and by id, so the first offenders listed are stable.
    Problems are labelled ``Participant[SCI-001].id``.

    A table ``readable`` refuses is checked without being read where its codes
    follow from readable records: the allocation sequences' ids, one per site
    and AIS grade (``randomization.sequence_id``), checked whether or not the
    allocator has generated them yet, since a policy they fail would also stop
    randomization. A sequence stored under any other id is not seen here.
    """
    problems: list[Problem] = []
    skipped = []
    for rt in RECORD_TYPES:
        coded = [(name, sp.code) for name, sp in rt.specs() if sp.kind == "str" and sp.code]
        if not coded:
            continue
        if not readable(rt):
            derived = _concealed_ids(conn, rt)
            if derived is None:
                skipped.append(rt.TABLE)
                continue
            for label, value in derived:
                problem = policy.check(label, value, dict(coded)["id"])
                if problem is not None:
                    problems.append(problem)
                    if len(problems) >= limit:
                        return problems, skipped
            continue
        table = TABLES[rt.TABLE]
        cols = [table.c.id, *(table.c[name] for name, _ in coded if name != "id")]
        for row in conn.execute(sa.select(*cols).order_by(table.c.id)).mappings():
            for name, kind in coded:
                value = row[name]
                if not isinstance(value, str):
                    continue
                problem = policy.check(f"{rt.__name__}[{row['id']}].{name}", value, kind)
                if problem is not None:
                    problems.append(problem)
                    if len(problems) >= limit:
                        return problems, skipped
    return problems, skipped


def _concealed_ids(conn: sa.Connection, rt: type[TableRecord]) -> list[tuple[str, str]] | None:
    """(label, id) of a concealed table's records derived from readable ones, or None if they do not follow."""
    if rt is not AllocationSequence:
        return None
    sites = TABLES["sites"]
    ids = [sequence_id(study, site, grade)
           for site, study in conn.execute(sa.select(sites.c.id, sites.c.study_id).order_by(sites.c.id))
           for grade in AIS_GRADES]
    return [(f"AllocationSequence[{i}].id (concealed: the id of a site x AIS grade sequence)", i) for i in ids]
