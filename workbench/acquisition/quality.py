"""Per-channel signal quality of one window: flat, clipped, line noise, RMS.

A pure function of a ``(n_times, n_channels)`` window, so it is tested
without LSL and used alike by the live scope and offline checks.

Definitions (chosen to be cheap enough for 20 updates a second):

- ``rms``: root mean square after removing the window's mean, since
  amplifier DC offsets (often tens of mV on dry or high-impedance electrodes)
  would otherwise swamp the signal's own size.
- ``flat``: peak-to-peak amplitude at or below ``flat_ptp`` -- an open or
  shorted input, or a dead channel.
- ``clipped``: at least ``clip_fraction`` of the samples sit exactly at the
  window's extreme value (or outside ``clip_range`` when the amplifier's range
  is known) -- a saturated amplifier repeats its rail value, which continuous
  signals almost never do.
- ``line_noise_ratio``: fraction of the 1 Hz..Nyquist power (Welch's method,
  1 s segments) within +/-1 Hz of the mains frequency and its harmonics below
  Nyquist; 50 Hz in Europe, 60 Hz in the Americas. NaN when the window is
  shorter than 1 s or Nyquist is below the mains frequency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import welch

from ..errors import Problem, ValidationError
from ..utils._checks import _check_positive


@dataclass(frozen=True)
class SignalQuality:
    """Quality of each channel of one window (arrays of shape (n_channels,))."""

    ch_names: tuple[str, ...]
    rms: np.ndarray
    flat: np.ndarray
    clipped: np.ndarray
    line_noise_ratio: np.ndarray
    n_nonfinite: np.ndarray
    line_freq: float

    @property
    def bad(self) -> np.ndarray:
        """Channels flagged flat, clipped or with NaN/Inf samples."""
        return self.flat | self.clipped | (self.n_nonfinite > 0)

    def to_frame(self):
        """A table, one row per channel (index ``channel``): what a notebook shows of the scope's last window."""
        import pandas as pd

        return pd.DataFrame({"rms": self.rms, "flat": self.flat, "clipped": self.clipped,
                             "line_noise_ratio": self.line_noise_ratio, "n_nonfinite": self.n_nonfinite},
                            index=pd.Index(self.ch_names, name="channel"))

    def rows(self) -> list[tuple[str, float, bool, bool, float, int]]:
        """One (name, rms, flat, clipped, line_noise_ratio, n_nonfinite) tuple per channel."""
        return [
            (n, float(r), bool(f), bool(c), float(lnr), int(k))
            for n, r, f, c, lnr, k in zip(
                self.ch_names, self.rms, self.flat, self.clipped, self.line_noise_ratio, self.n_nonfinite
            )
        ]


def compute_quality(
    data,
    sfreq: float,
    ch_names=None,
    *,
    line_freq: float = 50.0,
    flat_ptp: float = 1e-9,
    clip_fraction: float = 0.01,
    clip_range: tuple[float, float] | None = None,
) -> SignalQuality:
    """Quality metrics of each channel of ``data``.

    Parameters
    ----------
    data : array, shape (n_times, n_channels)
        One window, in the stream's units. NaN/Inf are counted, then ignored.
    sfreq : float
        Sampling rate, Hz.
    ch_names : list of str | None
        Channel names (default ``"0", "1", ...``).
    line_freq : float
        Mains frequency, Hz (50 or 60).
    flat_ptp : float
        Peak-to-peak at or below which a channel is flat, in data units.
    clip_fraction : float
        Fraction of samples at the rail that flags a channel clipped.
    clip_range : (float, float) | None
        The amplifier's input range, if known.

    Returns
    -------
    SignalQuality
    """
    x = np.asarray(data, dtype=np.float64)
    problems = []
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        problems.append(Problem("data", f"shape {x.shape}", "a 2-D (n_times >= 2, n_channels >= 1) array"))
    if not (np.isfinite(sfreq) and sfreq > 0):
        problems.append(Problem("sfreq", sfreq, "a finite rate > 0 Hz"))
    if not (np.isfinite(line_freq) and line_freq > 0):
        problems.append(Problem("line_freq", line_freq, "a mains frequency > 0 Hz, e.g. 50 or 60"))
    if problems:
        raise ValidationError(problems, what="quality window")
    _check_positive("clip_fraction", clip_fraction)
    n_times, n_channels = x.shape
    names = tuple(str(c) for c in (ch_names if ch_names is not None else range(n_channels)))
    if len(names) != n_channels:
        raise ValidationError(
            [Problem("ch_names", len(names), f"{n_channels} names, one per column of data")], what="quality window"
        )

    finite = np.isfinite(x)
    n_nonfinite = (~finite).sum(axis=0)
    # Bad samples are set to the channel mean so they neither add power nor look like a rail.
    with np.errstate(invalid="ignore"):
        means = np.where(finite.any(axis=0), np.nanmean(np.where(finite, x, np.nan), axis=0), 0.0)
    x = np.where(finite, x, means)

    centred = x - x.mean(axis=0)
    rms = np.sqrt(np.mean(centred**2, axis=0))
    lo, hi = x.min(axis=0), x.max(axis=0)
    flat = (hi - lo) <= flat_ptp
    if clip_range is not None:
        at_rail = (x <= clip_range[0]) | (x >= clip_range[1])
    else:
        at_rail = (x == lo) | (x == hi)
    clipped = ~flat & (at_rail.mean(axis=0) >= clip_fraction)
    return SignalQuality(
        ch_names=names,
        rms=rms,
        flat=flat,
        clipped=clipped,
        line_noise_ratio=_line_noise_ratio(centred, sfreq, line_freq),
        n_nonfinite=n_nonfinite,
        line_freq=float(line_freq),
    )


def _line_noise_ratio(x: np.ndarray, sfreq: float, line_freq: float) -> np.ndarray:
    nyquist = sfreq / 2
    n_per_seg = int(sfreq)  # 1 s segments: 1 Hz resolution, so +/-1 Hz spans 3 bins
    if x.shape[0] < n_per_seg or nyquist <= line_freq + 1:
        return np.full(x.shape[1], np.nan)
    freqs, psd = welch(x, fs=sfreq, nperseg=n_per_seg, axis=0)
    broadband = (freqs >= 1.0) & (freqs < nyquist)
    harmonics = np.arange(line_freq, nyquist - 1, line_freq)
    near_line = np.zeros_like(broadband)
    for f0 in harmonics:
        near_line |= np.abs(freqs - f0) <= 1.0
    total = psd[broadband].sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = psd[near_line & broadband].sum(axis=0) / total
    return np.where(total > 0, ratio, np.nan)
