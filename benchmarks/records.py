"""Benchmark the study store: 100 participants x 12 visits x 10 instruments.

Inserts through :class:`workbench.records.Store` (validation, reference checks,
audit trail; one transaction per participant) and queries the result (outcomes
long and wide, timelines, a full audit verification), on SQLite and on
PostgreSQL. Each timing is also given as a ratio to a reference measured in the
same run on the same machine: the same rows written by bare SQLAlchemy Core
``executemany`` with no validation or audit, and the assessment table read by
a bare ``SELECT *``. Ratios, not seconds, are what to compare across machines.

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
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.records import (  # noqa: E402
    OutcomeAssessment, Participant, Site, Store, Study, User, Visit, VisitDefinition,
)
from workbench.records.engine import create_engine  # noqa: E402
from workbench.records.migrate import upgrade_database  # noqa: E402
from workbench.records.rows import to_row  # noqa: E402
from workbench.records.tables import TABLES  # noqa: E402

N_VISITS = 12
N_INSTRUMENTS = 10


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
                            age_years=30 + i % 40, sex="FM"[i % 2])]
        for vd in schedule:
            day = enrol + timedelta(days=vd.target_day)
            visit = Visit(participant_id=pid, name=vd.name, scheduled_date=day, window_before=3, window_after=3,
                          status="done", actual_date=day)
            recs.append(visit)
            for k in range(N_INSTRUMENTS):
                items = {f"item{j}": (i + k + j) % 5 for j in range(10)}
                recs.append(OutcomeAssessment(
                    participant_id=pid, visit_id=visit.id, instrument=f"INSTR-{k}", instrument_version="1",
                    assessor="bench", assessed_on=day, item_values=items, scores={"total": sum(items.values())}))
        per_participant.append(recs)
    return study, site, per_participant


def bench_backend(url: str, ref_url: str, n_participants: int) -> dict:
    study, site, groups = build_records(n_participants)
    n_records = 2 + sum(len(g) for g in groups)
    store = Store(url, user=User("bench", "investigator"))
    store.upgrade()
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
        for table in ("studies", "sites", "participants", "visits", "outcome_assessments"):
            conn.execute(TABLES[table].insert(), rows[table])
    ref_insert_s = time.perf_counter() - t0

    timings = {}
    t0 = time.perf_counter()
    with ref.connect() as conn:
        n_raw = len(conn.execute(sa.select(TABLES["outcome_assessments"])).all())
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


def _pg_databases(base_url: str):
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    names = [f"wb_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
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
        results["sqlite"] = bench_backend(f"sqlite:///{tmp}/store.sqlite", f"sqlite:///{tmp}/ref.sqlite",
                                          args.participants)
        pg_url = None if args.no_pg else (args.pg_url or os.environ.get("WORKBENCH_TEST_PG_URL"))
        pg_dir = None
        if pg_url is None and not args.no_pg and list(Path("/usr/lib/postgresql").glob("*/bin")):
            pg_dir = tempfile.mkdtemp(prefix="wb-bench-pg-")
            pg_url = subprocess.run([str(REPO / "scripts" / "pg-server.sh"), "start", pg_dir], check=True,
                                    capture_output=True, text=True, timeout=120).stdout.strip()
        try:
            if pg_url:
                admin, names, (url, ref_url) = _pg_databases(pg_url)
                try:
                    results["postgresql"] = bench_backend(url, ref_url, args.participants)
                finally:
                    with admin.connect() as conn:
                        for name in names:
                            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
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
