"""Threshold crossings and spike-band power against the naive version."""

import numpy as np
import pytest

from tests import naive
from workbench.decoding.kernels import spike_bins

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("chunks", [1, 7, 1000])
def test_spike_bins_match_naive(chunks):
    x = RNG.standard_normal((3000, 8))
    thr = -2.0 * np.sqrt(np.mean(x**2, axis=0))
    prev, counts, power = np.full(8, -np.inf), np.zeros(8), np.zeros(8)
    counter = np.zeros(1, np.int64)
    c_rows, p_rows = [], []
    for c in np.array_split(x, chunks):
        oc, op = np.empty((len(c) // 300 + 1, 8)), np.empty((len(c) // 300 + 1, 8))
        n = spike_bins(np.ascontiguousarray(c), thr, 300, prev, counts, power, counter, oc, op)
        c_rows.append(oc[:n])
        p_rows.append(op[:n])
    ref_c, ref_p = naive.spike_bins(x, thr, 300)
    np.testing.assert_array_equal(np.concatenate(c_rows), ref_c)
    np.testing.assert_allclose(np.concatenate(p_rows), ref_p, rtol=1e-12)
    assert ref_c.sum() > 100  # the test data really cross


def test_a_spike_waveform_counts_once():
    x = np.zeros((600, 1))
    x[100:104, 0] = [-1, -6, -3, -0.5]  # one spike: four samples, two below threshold
    x[400, 0] = -9
    out_c, out_p = np.empty((2, 1)), np.empty((2, 1))
    n = spike_bins(x, np.array([-2.0]), 300, np.full(1, -np.inf), np.zeros(1), np.zeros(1),
                   np.zeros(1, np.int64), out_c, out_p)
    assert n == 2
    np.testing.assert_array_equal(out_c[:, 0], [1, 1])
