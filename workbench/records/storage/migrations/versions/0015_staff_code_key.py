"""the study's staff code key, kept in the study database (issue 24, item 7)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24

Staff user names leave the store only as staff codes. Before this revision a
code was an unkeyed SHA-256 of the name, so anyone holding an export who knew
or guessed the site's user names could recompute every code and see who did
what. From here a code is HMAC-SHA-256 of the name under a per-study secret
(``types.identifiers.staff_code``): one table, ``staff_code_key``, one row of
32 random bytes (hex), made here, by the migration, not at first need, so
that:

- every database gets it the same way, a new one and an older one upgraded
  alike, and no role ever needs the right to write it (PostgreSQL: every
  group may SELECT it, none may INSERT, UPDATE or DELETE, and a row-level
  security policy admits reads only: ``access.pg_roles.apply_privileges``);
- it is never replaced: a trigger refuses UPDATE and DELETE (on PostgreSQL
  TRUNCATE too), even by the database owner. A new key would change every
  staff code, and exports already shared could no longer be linked to later
  ones. Downgrading below 0015 drops the key with its table; upgrading again
  makes a new one, so every staff code changes: do not downgrade a study
  whose exports or reports have been shared. A backup of the database keeps
  the key with the data.

The key is not a record type: it is not exported (exports enumerate the
record types), not written to the audit trail and not copied into
``db_change_log`` (no change trigger), so it never leaves the database. An
existing trail is untouched and still verifies.
"""

from datetime import datetime, timezone
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

#: HMAC-SHA-256 key as long as the hash (RFC 2104 section 3), like the audit key.
KEY_BYTES = 32


def upgrade() -> None:
    table = op.create_table(
        'staff_code_key',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('secret', sa.String(length=64), nullable=False),
        sa.Column('made_at', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_code_key')),
    )
    op.bulk_insert(table, [{"id": 1, "secret": secrets.token_bytes(KEY_BYTES).hex(),
                            "made_at": datetime.now(timezone.utc).isoformat()}])
    if op.get_bind().dialect.name == "sqlite":
        for what in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER staff_code_key_no_{what.lower()} BEFORE {what} ON staff_code_key "
                       "BEGIN SELECT RAISE(ABORT, 'staff_code_key is never changed (staff codes would change)'); END")
        return
    op.execute("CREATE FUNCTION staff_code_key_unchanged() RETURNS trigger AS $$ "
               "BEGIN RAISE EXCEPTION 'staff_code_key is never changed (staff codes would change)'; END; $$ "
               "LANGUAGE plpgsql")
    op.execute("CREATE TRIGGER staff_code_key_unchanged BEFORE UPDATE OR DELETE OR TRUNCATE ON staff_code_key "
               "FOR EACH STATEMENT EXECUTE FUNCTION staff_code_key_unchanged()")


def downgrade() -> None:
    # Drops the key: see the module docstring (upgrading again makes a new key, every staff code changes).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS staff_code_key_unchanged ON staff_code_key")
        op.execute("DROP FUNCTION IF EXISTS staff_code_key_unchanged()")
    op.drop_table('staff_code_key')
