"""Reading the study's staff code key (migration 0015) from the study database.

The key makes staff codes (``types.identifiers.staff_code``) an HMAC of the
user name: whoever receives an export and knows the site's user names cannot
recompute who did what without it. It lives only in the study database
(``staff_code_key``, one row written by the migration), is read by every role
that logs in (each exports and reports), and is written by nobody afterwards.
"""

from __future__ import annotations

import sqlalchemy as sa

from .tables import staff_code_key


def stored_staff_key(conn: sa.Connection) -> bytes | None:
    """The study's staff code key, or None below migration 0015 (or if its row is gone)."""
    if not conn.dialect.has_table(conn, staff_code_key.name):
        return None
    secret = conn.execute(sa.select(staff_code_key.c.secret).where(staff_code_key.c.id == 1)).scalar_one_or_none()
    return None if secret is None else bytes.fromhex(secret)
