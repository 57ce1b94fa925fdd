"""the allocation role (issue 11, item 6): a separate ``allocator`` database role; the arm of a randomized study's participant only from its Allocation

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22

The role list lives in the PostgreSQL schema (a group role per trial role,
made by 0004, and the role check inside ``wb_create_login``), so the new
role ``allocator`` needs a revision there. Allocation concealment (CONSORT
2010 items 9-10; ICH E9 2.3.1): whoever enrols must not foresee the next
assignment, so only the allocator reads the sequence (``apply_privileges``,
run after every upgrade, grants it) and randomizes.

PostgreSQL also gets:

- ``wb_study_randomized(study)``: whether a study has an allocation sequence,
  for users who may not read the sequence (a yes/no, never a seal);
- the trigger ``wb_arm_is_allocated`` on ``participants``: in a randomized
  study a participant's arm is ``'not randomized'`` until allocated and then
  exactly the Allocation's arm, whoever writes it with whatever client.

SQLite has no roles: the store enforces the same (rules.py, store.py), and
nothing changes in its schema. Downgrading is refused while an allocator
account exists (0008 does not know the role).
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

ROLE = "allocator"
#: randomization.PENDING_ARM, copied: a migration is fixed once written.
PENDING_ARM = "not randomized"


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    from workbench.records.access.pg_roles import _q, create_login_function, group_role
    from workbench.records.storage.engine import run_ddl

    db = conn.exec_driver_sql("SELECT current_database()").scalar_one()
    name = group_role(db, ROLE)
    if not conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first():
        conn.exec_driver_sql(f"CREATE ROLE {_q(name)} NOLOGIN")
    create_login_function(conn, scram_only=True)  # its role check now knows the allocator
    run_ddl(conn, """
CREATE FUNCTION wb_study_randomized(p_study text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM allocation_sequences WHERE study_id = p_study)
$$""")
    # The message never names the allocated arm: an investigator may be the one refused.
    run_ddl(conn, f"""
CREATE FUNCTION wb_arm_is_allocated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE allocated text;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.arm IS NOT DISTINCT FROM OLD.arm THEN RETURN NEW; END IF;
  SELECT arm INTO allocated FROM allocations WHERE participant_id = NEW.id;
  IF allocated IS NULL AND NOT EXISTS (SELECT 1 FROM allocation_sequences WHERE study_id = NEW.study_id) THEN
    RETURN NEW;  -- not a randomized study: the investigator sets the arm
  END IF;
  IF NEW.arm IS DISTINCT FROM coalesce(allocated, '{PENDING_ARM}') THEN
    RAISE EXCEPTION 'the arm of participant % is set only by randomization (allocation role)', NEW.id;
  END IF;
  RETURN NEW;
END $$""")
    conn.exec_driver_sql("CREATE TRIGGER wb_arm_is_allocated BEFORE INSERT OR UPDATE ON participants "
                         "FOR EACH ROW EXECUTE FUNCTION wb_arm_is_allocated()")


def downgrade() -> None:
    conn = op.get_bind()
    n = conn.execute(sa.text("SELECT count(*) FROM user_accounts WHERE role = :r"), {"r": ROLE}).scalar_one()
    if n:
        raise RuntimeError(f"{n} allocator account(s) exist; schema 0008 has no allocation role: "
                           "downgrade refused (nothing changed)")
    if conn.dialect.name != "postgresql":
        return
    from workbench.records.types.base import ROLES
    from workbench.records.access.pg_roles import _q, create_login_function, group_role

    conn.exec_driver_sql("DROP TRIGGER IF EXISTS wb_arm_is_allocated ON participants")
    for fn in ("wb_arm_is_allocated()", "wb_study_randomized(text)"):
        conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {fn}")
    create_login_function(conn, scram_only=True, roles=tuple(r for r in ROLES if r != ROLE))
    db = conn.exec_driver_sql("SELECT current_database()").scalar_one()
    name = _q(group_role(db, ROLE))
    for what in ("ALL TABLES", "ALL SEQUENCES"):
        conn.exec_driver_sql(f"REVOKE ALL ON {what} IN SCHEMA public FROM {name}")
    conn.exec_driver_sql(f"REVOKE ALL ON SCHEMA public FROM {name}")
    for policy in ("wb_read", "wb_append"):  # they name the group (apply_privileges re-creates them)
        conn.exec_driver_sql(f"DROP POLICY IF EXISTS {policy} ON audit_log")
    conn.exec_driver_sql(f"DROP ROLE {name}")
