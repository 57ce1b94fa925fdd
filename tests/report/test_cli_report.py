"""`workbench report participant ID` and `workbench report study` on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.cli import main
from workbench.records.demo import demo_passwords, open_demo_store


@pytest.fixture
def monitor_env(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    open_demo_store(ws).close()
    monkeypatch.setenv("WORKBENCH_USER", "demo.monitor")
    monkeypatch.setenv("WORKBENCH_PASSWORD", demo_passwords(ws)["demo.monitor"])
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    return ws


def test_study_report_paths_are_printed(monitor_env, capsys):
    assert main(["--workspace", str(monitor_env), "report", "study", "--no-pdf"]) == 0
    out = capsys.readouterr().out.split()
    assert out == [str(monitor_env.resolve() / "reports" / "study-BCI-SCI-DEMO.html")]
    assert Path(out[0]).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.browser
@pytest.mark.slow
def test_participant_report_writes_html_and_pdf(monitor_env, capsys):
    assert main(["--workspace", str(monitor_env), "report", "participant", "SCI-003"]) == 0
    html, pdf = capsys.readouterr().out.split()
    assert html.endswith("participant-SCI-003.html") and pdf.endswith("participant-SCI-003.pdf")
    assert Path(pdf).read_bytes().startswith(b"%PDF")


def test_unknown_participant_is_a_clear_message_not_a_traceback(monitor_env, capsys):
    assert main(["--workspace", str(monitor_env), "report", "participant", "SCI-999", "--no-pdf"]) == 1
    err = capsys.readouterr().err
    assert "SCI-999" in err and "SCI-001" in err and "Traceback" not in err


def test_empty_study_is_a_clear_message(tmp_path, monkeypatch, capsys):
    from .trial_helpers import empty_store

    empty_store(tmp_path / "ws").close()
    monkeypatch.setenv("WORKBENCH_USER", "lead.investigator")
    monkeypatch.setenv("WORKBENCH_PASSWORD", "correct horse battery")
    assert main(["--workspace", str(tmp_path / "ws"), "report", "study", "--no-pdf"]) == 1
    assert "no study yet" in capsys.readouterr().err
