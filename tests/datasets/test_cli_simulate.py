"""``workbench simulate`` as a user runs it: a real process, real outlets."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .receiver import Receiver


def _simulate(*args, timeout=60):
    env = dict(os.environ)  # the test session's LSL configuration (tests/conftest.py)
    return subprocess.Popen(
        [sys.executable, "-m", "workbench", "simulate", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


@pytest.mark.slow  # seconds of real-time streaming or a subprocess: make test, not make check
@pytest.mark.lsl
def test_simulate_streams_for_its_duration_and_reports(unique_name):
    proc = _simulate("--montage", "ecog-8", "--duration", "2", "--name", unique_name, "--counter", "--seed", "4")
    try:
        rx = Receiver(unique_name, timeout=30)
        info = rx.full_info
        out, err = proc.communicate(timeout=60)
        rx.settle(0.3)
        values, _ = rx.close()
    finally:
        proc.kill() if proc.poll() is None else None
    assert proc.returncode == 0, err
    assert info.channel_count() == 8 and info.nominal_srate() == 1000 and info.type() == "ECoG"
    assert f"'{unique_name}'" in out and f"'{unique_name}-markers'" in out and "1000 Hz" in out
    assert "sent 2000 samples" in out and "and 1 markers" in out  # one cue (rest) in 2 s
    assert len(values) > 0 and (values[1:, 0] - values[:-1, 0] == 1).all()


@pytest.mark.slow
def test_unknown_montage_exits_non_zero_with_a_clear_message():
    proc = _simulate("--montage", "nope", "--duration", "1")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "montage" in err and "'nope'" in err and "eeg-64" in err and "Traceback" not in err


@pytest.mark.slow
def test_unreadable_replay_file_exits_non_zero(tmp_path, shared_data):
    cut = tmp_path / "cut.edf"
    cut.write_bytes((shared_data / "eegmmidb" / "S001" / "S001R03.edf").read_bytes()[:100_000])
    proc = _simulate("--replay", str(cut), "--duration", "1")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "truncated" in err and str(cut) in err and "Traceback" not in err


@pytest.mark.slow  # seconds of real-time streaming or a subprocess: make test, not make check
@pytest.mark.lsl
def test_simulate_replays_a_real_recording(shared_data, unique_name):
    edf = shared_data / "eegmmidb" / "S001" / "S001R04.edf"
    proc = _simulate("--replay", str(edf), "--duration", "1", "--name", unique_name)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert f"replay of {edf}" in out and f"'{unique_name}'" in out and "160 Hz  64 ch" in out
    assert "sent 160 samples" in out and "and 1 markers" in out  # T0 at 0 s
