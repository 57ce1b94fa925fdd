"""CSP and the windowed features: the maths, the sklearn contract, the errors."""

import numpy as np
import pytest
from scipy import linalg
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from tests.decoding.conftest import window_ends
from workbench.decoding import CSP, LDA, BandPower, IIRFilter, LogVariance, SpikeFeatures
from workbench.errors import ValidationError


@pytest.fixture(scope="module")
def epochs(eegmmidb_runs):
    """Band-passed (7-30 Hz, no CAR: full rank) 1 s windows of runs 6, 10, 14."""
    filt = IIRFilter(7.0, 30.0, sfreq=160.0).fit(eegmmidb_runs[0].data)
    eps = []
    for run, ends in zip(eegmmidb_runs, window_ends(eegmmidb_runs)):
        xf = filt.transform(run.data)
        eps += [xf[e - 160:e + 1].T for e in ends]
    return np.stack(eps), np.concatenate([r.labels for r in eegmmidb_runs])


def test_csp_eigenvalues_are_the_generalised_eigenvalues(epochs):
    X, y = epochs
    csp = CSP(n_components=6).fit(X, y)
    ca, cb = (np.cov(np.concatenate(list(X[y == c]), axis=1), bias=True) for c in csp.classes_)
    ref = linalg.eigh(ca, ca + cb, eigvals_only=True)
    np.testing.assert_allclose(csp.eigenvalues_, ref[[-1, 0, -2, 1, -3, 2]], atol=1e-9)
    # each filter's variance ratio is its eigenvalue: w' Ca w / w' (Ca + Cb) w
    for w, lam in zip(csp.filters_, csp.eigenvalues_):
        assert abs(w @ ca @ w / (w @ (ca + cb) @ w) - lam) < 1e-9


def test_csp_transform_is_log_mean_power_of_the_components(epochs):
    X, y = epochs
    csp = CSP(4).fit(X, y)
    ref = np.log(np.mean(np.einsum("kc,ect->ekt", csp.filters_, X) ** 2, axis=2))
    np.testing.assert_allclose(csp.transform(X), ref, rtol=0, atol=1e-9)
    raw = CSP(4, log=False).fit(X, y).transform(X)
    np.testing.assert_allclose(np.log(raw), ref, atol=1e-9)


def test_csp_in_a_pipeline_with_cross_validation(epochs):
    X, y = epochs
    pipe = make_pipeline(CSP(n_components=4, reg="ledoit_wolf"), LDA())
    scores = cross_val_score(pipe, X, y, cv=StratifiedKFold(5))
    assert scores.mean() > 0.8
    est = clone(pipe).set_params(csp__n_components=2)
    assert est.get_params()["csp__n_components"] == 2


def test_csp_errors_name_the_parameter(epochs):
    X, y = epochs
    y3 = y.copy()
    y3[:5] = "rest"
    with pytest.raises(ValidationError, match="exactly two classes"):
        CSP().fit(X, y3)
    with pytest.raises(ValidationError, match="n_components"):
        CSP(n_components=100).fit(X, y)
    with pytest.raises(ValidationError, match="X.shape"):
        CSP().fit(X[0], y)
    with pytest.raises(NotFittedError):
        CSP().transform(X)
    with pytest.raises(ValidationError, match="n_channels"):
        CSP().fit(X, y).transform(X[:, :10])


def test_band_power_and_log_variance_per_epoch(epochs):
    X, _ = epochs
    np.testing.assert_allclose(BandPower().fit(X).transform(X), np.log(np.mean(X**2, axis=2)), atol=1e-9)
    np.testing.assert_allclose(LogVariance().fit(X).transform(X), np.log(np.var(X, axis=2)), atol=1e-9)


def test_windowed_features_refuse_a_step_that_does_not_tile_the_window(epochs):
    X, y = epochs
    with pytest.raises(ValidationError, match="divisor"):
        CSP(4).fit(X, y).init_state(step=20)  # 161 = 7 * 23
    with pytest.raises(ValidationError, match="bin length"):
        SpikeFeatures().fit(X).init_state(step=23)


def test_spike_thresholds_are_minus_k_rms(epochs):
    X, _ = epochs
    sf = SpikeFeatures(k=3.0).fit(X)
    np.testing.assert_allclose(sf.thresholds_, -3.0 * np.sqrt(np.mean(X**2, axis=(0, 2))))
    F = sf.transform(X)
    assert F.shape == (len(X), 2 * X.shape[1])
    assert F[:, :64].sum() > 0  # real EEG crosses 3 RMS now and then
    np.testing.assert_allclose(F[:, 64:], np.mean(X**2, axis=2), rtol=1e-12)


def test_a_wrong_number_of_classes_is_said_with_the_labels_as_given():
    """The labels as the user wrote them, not numpy's reprs (np.str_('grasp'))."""
    X = np.random.default_rng(0).normal(size=(9, 4, 50))
    with pytest.raises(ValidationError) as err:
        CSP(2).fit(X, np.array(["grasp", "open", "rest"] * 3))
    assert "3 classes ['grasp', 'open', 'rest']" in str(err.value) and "np." not in str(err.value)
