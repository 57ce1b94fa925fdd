"""Riemannian decoders: tangent space + logistic regression, minimum distance to mean.

The field's strongest classical motor-imagery baselines (Barachant et al.
2012, IEEE Trans Biomed Eng 59:920; 2013, Neurocomputing 112:172; the
pipelines MOABB ranks). Fitting is done by pyRiemann (reference point and
class means: the affine-invariant Riemannian mean) and scikit-learn (the
logistic regression); the fitted arrays are copied, and transforming,
predicting and streaming run the numba kernels of
:mod:`workbench.decoding.kernels.riemann`. Two decoders::

    Decoder(stages, [TangentSpace(), LogisticRegression()], ...)
    Decoder(stages, [Covariances(), MDM()], ...)

Covariances need more samples per window than channels and data of full
rank: a common average reference removes one dimension, so with it use
``estimator="oas"`` or ``"lwf"`` (shrinkage keeps the matrices positive
definite).

Tuned as the field runs them (MOABB's ``TSLR`` and ``MDM`` pipelines,
Jayaram & Barachant 2018, J Neural Eng 15:066011): 8-30 Hz band-pass, OAS
covariances, tangent space at the Riemannian mean, logistic regression
(``C=1.0`` as MOABB, or ``C="cv"``: chosen by cross-validation inside the
training data); MDM on the same covariances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ..errors import Problem, ValidationError
from ._base import BaseEstimator, ClassifierMixin, check_classification_targets, validate_data
from ._validation import check_fitted
from ._windowed import WindowedFeature
from .models import LinearClassifierMixin
from .kernels.riemann import LWF, OAS, SCM, mdm_probabilities, window_covariances, window_tangent

# Covariance estimators, by pyRiemann's names, and their kernel codes.
ESTIMATORS = {"scm": SCM, "lwf": LWF, "oas": OAS}
# C grid of LogisticRegression(C="cv"): every decade from 1e-3 to 1e3.
C_GRID = (1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3)


@dataclass
class CovarianceRingState:
    """Last ``window`` samples, the sample count and the output step."""

    ring: np.ndarray
    counter: np.ndarray
    step: int


def _check_estimator(est, what):
    if not (isinstance(est, str) and est in ESTIMATORS):
        raise ValidationError([Problem("estimator", est, "'scm' (sample covariance), 'lwf' (Ledoit-Wolf) or "
                                                         "'oas' (oracle approximating shrinkage)")], what=what)


def _not_spd_problem(covs, estimator):
    """A problem naming the first window whose covariance is not positive definite, or None."""
    for i, c in enumerate(covs):
        w = np.linalg.eigvalsh(c)
        if not (np.all(np.isfinite(w)) and w[0] > 1e-12 * max(w[-1], 0.0)):
            return Problem(f"X[{i}] (window covariance, estimator={estimator!r})", f"smallest eigenvalue {w[0]:.3g}",
                           "a positive definite covariance: more samples per window than channels, no flat or "
                           "linearly dependent channel (a common average reference removes one dimension: "
                           "use estimator='oas' or 'lwf')")
    return None


class _WindowCovariance(WindowedFeature):
    """Ring-buffer state and epoch covariances shared by both feature stages."""

    _fits_by_batch = True  # each window's covariance on its own; TangentSpace makes two passes

    def init_state(self, step):
        check_fitted(self, "window_")
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step <= 0:
            raise ValidationError([Problem("step", step, "a positive number of samples")], what=type(self).__name__)
        return CovarianceRingState(np.zeros((self.window_, self.n_features_in_)), np.zeros(1, np.int64), int(step))

    def _epoch_covariances(self, X):
        """Covariances of whole epochs (n_epochs, p, p) with the streaming kernel."""
        p = X.shape[1]
        out = np.empty((X.shape[0], p * p))
        for i, ep in enumerate(X):
            st = CovarianceRingState(np.zeros((X.shape[2], p)), np.zeros(1, np.int64), X.shape[2])
            window_covariances(np.ascontiguousarray(ep.T), st.step, st.ring, st.counter, ESTIMATORS[self.estimator],
                               out[i:i + 1])
        return out.reshape(-1, p, p)

    def _fit_covariances(self, X):
        return self._fit_covariances_batches(lambda: iter([X]))

    def _fit_covariances_batches(self, batches):
        """Covariances of every window, computed a batch at a time (each window's on its own), checked SPD."""
        _check_estimator(self.estimator, type(self).__name__)
        covs = np.concatenate([self._epoch_covariances(self._check_epochs_fit(X)) for X in batches()])
        bad = _not_spd_problem(covs, self.estimator)
        if bad is not None:
            raise ValidationError([bad], what=type(self).__name__)
        return covs


class Covariances(_WindowCovariance):
    """Covariance matrix of each window, flattened row-major (input of :class:`MDM`).

    Parameters
    ----------
    estimator : {'scm', 'lwf', 'oas'}
        Sample covariance (centred, divided by n: pyRiemann's ``'scm'``),
        Ledoit-Wolf (``'lwf'``) or oracle approximating shrinkage (``'oas'``,
        MOABB's choice), as pyRiemann computes them.
    """

    _fitted_arrays = ()

    def __init__(self, estimator="scm"):
        self.estimator = estimator

    def fit(self, X, y=None):
        self._fit_covariances(X)
        return self

    def transform(self, X):
        X = self._check_epochs_transform(X)
        return self._epoch_covariances(X).reshape(X.shape[0], -1)

    def _fit_transform_batches(self, batches, y):
        covs = self._fit_covariances_batches(batches)  # what transform would compute again
        return covs.reshape(covs.shape[0], -1)

    def n_outputs(self, n_in):
        return n_in * n_in

    def stream(self, x, state):
        out = np.empty((x.shape[0] // state.step + 1, x.shape[1] ** 2))
        n = window_covariances(x, state.step, state.ring, state.counter, ESTIMATORS[self.estimator], out)
        return out[:n]


class TangentSpace(_WindowCovariance):
    """Window covariance mapped to the tangent space at the training mean.

    ``fit`` takes the affine-invariant Riemannian mean of the training
    covariances as the reference (``pyriemann.tangentspace.TangentSpace
    (metric='riemann')``); each window then gives ``upper(logm(Cref^-1/2 C
    Cref^-1/2))``, n(n+1)/2 values (Barachant et al. 2013, eq. 2).

    Parameters
    ----------
    estimator : {'scm', 'lwf', 'oas'}
        Covariance estimator, as in :class:`Covariances`.

    Attributes
    ----------
    reference_ : ndarray, shape (n_channels, n_channels)
    reference_isqrt_ : ndarray, shape (n_channels, n_channels)
        Inverse square root of the reference (the whitening the kernel applies).
    """

    _fitted_arrays = ("reference_", "reference_isqrt_")

    def __init__(self, estimator="scm"):
        self.estimator = estimator

    def fit(self, X, y=None):
        self._fit_reference(self._fit_covariances(X))
        return self

    def _fit_reference(self, covs):
        from pyriemann.tangentspace import TangentSpace as PyrTangentSpace
        from pyriemann.geometry.base import invsqrtm

        ts = PyrTangentSpace(metric="riemann").fit(covs)
        self.reference_ = np.ascontiguousarray(ts.reference_)
        self.reference_isqrt_ = np.ascontiguousarray(invsqrtm(ts.reference_))

    def _fit_transform_batches(self, batches, y):
        # Two passes: the reference from every window's covariance (n x p x p, small), then the vectors.
        self._fit_reference(self._fit_covariances_batches(batches))
        return np.concatenate([self.transform(X) for X in batches()])

    def transform(self, X):
        check_fitted(self, "reference_isqrt_")
        X = self._check_epochs_transform(X)
        out = np.empty((X.shape[0], self.n_outputs(X.shape[1])))
        for i, ep in enumerate(X):
            st = self.init_state(X.shape[2])
            self._tangent(np.ascontiguousarray(ep.T), st, out[i:i + 1])
        return out

    def n_outputs(self, n_in):
        return n_in * (n_in + 1) // 2

    def init_state(self, step):
        check_fitted(self, "reference_isqrt_")
        return super().init_state(step)

    def _tangent(self, x, state, out):
        return window_tangent(x, state.step, state.ring, state.counter, ESTIMATORS[self.estimator],
                              self.reference_isqrt_, out)

    def stream(self, x, state):
        out = np.empty((x.shape[0] // state.step + 1, self.n_outputs(x.shape[1])))
        return out[:self._tangent(x, state, out)]


class LogisticRegression(LinearClassifierMixin, ClassifierMixin, BaseEstimator):
    """L2-penalised logistic regression on tangent vectors.

    Fitted by ``sklearn.linear_model.LogisticRegression`` (lbfgs; binary:
    the logistic function, several classes: multinomial softmax), whose
    ``coef_`` and ``intercept_`` are copied; applying uses the same linear and
    posterior kernels as :class:`~workbench.decoding.LDA`.

    Parameters
    ----------
    C : float or "cv"
        Inverse penalty strength (> 0), scikit-learn's ``C``; ``"cv"``: the
        value of :data:`C_GRID` (1e-3 ... 1e3) with the best accuracy in a
        stratified ``inner_folds``-fold cross-validation of the training
        data (``sklearn.linear_model.LogisticRegressionCV``), refitted on
        all of it. Inside ``cross_val_score`` that is nested
        cross-validation: the test folds never choose C.
    max_iter : int
        Iterations of the solver.
    inner_folds : int
        Folds of the search for ``C="cv"`` (fewer when a class has fewer
        training windows, at least 2).

    Attributes
    ----------
    C_ : float
        The penalty used (``C``, or the one chosen).
    """

    _fitted_arrays = ("coef_", "intercept_", "classes_")
    _fitted_scalars = ("n_features_in_", "C_")

    def __init__(self, C=1.0, max_iter=1000, inner_folds=5):
        self.C = C
        self.max_iter = max_iter
        self.inner_folds = inner_folds

    def _problems(self, classes, counts):
        problems = []
        if isinstance(self.C, str):
            if self.C != "cv":
                problems.append(Problem("C", self.C, "a finite inverse penalty > 0, or 'cv' (chosen by "
                                                     "cross-validation on the training data)"))
        elif isinstance(self.C, bool) or not isinstance(self.C, (int, float, np.number)) or not (
                np.isfinite(self.C) and self.C > 0):
            problems.append(Problem("C", self.C, "a finite inverse penalty > 0, or 'cv'"))
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, (int, np.integer)) or self.max_iter < 1:
            problems.append(Problem("max_iter", self.max_iter, "a whole number of iterations >= 1"))
        if isinstance(self.inner_folds, bool) or not isinstance(self.inner_folds, (int, np.integer)) or (
                self.inner_folds < 2):
            problems.append(Problem("inner_folds", self.inner_folds, "a whole number of folds >= 2"))
        if len(classes) < 2:
            problems.append(Problem("y", f"1 class: {classes.tolist()[0]!r}", "at least 2 classes"))
        elif self.C == "cv" and counts.min() < 2:
            problems.append(Problem("y", f"{counts.min()} window(s) of class {classes.tolist()[counts.argmin()]!r}",
                                    "at least 2 windows per class to choose C by cross-validation"))
        return problems

    def fit(self, X, y):
        X, y = validate_data(self, X, y, ensure_min_samples=2, dtype=np.float64)
        check_classification_targets(y)
        classes, counts = np.unique(y, return_counts=True)
        problems = self._problems(classes, counts)
        if problems:
            raise ValidationError(problems, what="LogisticRegression")
        if self.C == "cv":
            from sklearn.linear_model import LogisticRegressionCV
            from sklearn.model_selection import StratifiedKFold

            folds = StratifiedKFold(int(min(self.inner_folds, counts.min())))
            sk = LogisticRegressionCV(Cs=list(C_GRID), cv=folds, max_iter=self.max_iter, l1_ratios=(0.0,), scoring="accuracy",
                                      use_legacy_attributes=False).fit(X, y)
            self.C_ = float(np.ravel(sk.C_)[0])
        else:
            from sklearn.linear_model import LogisticRegression as SkLogisticRegression

            sk = SkLogisticRegression(C=self.C, max_iter=self.max_iter).fit(X, y)
            self.C_ = float(self.C)
        self.classes_ = sk.classes_
        self.coef_ = np.ascontiguousarray(sk.coef_, dtype=np.float64)
        self.intercept_ = np.ascontiguousarray(sk.intercept_, dtype=np.float64)
        return self


class MDM(ClassifierMixin, BaseEstimator):
    """Minimum distance to mean on flattened covariances (from :class:`Covariances`).

    ``fit`` takes each class's affine-invariant Riemannian mean
    (``pyriemann.classification.MDM(metric='riemann')``); a window's
    posteriors are the softmax of minus its squared Riemannian distances to
    the means, as pyRiemann's ``predict_proba`` (Barachant et al. 2012,
    section III.A).

    Attributes
    ----------
    covmeans_ : ndarray, shape (n_classes, n_channels, n_channels)
    covmeans_isqrt_ : ndarray, shape (n_classes, n_channels, n_channels)
    classes_ : ndarray, shape (n_classes,)
    """

    _fitted_arrays = ("covmeans_", "covmeans_isqrt_", "classes_")
    _fitted_scalars = ("n_features_in_",)

    def _as_covs(self, X, reset):
        X = validate_data(self, X, reset=reset, dtype=np.float64)
        p = int(round(np.sqrt(X.shape[1])))
        if p * p != X.shape[1]:
            raise ValidationError([Problem("X.shape[1]", X.shape[1], "n_channels ** 2 (flattened covariances: "
                                                                     "put Covariances() before MDM)")], what="MDM")
        return np.ascontiguousarray(X), p

    def fit(self, X, y):
        from pyriemann.classification import MDM as PyrMDM
        from pyriemann.geometry.base import invsqrtm

        X, p = self._as_covs(X, reset=True)
        y = np.asarray(y)
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValidationError([Problem("y", f"1 class: {classes.tolist()[0]!r}", "at least 2 classes")], what="MDM")
        covs = X.reshape(-1, p, p)
        bad = _not_spd_problem(covs, "as given")
        if bad is not None:
            raise ValidationError([bad], what="MDM")
        mdm = PyrMDM(metric="riemann").fit(covs, y)
        self.classes_ = mdm.classes_
        self.covmeans_ = np.ascontiguousarray(mdm.covmeans_)
        self.covmeans_isqrt_ = np.ascontiguousarray(np.stack([invsqrtm(m) for m in mdm.covmeans_]))
        return self

    def predict_proba(self, X):
        check_fitted(self, "covmeans_isqrt_")
        X, _ = self._as_covs(X, reset=False)
        return self.stream(X, None)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def init_state(self):
        check_fitted(self, "covmeans_isqrt_")
        return None

    def stream(self, features, state):
        return mdm_probabilities(features, self.covmeans_isqrt_, np.empty((features.shape[0], len(self.classes_))))

    def output_names(self):
        return [f"p({c})" for c in self.classes_]
