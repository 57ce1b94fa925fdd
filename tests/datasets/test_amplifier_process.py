"""The simulated amplifier in a process of its own: real outlets from another interpreter, stopped on request."""

from __future__ import annotations

import os
import sys

import numpy as np
import psutil
import pylsl
import pytest

from workbench.datasets import SimulatedAmplifier, SyntheticSource
from workbench.errors import ValidationError, WorkbenchError

from .receiver import Receiver


@pytest.mark.slow  # a fresh interpreter and seconds of streaming: make test, not make check
@pytest.mark.lsl
def test_the_amplifier_streams_every_sample_from_its_own_process_until_stopped(unique_name):
    with SimulatedAmplifier("ecog-8", seed=3, name=unique_name, counter=True, chunk_ms=10) as amplifier:
        assert amplifier.running and amplifier.pid != os.getpid()
        assert psutil.Process(amplifier.pid).ppid() == os.getpid()
        assert amplifier.source_id == f"{unique_name}-{os.getpid()}"
        rx = Receiver(unique_name)
        try:
            complete = rx.wait_for(2000, timeout=30)
        finally:
            values, _ = rx.close()
        assert complete, f"only {len(values)} samples in 30 s"
        assert rx.full_info.source_id() == amplifier.source_id and rx.full_info.channel_count() == 8
        # the sample counter: nothing lost or repeated between the two processes
        counter = values[:, 0].astype(np.int64)
        assert (np.diff(counter) == 1).all()
        # the very samples the source makes for that seed (the same SyntheticSource, in the other process)
        ref, _ = SyntheticSource("ecog-8", seed=3, counter=True).generate(int(counter[-1]) + 1)
        np.testing.assert_array_equal(values, ref[counter])
        assert pylsl.resolve_bypred(f"name='{amplifier.marker_name}'", 1, 10.0)
        pid = amplifier.pid
    # stopped: the process is gone and its outlets with it; stopping again is harmless
    assert not amplifier.running and not psutil.pid_exists(pid)
    assert not pylsl.resolve_bypred(f"source_id='{amplifier.source_id}'", 1, 1.0)
    amplifier.stop()
    assert "stopped" in repr(amplifier)


def test_bad_settings_are_refused_by_name_before_any_process_starts():
    children = {p.pid for p in psutil.Process().children()}
    with pytest.raises(ValidationError) as err:
        SimulatedAmplifier("eeg-32", seed=-1, name=" ", chunk_ms=0)
    text = str(err.value)
    for field, value in (("montage", "'eeg-32'"), ("seed", "-1"), ("name", "' '"), ("chunk_ms", "0")):
        assert f"{field}: got {value}" in text
    assert "eeg-64" in text  # what is allowed
    assert {p.pid for p in psutil.Process().children()} == children


def test_a_process_that_cannot_start_says_so_and_leaves_nothing_running(monkeypatch, unique_name):
    monkeypatch.setattr(sys, "executable", "/bin/false")  # exits at once, printing nothing
    amplifier = SimulatedAmplifier(name=unique_name)
    with pytest.raises(WorkbenchError, match=r"did not start: it printed nothing \(exit code 1\)"):
        amplifier.start()
    assert not amplifier.running and amplifier.pid is None
