"""``workbench reanalyze`` on the demo study: simulated sessions, the demo decoder, serial and local cluster."""

from __future__ import annotations

import json
import socket

import pytest

from workbench.cli import main
from workbench.records import Reanalysis
from workbench.records.demo import open_demo_store

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
    assert code == 1 and "--from" in text
    code, text = _wb(capsys, "reanalyze", "--site", "XX")
    assert code == 1 and "site: got 'XX'" in text
    code, text = _wb(capsys, "reanalyze", "--decoder", str(demo_user / "nope.npz"))
    assert code == 1 and "nope.npz" in text
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, text = _wb(capsys, "reanalyze", "--simulate", "1", "--scheduler", f"tcp://127.0.0.1:{port}",
                     "--connect-timeout", "2")
    assert code == 1 and f"tcp://127.0.0.1:{port}" in text and "answers within 2 s" in text
