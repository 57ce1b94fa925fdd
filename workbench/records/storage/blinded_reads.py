"""How storage reads a record for a blinded user: the arm columns replaced by a mask.

Who is blinded is access control's decision (``access/blinding.py``, ICH E9
2.3.1); the store marks a blinded user's engine with :data:`BLINDED_OPTION`.
Every query here that selects a whole record reads that mark from the
connection, so no read path can forget it. The columns are schema knowledge
(which columns hold the arm), kept beside the tables they belong to.
"""

from __future__ import annotations

import sqlalchemy as sa

#: Tables whose columns a blinded user never reads.
BLINDED_COLUMNS: dict[str, tuple[str, ...]] = {"participants": ("arm",), "allocations": ("arm",)}
#: What a blinded user sees instead of the arm (valid where an arm is: a code and a label).
MASK = "blinded"
#: Execution option a blinded user's engine carries, read by every query that selects a record's columns.
BLINDED_OPTION = "workbench_blinded"


def is_blinded(conn: sa.Connection | sa.Engine) -> bool:
    return bool(conn.get_execution_options().get(BLINDED_OPTION, False))


def readable_columns(table: sa.Table, blinded: bool) -> list[sa.ColumnElement]:
    """The table's columns, with the blinded ones replaced by the mask when ``blinded``."""
    hidden = BLINDED_COLUMNS.get(table.name, ()) if blinded else ()
    return [sa.literal(MASK, sa.String()).label(c.name) if c.name in hidden else c for c in table.columns]


def select_readable(conn: sa.Connection | sa.Engine, table: sa.Table) -> sa.Select:
    """``SELECT`` of a whole record's columns as the connection's user may read them."""
    return sa.select(*readable_columns(table, is_blinded(conn)))
