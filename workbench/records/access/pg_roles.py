"""PostgreSQL: each person logs in as their own database role; GRANTs and row-level security
make the database itself refuse what the workbench refuses.

Roles (cluster-wide in PostgreSQL, so tagged with the database they serve):

- one group role per trial role, ``wb_<role>@<tag>`` (NOLOGIN), created by migration 0004;
- one login role per person, ``<user>@<tag>``, member of their group, created
  by :func:`create_login` through the SECURITY DEFINER function
  ``wb_create_login`` (only the owner and investigators may execute it), with
  a password hashed client-side (:mod:`workbench.records.access.pg_logins`);
- ``wb_login_log@<tag>``, which may only log a refused login (pg_logins.py).

``<tag>`` is the first 8 hex digits of SHA-256 of the database name.
:func:`apply_privileges` (run after every upgrade, so tables added by later
migrations are covered too) grants SELECT to every group (except what
:mod:`workbench.records.access.blinding` conceals: the allocation sequence from all
but the allocator, the arm column, the change log and the arm-carrying
trail entries from assessors), INSERT/UPDATE/DELETE
on a record table only to the groups in its record type's ``WRITERS`` (and
UPDATE of ``participants.arm`` to the allocator, checked by the 0009 trigger
``wb_arm_is_allocated``), no write on the audit trail or the access log at
all from migration 0012 (only EXECUTE on the store's SECURITY DEFINER
functions, :mod:`workbench.records.trail.pg_definer`; before it INSERT under the
``wb_append`` policy), and puts a row-level-security policy on every table
under a participant: site staff's rows are their site's (the same path as
:mod:`workbench.records.access.sites`), and from 0012 on the accounts, the trail and
the change log too (:func:`_site_policies`). A trigger on every
record table copies each row change, with the database role that made it,
into ``db_change_log`` (INSERT by the SECURITY DEFINER trigger only), so a
change made with psql outside the workbench is still recorded.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from ..storage.engine import run_ddl
from ..storage.tables import BY_TABLE, TABLES, staff_code_key
from ..trail.pg_definer import FUNCTIONS, installed
from ..trail.signing import KEY_ENTITY
from ..types.account import UserAccount
from ..types.base import ALLOCATION_ROLES, BLINDED_ROLES, READ_ONLY_ROLES, ROLES
from .blinding import BLINDED_COLUMNS, CONCEALED_TABLES, hidden_entries_sql
from .sites import site_paths, visible_clause

TAG_LEN = 8
SCRAM_PREFIX = "SCRAM-SHA-256$"


def db_tag(database: str) -> str:
    return hashlib.sha256(database.encode("utf-8")).hexdigest()[:TAG_LEN]


def group_role(database: str, role: str) -> str:
    return f"wb_{role}@{db_tag(database)}"


def login_role(database: str, user: str) -> str:
    """The person's database role: their user name (shortened past 40 characters) and the tag (<= 63 bytes)."""
    if len(user) > 40:
        user = user[:30] + "~" + hashlib.sha256(user.encode("utf-8")).hexdigest()[:8]
    return f"{user}@{db_tag(database)}"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_groups(conn: sa.Connection) -> None:
    """Migration 0004: the group roles and the SECURITY DEFINER functions (run as the database owner)."""
    db = conn.exec_driver_sql("SELECT current_database()").scalar_one()
    tag = db_tag(db)
    for role in ROLES:
        name = group_role(db, role)
        exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first()
        if not exists:
            conn.exec_driver_sql(f"CREATE ROLE {_q(name)} NOLOGIN")
    create_login_function(conn, scram_only=False)
    run_ddl(conn, f"""
CREATE FUNCTION wb_set_login(p_user text, p_enabled boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE r text;
BEGIN
  SELECT role_name INTO r FROM db_logins WHERE user_name = p_user;
  IF r IS NULL THEN RAISE EXCEPTION 'no database login for %', p_user; END IF;
  EXECUTE format('ALTER ROLE %I %s', r, CASE WHEN p_enabled THEN 'LOGIN' ELSE 'NOLOGIN' END);
END $$""")
    run_ddl(conn, """
CREATE FUNCTION wb_my_site() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT a.site_id FROM user_accounts a JOIN db_logins l ON l.user_name = a.id WHERE l.role_name = session_user
$$""")
    run_ddl(conn, """
CREATE FUNCTION wb_record_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE rec record;
BEGIN
  IF TG_OP = 'DELETE' THEN rec := OLD; ELSE rec := NEW; END IF;
  INSERT INTO db_change_log (changed_at, db_user, txid, table_name, row_id, operation, row_data)
  VALUES (clock_timestamp()::text, session_user, txid_current(), TG_TABLE_NAME, rec.id, TG_OP,
          row_to_json(rec)::text);
  RETURN NULL;
END $$""")
    # The database's own change record is append-only like the trail (0001's guard): not even the
    # owner changes it without first dropping this trigger, which DDL logging would show.
    run_ddl(conn, """
CREATE FUNCTION db_change_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'db_change_log is append-only'; END $$""")
    conn.exec_driver_sql("CREATE TRIGGER db_change_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                         "ON db_change_log FOR EACH STATEMENT EXECUTE FUNCTION db_change_log_append_only()")
    for fn in ("wb_create_login(text, text, text, text)", "wb_set_login(text, boolean)"):
        conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC")
        conn.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION {fn} TO {_q(group_role(db, 'investigator'))}")


def create_login_function(conn: sa.Connection, *, scram_only: bool, roles=None) -> None:
    """``wb_create_login``; from 0008 on (``scram_only``) it takes only a SCRAM-SHA-256 verifier,
    so a clear-text password handed to it is refused before it could reach a log or the catalog.
    ``roles``: the trial roles it may create logins for; by default those whose group role exists
    (0009 adds the allocator's, and drops it again when downgraded)."""
    db = conn.exec_driver_sql("SELECT current_database()").scalar_one()
    tag = db_tag(db)
    if roles is None:
        made = set(conn.execute(sa.text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:n)"),
                                {"n": [group_role(db, r) for r in ROLES]}).scalars())
        roles = [r for r in ROLES if group_role(db, r) in made]
    roles_sql = ", ".join(f"'{r}'" for r in roles)
    scram = ("  IF left(p_password, 14) <> 'SCRAM-SHA-256$' THEN\n"
             "    RAISE EXCEPTION 'a SCRAM-SHA-256 verifier is required (hash the password client-side)';\n"
             "  END IF;\n") if scram_only else ""
    run_ddl(conn, f"""
CREATE OR REPLACE FUNCTION wb_create_login(p_login text, p_user text, p_role text, p_password text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF p_role NOT IN ({roles_sql}) THEN RAISE EXCEPTION 'unknown role %', p_role; END IF;
  IF right(p_login, {TAG_LEN + 1}) <> '@{tag}' THEN RAISE EXCEPTION 'login % is not of this database', p_login; END IF;
{scram}  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_login) THEN
    RAISE EXCEPTION 'database role % exists already', p_login;
  END IF;
  EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I', p_login, p_password, 'wb_' || p_role || '@{tag}');
  INSERT INTO db_logins (role_name, user_name) VALUES (p_login, p_user);
END $$""")


