"""Exponentially smoothed power (a continuous stage) and the feature that samples it.

Band power with exponential smoothing (filter, square, exponential smoothing,
log) is a running value at every sample that depends on the whole past, so it
cannot be recomputed from a training window alone. It is therefore a
*continuous* stage: :meth:`Decoder.epochs` runs it over whole training runs,
and :class:`LastSample` reads its value at the end of each window, which is
exactly what the online decoder reads at that sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from ..errors import Problem, ValidationError
from ._base import BaseEstimator, TransformerMixin
from ._validation import check_fitted, validate_continuous
from ._windowed import WindowedFeature
from .kernels import ema_power


@dataclass
class EMAState:
    """Smoothed power of each channel after the last sample."""

    power: np.ndarray
    recursive_fields: ClassVar[tuple[str, ...]] = ("power",)


class SmoothedPower(TransformerMixin, BaseEstimator):
    """Square and smooth exponentially, optionally log: a continuous stage.

    ``p[t] = p[t-1] + alpha (x[t]^2 - p[t-1])`` with
    ``alpha = 1 - exp(-1 / (tau * sfreq))``, the first-order causal smoother
    whose impulse response decays with time constant ``tau`` (used for
    ERD/ERS envelopes, Pfurtscheller & Lopes da Silva 1999, Clin
    Neurophysiol 110:1842). The state starts at zero power.

    Parameters
    ----------
    tau : float
        Time constant in seconds.
    sfreq : float
        Sampling rate in Hz.
    log : bool
        Natural log of the smoothed power.
    """

    _fitted_arrays = ()
    _fitted_scalars = ("n_features_in_", "alpha_")

    def __init__(self, tau=0.25, sfreq=None, log=True):
        self.tau = tau
        self.sfreq = sfreq
        self.log = log

    def fit(self, X, y=None):
        validate_continuous(self, X, reset=True)
        problems = []
        if self.sfreq is None or not np.isfinite(self.sfreq) or self.sfreq <= 0:
            problems.append(Problem("sfreq", self.sfreq, "a sampling rate > 0 in Hz"))
        if self.tau is None or not np.isfinite(self.tau) or self.tau <= 0:
            problems.append(Problem("tau", self.tau, "a time constant > 0 in seconds"))
        if problems:
            raise ValidationError(problems, what="SmoothedPower")
        self.alpha_ = float(-np.expm1(-1.0 / (self.tau * self.sfreq)))
        return self

    def n_outputs(self, n_in):
        return n_in

    def init_state(self):
        check_fitted(self, "alpha_")
        return EMAState(np.zeros(self.n_features_in_))

    def stream(self, x, state):
        return ema_power(x, self.alpha_, state.power, bool(self.log), np.empty_like(x))

    def transform(self, X):
        check_fitted(self, "alpha_")
        return self.stream(validate_continuous(self, X, reset=False), self.init_state())


@dataclass
class CounterState:
    """Samples seen so far and the output step."""

    counter: int
    step: int


class LastSample(WindowedFeature):
    """Feature = the input's value at the last sample of the window.

    After a :class:`SmoothedPower` stage this gives exponentially smoothed
    band power at each output; use ``window=1`` in the :class:`Decoder`.
    """

    _fitted_arrays = ()
    _fits_by_batch = True

    def fit(self, X, y=None):
        self._check_epochs_fit(X)
        return self

    def transform(self, X):
        return np.ascontiguousarray(self._check_epochs_transform(X)[:, :, -1])

    def n_outputs(self, n_in):
        return n_in

    def init_state(self, step):
        check_fitted(self, "window_")
        if step <= 0:
            raise ValidationError([Problem("step", step, "a positive number of samples")], what="LastSample")
        return CounterState(0, int(step))

    def stream(self, x, state):
        n0, n = state.counter, x.shape[0]
        lo = max(n0 + 1, self.window_)
        counts = np.arange(-(-lo // state.step), (n0 + n) // state.step + 1) * state.step
        state.counter = n0 + n
        return np.ascontiguousarray(x[counts - 1 - n0])
