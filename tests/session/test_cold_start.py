"""A session on an empty numba cache (issue 18): the first run completes like the second, no overrun.

A fresh clone, a new laptop or a recompiled kernel all start with no compiled
kernels. The CLI compiles them before any stream opens (``workbench warmup``),
so the live loop never stalls on a compile. NUMBA_CACHE_DIR points at an empty
folder, so these tests see a cold start whatever earlier tests compiled. The
demo's trial day on an empty cache is tests/session/test_demo.py's.
"""

import json
import re
import subprocess
import sys

import pytest

from workbench.records import Run, RunMetrics, Session, Trial
from workbench.records.demo import open_demo_store
from workbench.session.paradigm import ParadigmSpec
from workbench.session.participant import simulate_recording
from workbench.session.training import train_decoder, windows_from_raw

from ..conftest import REPO
from ..test_cli_warmup import _cold_env

pytestmark = [pytest.mark.lsl, pytest.mark.slow, pytest.mark.timeout(600)]


def _no_overrun(out, first_live: str):
    """The run completed without falling behind, and the kernels were ready before ``first_live`` was printed."""
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-3000:]
    assert "fell behind" not in text and "Traceback" not in text
    assert "decoder kernels: compiling or loading" in out.stdout  # before the participant is asked anything
    assert out.stdout.index("decoder kernels") < out.stdout.index(first_live)


def _printed_loop(stdout: str, prefix: str) -> tuple:
    """What the run printed of its loop: the SCHED_FIFO priority (0: ordinary) and the microseconds held."""
    lines = {line.strip() for line in stdout.splitlines() if line.strip().startswith(prefix)}
    assert len(lines) == 1, lines  # every block of the run under the same setting
    line = lines.pop()
    fifo, held = re.search(r"SCHED_FIFO (\d+)", line), re.search(r"held at (\d+) us", line)
    return int(fifo[1]) if fifo else 0, int(held[1]) if held else None


def test_session_run_on_an_empty_numba_cache_completes_and_is_saved(workspace, tmp_path):
    spec = ParadigmSpec(cue_s=3.0, rest_s=1.5, repetitions=3)
    fname = train_decoder(windows_from_raw(simulate_recording(spec), spec.classes, cue_s=3.0),
                          fname=workspace.decoders / "cold.npz").fname
    open_demo_store(workspace.root).close()  # the demo accounts, with their generated passwords
    password = json.loads((workspace.root / "keys" / "demo-accounts.json").read_text())["demo.engineer"]
    env = {**_cold_env(tmp_path), "WORKBENCH_PASSWORD": password, "WORKBENCH_USER": "demo.engineer"}
    out = subprocess.run(
        [sys.executable, "-m", "workbench", "--workspace", str(workspace.root), "session", "run", "--simulated",
         "--decoder", str(fname), "--reps", "1", "--cue-s", "2.5", "--effector", "glove", "--participant",
         "SCI-001"], cwd=REPO, capture_output=True, text=True, timeout=580, env=env)
    _no_overrun(out, "commands on ")  # printed as the block starts
    assert "recording  complete" in out.stdout and "0 samples lost to overruns" in out.stdout
    assert "latency    shares p50/p99: amplifier" in out.stdout
    store = open_demo_store(workspace.root, role="monitor")
    try:
        [session] = [s for s in store.find(Session, participant_id="SCI-001") if s.operator == "demo.engineer"]
        [run] = store.find(Run, session_id=session.id)
        assert len(store.find(Trial, run_id=run.id)) == 3
        [m] = store.find(RunMetrics, run_id=run.id)
        assert m.workbench_share_p50_ms is not None
        assert (m.loop_rt_priority, m.cpu_latency_us) == _printed_loop(out.stdout, "loop  ")
    finally:
        store.close()
