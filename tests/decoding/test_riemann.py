"""Riemannian decoders: kernels vs naive references, equal to pyRiemann, online equals offline.

Tangent space + logistic regression and MDM are fitted by pyRiemann and
applied by numba kernels; on real recordings (eegmmidb S001 runs 6/10/14,
bci4als XDF) their online outputs must be pyRiemann's own predictions on the
same windows, and chunking must not change them.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from tests import naive
from tests.decoding.conftest import window_ends
from workbench.decoding import (
    MDM, CommonAverageReference, Covariances, Decoder, IIRFilter, LogisticRegression, NotchFilter, TangentSpace,
    decode_in_chunks, load_decoder,
)
from workbench.decoding.kernels.riemann import LWF, OAS, SCM, mdm_probabilities, tangent_vector, window_covariances
from workbench.errors import ValidationError
from tests.budget import examples

SETTINGS = settings(max_examples=examples(10), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _spd(rng, p):
    a = rng.standard_normal((p, 3 * p))
    return a @ a.T / (3 * p) + 0.1 * np.eye(p)


# ------------------------------------------------------------------ kernels
@settings(max_examples=examples(25), deadline=None)
@given(x=arrays(np.float64, st.tuples(st.integers(12, 60), st.integers(2, 5)),
                elements=st.floats(-100, 100, allow_nan=False, allow_subnormal=False)),
       window=st.integers(8, 12), step=st.integers(1, 7), shrinkage=st.sampled_from([SCM, LWF, OAS]),
       split=st.integers(0, 60))
def test_window_covariances_match_naive_in_any_chunking(x, window, step, shrinkage, split):
    p = x.shape[1]
    ring, counter = np.zeros((window, p)), np.zeros(1, np.int64)
    out = np.empty((len(x) // step + 2, p * p))
    split = min(split, len(x))
    n1 = window_covariances(x[:split], step, ring, counter, shrinkage, out)
    n2 = window_covariances(x[split:], step, ring, counter, shrinkage, out[n1:])
    if shrinkage == OAS:  # the peer's own estimator (pyRiemann's "oas" is scikit-learn's oas)
        from sklearn.covariance import oas

        ref = np.array([oas(x[n - window:n])[0] for n in naive.output_counts(len(x), window, step)])
        ref = ref.reshape(-1, p, p)
    else:
        ref = naive.window_covariances(x, window, step, shrinkage == LWF)
    assert n1 + n2 == len(ref)
    np.testing.assert_allclose(out[:n1 + n2].reshape(-1, p, p), ref.reshape(-1, p, p), rtol=1e-9,
                               atol=1e-9 * max(1.0, float(np.abs(ref).max(initial=0.0))))


@pytest.mark.parametrize("p", [2, 5, 16])
def test_tangent_vector_matches_scipy_logm(p):
    rng = np.random.default_rng(p)
    for _ in range(5):
        c, ref = _spd(rng, p), _spd(rng, p)
        isqrt = np.ascontiguousarray(naive._spd_power(ref, -0.5))
        got = tangent_vector(c, isqrt, np.empty(p * (p + 1) // 2))
        np.testing.assert_allclose(got, naive.tangent_vector(c, ref), atol=1e-9)
        # the vector's norm is the Riemannian distance to the reference (Barachant et al. 2013)
        assert np.isclose(np.dot(got, got), naive.riemann_squared_distance(c, ref), rtol=1e-9)


@pytest.mark.parametrize("p,k", [(3, 2), (8, 4)])
def test_mdm_probabilities_match_generalised_eigenvalues(p, k):
    rng = np.random.default_rng(10 * p + k)
    means = np.stack([_spd(rng, p) for _ in range(k)])
    covs = np.stack([_spd(rng, p) for _ in range(20)])
    isq = np.ascontiguousarray(np.stack([naive._spd_power(m, -0.5) for m in means]))
    got = mdm_probabilities(covs.reshape(20, -1), isq, np.empty((20, k)))
    np.testing.assert_allclose(got, naive.mdm_probabilities(covs, means), atol=1e-10)
    # a class mean is at distance 0 from itself: it is its own nearest mean
    own = mdm_probabilities(means.reshape(k, -1), isq, np.empty((k, k)))
    np.testing.assert_array_equal(np.argmax(own, axis=1), np.arange(k))


# --------------------------------------------------------------- real data
# Fitting three decoders on 64-channel EEG (pyRiemann's means iterate eigendecompositions) takes ~1 min
# alone and several under the load of parallel sessions: a longer limit than the suite's 300 s.
REAL_DATA_LIMIT = pytest.mark.timeout(900)


def _labels(runs):
    return np.concatenate([r.labels for r in runs])


@pytest.fixture(scope="module")
def riemann_decoders(eegmmidb_runs, bci4als_run):
    """TS+LR and MDM on eegmmidb (7-30 Hz, 1 s windows) and TS+LR on the bci4als XDF (Ledoit-Wolf, CAR)."""
    train, test = eegmmidb_runs[:2], eegmmidb_runs[2]
    sf, names = train[0].sfreq, train[0].ch_names
    out = {}
    for kind, pipe in (("ts_lr", [TangentSpace(), LogisticRegression()]), ("mdm", [Covariances(), MDM()])):
        dec = Decoder([IIRFilter(7.0, 30.0, sfreq=sf)], pipe, sfreq=sf, ch_names=names, window=161, step=23)
        # the first 40 s of run 14: ~280 outputs, enough, and the test stays within its time limit under load
        out[kind] = (dec.fit([r.data for r in train], window_ends(train), _labels(train)), test.data[:6400], test)
    x = bci4als_run
    lr = np.isin(x.labels, ["left", "right"])
    xd = Decoder([NotchFilter((50.0,), sfreq=x.sfreq, initial="steady"),
                  IIRFilter(8.0, 30.0, sfreq=x.sfreq, initial="steady"), CommonAverageReference()],
                 [TangentSpace(estimator="lwf"), LogisticRegression()], sfreq=x.sfreq, ch_names=x.ch_names,
                 window=250, step=25)
    out["xdf_ts_lr"] = (xd.fit([x.data], [x.onsets[lr] + 249], x.labels[lr]), x.data[:6000], None)
    return out


def _pyriemann_reference(kind, train_epochs, y):
    from pyriemann.classification import MDM as PyrMDM
    from pyriemann.estimation import Covariances as PyrCovariances
    from pyriemann.tangentspace import TangentSpace as PyrTangentSpace
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression
    from sklearn.pipeline import make_pipeline

    if kind == "ts_lr":
        pipe = make_pipeline(PyrCovariances("scm"), PyrTangentSpace(metric="riemann"),
                             SkLogisticRegression(max_iter=1000))
    else:
        pipe = make_pipeline(PyrCovariances("scm"), PyrMDM(metric="riemann"))
    return pipe.fit(train_epochs, y)


@pytest.mark.slow
@REAL_DATA_LIMIT
@pytest.mark.parametrize("kind", ["ts_lr", "mdm"])
def test_online_outputs_are_pyriemanns_predictions(riemann_decoders, eegmmidb_runs, kind):
    """Every streamed posterior equals pyRiemann's prediction on the window it was computed from."""
    decoder, X, _ = riemann_decoders[kind]
    train = eegmmidb_runs[:2]
    ref = _pyriemann_reference(kind, decoder.epochs([r.data for r in train], window_ends(train)), _labels(train))
    online = decode_in_chunks(decoder, X, [37, 1, 160])
    ends = online.sample_index  # the last sample of each output's window
    epochs = decoder.epochs([X], [ends])
    np.testing.assert_allclose(online.values, ref.predict_proba(epochs), rtol=0, atol=1e-8)
    assert len(np.unique(np.argmax(online.values, axis=1))) == 2  # not a constant output
    if kind == "ts_lr":  # the features themselves, before the model
        # 1.5e-8 measured at worst over 863 windows (elements up to ~5): the log of a window's smallest
        # eigenvalues amplifies the last-bit differences of two LAPACK call orders
        np.testing.assert_allclose(decoder.features.transform(epochs), ref[:2].transform(epochs), rtol=0, atol=1e-7)


