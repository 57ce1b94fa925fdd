"""`workbench report` without Chromium: the HTML is written and named, a warning says how to get the PDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.cli import main
from workbench.records.demo import demo_passwords, open_demo_store


@pytest.mark.slow
def test_without_chromium_the_html_is_written_and_the_warning_says_how_to_get_a_pdf(tmp_path, monkeypatch, capsys):
    ws = tmp_path / "ws"
    open_demo_store(ws).close()
    monkeypatch.setenv("WORKBENCH_USER", "demo.monitor")
    monkeypatch.setenv("WORKBENCH_PASSWORD", demo_passwords(ws)["demo.monitor"])
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    monkeypatch.setenv("WORKBENCH_CHROMIUM", str(tmp_path / "no-chromium-here"))
    assert main(["--workspace", str(ws), "report", "study"]) == 0
    captured = capsys.readouterr()
    out = captured.out.split()
    assert out == [str(ws.resolve() / "reports" / "study-BCI-SCI-DEMO.html")]
    assert Path(out[0]).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "warning" in captured.err and "apt-get install -y chromium" in captured.err
    assert not (ws / "reports" / "study-BCI-SCI-DEMO.pdf").exists()
