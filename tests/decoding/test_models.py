"""LDA and ridge against scikit-learn to 1e-9; the Kalman decoder vs naive."""

import numpy as np
import pytest
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import Ridge as SkRidge

from tests import naive
from workbench.decoding import LDA, KalmanDecoder, Ridge
from workbench.errors import ValidationError

RNG = np.random.default_rng(4)


def _classes(n_classes, n=120, p=8):
    y = np.repeat(np.arange(n_classes), n // n_classes)
    X = RNG.standard_normal((len(y), p)) * RNG.uniform(0.1, 10, p) + y[:, None] * 0.7
    return X, np.array(["feet", "hands", "rest"])[y]


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("shrinkage", [None, "auto", 0.3])
def test_lda_matches_sklearn_lsqr(n_classes, shrinkage):
    X, y = _classes(n_classes)
    ours = LDA(shrinkage=shrinkage).fit(X, y)
    ref = LinearDiscriminantAnalysis(solver="lsqr", shrinkage=shrinkage).fit(X, y)
    Xt = RNG.standard_normal((50, 8)) * 3
    np.testing.assert_array_equal(ours.classes_, ref.classes_)
    np.testing.assert_allclose(ours.predict_proba(Xt), ref.predict_proba(Xt), rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.decision_function(Xt), ref.decision_function(Xt), rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(ours.predict(Xt), ref.predict(Xt))


def test_lda_on_real_csp_features_matches_sklearn(csp_decoder, eegmmidb_runs):
    from tests.decoding.conftest import window_ends

    ep = csp_decoder.epochs([r.data for r in eegmmidb_runs], window_ends(eegmmidb_runs))
    y = np.concatenate([r.labels for r in eegmmidb_runs])
    F = csp_decoder.features.transform(ep)
    for sh in (None, "auto"):
        ours = LDA(shrinkage=sh).fit(F, y)
        ref = LinearDiscriminantAnalysis(solver="lsqr", shrinkage=sh).fit(F, y)
        np.testing.assert_allclose(ours.predict_proba(F), ref.predict_proba(F), rtol=0, atol=1e-9)


def test_lda_rejects_bad_parameters_by_name():
    X, y = _classes(2)
    with pytest.raises(ValidationError, match="shrinkage"):
        LDA(shrinkage=1.5).fit(X, y)
    with pytest.raises(ValidationError, match="priors"):
        LDA(priors=[0.2, 0.2]).fit(X, y)
    with pytest.raises(ValueError, match="2 classes"):
        LDA().fit(X, np.zeros(len(X)))


def test_ridge_matches_sklearn():
    X = RNG.standard_normal((100, 6))
    Y = X @ RNG.standard_normal((6, 2)) + 0.1 * RNG.standard_normal((100, 2)) + 4
    for y in (Y, Y[:, 0]):
        ours, ref = Ridge(alpha=2.5).fit(X, y), SkRidge(alpha=2.5).fit(X, y)
        np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=0, atol=1e-9)


def _kinematics(n=600):
    t = np.arange(n) * 0.02
    pos = np.column_stack([np.sin(0.7 * t), np.cos(0.45 * t)])
    vel = np.gradient(pos, axis=0) / 0.02
    return np.hstack([pos, vel])


def _ols_with_intercept(inputs, targets):
    """numpy least squares with a column of ones: (slope (n_out, n_in), intercept (n_out,), residuals)."""
    design = np.hstack([inputs, np.ones((len(inputs), 1))])
    coef, *_ = np.linalg.lstsq(design, targets, rcond=None)
    return coef[:-1].T, coef[-1], targets - design @ coef


def _spike_count_features(X, n_obs=30):
    """Non-negative, far-from-zero-mean features tuned to the kinematics (like binned counts)."""
    H = RNG.standard_normal((n_obs, X.shape[1]))
    base = RNG.uniform(5, 40, n_obs)  # baseline firing per 20 ms bin
    return base + X @ H.T + 0.3 * RNG.standard_normal((len(X), n_obs))


def test_kalman_fits_intercepts_and_predicts_as_the_textbook_filter():
    X = _kinematics() + np.array([3.0, -2.0, 0.0, 0.0])  # position offset: not zero-mean either
    Z = _spike_count_features(X)
    kf = KalmanDecoder(obs_reg=0.0).fit(Z[:400], X[:400])
    a, b, res_a = _ols_with_intercept(X[:399], X[1:400])
    h, d, res_h = _ols_with_intercept(X[:400], Z[:400])
    np.testing.assert_allclose(kf.a_, a, atol=1e-9)
    np.testing.assert_allclose(kf.state_intercept_, b, atol=1e-9)
    np.testing.assert_allclose(kf.h_, h, atol=1e-9)
    np.testing.assert_allclose(kf.obs_intercept_, d, atol=1e-9)
    np.testing.assert_allclose(kf.w_, res_a.T @ res_a / 398, atol=1e-9)
    np.testing.assert_allclose(kf.q_, res_h.T @ res_h / 400, atol=1e-9)
    est = kf.predict(Z[400:])
    ref = naive.kalman(Z[400:], a, kf.w_, h, kf.q_, kf.x0_, kf.p0_, b=b, d=d)
    np.testing.assert_allclose(est, ref, atol=1e-9)
    # and it decodes: correlation of decoded and true position on held-out data
    assert np.corrcoef(est[:, 0], X[400:, 0])[0, 1] > 0.9
    assert np.corrcoef(est[:, 1], X[400:, 1])[0, 1] > 0.9


def test_without_the_intercept_the_feature_mean_would_leak_into_the_kinematics():
    X = _kinematics()
    Z = _spike_count_features(X)
    est = KalmanDecoder().fit(Z[:400], X[:400]).predict(Z[400:])
    assert abs(np.mean(est[:, 0] - X[400:, 0])) < 0.1  # no bias from the 5..40 baseline


def test_smoothbatch_update_blends_the_observation_model():
    X = _kinematics(900)
    Z = _spike_count_features(X)
    kf = KalmanDecoder(obs_reg=0.0).fit(Z[:300], X[:300])
    frozen = {k: v.copy() for k, v in vars(kf).items() if isinstance(v, np.ndarray)}
    Zb, Xb = Z[300:600] * 1.5 + 2.0, X[300:600]  # tuning changed in closed loop
    new = kf.batch_update(Zb, Xb, alpha=0.3)
    h_b, d_b, r_b = _ols_with_intercept(Xb, Zb)
    q_b = r_b.T @ r_b / len(Zb)
    np.testing.assert_allclose(new.h_, 0.3 * kf.h_ + 0.7 * h_b, atol=1e-9)
    np.testing.assert_allclose(new.obs_intercept_, 0.3 * kf.obs_intercept_ + 0.7 * d_b, atol=1e-9)
    np.testing.assert_allclose(new.q_, 0.3 * kf.q_ + 0.7 * q_b, atol=1e-9)
    np.testing.assert_array_equal(new.a_, kf.a_)  # the state model stays (Orsborn et al. 2014)
    np.testing.assert_allclose(new.ht_qinv_, np.linalg.solve(new.q_, new.h_).T, atol=1e-9)
    for k, v in frozen.items():  # the old decoder is untouched
        np.testing.assert_array_equal(getattr(kf, k), v)
    np.testing.assert_allclose(kf.batch_update(Zb, Xb, alpha=1.0).h_, kf.h_, atol=1e-12)
    # adapted to the new tuning, it decodes the new data better than the old one
    Zt = Z[600:] * 1.5 + 2.0
    err_old = np.mean((kf.predict(Zt)[:, :2] - X[600:, :2]) ** 2)
    err_new = np.mean((kf.batch_update(Zb, Xb, alpha=0.0).predict(Zt)[:, :2] - X[600:, :2]) ** 2)
    assert err_new < err_old


def test_smoothbatch_update_refuses_bad_input_by_name():
    X = _kinematics(200)
    kf = KalmanDecoder().fit(_spike_count_features(X), X)
    with pytest.raises(ValidationError) as err:
        kf.batch_update(_spike_count_features(X), X[:, :3], alpha=1.5)
    assert set(err.value.fields) == {"alpha", "X.shape"}
