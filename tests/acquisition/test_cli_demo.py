"""`workbench demo` (what `make demo` runs): exits 0 and leaves a readable XDF."""

import re
import subprocess
import sys

import pytest

from workbench.recording.read import read_recording
from workbench.recording.runs import list_runs

from ..conftest import REPO

pytestmark = [pytest.mark.lsl, pytest.mark.timeout(120)]


def test_demo_runs_and_leaves_a_readable_recording(workspace):
    out = subprocess.run(
        [sys.executable, "-m", "workbench", "--workspace", str(workspace.root), "demo", "--duration", "3"],
        cwd=REPO, capture_output=True, text=True, timeout=100,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "0 samples lost or repeated" in out.stdout
    [run] = list_runs(workspace.recordings)
    assert run.status == "complete" and run.fname in out.stdout
    raw = read_recording(run.fname)
    assert len(raw.ch_names) == 64 and raw.info["sfreq"] == 500.0
    in_file = int(re.search(r"recorded (\d+)", out.stdout).group(1))
    assert raw.n_times == in_file >= 1.5 * 500  # most of the 3 s run (LabRecorder start/stop take a moment)
