"""Band power, log-variance and spike features over sliding windows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import Problem, ValidationError
from ._validation import check_fitted, threshold_problems
from ._windowed import WindowedFeature
from .kernels import spike_bins, window_logvar


class BandPower(WindowedFeature):
    """Average power of each input channel over the window, optionally log.

    Placed after a :class:`~workbench.decoding.FilterBank` stage this is
    classic band power (Pfurtscheller & Lopes da Silva 1999, Clin
    Neurophysiol 110:1842): filter (the FilterBank), square, causal moving
    average over the window, log. Streaming, the moving average is evaluated
    every ``step`` samples from block sums (no drift).

    Parameters
    ----------
    log : bool
        Natural log of the power (True) or the power.
    """

    _fitted_arrays = ()
    _fits_by_batch = True

    def __init__(self, log=True):
        self.log = log

    def fit(self, X, y=None):
        self._check_epochs_fit(X)
        return self

    def transform(self, X):
        X = self._check_epochs_transform(X)
        return np.stack([self._epoch_power(np.ascontiguousarray(ep.T), self.log) for ep in X])

    def n_outputs(self, n_in):
        return n_in

    def init_state(self, step):
        return self._power_state(step, self.n_features_in_)

    def stream(self, x, state):
        step = self.window_ // state.blocks.shape[0]
        return self._stream_power(x, state, step, self.log)


@dataclass
class RingState:
    """Last ``window`` samples and the sample count."""

    ring: np.ndarray
    counter: np.ndarray
    step: int


class LogVariance(WindowedFeature):
    """Log of the variance (mean removed) of each channel over the window.

    Unlike :class:`BandPower` the window mean is removed, so a slow offset
    left by a high-pass-free pipeline does not count as power.
    """

    _fitted_arrays = ()
    _fits_by_batch = True

    def fit(self, X, y=None):
        self._check_epochs_fit(X)
        return self

    def transform(self, X):
        X = self._check_epochs_transform(X)
        out = np.empty((X.shape[0], X.shape[1]))
        for i, ep in enumerate(X):
            st = self.init_state(self.window_)
            out[i] = self.stream(np.ascontiguousarray(ep.T), st)[0]
        return out

    def n_outputs(self, n_in):
        return n_in

    def init_state(self, step):
        check_fitted(self, "window_")
        if step <= 0:
            raise ValidationError([Problem("step", step, "a positive number of samples")], what="LogVariance")
        return RingState(np.zeros((self.window_, self.n_features_in_)), np.zeros(1, np.int64), int(step))

    def stream(self, x, state):
        out = np.empty((x.shape[0] // state.step + 1, x.shape[1]))
        n = window_logvar(x, state.step, state.ring, state.counter, out)
        return out[:n]


@dataclass
class SpikeState:
    """Previous sample, current-bin accumulators and the sample count."""

    prev: np.ndarray
    counts: np.ndarray
    power: np.ndarray
    counter: np.ndarray


class SpikeFeatures(WindowedFeature):
    """Threshold crossings and spike-band power per bin, for broadband arrays.

    Fit on calibration epochs of band-passed (e.g. 300-5000 Hz) signal, one
    epoch per bin: the threshold of each channel is ``-k`` times its RMS over
    the calibration (Christie et al. 2015, J Neural Eng 12:016009). Features
    per bin: crossing counts of every channel, then the mean squared signal
    (spike-band power) of every channel: 2 * n_channels values.

    Parameters
    ----------
    k : float
        Threshold multiplier (BrainGate uses 4.5).
    """

    _fitted_arrays = ("thresholds_",)

    def __init__(self, k=4.5):
        self.k = k

    def fit(self, X, y=None):
        X = self._check_epochs_fit(X)
        if not (isinstance(self.k, (int, float, np.number)) and np.isfinite(self.k) and self.k > 0):
            raise ValidationError([Problem("k", self.k, "a finite multiplier > 0")], what="SpikeFeatures")
        rms = np.sqrt(np.mean(X**2, axis=(0, 2)))
        problems = threshold_problems(-self.k * rms, self.k)
        if problems:  # a flat calibration channel would get threshold 0 and count noise as spikes
            raise ValidationError(problems, what="SpikeFeatures")
        self.thresholds_ = -self.k * rms
        return self

    def transform(self, X):
        X = self._check_epochs_transform(X)
        out = np.empty((X.shape[0], 2 * X.shape[1]))
        for i, ep in enumerate(X):
            out[i] = self.stream(np.ascontiguousarray(ep.T), self.init_state(self.window_))[0]
        return out

    def n_outputs(self, n_in):
        return 2 * n_in

    def init_state(self, step):
        check_fitted(self, "thresholds_")
        # thresholds are checked on every start, not only in fit: a saved decoder is read back from a file
        problems = threshold_problems(self.thresholds_, self.k)
        if step != self.window_:
            problems.append(Problem("step", step, f"equal to the bin length ({self.window_} samples)"))
        if problems:
            raise ValidationError(problems, what="SpikeFeatures")
        n = self.n_features_in_
        # prev = -inf: the first sample can never count as a crossing.
        return SpikeState(np.full(n, -np.inf), np.zeros(n), np.zeros(n), np.zeros(1, np.int64))

    def stream(self, x, state):
        m = x.shape[0] // self.window_ + 1
        counts = np.empty((m, x.shape[1]))
        power = np.empty((m, x.shape[1]))
        n = spike_bins(x, self.thresholds_, self.window_, state.prev, state.counts, state.power,
                       state.counter, counts, power)
        return np.hstack([counts[:n], power[:n]])
