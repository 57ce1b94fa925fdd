"""The issue's acceptance run: 256 channels at 2 kHz for 60 s, no sample lost or repeated."""

import time

import numpy as np
import pytest

from workbench.acquisition import Stream
from workbench.datasets import ArraySource, Player

from .outlets import wait_for

N_CHANNELS, SFREQ, DURATION = 256, 2000.0, 60.0


@pytest.mark.slow
@pytest.mark.lsl
@pytest.mark.timeout(180)
def test_256ch_2khz_60s_counter_has_no_loss_or_repeat(unique_name):
    # The simulated amplifier has no 256-channel montage: it serves one looping
    # second of noise, channel 0 replaced by the running sample index.
    block = np.random.default_rng(0).normal(0, 10, (int(SFREQ), N_CHANNELS))
    source = ArraySource(block, SFREQ, [f"E{i:03d}" for i in range(N_CHANNELS)], ["eeg"] * N_CHANNELS,
                         ["microvolts"] * N_CHANNELS, loop=True, counter=True)  # fmt: skip
    counters = []
    with Player(source, name=unique_name, chunk_ms=20, duration=DURATION + 2) as player:
        with Stream(player.name, bufsize=5.0) as stream:
            reader = stream.reader(from_start=True)
            end = time.monotonic() + DURATION
            while time.monotonic() < end:
                counters.append(reader.read()[0][:, 0].copy())
                time.sleep(0.05)
            assert player.wait(timeout=30)  # the source ends by itself after its duration
            n_sent = player.n_samples_sent
            first = int(next(c for c in counters if len(c))[0])  # first sample after connect
            assert wait_for(lambda: stream.n_samples_received + first >= n_sent, timeout=10)
            counters.append(reader.read()[0][:, 0].copy())
    counter = np.concatenate(counters).astype(np.int64)
    assert n_sent == round((DURATION + 2) * SFREQ)  # the source really ran for the whole time
    assert counter[0] == first
    np.testing.assert_array_equal(counter, np.arange(first, n_sent), err_msg="samples lost or repeated")
    assert stream.n_samples_received == n_sent - first
    # a busy machine may delay a chunk (a stall event), but no sample may be missing
    assert not [e for e in stream.events if e.kind == "gap" and e.n_missing > 0]
