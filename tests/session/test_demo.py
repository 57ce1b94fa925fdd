"""`workbench demo` (what `make demo` runs), end to end on real LSL, LabRecorder and SQLite."""

import re
import subprocess
import sys

import pytest

from workbench.decoding import load_decoder
from workbench.recording.read import read_recording
from workbench.recording.runs import list_runs
from workbench.records import Run, Session, Store, Trial, User

from ..conftest import REPO

pytestmark = [pytest.mark.lsl, pytest.mark.slow, pytest.mark.timeout(180)]


def test_demo_records_decodes_and_saves_the_session(workspace, monkeypatch):
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    out = subprocess.run(
        [sys.executable, "-m", "workbench", "--workspace", str(workspace.root), "demo", "--duration", "9",
         "--calibration", "60"],
        cwd=REPO, capture_output=True, text=True, timeout=170,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "0 samples lost or repeated" in out.stdout

    # the recording: complete, readable, the length the summary claims
    [run] = list_runs(workspace.recordings)
    assert run.status == "complete" and run.fname in out.stdout
    raw = read_recording(run.fname)
    assert len(raw.ch_names) == 64 and raw.info["sfreq"] == 500.0
    in_file = int(re.search(r"recorded (\d+) \(this run\)", out.stdout).group(1))
    assert raw.n_times == in_file >= 6 * 500  # most of the 9 s run (LabRecorder start/stop take a moment)

    # the saved decoder loads against the stream's sensorimotor channels and rate
    [decoder_file] = workspace.decoders.glob("*.npz")
    decoder = load_decoder(decoder_file, ch_names=load_decoder(decoder_file).ch_names, sfreq=500.0)
    assert "C3" in decoder.ch_names and "COUNTER" not in decoder.ch_names

    # the session in the study database points at exactly that file, by hash
    store = Store(workspace.db_url, user=User("monitor.m", "monitor"))
    [session] = store.find(Session, device="workbench simulated amplifier")
    [rec] = session.recording_files
    assert rec.sha256 == run.sha256 and rec.check(workspace.root) is None
    [session_run] = store.find(Run, session_id=session.id)
    trials = store.find(Trial, run_id=session_run.id)
    n_trials = len(re.findall(r"^  trial \d+:", out.stdout, flags=re.M))
    assert len(trials) == n_trials >= 1, "a 9 s run holds at least one complete 4 s cue"
    assert {t.cue for t in trials} <= {"rest", "attempt"}
    assert store.verify_audit().ok


def test_second_demo_reuses_the_seeded_study(workspace, monkeypatch):
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    args = [sys.executable, "-m", "workbench", "--workspace", str(workspace.root), "demo", "--duration", "2",
            "--montage", "ecog-8"]
    for _ in range(2):
        out = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=170)
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
        assert "decoder" not in out.stdout.split("sha256", 1)[1], "ECoG/Utah runs record without the EEG decoder"
    store = Store(workspace.db_url, user=User("monitor.m", "monitor"))
    assert len(store.find(Session, device="workbench simulated amplifier")) == 2
    assert len(list_runs(workspace.recordings)) == 2


def test_demo_rejects_bad_options(workspace):
    out = subprocess.run(
        [sys.executable, "-m", "workbench", "--workspace", str(workspace.root), "demo", "--duration", "-1",
         "--calibration", "5"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 1
    assert "duration: got -1.0; allowed: seconds > 0" in out.stderr
    assert "calibration_s: got 5.0; allowed: seconds >= 30" in out.stderr
    assert "Traceback" not in out.stderr
