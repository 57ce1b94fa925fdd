"""A demo study with everything a report shows: ISNCSCI, BCI runs, a recording, planted identifiers."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date, datetime, timedelta, timezone

from workbench.outcomes.entry import IsncsciEntry
from workbench.outcomes.isncsci import DERMATOMES, KEY_MUSCLES
from workbench.records import (
    OutcomeAssessment, ProtocolDeviation, RecordingFile, Run, RunMetrics, SafetyEvent, Session, Trial, Visit,
)
from workbench.records.demo import open_demo_store
from workbench.records import RECORD_TYPES

from ..conftest import REPO

RECORDING = REPO / "data_samples" / "sim_eeg64_counter.xdf"
#: What a careless user might type into a free-text field (invented person).
PLANTED = ("Johanna Meierhofer", "J.M.", "JMH", "born 1961-04-03", "03.04.1961")


def isncsci_scores(weak_from: str, grade: str) -> tuple[dict, dict]:
    """Item values and scores of a worksheet classified by the workbench's own classifier.

    Muscles and dermatomes from ``weak_from`` down get ``grade`` (motor) and 1 (sensory).
    """
    entry = IsncsciEntry()
    entry.fill_normal()
    below = False
    for d in DERMATOMES:
        below = below or d == weak_from
        if below:
            for side in ("right", "left"):
                entry.set(f"{side}.light_touch.{d}", "1")
                entry.set(f"{side}.pin_prick.{d}", "1")
                if d in KEY_MUSCLES:
                    entry.set(f"{side}.motor.{d}", grade)
    return entry.item_values(), entry.scores()


def add_isncsci(store, participant_id: str) -> None:
    """ISNCSCI at baseline and week 6 for one participant (motor recovery between them), where none is stored.

    The demo study seeds its own examinations (records/demo.py): those are kept, never duplicated.
    """
    visits = {v.name: v for v in store.find(Visit, participant_id=participant_id)}
    have = {o.visit_id for o in store.find(OutcomeAssessment, participant_id=participant_id, instrument="ISNCSCI")}
    for name, grade in (("baseline", "1"), ("week6", "3")):
        v = visits[name]
        if v.id in have:
            continue
        items, scores = isncsci_scores("C7", grade)
        store.add(OutcomeAssessment(participant_id=participant_id, visit_id=v.id, instrument="ISNCSCI",
                                    instrument_version="2019", assessor="demo.assessor", assessed_on=v.actual_date,
                                    item_values=items, scores=scores))


def add_bci(store, workspace, participant_id: str = "SCI-001") -> Session:
    """A recording attached to the participant's first session, one run of scored trials, one closed-loop run."""
    session = store.find(Session, participant_id=participant_id)[0]
    target = workspace.recordings / RECORDING.name
    shutil.copyfile(RECORDING, target)
    session = store.update(dataclasses.replace(
        session, recording_files=(RecordingFile.from_file(target, workspace.root),)), reason="recording attached")
    run = Run(session_id=session.id, number=1, task="attempt-rest", started_at=session.started_at)
    pattern = ["attempt", "rest", "attempt", "attempt", "rest", "rest", "attempt", "rest"]
    decoded = ["attempt", "rest", "rest", "attempt", "rest", "attempt", "attempt", "rest"]
    trials = [Trial(run_id=run.id, number=i + 1, cue=c, onset_s=4.0 * i + 1, decoded=d, correct=c == d,
                    latency_s=0.3 + 0.01 * i) for i, (c, d) in enumerate(zip(pattern, decoded))]
    closed = Run(session_id=session.id, number=2, task="closed-loop", started_at=session.started_at)
    metrics = RunMetrics(run_id=closed.id, n_trials=20, n_classes=2, accuracy=0.85, chance_level=0.5, kappa=0.7,
                         itr_bits_per_min=4.1, trial_duration_s=4.0, latency_p50_ms=12.0, latency_p95_ms=20.0,
                         latency_p99_ms=24.5, latency_max_ms=31.0, amplifier_share_p99_ms=2.5,
                         workbench_share_p99_ms=0.8, samples_lost=4470, n_gaps=1, loop_rt_priority=20,
                         n_blocked=1)
    gate = SafetyEvent(session_id=session.id, run_id=closed.id, occurred_at=session.started_at + timedelta(minutes=3),
                       decision="blocked", rule="max_rate", command="grasp")
    store.add(run, *trials, closed, metrics, gate)
    return session


def full_demo_store(workspace):
    """The demo study plus ISNCSCI and BCI records; an investigator's store."""
    store = open_demo_store(workspace.root, role="investigator")
    add_isncsci(store, "SCI-001")
    add_bci(store, workspace)
    return store


def plant_identifiers(store) -> list[str]:
    """Write PLANTED into every free-text field of every stored record; return the fields planted.

    Every record type with a free-text field must have at least one record, or
    the check would silently cover less than it claims.
    """
    text = " / ".join(PLANTED)
    planted = []
    for rt in RECORD_TYPES:
        fields = [name for name, sp in rt.specs() if sp.free_text]
        if not fields:
            continue
        for rec in store.find(rt):
            # A resolution is written only when a deviation is closed: close it to plant one there too.
            closing = {"status": "closed", "closed_on": rec.occurred_on} if rt is ProtocolDeviation else {}
            store.update(dataclasses.replace(rec, **{f: text for f in fields}, **closing),
                         reason="test: planted identifiers")
            planted += [f"{rt.__name__}.{f}" for f in fields]
    return sorted(set(planted))


def today() -> date:
    return datetime.now(timezone.utc).date()


def empty_store(root):
    """A study database with its schema and one investigator account, and no study."""
    from workbench.config import get_workspace
    from workbench.records import Store
    from workbench.records.storage.engine import create_engine
    from workbench.records.storage.migrate import upgrade_database

    ws = get_workspace(root)
    engine = create_engine(ws.db_url)
    upgrade_database(engine, workspace=ws.root)
    engine.dispose()
    return Store.create_first_account(ws.db_url, user="lead.investigator", password="correct horse battery",
                                      workspace=ws.root)
