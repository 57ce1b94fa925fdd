"""Covariance, Ledoit-Wolf, linear read-outs and the Kalman step vs references."""

import numpy as np
import pytest
from sklearn.covariance import ledoit_wolf

from tests import naive
from workbench.decoding.kernels import (
    class_probabilities, covariance, kalman_steps, ledoit_wolf_shrinkage, linear_predict,
)

RNG = np.random.default_rng(2)


@pytest.mark.parametrize("n,p", [(200, 5), (20, 30)])
def test_covariance_and_ledoit_wolf_match_naive_and_sklearn(n, p):
    x = RNG.standard_normal((n, p)) @ RNG.standard_normal((p, p)) + 3.0
    np.testing.assert_allclose(covariance(x), naive.covariance(x), atol=1e-10)
    s = ledoit_wolf_shrinkage(x)
    assert abs(s - naive.ledoit_wolf_shrinkage(x)) < 1e-9
    shrunk_sk, s_sk = ledoit_wolf(x)
    assert abs(s - s_sk) < 1e-9
    cov = covariance(x)
    mine = (1 - s) * cov + s * np.trace(cov) / p * np.eye(p)
    np.testing.assert_allclose(mine, shrunk_sk, atol=1e-9)


@pytest.mark.parametrize("k", [1, 3])
def test_linear_and_probabilities_match_naive(k):
    f = RNG.standard_normal((40, 6)) * 10
    coef, icpt = RNG.standard_normal((k, 6)), RNG.standard_normal(k)
    d = linear_predict(f, coef, icpt, np.empty((40, k)))
    np.testing.assert_allclose(d, naive.linear_predict(f, coef, icpt), atol=1e-12)
    n_cls = 2 if k == 1 else k
    p = class_probabilities(d, np.empty((40, n_cls)))
    np.testing.assert_allclose(p, naive.class_probabilities(d), atol=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-12)


def test_probabilities_stay_finite_for_extreme_decisions():
    p = class_probabilities(np.array([[800.0], [-800.0]]), np.empty((2, 2)))
    np.testing.assert_array_equal(p, [[0, 1], [1, 0]])


def test_kalman_information_form_equals_gain_form():
    d, n_obs, n = 4, 12, 30
    a = np.eye(d) * 0.95 + 0.01 * RNG.standard_normal((d, d))
    w = np.eye(d) * 0.1
    h = RNG.standard_normal((n_obs, d))
    m = RNG.standard_normal((n_obs, n_obs))
    q = m @ m.T / n_obs + np.eye(n_obs)
    b, off = RNG.standard_normal(d), 5.0 + RNG.standard_normal(n_obs)  # intercepts, features far from 0
    z = off + RNG.standard_normal((n, n_obs))
    x0, p0 = RNG.standard_normal(d), np.eye(d)
    ht_qinv = np.linalg.solve(q, h).T
    x, p = x0.copy(), p0.copy()
    out = np.empty((n, d))
    kalman_steps(z[:17], a, b, w, h, off, ht_qinv, ht_qinv @ h, x, p, out[:17])
    kalman_steps(z[17:], a, b, w, h, off, ht_qinv, ht_qinv @ h, x, p, out[17:])
    np.testing.assert_allclose(out, naive.kalman(z, a, w, h, q, x0, p0, b=b, d=off), atol=1e-9)