@REAL_DATA_LIMIT
@pytest.mark.parametrize("kind", ["ts_lr", "mdm", "xdf_ts_lr"])
@SETTINGS
@given(data=st.data())
def test_online_in_random_chunks_equals_offline(riemann_decoders, kind, data):
    decoder, X, _ = riemann_decoders[kind]
    X = X[:2400]
    sizes = data.draw(st.lists(st.integers(1, int(decoder.sfreq)), min_size=1, max_size=40), label="chunk sizes")
    whole = decoder.decode(X)
    chunked = decode_in_chunks(decoder, X, sizes)
    assert len(whole) > 10
    np.testing.assert_array_equal(chunked.sample_index, whole.sample_index)
    np.testing.assert_array_equal(chunked.valid, whole.valid)
    assert np.max(np.abs(chunked.values - whole.values)) <= 1e-9


@REAL_DATA_LIMIT
@pytest.mark.parametrize("kind", ["ts_lr", "mdm", "xdf_ts_lr"])
def test_saved_riemannian_decoder_decodes_the_same(riemann_decoders, kind, tmp_path):
    decoder, X, _ = riemann_decoders[kind]
    loaded = load_decoder(decoder.save(tmp_path / f"{kind}.npz"), ch_names=decoder.ch_names, sfreq=decoder.sfreq)
    assert type(loaded.features) is type(decoder.features) and type(loaded.model) is type(decoder.model)
    a, b = decoder.decode(X[:2000]), decode_in_chunks(loaded, X[:2000], [77, 1, 300])
    np.testing.assert_array_equal(a.sample_index, b.sample_index)
    assert np.max(np.abs(a.values - b.values)) <= 1e-9


