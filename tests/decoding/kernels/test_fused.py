"""The fused band-power + LDA kernel against the naive stage-by-stage computation."""

import numpy as np
from hypothesis import given, settings, strategies as st
from scipy import signal

from tests import naive
from workbench.decoding.kernels import bandpower_lda_chunk

SOS = np.stack([signal.butter(2, band, "bandpass", fs=250.0, output="sos") for band in ((8, 12), (18, 26))])
N_CH, STEP, WINDOW = 3, 5, 20
X = np.random.default_rng(7).standard_normal((400, N_CH))
COEF = np.random.default_rng(8).standard_normal((1, 2 * N_CH))
INTERCEPT = np.array([0.3])


def _run(x, sizes, *, valid_from=0, invalid_span=WINDOW):
    n_feat = 2 * N_CH
    zi = np.zeros((2, SOS.shape[1], 2, N_CH))
    acc, blocks, counter = np.zeros(n_feat), np.zeros((WINDOW // STEP, n_feat)), np.zeros(1, np.int64)
    last_valid, last_bad = np.zeros(N_CH), np.full(1, -(1 << 62), np.int64)
    big = len(x)
    scratch, bad_rows, filt = np.empty((big, N_CH)), np.zeros(big, bool), np.empty((big, n_feat))
    m = big // STEP + 1
    feats, dec, probs = np.empty((m, n_feat)), np.empty((m, 1)), np.empty((m, 2))
    valid, idx = np.empty(m, bool), np.empty(m, np.int64)
    out, pos, i = [], 0, 0
    while pos < len(x):
        chunk = np.ascontiguousarray(x[pos:pos + sizes[i % len(sizes)]])
        n_out, _, ok = bandpower_lda_chunk(chunk, scratch, last_valid, bad_rows, SOS, zi, filt, STEP, acc, blocks,
                                           counter, True, COEF, INTERCEPT, feats, dec, probs, valid, idx, WINDOW,
                                           last_bad, valid_from, invalid_span, 1e150)
        assert ok
        out.append((idx[:n_out].copy(), feats[:n_out].copy(), probs[:n_out].copy(), valid[:n_out].copy()))
        pos += len(chunk)
        i += 1
    return [np.concatenate(parts) for parts in zip(*out)]


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(1, 60), min_size=1, max_size=6))
def test_fused_chunks_equal_the_naive_stages(sizes):
    idx, feats, probs, valid = _run(X, sizes)
    ref_feats, ref_probs = naive.bandpower_lda(X, SOS, WINDOW, STEP, COEF, INTERCEPT)
    np.testing.assert_array_equal(idx + 1, naive.output_counts(len(X), WINDOW, STEP))
    np.testing.assert_allclose(feats, ref_feats, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(probs, ref_probs, rtol=1e-10, atol=1e-12)
    assert valid.all()


def test_fused_validity_after_bad_samples_and_before_valid_from():
    x = X.copy()
    x[100, 1] = np.nan
    idx, _, probs, valid = _run(x, [17], valid_from=300)
    assert np.all(np.isfinite(probs))
    expected = ((idx - 100 >= WINDOW) | (idx < 100)) & (idx >= 300)
    np.testing.assert_array_equal(valid, expected)
