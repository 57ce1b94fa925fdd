"""Results as records: provenance, one row per unit and result version (the database refuses a second)."""

from __future__ import annotations

import dataclasses

import pytest

from workbench.analysis import AnalysisSpec, UnitResult, WorkUnit
from workbench.analysis.results import to_records, write_result
from workbench.analysis.trials import TrialOutcome
from workbench.errors import ValidationError
from workbench.records import Reanalysis, ReanalysisTrial
from workbench.records.demo import open_demo_store

SPEC = AnalysisSpec(result_version=1)
UNIT = WorkUnit(identity="test:unit-1", source="/nowhere/unit-1_eeg.fif", participant_id="SCI-001")


def _result(status="done", **kw):
    trials = (TrialOutcome(1, "rest", 0.0, "rest", True, 0.2, 25), TrialOutcome(2, "attempt", 4.0, "rest", False,
                                                                              None, 25))
    base = dict(recording_sha256="a" * 64, n_trials=2, n_classes=2, accuracy=0.5, itr_bits_per_min=0.0,
                trial_duration_s=4.0, erd_percent={"mu:C3": -30.0}, trials=trials)
    if status == "failed":
        base = dict(error="RecordingFileError: gone")
    return UnitResult(UNIT, SPEC.unit_key(UNIT.identity), status, **{**base, **kw})


@pytest.fixture
def store(tmp_path):
    with open_demo_store(tmp_path / "ws", role="engineer") as s:
        yield s


def test_a_result_carries_its_provenance():
    summary, trials = to_records(_result(), SPEC)
    assert summary.unit_key == SPEC.unit_key(UNIT.identity) and summary.result_version == 1
    assert summary.parameters == SPEC.parameters() and summary.software_version
    assert summary.recording_sha256 == "a" * 64 and summary.decoder_sha256 is None
    assert [t.reanalysis_id for t in trials] == [summary.id] * 2 and trials[1].correct is False
    with pytest.raises(ValidationError, match="error"):  # a failed unit must say why
        dataclasses.replace(summary, status="failed")


def test_the_database_refuses_a_second_row_for_one_unit_and_version(store):
    assert write_result(store, _result(), SPEC) == "written"
    assert write_result(store, _result(), SPEC) == "duplicate"
    (stored,) = store.find(Reanalysis)
    assert len(store.find(ReanalysisTrial, reanalysis_id=stored.id)) == 2
    # Even under another id (another program, a bug): the unique (unit_key, result_version) holds.
    twin, _ = to_records(_result(), SPEC)
    with pytest.raises(ValidationError, match="database"):
        store.add(dataclasses.replace(twin, id="another-id"))
    # Another result version is another row.
    v2 = dataclasses.replace(SPEC, result_version=2)
    assert write_result(store, dataclasses.replace(_result(), key=v2.unit_key(UNIT.identity)), v2) == "written"
    assert len(store.find(Reanalysis)) == 2


def test_a_failed_unit_that_succeeds_later_is_updated_with_a_reason(store):
    assert write_result(store, _result("failed"), SPEC) == "written"
    assert write_result(store, _result("failed"), SPEC) == "duplicate"  # same error: nothing to change
    assert write_result(store, _result(), SPEC) == "replaced"
    (stored,) = store.find(Reanalysis)
    assert stored.status == "done" and stored.error is None and stored.version == 2
    trail = store.audit_trail(stored)
    assert set(trail["reason"].dropna()) == {"re-analysis re-run: the unit ran again"}
