"""Read-out models: shrinkage LDA, ridge regression, Kalman filter.

LDA is fitted by scikit-learn (its fitted arrays are copied); ridge and the
Kalman filter by numpy least squares. Applying (``predict_proba``,
``predict``, the streaming ``stream``) uses the numba kernels.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import Problem, ValidationError
from ._base import BaseEstimator, ClassifierMixin, RegressorMixin, check_classification_targets, validate_data
from ._validation import check_fitted
from .kernels import class_probabilities, kalman_steps, linear_predict


class LinearClassifierMixin:
    """Applying a fitted linear classifier (``coef_``, ``intercept_``, ``classes_``), offline and online.

    Shared by :class:`LDA` and the Riemannian ``LogisticRegression``: they differ
    only in how ``fit`` finds the weights; the decision values and posteriors
    come from the same kernels (``linear_predict``, ``class_probabilities``).
    """

    def decision_function(self, X):
        check_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        out = linear_predict(np.ascontiguousarray(X), self.coef_, self.intercept_, np.empty((X.shape[0], len(self.intercept_))))
        return out[:, 0] if out.shape[1] == 1 else out

    def predict_proba(self, X):
        d = self.decision_function(X)
        d = d[:, None] if d.ndim == 1 else d
        return class_probabilities(d, np.empty((d.shape[0], len(self.classes_))))

    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))

    def predict(self, X):
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    # streaming: posterior probabilities, one row per feature vector
    def init_state(self):
        check_fitted(self, "coef_")
        return None

    def stream(self, features, state):
        d = linear_predict(features, self.coef_, self.intercept_, np.empty((features.shape[0], len(self.intercept_))))
        return class_probabilities(d, np.empty((features.shape[0], len(self.classes_))))

    def output_names(self):
        return [f"p({c})" for c in self.classes_]


class LDA(LinearClassifierMixin, ClassifierMixin, BaseEstimator):
    """Linear discriminant analysis with optional Ledoit-Wolf shrinkage.

    Same model, names and outputs as ``sklearn.discriminant_analysis.
    LinearDiscriminantAnalysis(solver='lsqr')``: pooled class covariance
    weighted by the priors, ``coef_ = Sigma^-1 mu_k``, posteriors by the
    logistic function (two classes) or the softmax. Shrinkage LDA for ERP
    and ERD decoding: Blankertz et al. 2011, NeuroImage 56:814.

    Parameters
    ----------
    shrinkage : None | 'auto' | float
        None: empirical covariance; 'auto': Ledoit-Wolf; float in [0, 1].
    priors : array-like | None
        Class priors; default: class proportions in the training data.
    """

    _fitted_arrays = ("coef_", "intercept_", "classes_", "means_", "priors_", "covariance_")
    _fitted_scalars = ("n_features_in_",)

    def __init__(self, shrinkage=None, priors=None):
        self.shrinkage = shrinkage
        self.priors = priors

    def fit(self, X, y):
        """Fit with scikit-learn's ``LinearDiscriminantAnalysis(solver='lsqr')``; keep its arrays.

        The field's reference implementation does the fitting (pooled
        covariance, Ledoit-Wolf shrinkage on standardised features as
        Blankertz et al. 2011 recommend, priors); the numba kernels only
        apply the copied ``coef_`` and ``intercept_``.
        """
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

        X, y = validate_data(self, X, y, ensure_min_samples=2, dtype=np.float64)
        check_classification_targets(y)
        classes = np.unique(y)
        problems = []
        sh = self.shrinkage
        if not (sh is None or (isinstance(sh, str) and sh == "auto")
                or (isinstance(sh, (int, float)) and not isinstance(sh, bool) and 0 <= sh <= 1)):
            problems.append(Problem("shrinkage", sh, "None, 'auto' or a float in [0, 1]"))
        if len(classes) < 2:
            problems.append(Problem("y", f"1 class: {classes.tolist()[0]!r}", "at least 2 classes"))
        if self.priors is not None:
            priors = np.asarray(self.priors, dtype=float)
            if priors.shape != (len(classes),) or np.any(priors < 0) or not np.isclose(priors.sum(), 1):
                problems.append(Problem("priors", self.priors, f"{len(classes)} non-negative values summing to 1"))
        if problems:
            raise ValidationError(problems, what="LDA")
        sk = LinearDiscriminantAnalysis(solver="lsqr", shrinkage=sh, priors=self.priors).fit(X, y)
        self.classes_ = sk.classes_
        self.means_, self.priors_, self.covariance_ = sk.means_, sk.priors_, sk.covariance_
        self.coef_ = np.ascontiguousarray(sk.coef_, dtype=np.float64)
        self.intercept_ = np.ascontiguousarray(sk.intercept_, dtype=np.float64)
        return self

class Ridge(RegressorMixin, BaseEstimator):
    """Ridge (L2-penalised least squares) regression, e.g. for continuous control.

    Hoerl & Kennard 1970, Technometrics 12:55: ``w = (X'X + alpha I)^-1 X'y``
    on centred data; the intercept is not penalised (scikit-learn's Ridge).

    Parameters
    ----------
    alpha : float
        Penalty >= 0.
    """

    _fitted_arrays = ("coef_", "intercept_")
    _fitted_scalars = ("n_features_in_", "single_output_")

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X, y):
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64)
        if not (np.isfinite(self.alpha) and self.alpha >= 0):
            raise ValidationError([Problem("alpha", self.alpha, "a finite penalty >= 0")], what="Ridge")
        self.single_output_ = y.ndim == 1
        y2 = y[:, None] if y.ndim == 1 else y
        xm, ym = X.mean(axis=0), y2.mean(axis=0)
        xc, yc = X - xm, y2 - ym
        a = xc.T @ xc + self.alpha * np.eye(X.shape[1])
        coef = np.linalg.lstsq(a, xc.T @ yc, rcond=None)[0].T
        self.coef_ = np.ascontiguousarray(coef)
        self.intercept_ = np.ascontiguousarray(ym - coef @ xm)
        return self

    def predict(self, X):
        check_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        out = self.stream(np.ascontiguousarray(X), None)
        return out[:, 0] if self.single_output_ else out

    def init_state(self):
        check_fitted(self, "coef_")
        return None

    def stream(self, features, state):
        return linear_predict(features, self.coef_, self.intercept_, np.empty((features.shape[0], len(self.intercept_))))

    def output_names(self):
        return [f"y{i}" for i in range(len(self.intercept_))]


@dataclass
class KalmanState:
    """Current state estimate ``x`` and its covariance ``p``."""

    x: np.ndarray
    p: np.ndarray
    recursive_fields: ClassVar[tuple[str, ...]] = ("x", "p")


class KalmanDecoder(RegressorMixin, BaseEstimator):
    """Kalman filter decoder of continuous kinematics (Wu et al. 2006), with intercepts.

    ``fit(Z, X)`` estimates by least squares the state model
    x_t = A x_{t-1} + b + w and the observation model z_t = H x_t + d + q
    from training features ``Z`` (n_steps, n_features) and kinematics ``X``
    (n_steps, n_state) (Wu et al. 2006, Neural Comput 18:80, eqs. 2.3-2.4,
    with a column of ones for the intercepts ``b`` and ``d``: spike counts and
    band powers are never zero-mean). ``predict`` runs the filter over the
    rows *in order*, from the training mean: rows are time steps, not
    independent samples.

    Parameters
    ----------
    obs_reg : float
        Added to the diagonal of Q as a fraction of its mean variance, so Q
        stays invertible with more features than training steps.

    Attributes
    ----------
    a_, w_ : ndarray, shape (n_state, n_state)
    state_intercept_ : ndarray, shape (n_state,)
    h_ : ndarray, shape (n_features, n_state)
    obs_intercept_ : ndarray, shape (n_features,)
    q_ : ndarray, shape (n_features, n_features)
    """

    _fitted_arrays = ("a_", "state_intercept_", "w_", "h_", "obs_intercept_", "q_", "ht_qinv_", "ht_qinv_h_",
                      "x0_", "p0_")
    _fitted_scalars = ("n_features_in_",)

    def __init__(self, obs_reg=1e-3):
        self.obs_reg = obs_reg

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, Z, X):
        Z, X = validate_data(self, Z, X, multi_output=True, y_numeric=True, dtype=np.float64, ensure_min_samples=3)
        if not (np.isfinite(self.obs_reg) and self.obs_reg >= 0):
            raise ValidationError([Problem("obs_reg", self.obs_reg, "a finite fraction >= 0")], what="KalmanDecoder")
        X = X[:, None] if X.ndim == 1 else X
        n_state = X.shape[1]
        x1 = np.column_stack([X[:-1], np.ones(len(X) - 1)])
        coef_a = np.linalg.lstsq(x1, X[1:], rcond=None)[0]  # (n_state + 1, n_state)
        resid = X[1:] - x1 @ coef_a
        self.a_ = np.ascontiguousarray(coef_a[:n_state].T)
        self.state_intercept_ = np.ascontiguousarray(coef_a[n_state])
        self.w_ = resid.T @ resid / (len(x1) - 1)
        self._set_observation_model(*self._fit_observation_model(Z, X))
        self.x0_ = X.mean(axis=0)
        self.p0_ = np.cov(X.T).reshape(n_state, n_state)
        return self

    def _fit_observation_model(self, Z, X):
        """H, d and Q by least squares (Wu et al. 2006, eq. 2.4, with an intercept column)."""
        n_state = X.shape[1]
        xo = np.column_stack([X, np.ones(len(X))])
        coef_h = np.linalg.lstsq(xo, Z, rcond=None)[0]  # (n_state + 1, n_obs)
        r = Z - xo @ coef_h
        q = r.T @ r / len(Z)
        q += self.obs_reg * np.mean(np.diag(q)) * np.eye(q.shape[0]) + 1e-12 * np.eye(q.shape[0])
        return coef_h[:n_state].T, coef_h[n_state], q

    def _set_observation_model(self, h, d, q):
        self.h_ = np.ascontiguousarray(h)
        self.obs_intercept_ = np.ascontiguousarray(d)
        self.q_ = q
        self.ht_qinv_ = np.ascontiguousarray(np.linalg.solve(q, self.h_).T)  # H' Q^-1 (Q symmetric)
        self.ht_qinv_h_ = self.ht_qinv_ @ self.h_

    def batch_update(self, Z, X, *, alpha):
        """A new decoder adapted to a batch of closed-loop data (SmoothBatch CLDA).

        Orsborn et al. 2014 (Neuron 82:1380; the SmoothBatch algorithm of
        Orsborn et al. 2012, IEEE TNSRE 20:468): the observation model is
        refitted on the batch (features ``Z`` and the intended kinematics
        ``X``) and blended with the current one, theta_new = alpha * theta_old
        + (1 - alpha) * theta_batch, for theta in H, d and Q. The state model
        (A, b, W) describes the kinematics, not the neural tuning, and stays.

        Parameters
        ----------
        Z : array, shape (n_steps, n_features)
        X : array, shape (n_steps, n_state)
        alpha : float in [0, 1]
            Weight of the current decoder (1 keeps it, 0 takes the batch fit).

        Returns
        -------
        KalmanDecoder
            A new fitted decoder; this one is not changed.
        """
        check_fitted(self, "a_")
        problems = []
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating)) or not 0 <= alpha <= 1:
            problems.append(Problem("alpha", alpha, "a weight in [0, 1] for the current decoder"))
        Zc = validate_data(self, Z, reset=False, dtype=np.float64, ensure_min_samples=3)
        Xc = np.asarray(X, dtype=np.float64)
        Xc = Xc[:, None] if Xc.ndim == 1 else Xc
        if Xc.shape != (len(Zc), self.a_.shape[0]):
            problems.append(Problem("X.shape", Xc.shape, f"({len(Zc)}, {self.a_.shape[0]}): one state row per feature row"))
        elif not np.all(np.isfinite(Xc)):
            problems.append(Problem("X", "NaN or Inf", "finite kinematics"))
        if problems:
            raise ValidationError(problems, what="KalmanDecoder.batch_update")
        h_b, d_b, q_b = self._fit_observation_model(Zc, Xc)
        new = copy.deepcopy(self)
        a = float(alpha)
        new._set_observation_model(a * self.h_ + (1 - a) * h_b, a * self.obs_intercept_ + (1 - a) * d_b,
                                   a * self.q_ + (1 - a) * q_b)
        return new

    def predict(self, Z):
        check_fitted(self, "a_")
        Z = validate_data(self, Z, reset=False, dtype=np.float64)
        return self.stream(np.ascontiguousarray(Z), self.init_state())

    def init_state(self):
        check_fitted(self, "a_")
        return KalmanState(self.x0_.copy(), self.p0_.copy())

    def stream(self, features, state):
        out = np.empty((features.shape[0], self.a_.shape[0]))
        return kalman_steps(features, self.a_, self.state_intercept_, self.w_, self.h_, self.obs_intercept_,
                            self.ht_qinv_, self.ht_qinv_h_, state.x, state.p, out)

    def output_names(self):
        return [f"x{i}" for i in range(self.a_.shape[0])]
