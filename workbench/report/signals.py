"""What a session's recording shows: a short signal snippet and an ERD/ERS map.

ERD/ERS as defined by Pfurtscheller & Lopes da Silva (1999, Clin
Neurophysiol 110:1842): band power during the task relative to a reference
(rest) period, ERD% = (A - R) / R * 100, negative for desynchronization.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal as sps

from ..errors import Problem, ValidationError


@dataclass(frozen=True)
class Snippet:
    times: np.ndarray      # (n_times,) seconds from the recording's start
    data: np.ndarray       # (n_channels, n_times), MNE convention
    ch_names: tuple[str, ...]


@dataclass(frozen=True)
class ErdMap:
    erd_percent: np.ndarray  # (n_channels, n_freqs)
    ch_names: tuple[str, ...]
    freqs: np.ndarray
    n_task: int
    n_rest: int


def _signal_picks(raw) -> list[int]:
    """Signal channels only: a sample counter or marker channel is not a signal."""
    kinds = raw.get_channel_types()
    return [i for i, k in enumerate(kinds) if k in ("eeg", "ecog", "seeg", "emg", "dbs")]


def signal_snippet(raw, *, seconds: float = 5.0, max_channels: int = 8, start: float | None = None) -> Snippet:
    """``seconds`` of the first ``max_channels`` signal channels, from ``start`` (default: 10 % in)."""
    picks = _signal_picks(raw)[:max_channels]
    if not picks:
        raise ValidationError([Problem("recording", raw.ch_names[:5], "a recording with signal channels")],
                              what="signal snippet")
    sfreq = raw.info["sfreq"]
    total = raw.n_times / sfreq
    start = min(total * 0.1 if start is None else start, max(0.0, total - seconds))
    a, b = int(start * sfreq), min(raw.n_times, int((start + seconds) * sfreq))
    data = raw.get_data(picks=picks, start=a, stop=b)
    return Snippet(raw.times[a:b], data, tuple(raw.ch_names[i] for i in picks))


def erd_map(raw, *, rest: str = "rest", tmin: float = 0.5, length: float = 1.5, fmin: float = 4.0,
            fmax: float = 40.0, max_channels: int = 32) -> ErdMap | None:
    """ERD% per channel and frequency: every non-``rest`` cue against the ``rest`` cues.

    Windows start ``tmin`` s after each cue onset (past the evoked response)
    and last ``length`` s. None when the recording has no rest cue or no task
    cue with a full window inside the recording.
    """
    picks = _signal_picks(raw)[:max_channels]
    sfreq = raw.info["sfreq"]
    n = int(length * sfreq)
    if not picks or n < 16:
        return None
    windows = {"task": [], "rest": []}
    for onset, desc in zip(raw.annotations.onset - raw.first_time, raw.annotations.description):
        a = int(round((onset + tmin) * sfreq))
        if a < 0 or a + n > raw.n_times:
            continue
        windows["rest" if desc == rest else "task"].append(a)
    if not windows["task"] or not windows["rest"]:
        return None
    data = raw.get_data(picks=picks)
    nper = min(n, int(sfreq))

    def power(starts):
        segs = np.stack([data[:, a:a + n] for a in starts])  # (n_windows, n_channels, n)
        freqs, pxx = sps.welch(segs, fs=sfreq, nperseg=nper, axis=-1)
        return freqs, pxx.mean(axis=0)

    freqs, task = power(windows["task"])
    _, ref = power(windows["rest"])
    keep = (freqs >= fmin) & (freqs <= fmax)
    with np.errstate(divide="ignore", invalid="ignore"):
        erd = (task[:, keep] - ref[:, keep]) / ref[:, keep] * 100.0
    return ErdMap(np.nan_to_num(erd), tuple(raw.ch_names[i] for i in picks), freqs[keep],
                  len(windows["task"]), len(windows["rest"]))
