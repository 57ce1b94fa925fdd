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


def test_kalman_fit_and_predict_equal_the_textbook_filter():
    X = _kinematics()
    H = RNG.standard_normal((30, 4))
    Z = X @ H.T + 0.3 * RNG.standard_normal((len(X), 30))
    kf = KalmanDecoder(obs_reg=0.0).fit(Z[:400], X[:400])
    est = kf.predict(Z[400:])
    ref = naive.kalman(Z[400:], kf.a_, kf.w_, kf.h_, kf.q_, kf.x0_, kf.p0_)
    np.testing.assert_allclose(est, ref, atol=1e-9)
    # and it decodes: correlation of decoded and true position on held-out data
    assert np.corrcoef(est[:, 0], X[400:, 0])[0, 1] > 0.9
    assert np.corrcoef(est[:, 1], X[400:, 1])[0, 1] > 0.9
