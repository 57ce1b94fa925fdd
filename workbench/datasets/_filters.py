"""Filter designs for the signal generators (numpy + scipy only, no state inside).

Every generator filters white noise; the filter *states* live in the caller
(:class:`workbench.datasets.synthetic.SyntheticSource`) so that a signal is the
same whatever block sizes it is produced in.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

# 1/f ("pink") noise from white noise: a 3-pole/3-zero approximation that keeps
# within +-0.3 dB of a -10 dB/decade slope over about three decades
# (J. O. Smith, "Spectral Audio Signal Processing", 2011, section "Example:
# Synthesis of 1/f Noise"). Scalp EEG background follows roughly 1/f^alpha with
# alpha ~ 1 (He 2014, Trends Cogn Sci 18:480).
_PINK_B = np.array([0.049922035, -0.095993537, 0.050612699, -0.004408786])
_PINK_A = np.array([1.0, -2.494956002, 2.017265875, -0.522189400])


def _unit_rms(b: np.ndarray, a: np.ndarray, n: int = 1 << 16) -> tuple[np.ndarray, np.ndarray]:
    """Scale ``b`` so that unit-variance white noise comes out with unit RMS."""
    impulse = np.zeros(n)
    impulse[0] = 1.0
    h = signal.lfilter(b, a, impulse)
    return b / np.sqrt(np.sum(h**2)), a


def pink() -> tuple[np.ndarray, np.ndarray]:
    """(b, a) of the 1/f shaping filter, normalised to unit output RMS."""
    return _unit_rms(_PINK_B, _PINK_A)


def resonator(f0: float, bandwidth: float, sfreq: float) -> tuple[np.ndarray, np.ndarray]:
    """(b, a) of a 2nd-order peak filter: a waxing-waning rhythm from white noise.

    Filtered noise, rather than a sine, gives the spindle-like bursts of real
    mu and beta rhythms (amplitude fluctuates on a 1/bandwidth time scale).
    """
    b, a = signal.iirpeak(f0, f0 / bandwidth, fs=sfreq)
    return _unit_rms(b, a)


def bandpass(low: float, high: float, sfreq: float) -> tuple[np.ndarray, np.ndarray]:
    """(b, a) of a 2nd-order Butterworth band-pass, normalised to unit output RMS."""
    b, a = signal.butter(2, [low, high], btype="bandpass", fs=sfreq)
    return _unit_rms(b, a)


def highpass_sos(cutoff: float, sfreq: float) -> np.ndarray:
    """SOS of a 2nd-order Butterworth high-pass (EMG bursts)."""
    return signal.butter(2, cutoff, btype="highpass", fs=sfreq, output="sos")


def smoother(tau_s: float, sfreq: float) -> tuple[np.ndarray, np.ndarray]:
    """(b, a) of a first-order low-pass with time constant ``tau_s`` (unit DC gain).

    Turns the on/off cue sequence into a gradual change of rhythm power.
    """
    alpha = 1.0 - np.exp(-1.0 / (tau_s * sfreq))
    return np.array([alpha]), np.array([1.0, alpha - 1.0])


def zero_state(b: np.ndarray, a: np.ndarray, n_columns: int) -> np.ndarray:
    """A zero filter state for ``lfilter(..., axis=0, zi=...)`` on ``n_columns`` signals."""
    return np.zeros((max(len(a), len(b)) - 1, n_columns))
