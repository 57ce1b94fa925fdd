"""Re-referencing stages: common average and surface Laplacian."""

from __future__ import annotations

import numpy as np
from ..errors import Problem, ValidationError
from ._base import BaseEstimator, TransformerMixin
from ._validation import check_fitted, validate_continuous
from .kernels import common_average, laplacian


class CommonAverageReference(TransformerMixin, BaseEstimator):
    """Subtract the instantaneous mean of all channels (stateless stage)."""

    _fitted_arrays = ()
    _fitted_scalars = ("n_features_in_",)

    def fit(self, X, y=None):
        validate_continuous(self, X, reset=True)
        return self

    def n_outputs(self, n_in):
        return n_in

    def init_state(self):
        check_fitted(self, "n_features_in_")
        return None

    def stream(self, x, state):
        return common_average(x, np.empty_like(x))

    def transform(self, X):
        check_fitted(self, "n_features_in_")
        return self.stream(validate_continuous(self, X, reset=False), None)


class LaplacianReference(TransformerMixin, BaseEstimator):
    """Small surface Laplacian: each channel minus the mean of its neighbours.

    Parameters
    ----------
    ch_names : list of str
        Channel names in the order of the columns.
    neighbors : dict of str -> list of str
        Neighbours of each channel to re-reference (e.g. C3: FC3 C1 C5 CP3);
        channels not listed are passed through unchanged.
    """

    _fitted_arrays = ("neighbors_idx_", "weights_")
    _fitted_scalars = ("n_features_in_",)

    def __init__(self, ch_names=None, neighbors=None):
        self.ch_names = ch_names
        self.neighbors = neighbors

    def fit(self, X, y=None):
        X = validate_continuous(self, X, reset=True)
        names = list(self.ch_names or [])
        problems = []
        if len(names) != X.shape[1]:
            problems.append(Problem("ch_names", len(names), f"{X.shape[1]} names, one per column of X"))
        nb = dict(self.neighbors or {})
        width = max([len(v) for v in nb.values()] + [1])
        idx = -np.ones((X.shape[1], width), dtype=np.int64)
        w = np.zeros((X.shape[1], width))
        pos = {n: i for i, n in enumerate(names)}
        for ch, nbs in nb.items():
            if ch not in pos:
                problems.append(Problem("neighbors", ch, "names from ch_names"))
                continue
            for k, n in enumerate(nbs):
                if n not in pos:
                    problems.append(Problem(f"neighbors[{ch!r}]", n, "names from ch_names"))
                    continue
                idx[pos[ch], k] = pos[n]
                w[pos[ch], k] = 1.0 / len(nbs)
        if problems:
            raise ValidationError(problems, what="LaplacianReference")
        self.neighbors_idx_, self.weights_ = idx, w
        return self

    def n_outputs(self, n_in):
        return n_in

    def init_state(self):
        check_fitted(self, "weights_")
        return None

    def stream(self, x, state):
        return laplacian(x, self.neighbors_idx_, self.weights_, np.empty_like(x))

    def transform(self, X):
        check_fitted(self, "weights_")
        return self.stream(validate_continuous(self, X, reset=False), None)
