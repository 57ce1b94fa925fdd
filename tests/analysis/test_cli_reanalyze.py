"""``workbench reanalyze`` on the demo study: simulated sessions, the demo decoder, serial and local cluster."""

from __future__ import annotations

import json

import pytest

from workbench.cli import main
from workbench.records import Reanalysis, Session
from workbench.records.demo import open_demo_store

from ..ports import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_user(tmp_path, monkeypatch):
    """A fresh demo workspace, acting as its investigator the way a script does (environment)."""
    ws = tmp_path / "ws"
    open_demo_store(ws).close()
    monkeypatch.setenv("WORKBENCH_HOME", str(ws))
    monkeypatch.setenv("WORKBENCH_USER", "demo.investigator")
    monkeypatch.setenv("WORKBENCH_ROLE", "investigator")
    keys = ws / "keys" / "demo-accounts.json"
    if keys.is_file():  # demo accounts with passwords (issue 11)
        monkeypatch.setenv("WORKBENCH_PASSWORD", json.loads(keys.read_text())["demo.investigator"])
    return ws


def _wb(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_reanalyze_the_demo_study_then_rerun_skips(demo_user, capsys):
    code, text = _wb(capsys, "reanalyze", "--simulate", "3", "--decoder", "demo", "--workers", "2")
    assert code == 0, text
    assert "recorded 3 simulated sessions" in text and "3 recordings to analyse with demo_attempt_eeg-64.npz" in text
    assert "Dask dashboard: http://" in text and "3 units: 3 done, 0 failed" in text
    code, text = _wb(capsys, "reanalyze", "--decoder", "demo", "--scheduler", "serial", "--visit", "week6")
    assert code == 0 and "0 done, 0 failed, 1 already finished (skipped)" in text
    with open_demo_store(demo_user) as store:
        assert len(store.find(Reanalysis)) == 3


def test_bad_options_and_a_silent_scheduler_are_clear_errors(demo_user, capsys):
    code, text = _wb(capsys, "reanalyze", "--site", "XX", "--from", "2026-13-01")
    assert code == 2 and "--from" in text  # an option to fix: exit 2, as argparse's own refusals
    code, text = _wb(capsys, "reanalyze", "--site", "XX")
    assert code == 2 and "--site: got 'XX'" in text
    code, text = _wb(capsys, "reanalyze", "--decoder", str(demo_user / "nope.npz"))
    assert code == 1 and "nope.npz" in text
    port = free_port()  # nothing listens there
    code, text = _wb(capsys, "reanalyze", "--simulate", "1", "--scheduler", f"tcp://127.0.0.1:{port}",
                     "--connect-timeout", "2")
    assert code == 1 and f"tcp://127.0.0.1:{port}" in text and "answers within 2 s" in text


def test_reanalyze_bids_honours_the_selection_and_the_accounts_site(demo_user, capsys, monkeypatch, tmp_path):
    from workbench.analysis import export_bids_study, simulate_sessions

    with open_demo_store(demo_user) as store:  # SCI-001 and SCI-002 at ZH, SCI-003 at HD
        simulate_sessions(store, demo_user, n_sessions=8, duration_s=12.0)
        out = export_bids_study(store, tmp_path / "bids", demo_user)
    bids = ("reanalyze", "--bids", str(out), "--scheduler", "serial", "--no-progress")
    code, text = _wb(capsys, *bids, "--participant", "SCI-003", "--visit", "baseline")
    assert code == 0 and "1 recordings to analyse (ERD only)" in text and "1 units: 1 done" in text, text
    # demo.engineer works at site ZH: another site is refused by name; its runs are left out.
    monkeypatch.setenv("WORKBENCH_USER", "demo.engineer")
    monkeypatch.setenv("WORKBENCH_ROLE", "engineer")
    monkeypatch.setenv("WORKBENCH_PASSWORD", json.loads((demo_user / "keys" / "demo-accounts.json").read_text())
                       ["demo.engineer"])
    code, text = _wb(capsys, *bids, "--site", "HD")
    assert code == 1 and "site: got 'HD'" in text and "works at site 'ZH'" in text
    code, text = _wb(capsys, *bids, "--visit", "baseline")
    assert code == 0 and "1 runs left out: not recordings of site ZH's sessions" in text, text
    assert "2 recordings to analyse" in text and "2 units: 2 done" in text
    with open_demo_store(demo_user) as store:
        sessions = {s.id: s.participant_id for s in store.find(Session)}
        linked = sorted(sessions[r.session_id] for r in store.find(Reanalysis))
    assert linked == ["SCI-001", "SCI-002", "SCI-003"]
