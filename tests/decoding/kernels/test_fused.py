"""The fused band-power + LDA kernel against the naive stage-by-stage computation."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import signal

from tests import naive
from workbench.decoding.kernels import bandpower_lda_chunk, hold_last_valid, sosfilt_bank, window_power
from workbench.decoding.kernels.filtering import TILE
from tests.budget import examples

SOS = np.stack([signal.butter(2, band, "bandpass", fs=250.0, output="sos") for band in ((8, 12), (18, 26))])
# order 4: four sections, 1..3 monic, the path that squares inside the filter
SOS4 = np.stack([signal.butter(4, band, "bandpass", fs=250.0, output="sos") for band in ((8, 12), (18, 26))])
N_CH, STEP, WINDOW = 3, 5, 20
X = np.random.default_rng(7).standard_normal((400, N_CH))
COEF = np.random.default_rng(8).standard_normal((1, 2 * N_CH))
INTERCEPT = np.array([0.3])


def _run(x, sizes, *, valid_from=0, invalid_span=WINDOW, sos=SOS):
    n_feat = 2 * N_CH
    zi = np.zeros((2, sos.shape[1], 2, N_CH))
    acc, blocks, newer = np.zeros(n_feat), np.zeros((WINDOW // STEP, n_feat)), np.zeros(n_feat)
    counter = np.zeros(1, np.int64)
    last_valid, last_bad = np.zeros(N_CH), np.full(1, -(1 << 62), np.int64)
    big = len(x)
    scratch, bad_rows, tile_buf = np.empty((big, N_CH)), np.zeros(big, bool), np.empty((big, N_CH))
    m = big // STEP + 1
    feats, dec, probs = np.empty((m, n_feat)), np.empty((m, 1)), np.empty((m, 2))
    valid, idx = np.empty(m, bool), np.empty(m, np.int64)
    out, pos, i = [], 0, 0
    while pos < len(x):
        chunk = np.ascontiguousarray(x[pos:pos + sizes[i % len(sizes)]])
        n_out, _, ok = bandpower_lda_chunk(chunk, scratch, last_valid, bad_rows, sos, zi, tile_buf, STEP, acc, blocks,
                                           newer, counter, True, COEF, INTERCEPT, feats, dec, probs, valid, idx, WINDOW,
                                           last_bad, valid_from, invalid_span, 1e150)
        assert ok
        out.append((idx[:n_out].copy(), feats[:n_out].copy(), probs[:n_out].copy(), valid[:n_out].copy()))
        pos += len(chunk)
        i += 1
    return [np.concatenate(parts) for parts in zip(*out)]


@settings(max_examples=examples(30), deadline=None)
@given(sizes=st.lists(st.integers(1, 60), min_size=1, max_size=6))
def test_fused_chunks_equal_the_naive_stages(sizes):
    idx, feats, probs, valid = _run(X, sizes)
    ref_feats, ref_probs = naive.bandpower_lda(X, SOS, WINDOW, STEP, COEF, INTERCEPT)
    np.testing.assert_array_equal(idx + 1, naive.output_counts(len(X), WINDOW, STEP))
    np.testing.assert_allclose(feats, ref_feats, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(probs, ref_probs, rtol=1e-10, atol=1e-12)
    assert valid.all()


@settings(max_examples=examples(30), deadline=None)
@given(sizes=st.lists(st.integers(1, 60), min_size=1, max_size=6))
def test_fused_four_section_bands_give_the_stage_kernels_bits_for_any_chunking(sizes):
    """Order-4 Butterworth bands square inside the filter, split at block ends
    that fall anywhere in a chunk: the bits of sosfilt_bank + window_power."""
    _, feats, _, _ = _run(X, sizes, sos=SOS4)
    filt = sosfilt_bank(SOS4, X, np.zeros((2, 4, 2, N_CH)), np.empty((len(X), 2 * N_CH)))
    ref = np.empty((len(X) // STEP + 1, 2 * N_CH))
    n = window_power(filt, STEP, np.zeros(2 * N_CH), np.zeros((WINDOW // STEP, 2 * N_CH)), np.zeros(2 * N_CH),
                     np.zeros(1, np.int64), True, ref)
    np.testing.assert_array_equal(feats, ref[:n])
    ref_feats, _ = naive.bandpower_lda(X, SOS4, WINDOW, STEP, COEF, INTERCEPT)
    np.testing.assert_allclose(feats, ref_feats, rtol=1e-9)


def test_fused_validity_after_bad_samples_and_before_valid_from():
    x = X.copy()
    x[100, 1] = np.nan
    idx, _, probs, valid = _run(x, [17], valid_from=300)
    assert np.all(np.isfinite(probs))
    expected = ((idx - 100 >= WINDOW) | (idx < 100)) & (idx >= 300)
    np.testing.assert_array_equal(valid, expected)


def test_tiles_with_a_repaired_channel_give_the_stage_by_stage_bits():
    """300 channels (tiles of 128, 128, 44), 4-section bands, a NaN and an Inf in the
    second tile: the fused kernel equals hold_last_valid + sosfilt_bank + window_power
    + LDA run on the whole chunk, bit for bit, and reports the bad rows."""
    n_ch, step, window = 300, 10, 40
    sos = np.stack([signal.butter(4, band, "bandpass", fs=250.0, output="sos") for band in ((8, 12), (18, 26))])
    rng = np.random.default_rng(9)
    x = rng.standard_normal((95, n_ch))
    x[33, 200], x[34, 140] = np.nan, np.inf
    coef, intercept = rng.standard_normal((1, 2 * n_ch)), np.array([0.1])
    zi = np.zeros((2, 4, 2, n_ch))
    acc, blocks, newer = np.zeros(2 * n_ch), np.zeros((window // step, 2 * n_ch)), np.zeros(2 * n_ch)
    counter = np.zeros(1, np.int64)
    last_valid, last_bad = np.zeros(n_ch), np.full(1, -(1 << 62), np.int64)
    m = len(x) // step + 1
    feats, dec, probs = np.empty((m, 2 * n_ch)), np.empty((m, 1)), np.empty((m, 2))
    valid, idx, bad_rows = np.empty(m, bool), np.empty(m, np.int64), np.zeros(len(x), bool)
    n_out, n_bad, ok = bandpower_lda_chunk(x, np.empty((len(x), TILE)), last_valid, bad_rows, sos, zi,
                                           np.empty((len(x), TILE)), step, acc, blocks, newer, counter, True, coef, intercept,
                                           feats, dec, probs, valid, idx, window, last_bad, 0, window, 1e150)
    assert ok and n_bad == 2 and np.flatnonzero(bad_rows[:len(x)]).tolist() == [33, 34]
    assert last_bad[0] == 34 and counter[0] == len(x)

    repaired, ref_last, ref_bad = x.copy(), np.zeros(n_ch), np.zeros(len(x), bool)
    hold_last_valid(repaired, ref_last, ref_bad)
    filt, ref_zi = np.empty((len(x), 2 * n_ch)), np.zeros_like(zi)
    sosfilt_bank(sos, repaired, ref_zi, filt)
    ref_acc, ref_blocks, ref_newer = np.zeros(2 * n_ch), np.zeros_like(blocks), np.zeros(2 * n_ch)
    ref_counter = np.zeros(1, np.int64)
    ref_feats = np.empty_like(feats)
    assert window_power(filt, step, ref_acc, ref_blocks, ref_newer, ref_counter, True, ref_feats) == n_out
    np.testing.assert_array_equal(feats[:n_out], ref_feats[:n_out])
    np.testing.assert_array_equal(zi, ref_zi)
    np.testing.assert_array_equal(last_valid, ref_last)
    np.testing.assert_array_equal(acc, ref_acc)
    np.testing.assert_array_equal(blocks, ref_blocks)
    np.testing.assert_array_equal(newer, ref_newer)
    np.testing.assert_allclose(probs[:n_out], naive.class_probabilities(naive.linear_predict(ref_feats[:n_out], coef,
                                                                                          intercept)), rtol=1e-12)
    np.testing.assert_array_equal(valid[:n_out], (idx[:n_out] - 34 >= window) | (idx[:n_out] < 33))


@pytest.mark.parametrize("channel", [5, 200, 299])
def test_a_state_beyond_the_limit_in_any_tile_is_reported(channel):
    """The filter states are checked tile by tile (128, 128, 44 channels): a
    1e200 sample on one channel of any tile makes state_ok False; without it, True."""
    n_ch = 300
    rng = np.random.default_rng(4)
    for spike in (False, True):
        x = rng.standard_normal((40, n_ch))
        if spike:
            x[20, channel] = 1e200
        zi = np.zeros((2, 4, 2, n_ch))
        feats, probs = np.empty((5, 2 * n_ch)), np.empty((5, 2))
        _, _, ok = bandpower_lda_chunk(x, np.empty((40, TILE)), np.zeros(n_ch), np.zeros(40, bool), SOS4, zi,
                                       np.empty((40, TILE)), 10, np.zeros(2 * n_ch), np.zeros((2, 2 * n_ch)),
                                       np.zeros(2 * n_ch), np.zeros(1, np.int64), True, np.ones((1, 2 * n_ch)),
                                       np.zeros(1), feats, np.empty((5, 1)), probs, np.empty(5, bool),
                                       np.empty(5, np.int64), 20, np.full(1, -(1 << 62), np.int64), 0, 20, 1e150)
        assert ok is (not spike)
        assert bool(np.all(np.abs(zi) <= 1e150)) is (not spike)
