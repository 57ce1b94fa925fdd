"""Blinding and allocation concealment: who may read the arm and the allocation sequence.

ICH E9 2.3.1: those who assess outcomes must not know the treatment, so the
arm a participant was allocated is kept from assessors. CONSORT 2010 item 9
(and ICH E9 2.3.1: whoever enrols must not be able to foresee the next
assignment): the sequence is concealed until a participant is assigned, so the
allocation sequence (its seals and seed commitment) is readable only by the
allocation role, ``allocator``, a separate account that holds the seed and
randomizes. Investigators enrol (participant and consent) but can neither read
the sequence nor randomize; the allocator writes only sequences and
allocations (and, through the store, the arm its allocation implies).

The same rules hold on both backends:

- SQLite: the store enforces them (it marks a blinded user's engine, and storage
  never selects a blinded column on a marked engine: ``storage/blinded_reads.py``;
  it refuses sequences to anyone but the allocation roles).
- PostgreSQL: the database does too, so psql cannot get round them: blinded
  groups get SELECT on every column of ``participants`` and ``allocations``
  except ``arm`` (column privileges), nothing on ``allocation_sequences`` or
  ``db_change_log`` (whose row copies hold the arm), and a row-level-security
  policy on ``audit_log`` hides the entries that carry an arm or a seal;
  only the allocator's group may SELECT ``allocation_sequences``, and it may
  UPDATE no column of ``participants`` but ``arm`` (and ``version``); a
  trigger refuses, for everyone, an arm in a randomized study that is not the
  one its Allocation holds.
"""

from __future__ import annotations

from ..storage.blinded_reads import BLINDED_COLUMNS

#: Tables read only by the allocation roles.
CONCEALED_TABLES = frozenset({"allocation_sequences"})
def hides_entry(entity: str, field: str | None) -> bool:
    """Whether a blinded user may not read this audit entry (it carries an arm or a seal)."""
    if entity in CONCEALED_TABLES:
        return True
    hidden = BLINDED_COLUMNS.get(entity)
    # A delete entry (no field) copies the whole record, arm included.
    return hidden is not None and (field is None or field in hidden)


def hidden_entries_sql() -> str:
    """:func:`hides_entry` as a SQL condition on ``audit_log`` (for the row-level-security policy)."""
    parts = [f"entity = '{t}'" for t in sorted(CONCEALED_TABLES)]
    for table, cols in sorted(BLINDED_COLUMNS.items()):
        names = ", ".join(f"'{c}'" for c in cols)
        parts.append(f"(entity = '{table}' AND (field IS NULL OR field IN ({names})))")
    return " OR ".join(parts)
