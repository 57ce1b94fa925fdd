"""Common spatial patterns (CSP) for two-class motor imagery."""

from __future__ import annotations

import numpy as np

from ..errors import Problem, ValidationError
from ..utils._checks import _check_option
from ._validation import check_fitted
from ._windowed import WindowedFeature
from .kernels import covariance, ledoit_wolf_shrinkage, spatial_filter


class CSP(WindowedFeature):
    """Common spatial patterns, features = log average power of the components.

    Spatial filters maximise the variance of one class while minimising the
    other's (Ramoser, Mueller-Gerking & Pfurtscheller 2000, IEEE Trans Rehabil
    Eng 8:441; Blankertz et al. 2008, IEEE Signal Process Mag 25:41): whiten
    the summed class covariance, then take the eigenvectors of one whitened
    class covariance. Names and defaults follow ``mne.decoding.CSP``.

    Parameters
    ----------
    n_components : int
        Number of spatial filters kept, taken alternately from both ends of
        the eigenvalue spectrum (most discriminative first).
    reg : None | float | 'ledoit_wolf'
        Covariance regularisation: none, a fixed shrinkage in [0, 1] towards
        a scaled identity, or Ledoit-Wolf's optimal shrinkage.
    log : bool
        Log of the average power (True) or the average power itself.
    norm_trace : bool
        Normalise each class covariance by its trace.
    rank_tol : float
        Eigenvalues of the summed covariance below ``rank_tol`` times the
        largest are treated as zero (a common average reference removes one
        dimension); CSP is then solved in the remaining subspace.

    Attributes
    ----------
    filters_ : ndarray, shape (n_components, n_channels)
    patterns_ : ndarray, shape (n_components, n_channels)
    eigenvalues_ : ndarray, shape (n_components,)
    classes_ : ndarray, shape (2,)
    """

    _fitted_arrays = ("filters_", "patterns_", "eigenvalues_", "classes_")

    def __init__(self, n_components=4, reg=None, log=True, norm_trace=False, rank_tol=1e-10):
        self.n_components = n_components
        self.reg = reg
        self.log = log
        self.norm_trace = norm_trace
        self.rank_tol = rank_tol

    def _class_cov(self, X):
        x = np.ascontiguousarray(np.concatenate(list(X), axis=1).T)  # (n_times_total, n_channels)
        if self.reg is None:
            cov = covariance(x)
        elif isinstance(self.reg, str):
            _check_option("reg", self.reg, ("ledoit_wolf",))
            s = ledoit_wolf_shrinkage(x)
            cov = covariance(x)
            cov = (1 - s) * cov + s * np.trace(cov) / cov.shape[0] * np.eye(cov.shape[0])
        else:
            if not 0 <= self.reg <= 1:
                raise ValidationError([Problem("reg", self.reg, "None, 'ledoit_wolf' or a float in [0, 1]")], what="CSP")
            cov = covariance(x)
            cov = (1 - self.reg) * cov + self.reg * np.trace(cov) / cov.shape[0] * np.eye(cov.shape[0])
        if self.norm_trace:
            cov /= np.trace(cov)
        return cov

    def fit(self, X, y):
        """Learn the spatial filters from epochs (n_epochs, n_channels, n_times) and labels."""
        X = self._check_epochs_fit(X)
        y = np.asarray(y)
        classes = np.unique(y)
        problems = []
        if y.shape != (X.shape[0],):
            problems.append(Problem("y", f"shape {y.shape}", f"one label per epoch, shape ({X.shape[0]},)"))
        elif len(classes) != 2:
            problems.append(Problem("y", f"{len(classes)} classes {list(classes)}", "exactly two classes"))
        if not isinstance(self.n_components, (int, np.integer)) or not 1 <= self.n_components <= X.shape[1]:
            problems.append(Problem("n_components", self.n_components, f"an integer from 1 to {X.shape[1]}"))
        if problems:
            raise ValidationError(problems, what="CSP")
        cov_a, cov_b = (self._class_cov(X[y == c]) for c in classes)
        # Whitening of the composite covariance, restricted to its non-null
        # subspace (Ramoser et al. 2000, eqs. 2-4).
        evals, evecs = np.linalg.eigh(cov_a + cov_b)
        keep = evals > self.rank_tol * evals.max()
        if keep.sum() < self.n_components:
            raise ValidationError(
                [Problem("n_components", self.n_components, f"at most the data rank ({int(keep.sum())})")], what="CSP"
            )
        whiten = evecs[:, keep] / np.sqrt(evals[keep])  # (n_channels, rank)
        d, b = np.linalg.eigh(whiten.T @ cov_a @ whiten)  # ascending, in [0, 1]
        order = []
        lo, hi = 0, len(d) - 1
        while len(order) < self.n_components:  # alternate ends: largest, smallest, ...
            order.append(hi)
            hi -= 1
            if len(order) < self.n_components:
                order.append(lo)
                lo += 1
        filters = (whiten @ b[:, order]).T
        self.filters_ = np.ascontiguousarray(filters)
        self.patterns_ = np.ascontiguousarray(np.linalg.pinv(filters).T)
        self.eigenvalues_ = d[order]
        self.classes_ = classes
        return self

    def transform(self, X):
        """Log average power of each CSP component per epoch: (n_epochs, n_components)."""
        check_fitted(self, "filters_")
        X = self._check_epochs_transform(X)
        out = np.empty((X.shape[0], self.filters_.shape[0]))
        for i, ep in enumerate(X):
            comp = spatial_filter(np.ascontiguousarray(ep.T), self.filters_, np.empty((ep.shape[1], len(out[i]))))
            out[i] = self._epoch_power(comp, self.log)
        return out

    # streaming
    def n_outputs(self, n_in):
        return self.filters_.shape[0]

    def init_state(self, step):
        check_fitted(self, "filters_")
        return self._power_state(step, self.filters_.shape[0])

    def stream(self, x, state):
        step = self.window_ // state.blocks.shape[0]
        comp = spatial_filter(x, self.filters_, np.empty((x.shape[0], self.filters_.shape[0])))
        return self._stream_power(comp, state, step, self.log)
