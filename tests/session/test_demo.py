"""`workbench demo` (what `make demo` runs): the whole trial day on real LSL, LabRecorder and SQLite."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.decoding import load_decoder
from workbench.recording.read import read_xdf_streams
from workbench.recording.runs import list_runs
from workbench.records import Reanalysis, ReanalysisTrial, RunMetrics, Run, SafetyEvent, Session, Trial
from workbench.records.demo import open_demo_store
from workbench.utils.files import sha256_file

from ..conftest import REPO
from ..test_cli_warmup import _cold_env
from .test_cold_start import _no_overrun, _printed_loop

pytestmark = [pytest.mark.lsl, pytest.mark.slow, pytest.mark.timeout(400)]


@pytest.mark.timeout(600)
def test_demo_on_an_empty_numba_cache_runs_the_trial_day_and_saves_everything(workspace, tmp_path):
    """The trial day as a fresh clone's first `make demo` meets it (issue 18): NUMBA_CACHE_DIR is an empty
    folder, so the kernels compile before any stream opens, and the run is the same as with a warm cache
    (which is the easier case: one run on the cold cache covers both)."""
    out = subprocess.run(
        [sys.executable, "-m", "workbench", "--workspace", str(workspace.root), "demo", "--calibration-reps", "3",
         "--loop-reps", "1"],
        cwd=REPO, capture_output=True, text=True, timeout=580, env=_cold_env(tmp_path),
    )  # fmt: skip
    _no_overrun(out, "1/5 calibration run")
    text = out.stdout
    assert "samples lost to overruns 0" in text
    assert any(os.scandir(tmp_path / "numba-cache")), "the kernels were compiled into the empty cache"

    # three complete recordings, each named in the summary; closed-loop ones carry commands and gate decisions
    runs = list_runs(workspace.recordings)
    assert len(runs) == 3 and all(r.status == "complete" and r.fname in text for r in runs)
    # filed in the demo participant's own folder (SCI-001 -> sub-SCI001), as from every other entry point
    assert all(Path(r.fname).parent == workspace.recordings / "sub-SCI001" for r in runs), [r.fname for r in runs]
    loop_files = [r.fname for r in runs if "calibration" not in r.fname]
    for fname in loop_files:
        names = {s.name for s in read_xdf_streams(fname)}
        assert any(n.endswith("-commands") for n in names) and any(n.endswith("-gate") for n in names)

    # every injected fault caught by the gate
    handled = r"injected \w+ at .*: (caught by \w+|came while the gate was already safe)"
    assert len(re.findall(handled, text)) == 3 and "NOT CAUGHT" not in text
    # and both blocks' latency figures say that the drills' outputs are in them
    assert text.count("the outputs around the faults injected below included") == 2

    # decoders saved; the session holds v1's hash and every recording's hash
    v1 = workspace.decoders / "demo_grasp_v1.npz"
    assert load_decoder(v1).ch_names == ["FC3", "C3", "CP3", "FC4", "C4", "CP4", "Cz", "Pz"]
    store = open_demo_store(workspace.root, role="monitor")
    try:
        [session] = [s for s in store.find(Session, participant_id="SCI-001") if s.notes and "trial day" in s.notes]
        assert session.decoder_sha256 == sha256_file(v1)
        assert {f.sha256 for f in session.recording_files} == {r.sha256 for r in runs}
        assert all(f.check(workspace.root) is None for f in session.recording_files)
        saved_runs = sorted(store.find(Run, session_id=session.id), key=lambda r: r.number)
        assert [r.task for r in saved_runs] == ["calibration", "glove", "adaptive-stimulation"]
        glove_trials = store.find(Trial, run_id=saved_runs[1].id)
        assert len(glove_trials) == 3 and {t.decoder_version for t in glove_trials if t.decoded} == {"grasp-v1"}
        stim_trials = store.find(Trial, run_id=saved_runs[2].id)
        assert {t.decoder_version for t in stim_trials if t.decoded} == {"grasp-v2"}
        for r in saved_runs[1:]:
            [m] = store.find(RunMetrics, run_id=r.id)
            assert m.n_classes == 3 and m.n_safe_states >= 1
            assert m.workbench_share_p99_ms is not None and m.amplifier_share_p99_ms is not None
            # stored as printed: the loop's scheduling and the CPUs' idle states the latencies were measured under
            assert (m.loop_rt_priority, m.cpu_latency_us) == _printed_loop(text, "loop thread:")
        rules = {e.rule for r in saved_runs[1:] for e in store.find(SafetyEvent, run_id=r.id)
                 if e.decision == "safe_state"}
        # each fault's catching rule is in the records (a fault that came while the gate was already safe,
        # e.g. after a watchdog timeout on a loaded machine, is reported as such and needs no new entry)
        caught = re.findall(r"injected \w+ at .*: caught by (\w+), safe state", text)
        assert caught and set(caught) <= rules
        # what adaptation changed, from the records: the v2 block re-decoded by v1 and by v2, one re-analysis
        # each, with the hashes of that recording and of each decoder file, and the summary prints those
        stim_file = next(f for f in session.recording_files if "adaptive" in f.path)
        results = store.find(Reanalysis, session_id=session.id, status="done")
        by_decoder = {r.decoder_sha256: r for r in results if r.source == f"session:{session.id}:{stim_file.path}"}
        v2 = workspace.decoders / "demo_grasp_v2.npz"
        assert set(by_decoder) == {sha256_file(v1), sha256_file(v2)}
        assert all(r.recording_sha256 == stim_file.sha256 and r.n_trials == 3 for r in by_decoder.values())
        # offline, v2 decides each trial as it did live: the same kernels on the same windows, scored alike
        # (a window within a millisecond of a trial's settle time may tip one close trial: at most one differs)
        v2_result = by_decoder[sha256_file(v2)]
        offline = {t.number: t.decoded for t in store.find(ReanalysisTrial, reanalysis_id=v2_result.id)}
        live = {t.number: t.decoded for t in stim_trials}
        assert set(offline) == set(live) and sum(offline[k] != live[k] for k in live) <= 1, (offline, live)
        line = next(x for x in text.splitlines() if x.startswith("adaptation"))
        for label, fname in (("unadapted v1", v1), ("recalibrated v2", v2)):
            assert f"{label} trial accuracy {by_decoder[sha256_file(fname)].accuracy:.2f}" in line, line
        assert store.verify_audit().ok
    finally:
        store.close()
    assert "shortened compared with a real session" in text


def test_demo_rejects_bad_options(workspace):
    out = subprocess.run(
        [sys.executable, "-m", "workbench", "--workspace", str(workspace.root), "demo", "--calibration-reps", "1",
         "--loop-reps", "0"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 1
    assert "calibration_reps: got 1" in out.stderr and "loop_reps: got 0" in out.stderr
    assert "Traceback" not in out.stderr


def test_demo_refuses_a_bad_difficulty_before_anything_runs(workspace):
    out = subprocess.run(
        [sys.executable, "-m", "workbench", "--workspace", str(workspace.root), "demo", "--difficulty", "1.5"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    assert "--difficulty: got '1.5'" in out.stderr and "easy, realistic, hard" in out.stderr
    assert "kernels ready" not in out.stdout + out.stderr  # refused before the warm-up
    assert "Traceback" not in out.stderr and not list(workspace.recordings.rglob("*.xdf"))
