"""``workbench bridge brainflow``: BrainFlow's synthetic board on LSL from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from workbench.acquisition import Stream, check_counter
from workbench.datasets.brainflow_bridge import PACKAGE_MODULUS, available_boards


@pytest.mark.lsl
@pytest.mark.slow
def test_cli_bridges_the_synthetic_board_until_its_duration(unique_name):
    cmd = [sys.executable, "-u", "-m", "workbench", "bridge", "brainflow", "--board", "synthetic",
           "--name", unique_name, "--duration", "6"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        head = []
        while not head or not head[-1].startswith("running"):  # the streams are up once it says so
            line = proc.stdout.readline()
            assert line, f"the bridge ended before streaming: {proc.communicate(timeout=30)}"
            head.append(line)
        stream = Stream(unique_name, bufsize=30, stall_timeout=5.0).connect(timeout=30)
        try:
            assert stream.ch_names[:3] == ["PACKAGE", "Fz", "C3"]
            reader = stream.reader(from_start=True)
            out, err = proc.communicate(timeout=60)
            time.sleep(0.5)
            counter = reader.read()[0][:, 0]
        finally:
            stream.disconnect()
    finally:
        if proc.poll() is None:
            proc.kill()
    out = "".join(head) + out
    assert proc.returncode == 0, err
    assert f"'{unique_name}'  type=EEG  250 Hz  17 ch" in out
    assert f"'{unique_name}-markers'" in out and "sent " in out
    check = check_counter(counter, modulus=PACKAGE_MODULUS)
    assert check.ok and check.n_samples > 250, str(check)


def test_cli_unknown_board_exits_1_naming_the_boards():
    out = subprocess.run([sys.executable, "-m", "workbench", "bridge", "brainflow", "--board", "nope"],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 1
    assert "board: got 'nope'" in out.stderr and "synthetic" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.slow  # seconds of real-time streaming or a subprocess: make test, not make check
def test_cli_lists_the_boards_and_refuses_no_board():
    listed = subprocess.run([sys.executable, "-m", "workbench", "bridge", "brainflow", "--list-boards"],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert listed.returncode == 0 and listed.stdout.split() == list(available_boards())
    none = subprocess.run([sys.executable, "-m", "workbench", "bridge", "brainflow"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert none.returncode == 1 and "board: got None" in none.stderr and "synthetic" in none.stderr
