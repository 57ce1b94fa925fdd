"""Base of the windowed feature stages (CSP, BandPower, LogVariance, spikes).

In scikit-learn they map epochs (n_epochs, n_channels, n_times) to feature
vectors, as in MNE-Python. Streaming, they produce one feature vector each
time the absolute sample count ``n`` satisfies ``n % step == 0`` and
``n >= window``, computed over the last ``window`` samples, where ``window`` is
the epoch length seen in ``fit``: the epochs a stage is trained on are
exactly the windows it sees online.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ..errors import Problem, ValidationError
from ._base import BaseEstimator, TransformerMixin
from ._validation import check_epochs, check_fitted
from .kernels import window_power


@dataclass
class WindowState:
    """State of a block-sum power window (:func:`~.kernels.window_power`): current
    block, ring of block sums / suffix sums, running sum of the newer group, sample count."""

    acc: np.ndarray
    blocks: np.ndarray
    newer: np.ndarray
    counter: np.ndarray


class WindowedFeature(TransformerMixin, BaseEstimator):
    """Common parts: epoch checks, the window length, the power-window state."""

    _fitted_scalars = ("n_features_in_", "window_")
    #: True where ``fit`` learns nothing from the windows but their shape and ``transform`` treats each
    #: window on its own: :meth:`_fit_transform_batches` then sees the windows a batch at a time.
    _fits_by_batch = False

    def _fit_transform_batches(self, batches, y):
        """``fit(X, y).transform(X)`` with ``X`` given by ``batches()``, an iterator over consecutive batches.

        The result is bit-identical to the one-array call; :class:`~workbench.decoding.Decoder` uses it
        so that the array of every training window never exists. Stages that learn from the windows
        themselves override it (covariances) or leave :attr:`_fits_by_batch` False (CSP, spikes).
        """
        parts = []
        for i, X in enumerate(batches()):
            if i == 0:
                self.fit(X)
            parts.append(self.transform(X))
        return np.concatenate(parts)

    def _check_epochs_fit(self, X, y=None):
        X = check_epochs("X", X)
        self.window_ = int(X.shape[2])
        self.n_features_in_ = int(X.shape[1])
        return X

    def _check_epochs_transform(self, X):
        check_fitted(self, "window_")
        return check_epochs("X", X, self.n_features_in_)

    def _power_state(self, step, n_channels):
        check_fitted(self, "window_")
        if step <= 0 or self.window_ % step:
            raise ValidationError(
                [Problem("step", step, f"a divisor of the window ({self.window_} samples)")],
                what=type(self).__name__,
            )
        return WindowState(
            np.zeros(n_channels), np.zeros((self.window_ // step, n_channels)), np.zeros(n_channels),
            np.zeros(1, np.int64)
        )

    @staticmethod
    def _stream_power(x, state, step, take_log):
        out = np.empty((x.shape[0] // step + 1, x.shape[1]))
        n = window_power(x, step, state.acc, state.blocks, state.newer, state.counter, take_log, out)
        return out[:n]

    @staticmethod
    def _epoch_power(x, take_log):
        """Power over one whole epoch (n_times, n_channels) with the same kernel."""
        n_t, n_ch = x.shape
        out = np.empty((1, n_ch))
        window_power(x, n_t, np.zeros(n_ch), np.zeros((1, n_ch)), np.zeros(n_ch), np.zeros(1, np.int64), take_log,
                     out)
        return out[0]
