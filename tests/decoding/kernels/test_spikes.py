"""Threshold crossings and spike-band power against the naive version."""

import numpy as np
import pytest

from tests import naive
from workbench.decoding.kernels import spike_bins
from tests.budget import examples

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


# --- the fused pass (spike_chunk) -------------------------------------------

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402
from scipy.signal import iirfilter  # noqa: E402

from workbench.decoding.kernels import hold_last_valid, sosfilt_bank  # noqa: E402
from workbench.decoding.kernels.spikes import spike_chunk  # noqa: E402


def _band(order):
    return np.ascontiguousarray(iirfilter(order, [300.0, 5000.0], fs=30000.0, output="sos")[None])


def _signal(rng, n, n_ch, p_bad):
    x = rng.standard_normal((n, n_ch)) * 10.0
    x[rng.random(x.shape) < p_bad] = np.nan
    if p_bad and n > 3:
        x[3, rng.integers(n_ch)] = -np.inf  # a whole row of one channel, and an Inf, too
    return x


class _Fused:
    def __init__(self, sos, n_ch, thr, bin_size, tile, time_block):
        n_sec = sos.shape[1]
        self.args = (sos, np.zeros((1, n_sec, 2, n_ch)), thr, bin_size, np.full(n_ch, -np.inf), np.zeros(n_ch),
                     np.zeros(n_ch), np.zeros(1, np.int64), np.zeros(n_ch))
        self.tiles = np.empty((-(-n_ch // tile), 2 * n_sec + 4, tile))
        self.scratch = np.empty((2, time_block, tile))
        self.tile, self.time_block, self.n_ch, self.bin_size = tile, time_block, n_ch, bin_size

    def __call__(self, chunk):
        n = len(chunk)
        feats, bad = np.empty((n // self.bin_size + 1, 2 * self.n_ch)), np.zeros(n, dtype=bool)
        n_out, n_bad, ok = spike_chunk(np.ascontiguousarray(chunk), *self.args[:8], self.args[8], bad, feats,
                                       self.tiles, self.scratch, 1e150, self.tile, self.time_block)
        assert ok and n_bad == bad.sum()
        return feats[:n_out], bad


class _Staged:
    """hold_last_valid, sosfilt_bank and spike_bins, one after another (the stage-by-stage path)."""

    def __init__(self, sos, n_ch, thr, bin_size):
        self.sos, self.thr, self.bin_size = sos, thr, bin_size
        self.zi = np.zeros((1, sos.shape[1], 2, n_ch))
        self.last, self.prev = np.zeros(n_ch), np.full(n_ch, -np.inf)
        self.counts, self.power, self.counter = np.zeros(n_ch), np.zeros(n_ch), np.zeros(1, np.int64)

    def __call__(self, chunk):
        x, n = chunk.copy(), len(chunk)
        bad = np.zeros(n, dtype=bool)
        hold_last_valid(x, self.last, bad)
        y = np.empty_like(x)
        sosfilt_bank(self.sos, x, self.zi, y)
        m = n // self.bin_size + 1
        oc, op = np.empty((m, x.shape[1])), np.empty((m, x.shape[1]))
        k = spike_bins(y, self.thr, self.bin_size, self.prev, self.counts, self.power, self.counter, oc, op)
        return np.hstack([oc[:k], op[:k]]), bad


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=st.integers(1, 6), n_ch=st.integers(1, 70), cuts=st.lists(st.integers(0, 700), max_size=6),
       bin_size=st.sampled_from([1, 7, 60, 150]), tile=st.sampled_from([8, 16, 64]),
       time_block=st.sampled_from([1, 5, 64]), p_bad=st.sampled_from([0.0, 0.01]), seed=st.integers(0, 2**16))
def test_spike_chunk_is_bit_identical_to_the_stages_under_any_chunking(order, n_ch, cuts, bin_size, tile,
                                                                        time_block, p_bad, seed):
    """Any order (1..6 sections: in registers, and > 4 through the cascade first), any tile and
    chunking, NaN/Inf repaired: the same bits as hold_last_valid + sosfilt_bank + spike_bins,
    and the same states after every chunk."""
    rng = np.random.default_rng(seed)
    x = _signal(rng, 700, n_ch, p_bad)
    sos = _band(order)
    thr = -rng.uniform(2.0, 12.0, n_ch)
    fused, staged = _Fused(sos, n_ch, thr, bin_size, tile, time_block), _Staged(sos, n_ch, thr, bin_size)
    for chunk in np.split(x, sorted(cuts)):
        f, bad_f = fused(chunk)
        s, bad_s = staged(chunk)
        assert f.shape == s.shape
        np.testing.assert_array_equal(f.view(np.int64), s.view(np.int64))  # bits, not values (-0.0, NaN)
        np.testing.assert_array_equal(bad_f, bad_s)
        zi, thr_, bs, prev, counts, power, counter, last = fused.args[1:]
        for a, b in ((zi, staged.zi), (prev, staged.prev), (counts, staged.counts), (power, staged.power),
                     (last, staged.last), (counter, staged.counter)):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("order", [2, 4, 5])
def test_spike_chunk_matches_the_naive_path(order):
    rng = np.random.default_rng(order)
    x = _signal(rng, 1800, 6, 0.002)
    sos = _band(order)
    thr = np.full(6, -8.0)
    fused = _Fused(sos, 6, thr, 300, 4, 64)
    outs = [fused(c) for c in np.array_split(x, 7)]
    feats = np.concatenate([o[0] for o in outs])
    counts, power, bad = naive.spike_path(x, sos[0], thr, 300)
    np.testing.assert_array_equal(feats[:, :6], counts)  # crossings: the same events
    np.testing.assert_allclose(feats[:, 6:], power, rtol=1e-10)  # direct form I vs II: rounding only
    np.testing.assert_array_equal(np.concatenate([o[1] for o in outs]), bad)
    assert counts.sum() > 50 and bad.any()  # the data really cross, and really hold bad samples