def drop_groups(conn: sa.Connection) -> None:
    """Downgrade of 0004: the functions, every login and group role of this database."""
    db = conn.exec_driver_sql("SELECT current_database()").scalar_one()
    for fn in ("wb_create_login(text, text, text, text)", "wb_set_login(text, boolean)", "wb_my_site()",
               "wb_record_change()", "db_change_log_append_only()"):
        conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {fn} CASCADE")
    for policy in ("wb_read", "wb_read_blinded", "wb_append", "wb_site"):  # they name the groups (apply_privileges)
        conn.exec_driver_sql(f"DROP POLICY IF EXISTS {policy} ON audit_log")
    conn.exec_driver_sql("ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY")
    for name in ("db_change_log", UserAccount.TABLE):
        conn.exec_driver_sql(f"DROP POLICY IF EXISTS wb_site ON {name}")
        conn.exec_driver_sql(f"ALTER TABLE {name} DISABLE ROW LEVEL SECURITY")
    conn.exec_driver_sql("DROP FUNCTION IF EXISTS wb_row_visible(text, text)")
    tag = db_tag(db)
    names = conn.execute(sa.text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p"),
                         {"p": f"%@{tag}"}).scalars().all()
    for name in sorted(names, key=lambda n: n.startswith("wb_")):  # logins before groups
        for what in ("ALL TABLES", "ALL SEQUENCES"):
            conn.exec_driver_sql(f"REVOKE ALL ON {what} IN SCHEMA public FROM {_q(name)}")
        conn.exec_driver_sql(f"REVOKE ALL ON SCHEMA public FROM {_q(name)}")
        conn.exec_driver_sql(f"DROP ROLE {_q(name)}")


#: A writer appends trail entries under their own name and their account's role only (issue 24: an
#: engineer with psql wrote five entries as the investigator). The name comes from the login role
#: (db_logins), not from anything the client says.
_OWN_ENTRY = ("user_name = (SELECT l.user_name FROM db_logins l WHERE l.role_name = current_user) "
              "AND role = (SELECT a.role FROM user_accounts a JOIN db_logins l ON l.user_name = a.id "
              "WHERE l.role_name = current_user)")


