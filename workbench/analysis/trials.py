"""Cues of a recording and the trials a decoder's outputs make of them.

A recording's cue markers (annotations) need not fall on a regular grid: each
cue lasts until the next one. Only complete cues are trials (the last marker
has no end, so it opens no trial). A trial's decision is the majority of the
decoder windows that end in its settled part (``settle`` samples after the
onset: the first second after a cue mixes both states). Its latency is from
the onset to the first window of the cued class, and only where the cue
changes the class: ``open`` after ``grasp`` asks for no change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Cues:
    """Cue onsets (sample index) and their classes; ``ends[k]`` is the next cue's onset."""

    onsets: np.ndarray
    classes: np.ndarray
    ends: np.ndarray

    @property
    def n(self) -> int:
        return len(self.onsets)


@dataclass(frozen=True)
class TrialOutcome:
    """One complete cue: what was asked, what the decoder said (None without a decoder)."""

    number: int
    cue: str
    onset_s: float
    decoded: str | None
    correct: bool | None
    latency_s: float | None
    n_windows: int


def read_cues(raw, class_of: dict[str, str]) -> Cues:
    """Complete cues of a Raw from its annotations (descriptions not in ``class_of`` are ignored)."""
    onsets, classes = [], []
    first = raw.first_time if raw.annotations.orig_time is not None else 0.0
    for onset, desc in zip(raw.annotations.onset, raw.annotations.description):
        cls = class_of.get(str(desc))
        if cls is not None:
            onsets.append(int(raw.time_as_index(onset - first, use_rounding=True)[0]))
            classes.append(cls)
    order = np.argsort(onsets, kind="stable")
    onsets = np.asarray(onsets, dtype=np.int64)[order]
    classes = np.asarray(classes, dtype=object)[order]
    # Each cue lasts until the next one; the last one's end is unknown, so it is no trial.
    return Cues(onsets[:-1], classes[:-1], onsets[1:]) if len(onsets) > 1 else Cues(
        np.empty(0, np.int64), np.empty(0, object), np.empty(0, np.int64))


def score_cues(cues: Cues, sfreq: float, settle: int, window_end=None, decided=None) -> list[TrialOutcome]:
    """One :class:`TrialOutcome` per complete cue; without decoder outputs only cue and onset."""
    out = []
    for k in range(cues.n):
        onset, end, cue = int(cues.onsets[k]), int(cues.ends[k]), str(cues.classes[k])
        decoded = correct = latency = None
        n_windows = 0
        if window_end is not None:
            inside = (window_end >= onset) & (window_end < end)
            settled = inside & (window_end >= onset + settle)
            n_windows = int(settled.sum())
            if n_windows:
                values, counts = np.unique(decided[settled], return_counts=True)
                decoded = str(values[counts.argmax()])  # ties: the first class in sorted order
                correct = decoded == cue
            changes = k == 0 or str(cues.classes[k - 1]) != cue
            hits = np.flatnonzero(inside & (decided == cue))
            if changes and len(hits):
                latency = float((window_end[hits[0]] - onset) / sfreq)
        out.append(TrialOutcome(k + 1, cue, onset / sfreq, decoded, correct, latency, n_windows))
    return out
