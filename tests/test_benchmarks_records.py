"""``benchmarks/records.py`` runs end to end on a small study and reports the keys issue 20 names.

A change to the store's rules once broke this benchmark without any test noticing (the assessor rule of
issue 22 refused the emulated store of before issue 11); this keeps it runnable. No timing is asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import REPO


@pytest.mark.slow  # seconds of real-time streaming or a subprocess: make test, not make check
def test_the_records_benchmark_runs_on_a_small_study_and_saves_every_machine_row():
    done = subprocess.run([sys.executable, "benchmarks/records.py", "--json", "--no-pg", "--participants", "3",
                           "--machine-rows", "300", "--batch", "100", "--writer-rate", "200",
                           "--writer-seconds", "3"],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    r = json.loads(done.stdout)["sqlite"]
    # 3 participants: the study, its site, and per participant 1 + consent + 12 visits + 120 assessments
    assert r["records"] == 2 + 3 * (1 + 1 + 12 + 120)
    assert r["safety_events_rows"] == 300 and r["machine_rows_per_transaction"] == 100
    assert r["safety_events_rows_per_s"] > 0 and r["reanalysis_results_rows_per_s"] > 0
    assert isinstance(r["safety_events_goal_met"], bool) and r["safety_events_rows_per_s_goal"] == ">= 10000"
    # one keyed trail entry per machine-made row (issue 20), not one per field (9 per SafetyEvent); the
    # rest are the per-field entries of the study, site, participant, session and run made first
    machine = r["safety_events_rows"] + r["reanalysis_results_rows"]
    assert machine <= r["machine_rows_audit_entries"] < machine + 100
    # the closed loop's writer, fed as a block feeds it: every decision saved, the backlog measured
    assert r["writer_decisions_saved"] == r["writer_decisions_made"] > 0
    assert r["writer_backlog_max"] >= 0 and r["writer_transactions"] >= 1
    assert isinstance(r["writer_goal_met"], bool)
