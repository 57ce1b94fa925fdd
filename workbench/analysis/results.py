"""Unit results written back as records with their provenance, each unit exactly once.

Records are written by the process that holds the store (the client), never
by workers: a worker needs no database access and no credentials, and a
worker killed mid-unit leaves nothing behind. Ids are derived from the unit
key, and the database keeps ``(unit_key, result_version)`` unique, so a
result that arrives twice (a retried task, a second process) is refused by
the database and skipped here.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from .. import __version__
from ..errors import ValidationError
from .compute import UnitResult
from .spec import AnalysisSpec


def reanalysis_id(key: str, result_version: int) -> str:
    return f"ra-{key[:40]}-v{result_version}"


def to_records(result: UnitResult, spec: AnalysisSpec, finished_at: datetime | None = None):
    """The :class:`~workbench.records.Reanalysis` and its trials for one unit result."""
    from ..records import Reanalysis, ReanalysisTrial

    rid = reanalysis_id(result.key, spec.result_version)
    summary = Reanalysis(
        id=rid, unit_key=result.key, result_version=spec.result_version, session_id=result.unit.session_id,
        participant_id=result.unit.participant_id, source=_short(result.unit.identity),
        recording_sha256=result.recording_sha256, decoder_sha256=spec.decoder_sha256,
        software_version=__version__, parameters=spec.parameters(), status=result.status, error=result.error,
        n_trials=result.n_trials, n_classes=result.n_classes, accuracy=result.accuracy, kappa=result.kappa,
        itr_bits_per_min=result.itr_bits_per_min, trial_duration_s=result.trial_duration_s,
        erd_percent=result.erd_percent or None, finished_at=finished_at or datetime.now(timezone.utc),
    )
    trials = [ReanalysisTrial(id=f"{rid}-t{t.number}", reanalysis_id=rid, number=t.number, cue=t.cue,
                              onset_s=t.onset_s, decoded=t.decoded, correct=t.correct, latency_s=t.latency_s,
                              n_windows=t.n_windows) for t in result.trials]
    return summary, trials


def _short(identity: str) -> str:
    return identity if len(identity) <= 200 else "..." + identity[-197:]


def stored_results(store, spec: AnalysisSpec) -> dict[str, object]:
    """``{unit_key: Reanalysis}`` already stored for this result version."""
    from ..records import Reanalysis

    return {r.unit_key: r for r in store.find(Reanalysis, result_version=spec.result_version)}


def write_result(store, result: UnitResult, spec: AnalysisSpec) -> str:
    """Save one unit's records; return ``"written"``, ``"replaced"`` (a failed unit now done) or ``"duplicate"``."""
    from ..records import Reanalysis, ReanalysisTrial

    summary, trials = to_records(result, spec)
    try:
        existing = store.get(Reanalysis, summary.id)
    except ValidationError:
        existing = None
    if existing is None:
        try:
            store.add_many([summary, *trials])
            return "written"
        except ValidationError:
            # Someone wrote this unit between our look and our write: the database refused the
            # second copy. Anything else is a real error.
            if _exists(store, summary.id):
                return "duplicate"
            raise
    if existing.status == "done" or (result.status == "failed" and existing.error == summary.error):
        return "duplicate"
    # A unit that failed before and ran again: its trials first (a failed unit has none, so any
    # found are from an interrupted earlier replacement), then the summary is updated; the trail
    # keeps the failure. Stopped in between, the summary still says failed and the unit reruns.
    have = {t.id for t in store.find(ReanalysisTrial, reanalysis_id=summary.id)}
    missing = [t for t in trials if t.id not in have]
    if missing:
        store.add(*missing)
    fields = {k: v for k, v in dataclasses.asdict(summary).items() if k not in ("id", "version")}
    store.update(dataclasses.replace(existing, **fields), reason="re-analysis re-run: the unit ran again")
    return "replaced"


def write_results(store, results, spec: AnalysisSpec, stored_ids=frozenset()) -> list[str]:
    """Save many units' records in one transaction; one outcome per result, as :func:`write_result`.

    The client is the store's one writer, and one transaction per unit made it
    the limit of a cluster: at 64 channels a unit costs a worker about 0.17 s
    and the client 0.024 s to write (a transaction, its commit and the trail),
    so more than about 7 workers waited on the client (benchmarks/reanalyze.py,
    issue 20). Units new to the store go in together; a unit stored before (a
    failed one now run again) and a batch the database refuses (another run
    wrote one of its units meanwhile) fall back to :func:`write_result`, unit by
    unit, which tells a duplicate from a real error.

    ``stored_ids`` are the Reanalysis ids known to be stored before the run.
    """
    results = list(results)
    fresh = [i for i, r in enumerate(results) if reanalysis_id(r.key, spec.result_version) not in stored_ids]
    outcomes: list[str | None] = [None] * len(results)
    if len(fresh) > 1:
        now = datetime.now(timezone.utc)
        records = [rec for i in fresh for summary, trials in [to_records(results[i], spec, now)]
                   for rec in (summary, *trials)]
        try:
            store.add_many(records)
        except ValidationError:
            pass  # written unit by unit below, each duplicate told apart from a real error
        else:
            for i in fresh:
                outcomes[i] = "written"
    return [o if o is not None else write_result(store, r, spec) for o, r in zip(outcomes, results)]


def _exists(store, rid: str) -> bool:
    from ..records import Reanalysis

    try:
        store.get(Reanalysis, rid)
        return True
    except ValidationError:
        return False
