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
                                 [--machine-rows 20000] [--batch 1000]

The closed loop's own writer (``writer_*`` keys, SQLite): a SafetyEventWriter
fed ``--writer-rate`` (1,000) gate decisions a second for ``--writer-seconds``
(20), as a block makes them; its backlog must stay under two periods' worth.

Issue 20 adds machine-made records at machine rate: ``safety_events_rows_per_s``
(the closed loop's gate decisions) and ``reanalysis_results_rows_per_s`` (a
Reanalysis and its 60 ReanalysisTrial rows per unit), written through
``Store.add_many`` in ``--batch`` rows a transaction with the keyed, signed
trail on (one entry per row), each beside its goal (>= 10,000 SafetyEvent
rows a second on SQLite) and as a ratio to bare executemany of the same rows.
The figure is the median transaction's rate (robust to a neighbour's load
burst on a shared machine); ``*_mean`` keys give total rows over total time and
``safety_events_rows_per_cpu_s`` the rows per CPU-second of this process (on
SQLite all of the work; the rate with a core to itself).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from unittest import mock
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.outcomes.instruments import list_instruments, load_instrument  # noqa: E402
from workbench.outcomes.instruments._scoring import score_instrument  # noqa: E402
from workbench.records import (  # noqa: E402
    Consent, OutcomeAssessment, Participant, Reanalysis, ReanalysisTrial, Run, SafetyEvent, Session, Site, Store,
    Study, User, Visit, VisitDefinition,
)
from workbench.records.storage.engine import create_engine  # noqa: E402
from workbench.records.storage.migrate import upgrade_database  # noqa: E402
from workbench.records.storage.rows import to_row  # noqa: E402
from workbench.records.storage.tables import TABLES  # noqa: E402
from workbench.records.trail import audit as audit_mod  # noqa: E402

N_VISITS = 12
N_INSTRUMENTS = 10
PASSWORD = "benchmark-password"


def _forms(repeat: int = 0):
    """One complete, correctly scored administration of every instrument defined as data.

    ``repeat`` > 0 gives another administration with other item values: a visit holds more
    assessments than there are instruments, and the store refuses the same assessment twice.
    """
    forms = []
    for name in list_instruments():
        inst = load_instrument(name)
        items = {}
        for it in inst.items:
            if it.required:
                if it.values:
                    items[it.id] = it.values[max(0, len(it.values) - 1 - repeat)]
                else:
                    items[it.id] = it.min + 1 + repeat if it.kind == "float" else it.min + repeat
        forms.append((inst, items, dict(score_instrument(inst, items).scores)))
    return forms


FORMS = _forms()
FORMS_AGAIN = _forms(1)


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
    store._user = User("bench", "investigator")  # Store.user is read-only since issue 24
    store._signer = store._pending_key = None  # nor signed per author
    store._check_account = lambda conn: None
    store._check_sites = lambda ctx, records, action: None
    return store


@contextlib.contextmanager
def _plain_writes():
    """The writes of before issue 11: the unkeyed chain, and no assessor rule (issue 22 added it; the
    plain database has no accounts for it to check against)."""
    from workbench.records.storage.rules import BatchContext

    with mock.patch.object(audit_mod, "AuditEntry", _PlainEntry), \
            mock.patch.object(BatchContext, "_check_assessor", lambda self, rec, label: []):
        yield


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
    with _plain_writes():
        plain.add(*build_records(0)[:2])
    keyed.add(study, site)
    plain_s = keyed_s = 0.0
    for a, b in zip(groups_a, groups_b):  # interleaved: both see the same machine load
        with _plain_writes():
            plain_s += _timed(lambda: plain.add(*b))[1]
        keyed_s += _timed(lambda: keyed.add(*a))[1]
    with _plain_writes():
        plain_report, plain_verify_s = _timed(plain.verify_audit)
    keyed_report, keyed_verify_s = _timed(keyed.verify_audit)
    # The plain store of before signs nothing (issue 24 came later): its only findings may be that.
    unsigned = all("not signed by its user" in f.message for f in plain_report.findings)
    assert unsigned and keyed_report.ok, (plain_report.summary()[:2000], keyed_report.summary())
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
                inst, items, scores = (FORMS if k < len(FORMS) else FORMS_AGAIN)[k % len(FORMS)]
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


