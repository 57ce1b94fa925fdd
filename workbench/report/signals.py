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
    """ERD% of each cued class against the rest cues."""

    erd_percent: np.ndarray  # (n_classes, n_channels, n_freqs); NaN where the rest power is zero
    classes: tuple[str, ...]
    ch_names: tuple[str, ...]
    freqs: np.ndarray
    n_windows: dict  # class -> task windows averaged
    n_rest: int


#: Marker labels that are not cues of a class: the inter-trial interval and a pause
#: (``workbench.session.paradigm``), and MNE's acquisition-skip annotations.
NOT_A_CUE = ("iti", "pause")


def _cue_label(desc: str) -> str | None:
    """The class a marker cues, or None (a recording with several marker streams prefixes 'stream/')."""
    label = str(desc).rsplit("/", 1)[-1]
    if label in NOT_A_CUE or label.upper().startswith("BAD") or label.startswith("gate:"):
        return None
    return label


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


def erd_map(raw, *, rest: str = "rest", tmin: float = 0.5, length: float = 1.5, min_length: float = 0.5,
            fmin: float = 4.0, fmax: float = 40.0, max_channels: int = 32) -> ErdMap | None:
    """ERD% per class, channel and frequency: each cued class against the ``rest`` cues.

    Windows start ``tmin`` s after each cue onset (past the evoked response)
    and end before the next marker (they would mix in the next period): all
    last ``length`` s, or as long as the shortest cue allows; a cue leaving
    less than ``min_length`` s is left out. Classes are
    kept apart because their ERD differs in place (grasp over the left
    hemisphere, say): pooling them would blur the map. None when the
    recording has no rest cue or no other cue with a full window.
    """
    picks = _signal_picks(raw)[:max_channels]
    sfreq = raw.info["sfreq"]
    shortest = max(16, int(min_length * sfreq))
    if not picks:
        return None
    onsets = np.asarray(raw.annotations.onset - raw.first_time, dtype=float)
    marks = sorted(((o, _cue_label(d)) for o, d in zip(onsets, raw.annotations.description)), key=lambda m: m[0])
    found = []  # (class, first sample, samples until the next marker or the end)
    for k, (onset, label) in enumerate(marks):
        a = int(round((onset + tmin) * sfreq))
        stop = int(round(marks[k + 1][0] * sfreq)) if k + 1 < len(marks) else raw.n_times
        if label is not None and a >= 0 and min(stop, raw.n_times) - a >= shortest:
            found.append((label, a, min(stop, raw.n_times) - a))
    if not found:
        return None
    # One window length for every cue (Welch estimates comparable across classes): ``length``,
    # or less when the cues are shorter (a 2 s cue leaves 1.5 s after tmin, give or take a sample).
    n = min(int(length * sfreq), min(avail for _, _, avail in found))
    windows: dict[str, list[int]] = {}
    for label, a, _ in found:
        windows.setdefault(label, []).append(a)
    classes = tuple(sorted(c for c in windows if c != rest))
    if not classes or not windows.get(rest):
        return None
    data = raw.get_data(picks=picks)
    nper = min(n, int(sfreq))

    def power(starts):
        segs = np.stack([data[:, a:a + n] for a in starts])  # (n_windows, n_channels, n)
        freqs, pxx = sps.welch(segs, fs=sfreq, nperseg=nper, axis=-1)
        return freqs, pxx.mean(axis=0)

    freqs, ref = power(windows[rest])
    keep = (freqs >= fmin) & (freqs <= fmax)
    ref = ref[:, keep]
    maps = []
    for c in classes:
        task = power(windows[c])[1][:, keep]
        with np.errstate(divide="ignore", invalid="ignore"):
            # A flat channel has no reference power: NaN (drawn as a gap), never a made-up 0 %.
            maps.append(np.where(ref > 0, (task - ref) / np.where(ref > 0, ref, 1.0) * 100.0, np.nan))
    return ErdMap(np.stack(maps), classes, tuple(raw.ch_names[i] for i in picks), freqs[keep],
                  {c: len(windows[c]) for c in classes}, len(windows[rest]))
