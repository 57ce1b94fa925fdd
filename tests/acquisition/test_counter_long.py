"""The issue's acceptance run: 256 channels at 2 kHz for 60 s, no sample lost or repeated."""

import time

import numpy as np
import pytest

from workbench.acquisition import Stream

from .outlets import CounterOutlet, wait_for

N_CHANNELS, SFREQ, DURATION = 256, 2000.0, 60.0


@pytest.mark.slow
@pytest.mark.lsl
@pytest.mark.timeout(180)
def test_256ch_2khz_60s_counter_has_no_loss_or_repeat(unique_name):
    counters = []
    with CounterOutlet(unique_name, n_channels=N_CHANNELS, sfreq=SFREQ, chunk=40) as out:
        with Stream(unique_name, bufsize=5.0) as stream:
            reader = stream.reader(from_start=True)
            end = time.monotonic() + DURATION
            while time.monotonic() < end:
                counters.append(reader.read()[0][:, 0].copy())
                time.sleep(0.05)
            out.stop()  # no more samples: everything sent can now be drained
            n_sent = out.n_sent
            assert wait_for(lambda: not stream.connected, timeout=5)
            counters.append(reader.read()[0][:, 0].copy())
    counter = np.concatenate(counters).astype(np.int64)
    assert n_sent >= 0.9 * DURATION * SFREQ  # the source really ran at (about) full rate
    first = counter[0]
    np.testing.assert_array_equal(counter, np.arange(first, n_sent), err_msg="samples lost or repeated")
    assert stream.n_samples_received == n_sent - first
    assert [e.kind for e in stream.events] == ["connected", "disconnected"]