#: Issue 20: machine-made rows a second the store must take on SQLite, keyed trail on.
SAFETY_EVENTS_GOAL = 10_000


def _machine_setup(url: str, workspace):
    """A logged-in engineer-capable store with a participant, consent, session and run to hang rows on."""
    eng = create_engine(url)
    upgrade_database(eng, workspace=workspace)
    eng.dispose()
    Store.create_first_account(url, user="bench", password=PASSWORD, workspace=workspace).close()
    store = Store(url, user="bench", password=PASSWORD, workspace=workspace)
    study, site, groups = build_records(1)
    participant, consent = groups[0][:2]
    store.add(study, site, participant, consent)
    session = Session(participant_id=participant.id, device="bench amplifier", montage="bench montage",
                      operator="bench", started_at=datetime.combine(participant.enrolment_date, dtime(9),
                                                                    timezone.utc))
    run = Run(session_id=session.id, number=1, task="closed loop")
    store.add_many([session, run])
    return store, session, run


def _safety_events(session, run, n: int):
    t0 = session.started_at
    decisions = ("passed", "held", "blocked", "safe_state", "resumed")
    return [SafetyEvent(session_id=session.id, run_id=run.id, occurred_at=t0 + timedelta(milliseconds=i),
                        lsl_time=1000.0 + 1e-3 * i, decision=decisions[i % 5], rule="all_limits",
                        command="program:grasp", time_to_safe_ms=80.0 if i % 5 == 3 else None,
                        detail=f"{0.1 * (i % 30):.3f} mA") for i in range(n)]


def _reanalysis_units(session, n_units: int, n_trials: int):
    units = []
    for u in range(n_units):
        unit = Reanalysis(unit_key=f"{u:064x}", result_version=1, session_id=session.id,
                          participant_id=session.participant_id, source=f"recordings/bench/run-{u:04d}.fif",
                          recording_sha256="a" * 64, software_version="bench", parameters={"band": "8-30"},
                          status="done", n_trials=n_trials, n_classes=2, accuracy=0.75, kappa=0.5,
                          itr_bits_per_min=4.2, trial_duration_s=4.0, erd_percent={"mu:C3": -22.5},
                          finished_at=session.started_at)
        trials = [ReanalysisTrial(reanalysis_id=unit.id, number=k + 1, cue="left" if k % 2 else "right",
                                  onset_s=4.0 * k, decoded="left", correct=bool(k % 2), latency_s=0.8,
                                  n_windows=12) for k in range(n_trials)]
        units.append([unit, *trials])
    return units