def apply_privileges(conn: sa.Connection) -> None:
    """GRANTs, row-level-security policies and change triggers for every table of the current schema."""
    from sqlalchemy.dialects import postgresql

    db = conn.exec_driver_sql("SELECT current_database()").scalar_one()
    # The groups the schema has: below 0009 (after a downgrade) there is no allocator group.
    made = set(conn.execute(sa.text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:n)"),
                            {"n": [group_role(db, r) for r in ROLES]}).scalars())
    groups = {r: _q(group_role(db, r)) for r in ROLES if group_role(db, r) in made}
    everyone = ", ".join(groups.values())
    writers_all = ", ".join(g for r, g in groups.items() if r not in READ_ONLY_ROLES)
    existing = set(sa.inspect(conn).get_table_names())
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {everyone}")
    for name in sorted(existing):
        conn.exec_driver_sql(f"REVOKE ALL ON TABLE {_q(name)} FROM {everyone}")
    for name in ("alembic_version", "audit_log", "audit_head", "db_logins"):
        conn.exec_driver_sql(f"GRANT SELECT ON TABLE {name} TO {everyone}")
    # Blinding (blinding.py): the change log copies whole rows, arm included, so blinded groups get none
    # of it, and the trail's entries that carry an arm or a seal are hidden from them row by row.
    seeing = ", ".join(g for r, g in groups.items() if r not in BLINDED_ROLES)
    blind = ", ".join(g for r, g in groups.items() if r in BLINDED_ROLES)
    conn.exec_driver_sql(f"GRANT SELECT ON TABLE db_change_log TO {seeing}")
    if "trail_txids" in existing:  # 0012: which transaction wrote which entries (trail/pg_crosscheck.py)
        conn.exec_driver_sql(f"GRANT SELECT ON TABLE trail_txids TO {seeing}")
    if staff_code_key.name in existing:  # 0015: every role exports and reports, so every role reads the key;
        # nobody writes it (no grant), and row-level security admits reads only, so a stray GRANT later
        # still changes nothing (0015's trigger stops even the owner).
        conn.exec_driver_sql(f"GRANT SELECT ON TABLE {staff_code_key.name} TO {everyone}")
        conn.exec_driver_sql(f"ALTER TABLE {staff_code_key.name} ENABLE ROW LEVEL SECURITY")
        conn.exec_driver_sql(f"DROP POLICY IF EXISTS wb_read ON {staff_code_key.name}")
        conn.exec_driver_sql(f"CREATE POLICY wb_read ON {staff_code_key.name} FOR SELECT TO {everyone} USING (true)")
    conn.exec_driver_sql("ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY")
    for policy, rule in (("wb_read", f"FOR SELECT TO {seeing} USING (true)"),
                         ("wb_read_blinded", f"FOR SELECT TO {blind} USING (NOT ({hidden_entries_sql()}))"),
                         ("wb_append", f"FOR INSERT TO {writers_all} WITH CHECK ({_OWN_ENTRY})")):
        conn.exec_driver_sql(f"DROP POLICY IF EXISTS {policy} ON audit_log")
        conn.exec_driver_sql(f"CREATE POLICY {policy} ON audit_log {rule}")
    # The trail: appended to by writers, never changed (no UPDATE or DELETE for anyone but the owner).
    if installed(conn, cached=False):  # 0012: only the owner's definer functions write the trail and access log
        conn.exec_driver_sql(f"REVOKE ALL ON SEQUENCE auth_events_id_seq FROM {everyone}")
        for fn, to in zip(FUNCTIONS, (writers_all, writers_all, everyone)):
            conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION {fn} FROM {everyone}")
            conn.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION {fn} TO {to}")
    else:
        conn.exec_driver_sql(f"GRANT INSERT ON TABLE audit_log TO {writers_all}")
        conn.exec_driver_sql(f"GRANT UPDATE ON TABLE audit_head TO {writers_all}")  # the head moves (and is locked)
        conn.exec_driver_sql(f"GRANT INSERT ON TABLE auth_events TO {everyone}")
        conn.exec_driver_sql(f"GRANT USAGE ON SEQUENCE auth_events_id_seq TO {everyone}")
    study_wide = ", ".join(groups[r] for r in ("investigator", "monitor", "data_manager", "sponsor"))
    conn.exec_driver_sql(f"GRANT SELECT ON TABLE auth_events TO {study_wide}")
    # As a scalar subquery the site is looked up once per statement (an InitPlan), not once per row.
    site_expr = sa.select(sa.func.wb_my_site()).scalar_subquery()
    for name in TABLES:
        if name not in existing:
            continue
        rt = BY_TABLE[name]
        _grant_reads(conn, TABLES[name], groups)
        writers = ", ".join(groups[r] for r in sorted(rt.WRITERS) if r in groups)
        if writers:
            conn.exec_driver_sql(f"GRANT INSERT, UPDATE, DELETE ON TABLE {_q(name)} TO {writers}")
        allocators = ", ".join(groups[r] for r in sorted(ALLOCATION_ROLES) if r in groups)
        if name == "participants" and allocators:  # the allocator sets the arm it allocated (Store.allocate)
            conn.exec_driver_sql(f"GRANT UPDATE (arm, version) ON TABLE participants TO {allocators}")
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS wb_record_change ON {_q(name)}")
        conn.exec_driver_sql(f"CREATE TRIGGER wb_record_change AFTER INSERT OR UPDATE OR DELETE ON {_q(name)} "
                             "FOR EACH ROW EXECUTE FUNCTION wb_record_change()")
        if name == UserAccount.TABLE or not site_paths(name):
            continue
        clause = visible_clause(name, site_expr)
        sql = str(clause.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
        rule = f"((SELECT wb_my_site()) IS NULL OR {sql})"
        conn.exec_driver_sql(f"ALTER TABLE {_q(name)} ENABLE ROW LEVEL SECURITY")
        conn.exec_driver_sql(f"DROP POLICY IF EXISTS wb_site ON {_q(name)}")
        conn.exec_driver_sql(f"CREATE POLICY wb_site ON {_q(name)} USING {rule} WITH CHECK {rule}")
    if installed(conn):  # migration 0012 brought these policies; its downgrade drops them
        _site_policies(conn, existing, everyone, seeing)


def drop_site_policies(conn: sa.Connection) -> None:
    """Downgrade of 0012 (the policies name the groups: 0009's downgrade drops one of them)."""
    conn.exec_driver_sql("DROP POLICY IF EXISTS wb_site ON audit_log")
    for name in ("db_change_log", UserAccount.TABLE):
        conn.exec_driver_sql(f"DROP POLICY IF EXISTS wb_site ON {name}")
        conn.exec_driver_sql(f"ALTER TABLE {name} DISABLE ROW LEVEL SECURITY")
    conn.exec_driver_sql("DROP FUNCTION IF EXISTS wb_row_visible(text, text)")


def _site_policies(conn: sa.Connection, existing: set[str], everyone: str, seeing: str) -> None:
    """Row-level security by site on the accounts, the trail and the change log (issue 24, item 4).

    Site staff (``wb_my_site()`` set) see an account of their site or a
    study-wide one (no site), and may write accounts of their own site only.
    A trail entry or a recorded change is theirs to read exactly when the
    record it is about is: ``entity_id IN (SELECT id FROM <table>)`` runs under
    that table's own site policy, so one rule serves every table and keeps
    following the clinical policies. Consequences, decided here: study-level
    records (study, sites, accounts without a site, records under no
    participant) are read by everyone, so are their entries, as in the tables;
    an entry about a record since deleted has no row to decide by and is
    hidden from site staff (the study-wide roles, who verify, see all of it);
    a signing-key registration follows its account. Study-wide roles see
    everything, the blinding policies still applying (permissive policies
    grant, this one is RESTRICTIVE on the trail, so it only takes away).
    """
    me = "(SELECT wb_my_site())"
    conn.exec_driver_sql(f"ALTER TABLE {UserAccount.TABLE} ENABLE ROW LEVEL SECURITY")
    conn.exec_driver_sql(f"DROP POLICY IF EXISTS wb_site ON {UserAccount.TABLE}")
    conn.exec_driver_sql(f"CREATE POLICY wb_site ON {UserAccount.TABLE} TO {everyone} "
                         f"USING ({me} IS NULL OR site_id IS NULL OR site_id = {me}) "
                         f"WITH CHECK ({me} IS NULL OR site_id = {me})")

    # A plpgsql function, not the same test written inline: inlined, every query on the trail planned
    # each table's nested site policy (44 ms per write transaction's key check, measured); a function
    # call is planned as one opaque call, and study-wide roles never reach it (the OR stops first).
    # SECURITY INVOKER: the lookup runs under the caller's own policies, which is the point.
    tables = [n for n in sorted(TABLES) if n in existing and n not in CONCEALED_TABLES
              and (site_paths(n) or n == UserAccount.TABLE)]
    listed = ", ".join(f"'{n}'" for n in (*tables, KEY_ENTITY))
    run_ddl(conn, f"""
CREATE OR REPLACE FUNCTION wb_row_visible(p_table text, p_id text) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
DECLARE ok boolean;
BEGIN
  IF p_table IS NULL OR p_table NOT IN ({listed}) THEN RETURN true; END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE id = $1)',
                 CASE WHEN p_table = '{KEY_ENTITY}' THEN '{UserAccount.TABLE}' ELSE p_table END) INTO ok USING p_id;
  RETURN ok;
END $$""")

    def about_visible(entity: str, entity_id: str) -> str:
        return f"({me} IS NULL OR wb_row_visible({entity}, {entity_id}))"

    conn.exec_driver_sql("DROP POLICY IF EXISTS wb_site ON audit_log")
    conn.exec_driver_sql(f"CREATE POLICY wb_site ON audit_log AS RESTRICTIVE FOR SELECT TO {everyone} "
                         f"USING {about_visible('entity', 'entity_id')}")
    conn.exec_driver_sql("ALTER TABLE db_change_log ENABLE ROW LEVEL SECURITY")
    conn.exec_driver_sql("DROP POLICY IF EXISTS wb_site ON db_change_log")
    conn.exec_driver_sql(f"CREATE POLICY wb_site ON db_change_log FOR SELECT TO {seeing} "
                         f"USING {about_visible('table_name', 'row_id')}")


def _grant_reads(conn: sa.Connection, table: sa.Table, groups: dict[str, str]) -> None:
    """SELECT for every group, except: the allocation sequence for the allocation roles only, and
    the arm columns never for blinded groups (a column privilege: ``SELECT arm`` is refused)."""
    name = _q(table.name)
    if table.name in CONCEALED_TABLES:
        allocators = [g for r, g in groups.items() if r in ALLOCATION_ROLES]
        if allocators:
            conn.exec_driver_sql(f"GRANT SELECT ON TABLE {name} TO " + ", ".join(allocators))
        return
    hidden = BLINDED_COLUMNS.get(table.name, ())
    blind = [g for r, g in groups.items() if r in BLINDED_ROLES and hidden]
    conn.exec_driver_sql(f"GRANT SELECT ON TABLE {name} TO " + ", ".join(g for g in groups.values() if g not in blind))
    if blind:
        cols = ", ".join(_q(c.name) for c in table.columns if c.name not in hidden)
        conn.exec_driver_sql(f"GRANT SELECT ({cols}) ON TABLE {name} TO {', '.join(blind)}")


def person_url(url: str, user: str, password: str) -> sa.URL:
    """The URL that logs ``user`` in as their own database role."""
    u = sa.make_url(url)
    return u.set(username=login_role(u.database, user), password=password)


def create_login(conn: sa.Connection, user: str, role: str, password: str) -> None:
    """Create the person's login role (inside the caller's transaction: rolled back with it).

    Only the SCRAM-SHA-256 verifier, computed here, is sent (:func:`scram_verifier`).
    """
    db = conn.exec_driver_sql("SELECT current_database()").scalar_one()
    conn.execute(sa.text("SELECT wb_create_login(:login, :user, :role, :pw)"),
                 {"login": login_role(db, user), "user": user, "role": role, "pw": scram_verifier(conn, password)})


def set_login(conn: sa.Connection, user: str, enabled: bool) -> None:
    conn.execute(sa.text("SELECT wb_set_login(:user, :on)"), {"user": user, "on": enabled})


def scram_verifier(conn: sa.Connection, password: str) -> str:
    """The SCRAM-SHA-256 verifier of ``password``, computed by libpq on this side of the connection."""
    pgconn = conn.connection.dbapi_connection.pgconn
    # The role name is not used by SCRAM (only by md5), so any name gives a valid verifier.
    verifier = pgconn.encrypt_password(password.encode("utf-8"), b"", b"scram-sha-256").decode("ascii")
    if not verifier.startswith(SCRAM_PREFIX):  # never send anything else
        raise RuntimeError("libpq did not return a SCRAM-SHA-256 verifier")
    return verifier


def password_clause(conn: sa.Connection, password: str) -> str:
    """``PASSWORD '<verifier>'`` for CREATE/ALTER ROLE (DDL takes no statement parameters)."""
    return "PASSWORD '" + scram_verifier(conn, password).replace("'", "''") + "'"


def refused_login(err: Exception) -> bool:
    """Whether a connection error is PostgreSQL refusing the login (which its server log records)."""
    text = str(err).lower()
    return "password authentication failed" in text or "not permitted to log in" in text
