"""Benchmark the study store: 100 participants x 12 visits x 10 instruments.

Inserts through :class:`workbench.records.Store` (validation, reference checks,
audit trail; one transaction per participant) and queries the result (outcomes
long and wide, timelines, a full audit verification), on SQLite and on
PostgreSQL. Each timing is also given as a ratio to a reference measured in the
same run on the same machine: the same rows written by bare SQLAlchemy Core
``executemany`` with no validation or audit, and the assessment table read by
a bare ``SELECT *``. Ratios, not seconds, are what to compare across machines.

Issue 11 adds the cost of identities and the keyed trail, as ratios to the
store's plain writes of before (same records, same validation): the plain
store trusts a declared user, skips the account and site checks and chains
with unkeyed SHA-256; on PostgreSQL it connects as the owner, without the
per-row change trigger. Keys ``keyed_insert_ratio_vs_plain`` and
``keyed_verify_ratio_vs_plain`` (goal at most 1.5), and ``login_s`` (one
argon2 verification, or PostgreSQL's own login, plus the access-log line).

PostgreSQL: ``--pg-url URL``, else ``WORKBENCH_TEST_PG_URL``, else a throwaway
server started with ``scripts/pg-server.sh`` (when PostgreSQL is installed).

Usage::

    python benchmarks/records.py [--json] [--participants 100] [--pg-url URL | --no-pg]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from unittest import mock
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.outcomes.instruments import list_instruments, load_instrument  # noqa: E402
from workbench.outcomes.instruments._scoring import score_instrument  # noqa: E402
from workbench.records import (  # noqa: E402
    Consent, OutcomeAssessment, Participant, Site, Store, Study, User, Visit, VisitDefinition,
)
from workbench.records import audit as audit_mod  # noqa: E402
from workbench.records.engine import create_engine  # noqa: E402
from workbench.records.migrate import upgrade_database  # noqa: E402
from workbench.records.rows import to_row  # noqa: E402
from workbench.records.tables import TABLES  # noqa: E402

N_VISITS = 12
N_INSTRUMENTS = 10
PASSWORD = "benchmark-password"


def _forms():
    """One complete, correctly scored administration of every instrument defined as data."""
    forms = []
    for name in list_instruments():
        inst = load_instrument(name)
        items = {}
        for it in inst.items:
            if it.required:
                items[it.id] = it.values[-1] if it.values else (it.min + 1 if it.kind == "float" else it.min)
        forms.append((inst, items, dict(score_instrument(inst, items).scores)))
    return forms


FORMS = _forms()


class _PlainEntry(audit_mod.AuditEntry):
    """The chain as it was before issue 11: unkeyed SHA-256."""

    def compute_hash(self, key):
        import hashlib

        payload = audit_mod.canonical_json({k: getattr(self, k) for k in audit_mod.HASHED})
        return hashlib.sha256((self.prev_hash + payload).encode("utf-8")).hexdigest()


def plain_store(url: str, workspace) -> Store:
    """The store as it wrote before issue 11: a declared user, no account or site checks, owner connection."""
    store = Store.__new__(Store)
    store.url, store.workspace, store.postgres = url, workspace, False
    store.engine = create_engine(url)
    store._schema_checked, store._key = False, b""
    store.user = User("bench", "investigator")
    store._check_account = lambda conn: None
    store._check_sites = lambda ctx, records, action: None
    return store


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def bench_identity_cost(url: str, plain_url: str, workspace, n_participants: int) -> dict:
    """Keyed trail + login + account and site checks, against the plain writes of before, same records."""
    _, _, groups_a = build_records(n_participants)
    study, site, groups_b = build_records(n_participants)
    for u in (url, plain_url):
        eng = create_engine(u)
        upgrade_database(eng, workspace=workspace)
        eng.dispose()
    if sa.make_url(plain_url).get_backend_name() == "postgresql":  # before issue 11: no change trigger
        eng = create_engine(plain_url)
        with eng.begin() as conn:
            for name in TABLES:
                conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS wb_record_change ON "{name}"')
        eng.dispose()
    Store.create_first_account(url, user="bench", password=PASSWORD, workspace=workspace).close()
    keyed, login_s = _timed(lambda: Store(url, user="bench", password=PASSWORD, workspace=workspace))
    plain = plain_store(plain_url, workspace)
    plain_entry = mock.patch.object(audit_mod, "AuditEntry", _PlainEntry)
    with plain_entry:
        plain.add(*build_records(0)[:2])
    keyed.add(study, site)
    plain_s = keyed_s = 0.0
    for a, b in zip(groups_a, groups_b):  # interleaved: both see the same machine load
        with plain_entry:
            plain_s += _timed(lambda: plain.add(*b))[1]
        keyed_s += _timed(lambda: keyed.add(*a))[1]
    with plain_entry:
        plain_report, plain_verify_s = _timed(plain.verify_audit)
    keyed_report, keyed_verify_s = _timed(keyed.verify_audit)
    assert plain_report.ok and keyed_report.ok, (plain_report.summary(), keyed_report.summary())
    assert keyed_report.n_rows == plain_report.n_rows + 1  # the same records, plus the bench account
    keyed.close()
    plain.close()
    return {
        "login_s": round(login_s, 3),
        "plain_insert_s": round(plain_s, 3),
        "keyed_insert_s": round(keyed_s, 3),
        "keyed_insert_ratio_vs_plain": round(keyed_s / plain_s, 2),
        "plain_verify_s": round(plain_verify_s, 3),
        "keyed_verify_s": round(keyed_verify_s, 3),
        "keyed_verify_ratio_vs_plain": round(keyed_verify_s / plain_verify_s, 2),
    }


def build_records(n_participants: int):
    """The study, its site, and per participant: the participant, 12 visits, 120 assessments."""
    schedule = tuple(VisitDefinition(name=f"m{k:02d}", target_day=28 * k, window_before=3, window_after=3)
                     for k in range(N_VISITS))
    study = Study(id="BENCH-1", title="benchmark", arms=("A", "B"), visit_schedule=schedule)
    site = Site(id="S1", study_id="BENCH-1", name="bench site", country="CH")
    per_participant = []
    for i in range(n_participants):
        pid = f"BEN-{i:04d}"
        enrol = date(2025, 1, 1) + timedelta(days=i)
        recs = [Participant(id=pid, study_id="BENCH-1", site_id="S1", arm="AB"[i % 2], enrolment_date=enrol,
                            injury_date=enrol - timedelta(days=200), injury_level="C5", baseline_ais="B",
                            age_years=30 + i % 40, sex="FM"[i % 2]),
                Consent(participant_id=pid, form_version="ICF v1", consent_date=enrol - timedelta(days=1),
                        data_sharing=True)]
        for vd in schedule:
            day = enrol + timedelta(days=vd.target_day)
            visit = Visit(participant_id=pid, name=vd.name, scheduled_date=day, window_before=3, window_after=3,
                          status="done", actual_date=day)
            recs.append(visit)
            for k in range(N_INSTRUMENTS):
                inst, items, scores = FORMS[k % len(FORMS)]
                recs.append(OutcomeAssessment(
                    participant_id=pid, visit_id=visit.id, instrument=inst.id, instrument_version=inst.version,
                    assessor="bench", assessed_on=day, item_values=items, scores=scores))
        per_participant.append(recs)
    return study, site, per_participant


def bench_backend(url: str, ref_url: str, n_participants: int, workspace) -> dict:
    study, site, groups = build_records(n_participants)
    n_records = 2 + sum(len(g) for g in groups)
    eng = create_engine(url)
    upgrade_database(eng, workspace=workspace)
    eng.dispose()
    Store.create_first_account(url, user="bench", password=PASSWORD, workspace=workspace).close()
    store = Store(url, user="bench", password=PASSWORD, workspace=workspace)
    t0 = time.perf_counter()
    store.add(study, site)
    for group in groups:
        store.add(*group)  # one transaction per participant, as a site would enter them
    insert_s = time.perf_counter() - t0

    # Reference: the same rows, bare executemany, no checks, no audit, one transaction.
    ref = create_engine(ref_url)
    upgrade_database(ref)
    rows: dict[str, list] = {}
    for rec in [study, site] + [r for g in groups for r in g]:
        rows.setdefault(rec.TABLE, []).append(to_row(rec))
    t0 = time.perf_counter()
    with ref.begin() as conn:
        for table in ("studies", "sites", "participants", "consents", "visits", "outcome_assessments"):
            conn.execute(TABLES[table].insert(), rows[table])
    ref_insert_s = time.perf_counter() - t0

    timings = {}
    t0 = time.perf_counter()
    with ref.connect() as conn:
        n_raw = sum(len(r.scores or {}) for r in conn.execute(sa.select(TABLES["outcome_assessments"])))
    ref_query_s = time.perf_counter() - t0
    for name, fn in (
        ("outcomes_long", lambda: store.outcomes("long")),
        ("outcomes_wide", lambda: store.outcomes("wide")),
        ("timeline_x10", lambda: [store.timeline(f"BEN-{i:04d}") for i in range(min(10, n_participants))]),
        ("verify_audit", store.verify_audit),
    ):
        t0 = time.perf_counter()
        result = fn()
        timings[name] = time.perf_counter() - t0
        if name == "outcomes_long":
            assert len(result) == n_raw, (len(result), n_raw)
        if name == "verify_audit":
            assert result.ok, result.summary()
            n_entries = result.n_entries
    store.close()
    ref.dispose()
    return {
        "records": n_records,
        "audit_entries": n_entries,
        "insert_s": round(insert_s, 3),
        "insert_records_per_s": round(n_records / insert_s),
        "reference_insert_s": round(ref_insert_s, 3),
        "insert_ratio_vs_bare_executemany": round(insert_s / ref_insert_s, 2),
        "reference_select_s": round(ref_query_s, 4),
        **{f"{k}_s": round(v, 3) for k, v in timings.items()},
        **{f"{k}_ratio_vs_bare_select": round(v / ref_query_s, 2) for k, v in timings.items()},
    }


def _pg_databases(base_url: str, n: int = 4):
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    names = [f"wb_bench_{uuid.uuid4().hex[:8]}" for _ in range(n)]
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    urls = [sa.make_url(base_url).set(database=n).render_as_string(hide_password=False) for n in names]
    return admin, names, urls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--participants", type=int, default=100)
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()

    results: dict = {"participants": args.participants, "visits_per_participant": N_VISITS,
                     "instruments_per_visit": N_INSTRUMENTS}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("WORKBENCH_AUDIT_KEY_FILE", f"{tmp}/keys/audit.key")
        results["sqlite"] = bench_backend(f"sqlite:///{tmp}/store.sqlite", f"sqlite:///{tmp}/ref.sqlite",
                                          args.participants, tmp)
        results["sqlite"].update(bench_identity_cost(f"sqlite:///{tmp}/keyed.sqlite", f"sqlite:///{tmp}/plain.sqlite",
                                                     tmp, args.participants))
        pg_url = None if args.no_pg else (args.pg_url or os.environ.get("WORKBENCH_TEST_PG_URL"))
        pg_dir = None
        if pg_url is None and not args.no_pg and list(Path("/usr/lib/postgresql").glob("*/bin")):
            pg_dir = tempfile.mkdtemp(prefix="wb-bench-pg-")
            pg_url = subprocess.run([str(REPO / "scripts" / "pg-server.sh"), "start", pg_dir], check=True,
                                    capture_output=True, text=True, timeout=120).stdout.strip()
        try:
            if pg_url:
                admin, names, (url, ref_url, keyed_url, plain_url) = _pg_databases(pg_url)
                try:
                    results["postgresql"] = bench_backend(url, ref_url, args.participants, tmp)
                    results["postgresql"].update(bench_identity_cost(keyed_url, plain_url, tmp, args.participants))
                finally:
                    from workbench.records.pg import db_tag

                    with admin.connect() as conn:
                        for name in names:
                            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                            roles = conn.exec_driver_sql("SELECT rolname FROM pg_roles WHERE rolname LIKE "
                                                         f"'%%@{db_tag(name)}'").scalars().all()
                            for role in sorted(roles, key=lambda r: r.startswith("wb_")):
                                conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
                    admin.dispose()
            else:
                results["postgresql"] = "skipped: no --pg-url, WORKBENCH_TEST_PG_URL or local PostgreSQL"
        finally:
            if pg_dir:
                subprocess.run([str(REPO / "scripts" / "pg-server.sh"), "stop", pg_dir], timeout=120)
                shutil.rmtree(pg_dir, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for backend in ("sqlite", "postgresql"):
            print(f"== {backend}")
            res = results[backend]
            for k, v in (res.items() if isinstance(res, dict) else [("status", res)]):
                print(f"  {k:40s} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
