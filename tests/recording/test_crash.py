"""kill -9 of the process driving a recording: the XDF still reads, the run is marked interrupted."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import psutil
import pytest

from workbench.datasets import Player
from workbench.recording.read import read_xdf_streams
from workbench.recording.runs import list_runs, recover_interrupted_runs

from ..conftest import REPO

pytestmark = [pytest.mark.lsl, pytest.mark.slow, pytest.mark.timeout(120)]


def _wait(predicate, timeout):
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def test_kill_9_mid_run(workspace, shared_data, unique_name):
    # A real recording (PhysioNet eegmmidb, 64 ch at 160 Hz) replayed with a sample counter on channel 0.
    player = Player.from_file(shared_data / "eegmmidb/S001/S001R04.edf", name=unique_name, counter=True)
    with player:
        cmd = [sys.executable, "-m", "workbench", "--workspace", str(workspace.root), "record",
               "--streams", player.name, "--duration", "60", "--subject", "P001", "--task", "crash"]  # fmt: skip
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ)
        try:
            xdf = workspace.recordings / "sub-P001" / "sub-P001_task-crash_run-01_eeg.xdf"
            assert _wait(lambda: xdf.exists() and xdf.stat().st_size > 20_000, 30), "recording never started"
            children = psutil.Process(proc.pid).children(recursive=True)
            assert any("LabRecorderCLI" in c.name() for c in children)
            time.sleep(2.0)
            sent_at_kill = player.n_samples_sent
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
        # LabRecorderCLI does not outlive its driver (it dies on the broken pipe).
        assert _wait(lambda: not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children), 10)

    [manifest] = list_runs(workspace.recordings)
    assert manifest.status == "recording"  # nobody has looked yet

    with pytest.warns(RuntimeWarning, match="no footer"):
        streams = read_xdf_streams(xdf, allow_truncated=True)
    signal_stream = next(s for s in streams if s.name == player.name)
    counter = signal_stream.data[:, 0]
    np.testing.assert_array_equal(np.diff(counter), 1.0)
    lag = sent_at_kill - (counter[-1] + 1)
    assert lag <= player.sfreq * 1.0, f"file ends {lag / player.sfreq:.2f} s before the kill"

    # listing only reads: it says the recorder is gone and leaves the manifest as it is
    listing = subprocess.run(
        [sys.executable, "-m", "workbench", "--workspace", str(workspace.root), "record", "--list"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert listing.returncode == 0 and "recorder gone" in listing.stdout
    assert [m.status for m in list_runs(workspace.recordings)] == ["recording"]
    # the next recording's start (Recorder.start, `workbench record`, the demo) marks it interrupted
    assert [m.run_id for m in recover_interrupted_runs(workspace.recordings)] == [manifest.run_id]
    [manifest] = list_runs(workspace.recordings)
    assert manifest.status == "interrupted" and manifest.sha256
    assert dict((s.name, s.n_samples) for s in manifest.streams)[player.name] == len(counter)
    print(json.dumps({"lag_samples": int(lag), "sfreq": player.sfreq}))
