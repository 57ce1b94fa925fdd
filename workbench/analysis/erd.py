"""Event-related desynchronization per channel and band, attempt against rest.

ERD% = (A - R) / R x 100, with A the band power during attempted movement and
R during rest (Pfurtscheller & Lopes da Silva 1999, Clin Neurophysiol
110:1842, eq. 1): negative values are a desynchronization. Power is the
squared zero-phase band-pass signal (4th-order Butterworth, applied forward
and backward so no latency shifts power across a cue boundary), averaged over
the settled part of every cue of each class.
"""

from __future__ import annotations

import numpy as np

from .trials import Cues


def settled_mask(n_times: int, cues: Cues, settle: int, cls: str) -> np.ndarray:
    """Samples in the settled part of every cue of class ``cls``."""
    mask = np.zeros(n_times, dtype=bool)
    for onset, end, c in zip(cues.onsets, cues.ends, cues.classes):
        if c == cls:
            mask[min(onset + settle, n_times):min(end, n_times)] = True
    return mask


def erd_percent(data: np.ndarray, sfreq: float, ch_names, cues: Cues, settle: int, bands,
                rest: str = "rest", attempt: str = "attempt") -> dict[str, float]:
    """``{"band:channel": ERD %}`` for every channel of ``data`` (n_times, n_channels) and band.

    Empty when the recording holds no settled rest or no settled attempt.
    """
    from scipy.signal import butter, sosfiltfilt

    a_mask = settled_mask(len(data), cues, settle, attempt)
    r_mask = settled_mask(len(data), cues, settle, rest)
    if not a_mask.any() or not r_mask.any():
        return {}
    out = {}
    for name, lo, hi in bands:
        sos = butter(4, [lo, hi], btype="bandpass", fs=sfreq, output="sos")
        power = sosfiltfilt(sos, data, axis=0) ** 2
        a, r = power[a_mask].mean(axis=0), power[r_mask].mean(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = (a - r) / r * 100.0
        for ch, v in zip(ch_names, pct):
            if np.isfinite(v):  # a flat channel (r == 0) has no ERD
                out[f"{name}:{ch}"] = round(float(v), 6)
    return out
