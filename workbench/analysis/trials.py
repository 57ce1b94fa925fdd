"""Cues of a recording and the trials a decoder's outputs make of them.

A recording's cue markers (annotations) need not fall on a regular grid: each
cue lasts until the next cue or boundary marker (``iti``, the inter-trial
interval of :mod:`workbench.session.paradigm`). Only complete cues are trials
(the last marker has no end, so it opens no trial). A file holding several
marker streams names markers ``<stream>/<label>`` (``read_recording``): the
label after the stream name is what counts. A trial's decision is the majority of the
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
    """Cue onsets (sample index), their classes and marker labels; ``ends[k]`` is the next marker's onset."""

    onsets: np.ndarray
    classes: np.ndarray
    ends: np.ndarray
    labels: np.ndarray | None = None

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


def _label(desc: str, known) -> str | None:
    if desc in known:
        return desc
    _, sep, rest = desc.partition("/")  # "<stream>/<label>" when a file holds several marker streams
    return rest if sep and rest in known else None


def read_cues(raw, class_of: dict[str, str], boundaries=()) -> Cues:
    """Complete cues of a Raw from its annotations (markers neither cue nor boundary are ignored)."""
    known = set(class_of) | set(boundaries)
    events = []
    first = raw.first_time if raw.annotations.orig_time is not None else 0.0
    for onset, desc in zip(raw.annotations.onset, raw.annotations.description):
        label = _label(str(desc), known)
        if label is not None:
            events.append((int(raw.time_as_index(onset - first, use_rounding=True)[0]), label))
    events.sort(key=lambda e: e[0])  # stable: simultaneous markers keep the file's order
    keep = [k for k in range(len(events) - 1) if events[k][1] in class_of]  # a cue with a marker after it
    onsets = np.array([events[k][0] for k in keep], dtype=np.int64)
    ends = np.array([events[k + 1][0] for k in keep], dtype=np.int64)
    labels = np.array([events[k][1] for k in keep], dtype=object)
    classes = np.array([class_of[lab] for lab in labels], dtype=object)
    return Cues(onsets, classes, ends, labels)


def score_cues(cues: Cues, sfreq: float, settle: int, window_end=None, decided=None) -> list[TrialOutcome]:
    """One :class:`TrialOutcome` per complete cue; without decoder outputs only cue and onset."""
    out = []
    # A window that saw non-finite samples decided nothing (None): it does not vote. A trial whose
    # settled windows are all invalid is left undecided rather than scored.
    voted = None if decided is None else np.array([d is not None for d in decided], dtype=bool)
    for k in range(cues.n):
        onset, end, cue = int(cues.onsets[k]), int(cues.ends[k]), str(cues.classes[k])
        decoded = correct = latency = None
        n_windows = 0
        if window_end is not None:
            inside = (window_end >= onset) & (window_end < end)
            settled = inside & (window_end >= onset + settle) & voted
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
