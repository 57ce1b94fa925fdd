"""Where reports go: the workspace's reports/ folder, readable by their owner only (issue 24, item 9)."""

from __future__ import annotations

import os
import stat

import pytest

from workbench.report import write_participant_report, write_study_report


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.slow
def test_reports_are_the_owners_only_whatever_the_umask(demo):
    ws, store = demo
    os.chmod(ws.reports, 0o755)  # as Workspace.ensure leaves it under the usual umask
    old = os.umask(0o022)
    try:
        files = [write_study_report(store, ws.root, pdf=False).html,
                 write_participant_report(store, "SCI-001", ws.root, pdf=False).html]
    finally:
        os.umask(old)
    assert [_mode(f) for f in files] == [0o600, 0o600]
    assert _mode(ws.reports) == 0o700
    assert not [p for p in ws.reports.iterdir() if p.name.startswith(".")]  # no temporary file left
