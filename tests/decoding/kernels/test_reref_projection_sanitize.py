"""Re-referencing, spatial filtering and NaN holding against naive versions."""

import numpy as np
from hypothesis import given, strategies as st

from tests import naive
from workbench.decoding.kernels import all_bounded, common_average, hold_last_valid, laplacian, spatial_filter

RNG = np.random.default_rng(3)
X = RNG.standard_normal((50, 6))


def test_common_average_matches_naive_and_sums_to_zero():
    out = common_average(X, np.empty_like(X))
    np.testing.assert_allclose(out, naive.common_average(X), atol=1e-12)
    np.testing.assert_allclose(out.sum(axis=1), 0, atol=1e-12)


def test_laplacian_matches_naive():
    nb = {0: [1, 2, 3], 4: [5], 2: [0, 1]}
    idx = -np.ones((6, 3), dtype=np.int64)
    w = np.zeros((6, 3))
    for c, nbs in nb.items():
        idx[c, : len(nbs)] = nbs
        w[c, : len(nbs)] = 1 / len(nbs)
    out = laplacian(X, idx, w, np.empty_like(X))
    np.testing.assert_allclose(out, naive.laplacian(X, nb), atol=1e-12)
    np.testing.assert_array_equal(out[:, 1], X[:, 1])  # no neighbours: unchanged


def test_spatial_filter_matches_naive():
    f = RNG.standard_normal((3, 6))
    np.testing.assert_allclose(spatial_filter(X, f, np.empty((50, 3))), naive.spatial_filter(X, f), atol=1e-12)


def test_hold_last_valid_replaces_nonfinite_and_flags_rows():
    x = X.copy()
    x[3, 2] = np.nan
    x[4, 2] = np.inf
    x[10, 0] = -np.inf
    ref, ref_bad = naive.hold_last_valid(x, np.zeros(6))
    last = np.zeros(6)
    bad = np.zeros(len(x), bool)
    n_bad = hold_last_valid(x, last, bad)
    np.testing.assert_array_equal(x, ref)
    np.testing.assert_array_equal(bad, ref_bad)
    assert n_bad == 3 and x[4, 2] == X[2, 2]
    np.testing.assert_array_equal(last, X[-1])


def test_count_nonfinite_rows_matches_numpy():
    from workbench.decoding.kernels import count_nonfinite_rows

    x = X.copy()
    assert count_nonfinite_rows(x) == 0
    x[[1, 1, 7, 30], [0, 5, 2, 3]] = [np.nan, np.inf, -np.inf, np.nan]
    assert count_nonfinite_rows(x) == int(np.sum(~np.all(np.isfinite(x), axis=1))) == 3


@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(1e150), st.just(-1.0000001e150)),
                max_size=40))
def test_all_bounded_matches_naive(values):
    x = np.array(values, dtype=np.float64)
    assert all_bounded(x, 1e150) == naive.all_bounded(x, 1e150)