def bench_machine_rows(url: str, ref_url: str, workspace, n_rows: int = 20_000, batch: int = 1000) -> dict:
    """Issue 20: SafetyEvent and re-analysis rows a second through ``Store.add_many``, keyed trail on.

    Records are made before the clock starts (the loop and the workers make them);
    the timing is the store's: checks, rows, one keyed entry per row, one signature
    per transaction. The reference is the same rows by bare executemany.
    """
    store, session, run = _machine_setup(url, workspace)
    events = _safety_events(session, run, n_rows)
    # Timed per transaction: the figure is the median transaction's rate (the machine is shared;
    # a neighbour's burst lands in a few transactions, not in the median), the mean beside it.
    tx_s = []
    cpu0 = time.process_time()
    for k in range(0, n_rows, batch):
        t0 = time.perf_counter()
        store.add_many(events[k:k + batch])
        tx_s.append((time.perf_counter() - t0, len(events[k:k + batch])))
    safety_cpu_s = time.process_time() - cpu0  # this process only (SQLite works in it; PostgreSQL does not)
    safety_s = sum(t for t, _ in tx_s)

    # Re-analysis results as the client writes them: a few units (a Reanalysis and its trials) per batch.
    n_trials = 60
    units = _reanalysis_units(session, max(1, n_rows // (n_trials + 1)), n_trials)
    per_batch = max(1, batch // (n_trials + 1))
    n_results = sum(len(u) for u in units)
    results_tx = []
    for k in range(0, len(units), per_batch):
        rows = [r for u in units[k:k + per_batch] for r in u]
        t0 = time.perf_counter()
        store.add_many(rows)
        results_tx.append((time.perf_counter() - t0, len(rows)))
    report, verify_s = _timed(store.verify_audit)
    assert report.ok, report.summary()
    store.close()

    ref = create_engine(ref_url)
    upgrade_database(ref)
    rows = [to_row(e) for e in events]
    with ref.begin() as conn:  # the parents the foreign keys need, outside the timing
        study, site, groups = build_records(1)
        for rec in (study, site, *groups[0][:2], session, run):
            conn.execute(TABLES[rec.TABLE].insert(), [to_row(rec)])
    t0 = time.perf_counter()
    for k in range(0, n_rows, batch):
        with ref.begin() as conn:
            conn.execute(TABLES["safety_events"].insert(), rows[k:k + batch])
    ref_s = time.perf_counter() - t0
    ref.dispose()
    rate = _median_rate(tx_s)
    sqlite = url.startswith("sqlite")
    return {
        "safety_events_rows": n_rows,
        "machine_rows_per_transaction": batch,
        "safety_events_rows_per_s": round(rate),
        "safety_events_rows_per_s_goal": f">= {SAFETY_EVENTS_GOAL}" if sqlite else "none (goal is for SQLite)",
        "safety_events_goal_met": rate >= SAFETY_EVENTS_GOAL if sqlite else None,
        "safety_events_rows_per_s_mean": round(n_rows / safety_s),
        # What the rate would be with a whole core: on a loaded machine the wall-clock rate is the
        # share of a core this process got, times this.
        "safety_events_rows_per_cpu_s": round(n_rows / safety_cpu_s),
        "safety_events_ratio_vs_bare_executemany": round(safety_s / ref_s, 2),
        "reanalysis_results_rows": n_results,
        "reanalysis_results_rows_per_s": round(_median_rate(results_tx)),
        "reanalysis_results_rows_per_s_mean": round(n_results / sum(t for t, _ in results_tx)),
        "machine_rows_audit_entries": report.n_entries,
        "machine_rows_verify_s": round(verify_s, 3),
    }


def bench_writer_at_rate(url: str, workspace, rate: float = 1000.0, seconds: float = 20.0) -> dict:
    """Issue 20: the closed loop's writer fed ``rate`` gate decisions a second, as a block makes them.

    A feeder thread hands decisions to a :class:`SafetyEventWriter` in 10 ms bursts on an absolute
    grid (the loop's pace), for ``seconds``; the writer saves from its own thread once a second, within
    its 10 % share or what the rate needs at the measured cost of a row, or its catch-up share while it
    is behind. What a block relies on: the backlog (handed over, not yet committed) stays under two
    periods' worth the whole time, so decisions are saved as they come and the final flush after the
    last "off" is one period's worth, not the block's.
    """
    import threading

    from workbench.session.gate import GateDecision
    from workbench.session.safety_log import SafetyEventWriter

    store, session, run = _machine_setup(url, workspace)
    decisions = ("passed", "held", "blocked", "safe_state", "resumed")
    per_tick = max(1, round(rate / 100))
    n_ticks = round(seconds * 100)
    writer = SafetyEventWriter(store, session_id=session.id, run_id=run.id, to_utc=lambda t: session.started_at
                               + timedelta(seconds=t))
    backlog: list[int] = []
    done = threading.Event()

    def feed():
        t0 = time.perf_counter()
        for k in range(n_ticks):
            for j in range(per_tick):
                i = k * per_tick + j
                writer.put(GateDecision(1e-3 * i, decisions[i % 5], "all_limits", "program:grasp",
                                        0.1 * (i % 30), 0.08 if i % 5 == 3 else None))
            time.sleep(max(0.0, t0 + 0.01 * (k + 1) - time.perf_counter()))
        done.set()

    writer.start()
    feeder = threading.Thread(target=feed, name="bench-feeder")
    t_start = time.perf_counter()
    feeder.start()
    while not done.is_set():
        backlog.append(writer.n_put - writer.n_written)
        done.wait(0.05)
    feeder.join()
    fed_s = time.perf_counter() - t_start
    at_end = writer.n_put - writer.n_written
    t0 = time.perf_counter()
    writer.close()
    close_s = time.perf_counter() - t0
    made, saved = writer.n_put, writer.n_written
    store.close()
    limit = 2 * rate * writer.period_s
    return {
        "writer_decisions_per_s_offered": round(made / fed_s),
        "writer_decisions_made": made,
        "writer_decisions_saved": saved,
        "writer_transactions": writer.n_transactions,
        "writer_periods_catching_up": writer.n_catch_up,
        "writer_backlog_max": max(backlog),
        "writer_backlog_at_end_of_block": at_end,
        "writer_final_flush_s": round(close_s, 3),
        "writer_goal": f"every decision saved, backlog under {limit:.0f} (two periods) throughout",
        "writer_goal_met": saved == made and max(backlog) < limit,
    }


def _median_rate(transactions: list[tuple[float, int]]) -> float:
    """Rows a second of the median transaction (``(seconds, rows)`` each)."""
    rates = sorted(n / t for t, n in transactions)
    return rates[len(rates) // 2]


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
    parser.add_argument("--machine-rows", type=int, default=20_000,
                        help="SafetyEvent rows (and about as many re-analysis rows) written by add_many")
    parser.add_argument("--batch", type=int, default=1000, help="machine-made rows per transaction")
    parser.add_argument("--writer-rate", type=float, default=1000.0,
                        help="gate decisions a second fed to the closed loop's SafetyEvent writer")
    parser.add_argument("--writer-seconds", type=float, default=20.0, help="how long the writer is fed")
    args = parser.parse_args()

    results: dict = {"participants": args.participants, "visits_per_participant": N_VISITS,
                     "instruments_per_visit": N_INSTRUMENTS}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("WORKBENCH_AUDIT_KEY_FILE", f"{tmp}/keys/audit.key")
        results["sqlite"] = bench_backend(f"sqlite:///{tmp}/store.sqlite", f"sqlite:///{tmp}/ref.sqlite",
                                          args.participants, tmp)
        results["sqlite"].update(bench_identity_cost(f"sqlite:///{tmp}/keyed.sqlite", f"sqlite:///{tmp}/plain.sqlite",
                                                     tmp, args.participants))
        results["sqlite"].update(bench_machine_rows(f"sqlite:///{tmp}/machine.sqlite",
                                                    f"sqlite:///{tmp}/machine-ref.sqlite", tmp, args.machine_rows,
                                                    args.batch))
        results["sqlite"].update(bench_writer_at_rate(f"sqlite:///{tmp}/writer.sqlite", tmp, args.writer_rate,
                                                      args.writer_seconds))
        pg_url = None if args.no_pg else (args.pg_url or os.environ.get("WORKBENCH_TEST_PG_URL"))
        pg_dir = None
        if pg_url is None and not args.no_pg and list(Path("/usr/lib/postgresql").glob("*/bin")):
            pg_dir = tempfile.mkdtemp(prefix="wb-bench-pg-")
            pg_url = subprocess.run([str(REPO / "scripts" / "pg-server.sh"), "start", pg_dir], check=True,
                                    capture_output=True, text=True, timeout=120).stdout.strip()
        try:
            if pg_url:
                admin, names, (url, ref_url, keyed_url, plain_url, mach_url, mach_ref) = _pg_databases(pg_url, 6)
                try:
                    results["postgresql"] = bench_backend(url, ref_url, args.participants, tmp)
                    results["postgresql"].update(bench_identity_cost(keyed_url, plain_url, tmp, args.participants))
                    results["postgresql"].update(bench_machine_rows(mach_url, mach_ref, tmp, args.machine_rows,
                                                                    args.batch))
                finally:
                    from workbench.records.access.pg_roles import db_tag

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
