"""The study as one BIDS dataset: every recording of the chosen sessions, checked by the official validator."""

from __future__ import annotations

import json
import subprocess

import pandas as pd
import pytest

from tests.conftest import REPO
from workbench.analysis import AnalysisSpec, Selection, bids_units, export_bids_study, reanalyze, simulate_sessions
from workbench.analysis import workspace_units
from workbench.errors import ValidationError
from workbench.records import Session
from workbench.records.demo import open_demo_store

VALIDATOR = REPO / "tools" / "node" / "node_modules" / ".bin" / "bids-validator"

pytestmark = pytest.mark.slow


def _validate(root) -> dict:
    if not VALIDATOR.is_file():
        pytest.fail(f"the BIDS validator is not installed at {VALIDATOR}: run `make node-tools` "
                    "(npm ci of tools/package-lock.json into tools/node)")
    proc = subprocess.run([str(VALIDATOR), str(root), "--json"], capture_output=True, text=True, timeout=300)
    return json.loads(proc.stdout)["issues"]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    ws = tmp_path_factory.mktemp("bids-study-ws")
    with open_demo_store(ws, role="investigator") as store:
        # 4 sessions round the done visits: SCI-001 baseline, week6, week12 and SCI-002 baseline.
        sessions = simulate_sessions(store, ws, n_sessions=4, duration_s=12.0)
    return ws, sessions


def test_the_chosen_sessions_export_as_one_valid_bids_dataset(recorded, tmp_path):
    ws, sessions = recorded
    with open_demo_store(ws, role="monitor") as store:
        out = export_bids_study(store, tmp_path / "bids", ws)
    issues = _validate(out)
    assert issues["errors"] == [], [(e["key"], e["reason"]) for e in issues["errors"]]
    runs = sorted(p.relative_to(out).as_posix() for p in out.glob("sub-*/ses-*/eeg/*_eeg.vhdr"))
    assert len(runs) == len(sessions)
    participants = pd.read_csv(out / "participants.tsv", sep="\t")
    subjects = sorted({r.split("/")[0] for r in runs})
    assert sorted(participants["participant_id"]) == subjects  # only subjects with data, pseudonyms only
    assert {"site", "group", "ais_baseline"} <= set(participants.columns)
    # Each run names the session record it came from (scans.tsv, described in scans.json).
    linked = {}
    for scans in out.glob("sub-*/ses-*/*_scans.tsv"):
        frame = pd.read_csv(scans, sep="\t")
        linked.update(zip(frame["filename"], frame["session_record"]))
        assert "session_record" in json.loads(scans.with_suffix(".json").read_text())
    assert sorted(linked.values()) == sorted(s.id for s in sessions)
    for sub in subjects:
        table = pd.read_csv(out / sub / f"{sub}_sessions.tsv", sep="\t")
        assert sorted(table["session_id"]) == sorted(p.name for p in (out / sub).glob("ses-*"))
    # Nothing identifying: the raw headers hold the pseudonym label only.
    assert not any("SCI-00" in p.read_text(errors="ignore") for p in out.rglob("*.vhdr"))


def test_a_selection_exports_only_its_sessions_and_refuses_unknown_names(recorded, tmp_path):
    ws, _ = recorded
    with open_demo_store(ws, role="monitor") as store:
        out = export_bids_study(store, tmp_path / "one", ws, Selection(participants=("SCI-002",)))
        assert sorted(p.name for p in out.glob("sub-*")) == ["sub-SCI002"]
        assert _validate(out)["errors"] == []
        with pytest.raises(ValidationError) as err:
            export_bids_study(store, tmp_path / "none", ws, Selection(sites=("XX",), visits=("week99",)))
        assert set(err.value.fields) == {"site", "visit"}
        assert not (tmp_path / "none").exists()


def test_reanalysis_reads_the_bids_dataset_as_it_reads_the_workspace(recorded, tmp_path):
    ws, sessions = recorded
    with open_demo_store(ws, role="monitor") as store:
        out = export_bids_study(store, tmp_path / "bids", ws)
    spec = AnalysisSpec(result_version=7)  # ERD re-analysis, no decoder
    with open_demo_store(ws, role="investigator") as store:
        from_bids = reanalyze(store, bids_units(out), spec, scheduler="serial")
        from_ws = reanalyze(store, workspace_units(store, ws), spec, scheduler="serial")
        assert from_bids.done == from_ws.done == len(sessions)
        by_session = {r.unit.session_id: r for r in from_ws.results}
        for r in from_bids.results:
            twin = by_session[r.unit.session_id]  # each BIDS run links back to its session record
            assert [(t.cue, t.onset_s) for t in r.trials] == [(t.cue, t.onset_s) for t in twin.trials]
            # BrainVision keeps 0.1 uV resolution: the ERD agrees to well under a percent point.
            for k, v in twin.erd_percent.items():
                assert r.erd_percent[k] == pytest.approx(v, abs=0.5)
        assert {s.id for s in store.find(Session)} >= set(by_session)


def test_workbench_export_format_bids_writes_the_recordings(recorded, tmp_path, monkeypatch, capsys):
    from workbench.cli import main

    ws, _ = recorded
    monkeypatch.setenv("WORKBENCH_HOME", str(ws))
    monkeypatch.setenv("WORKBENCH_USER", "demo.monitor")
    monkeypatch.setenv("WORKBENCH_ROLE", "monitor")
    keys = ws / "keys" / "demo-accounts.json"
    if keys.is_file():  # demo accounts with passwords (issue 11)
        monkeypatch.setenv("WORKBENCH_PASSWORD", json.loads(keys.read_text())["demo.monitor"])
    code = main(["export", "--format", "bids", "--out", str(tmp_path / "cli"), "--visit", "baseline"])
    text = capsys.readouterr()
    assert code == 0, text.err
    assert sorted(p.name for p in (tmp_path / "cli").glob("sub-*/ses-*")) == ["ses-baseline", "ses-baseline"]
    assert _validate(tmp_path / "cli")["errors"] == []