# -------------------------------------------------------------- bad input
def _fit(features, model, data, ch_names, stages=()):
    dec = Decoder(list(stages), [features, model], sfreq=160.0, ch_names=ch_names, window=161, step=23)
    return dec.fit([data], [np.arange(200, 4000, 200)], np.arange(19) % 2)


def test_unknown_covariance_estimator_is_refused_by_name(eegmmidb_runs):
    run = eegmmidb_runs[0]
    with pytest.raises(ValidationError) as err:
        _fit(TangentSpace(estimator="mcd"), LogisticRegression(), run.data, run.ch_names)
    msg = str(err.value)
    assert "estimator" in msg and "'mcd'" in msg and "'oas'" in msg and "'scm'" in msg and "'lwf'" in msg


def test_rank_deficient_windows_are_refused_with_the_remedy(eegmmidb_runs):
    """A common average reference leaves singular covariances: no log of a zero eigenvalue online."""
    run = eegmmidb_runs[0]
    with pytest.raises(ValidationError) as err:
        _fit(TangentSpace(), LogisticRegression(), run.data, run.ch_names, [CommonAverageReference()])
    assert "positive definite" in str(err.value) and "lwf" in str(err.value)
    # with shrinkage the same data fits
    _fit(TangentSpace(estimator="lwf"), LogisticRegression(), run.data, run.ch_names, [CommonAverageReference()])


@pytest.mark.parametrize("C", [0, -1.0, float("nan"), "1", "auto"])
def test_bad_logistic_penalty_is_refused(C):
    X = np.random.default_rng(0).standard_normal((20, 3))
    with pytest.raises(ValidationError) as err:
        LogisticRegression(C=C).fit(X, np.arange(20) % 2)
    assert "C" in str(err.value) and "> 0" in str(err.value) and "'cv'" in str(err.value)


def test_penalty_chosen_by_cross_validation_is_scikit_learns_choice():
    """C="cv" searches the grid on the training data only, as LogisticRegressionCV does, and keeps C_."""
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold

    from workbench.decoding.riemann import C_GRID

    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 8))
    y = np.where(X[:, 0] + X[:, 1] + rng.standard_normal(60) > 0, "left", "right")
    ours = LogisticRegression(C="cv").fit(X, y)
    ref = LogisticRegressionCV(Cs=list(C_GRID), cv=StratifiedKFold(5), max_iter=1000, l1_ratios=(0.0,),
                               scoring="accuracy", use_legacy_attributes=False).fit(X, y)
    assert ours.C_ == float(np.ravel(ref.C_)[0]) and ours.C_ in C_GRID
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-12)
    assert LogisticRegression(C=0.5).fit(X, y).C_ == 0.5


def test_penalty_search_needs_two_windows_of_each_class():
    X = np.random.default_rng(0).standard_normal((6, 3))
    with pytest.raises(ValidationError) as err:
        LogisticRegression(C="cv").fit(X, ["a"] * 5 + ["b"])
    assert "'b'" in str(err.value) and "at least 2 windows per class" in str(err.value)


@REAL_DATA_LIMIT
def test_oas_covariances_are_pyriemanns_on_real_windows(eegmmidb_runs):
    """MOABB's estimator: the kernel's OAS covariance of each real window is pyRiemann's Covariances('oas')."""
    from pyriemann.estimation import Covariances as PyrCovariances

    run = eegmmidb_runs[0]
    dec = Decoder([IIRFilter(8.0, 30.0, sfreq=run.sfreq), CommonAverageReference()], [Covariances("oas"), MDM()],
                  sfreq=run.sfreq, ch_names=run.ch_names, window=161, step=23)
    epochs = dec.epochs([run.data], [run.onsets + 320])
    ours = Covariances("oas").fit(epochs).transform(epochs).reshape(len(epochs), 64, 64)
    theirs = PyrCovariances("oas").fit_transform(epochs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10 * np.abs(theirs).max())
    assert np.all(np.linalg.eigvalsh(ours)[:, 0] > 0)  # shrinkage keeps the CAR'd windows positive definite


def test_mdm_refuses_features_that_are_not_covariances():
    X = np.random.default_rng(0).standard_normal((20, 6))
    with pytest.raises(ValidationError) as err:
        MDM().fit(X, np.arange(20) % 2)
    assert "X.shape[1]" in str(err.value) and "Covariances()" in str(err.value)
