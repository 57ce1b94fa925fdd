"""The vectorised natural log against the C library's, within 1 ulp, special values exact."""

import numpy as np
from hypothesis import given, settings, strategies as st

from tests import naive
from workbench.decoding.kernels.logarithm import log_array
from tests.budget import examples


def _ulps(got, ref):
    return np.abs(got - ref) / np.spacing(np.abs(ref))


def test_log_within_one_ulp_over_the_whole_double_range():
    rng = np.random.default_rng(3)
    x = np.concatenate([
        10.0 ** rng.uniform(-323, 308, 400_000),  # every exponent, subnormals included
        rng.uniform(0.5, 2.0, 200_000),  # around 1, where log is small and cancellation would show
        1.0 + rng.uniform(-1e-6, 1e-6, 50_000),
        np.sqrt(2.0) * (1.0 + rng.uniform(-1e-12, 1e-12, 1000)),  # the reduction's boundary
    ])
    got, ref = log_array(x, np.empty_like(x)), naive.log(x)
    finite = ref != 0.0
    assert _ulps(got[finite], ref[finite]).max() <= 1.0
    assert np.all(got[~finite] == 0.0)
    assert np.mean(got == ref) > 0.95  # mostly the very same double


def test_log_special_values():
    x = np.array([0.0, -0.0, np.inf, np.nan, -1.0, -np.inf, 5e-324, 2.2250738585072014e-308, 1.0, 2.0,
                  1.7976931348623157e308, np.e])
    got = log_array(x, np.empty_like(x))
    ref = naive.log(x)
    np.testing.assert_array_equal(got[:6], ref[:6])  # -inf, -inf, inf, nan, nan, nan
    assert got[8] == 0.0 and got[9] == np.log(2.0)
    assert np.all(_ulps(got[6:], ref[6:])[[0, 1, 4, 5]] <= 1.0) and abs(got[11] - 1.0) <= 2.3e-16


@given(st.lists(st.floats(min_value=0.0, allow_infinity=True, allow_nan=False), min_size=1, max_size=50))
@settings(max_examples=examples(200), deadline=None)
def test_log_of_any_non_negative_double_is_within_one_ulp(values):
    x = np.array(values)
    got, ref = log_array(x, np.empty_like(x)), naive.log(x)
    exact = ~np.isfinite(ref) | (ref == 0.0)
    np.testing.assert_array_equal(got[exact], ref[exact])
    assert np.all(_ulps(got[~exact], ref[~exact]) <= 1.0)
