"""`workbench session run`: bad input refused before anything starts; simulated blocks saved; Ctrl-C stops safely."""

import json
import subprocess
import sys

import pytest

from workbench.records import SafetyEvent, Run, Session, Trial
from workbench.records.demo import open_demo_store
from workbench.session.paradigm import ParadigmSpec
from workbench.session.participant import simulate_recording
from workbench.session.training import train_decoder, windows_from_raw

from ..conftest import REPO


def cli(workspace, *args, env=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "workbench", "--workspace", str(workspace.root), "session", "run",
                           *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.mark.slow
def test_unsafe_or_impossible_settings_are_refused_with_every_problem(workspace):
    out = cli(workspace, "--stream", "nowhere", "--threshold", "0.2", "--cue-s", "-1", "--reps", "0")
    assert out.returncode == 1, out.stderr
    for text in ("--decoder: got None", "threshold: got 0.2", "cue_s: got -1.0", "repetitions: got 0"):
        assert text in out.stderr
    assert "Traceback" not in out.stderr
    assert not workspace.recordings.exists() or not list(workspace.recordings.rglob("*.xdf"))


@pytest.mark.lsl
@pytest.mark.slow
@pytest.mark.timeout(200)
def test_simulated_block_with_a_saved_decoder_is_recorded_and_saved(workspace, monkeypatch):
    import os

    spec = ParadigmSpec(cue_s=3.0, rest_s=1.5, repetitions=3)
    fname = train_decoder(windows_from_raw(simulate_recording(spec), spec.classes, cue_s=3.0),
                          fname=workspace.decoders / "cli.npz").fname
    open_demo_store(workspace.root).close()  # the demo accounts, with their generated passwords
    password = json.loads((workspace.root / "keys" / "demo-accounts.json").read_text())["demo.engineer"]
    env = {**os.environ, "WORKBENCH_PASSWORD": password, "WORKBENCH_USER": "demo.engineer"}
    env.pop("WORKBENCH_DB_URL", None)
    out = cli(workspace, "--simulated", "--decoder", str(fname), "--reps", "1", "--cue-s", "2.5",
              "--effector", "glove", "--participant", "SCI-001", env=env, timeout=180)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "recording  complete" in out.stdout and "saved      session" in out.stdout
    store = open_demo_store(workspace.root, role="monitor")
    try:
        [session] = [s for s in store.find(Session, participant_id="SCI-001") if s.operator == "demo.engineer"]
        [run] = store.find(Run, session_id=session.id)
        assert len(store.find(Trial, run_id=run.id)) == 3
        assert session.recording_files[0].check(workspace.root) is None
        # Filed under the participant's BIDS-safe pseudonym, not a generic "cli" subject.
        assert session.recording_files[0].path.startswith("recordings/sub-SCI001/"), session.recording_files[0].path
        assert not (workspace.recordings / "sub-cli").exists()
        # Its dashboard summary is built at the end of the run: the first opening reads no recording.
        from workbench.report.recording_summary import summary_path

        assert summary_path(workspace.root, session.recording_files[0].sha256).exists()
    finally:
        store.close()


@pytest.mark.lsl
@pytest.mark.slow
@pytest.mark.timeout(200)
def test_ctrl_c_is_an_operator_stop_effector_off_then_the_file_is_closed(workspace):
    import os
    import signal
    import time

    from workbench.recording.read import read_xdf_streams
    from workbench.recording.runs import list_runs

    spec = ParadigmSpec(cue_s=3.0, rest_s=1.5, repetitions=3)
    fname = train_decoder(windows_from_raw(simulate_recording(spec), spec.classes, cue_s=3.0),
                          fname=workspace.decoders / "cli.npz").fname
    open_demo_store(workspace.root).close()  # the demo accounts, with their generated passwords
    password = json.loads((workspace.root / "keys" / "demo-accounts.json").read_text())["demo.engineer"]
    env = {**os.environ, "WORKBENCH_PASSWORD": password, "WORKBENCH_USER": "demo.engineer"}
    env.pop("WORKBENCH_DB_URL", None)
    # Started with SIGINT ignored, as from a background job or a script without job control (POSIX): the
    # operator's Ctrl-C must still stop the block (a run of this suite launched that way once lost it).
    # Its own process group, signalled whole as a terminal's Ctrl-C is: the simulated rig (a process of its
    # own) gets the SIGINT too, and must leave the stop to the session.
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "--workspace", str(workspace.root), "session", "run",
                             "--simulated", "--decoder", str(fname), "--reps", "3", "--participant", "SCI-001"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    deadline = time.monotonic() + 90
    while not list(workspace.recordings.rglob("*.xdf")) and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(6.0)  # into the paradigm, the gate active
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 130, out[-2000:] + err[-2000:]
    assert "stopped by the operator" in out and "simulated rig" not in err, err[-2000:]
    [run] = list_runs(workspace.recordings)
    assert run.status == "complete"
    streams = {s.name: s for s in read_xdf_streams(run.fname)}
    [gate] = [s for n, s in streams.items() if n.endswith("-gate")]
    [commands] = [s for n, s in streams.items() if n.endswith("-commands")]
    assert any(m.startswith("gate:safe_state|operator_stop") for m in gate.labels())
    assert commands.labels()[-1].startswith("off;"), "the last command the effector got: all outputs off"
    # Ctrl-C flushed the records too: every gate decision up to the final stop is a SafetyEvent
    store = open_demo_store(workspace.root, role="monitor")
    try:
        [session] = [s for s in store.find(Session, participant_id="SCI-001") if s.operator == "demo.engineer"]
        [saved] = store.find(Run, session_id=session.id)
        events = sorted(store.find(SafetyEvent, run_id=saved.id), key=lambda e: e.lsl_time)
        assert len(events) == len(gate.labels()) and events[-1].rule == "operator_stop"
    finally:
        store.close()
    assert os.path.getsize(run.fname) > 0
