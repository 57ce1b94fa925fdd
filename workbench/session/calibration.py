"""Cued calibration: label decoder windows by the cue in force, fit, score trials.

The attempt detector here is the classic sensorimotor-rhythm BCI: mu (8-12 Hz)
and beta (18-26 Hz) band power over the sensorimotor cortex drops during
attempted movement (event-related desynchronization, Pfurtscheller & Lopes da
Silva 1999, Clin Neurophysiol 110:1842). Windows are labelled only after the
cue has settled (``settle_s``): the first second after a cue mixes both states
and would blur the classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..errors import Problem, ValidationError

#: Sensorimotor channels of the 10-10 system used by the attempt detector.
SENSORIMOTOR = ("FC3", "FC1", "FCz", "FC2", "FC4", "C5", "C3", "C1", "Cz", "C2", "C4", "C6", "CP3", "CP1", "CPz",
                "CP2", "CP4")

#: Cue label -> decoder class: both grasp and open are attempted movements.
ATTEMPT_CLASSES = {"rest": "rest", "grasp": "attempt", "open": "attempt"}


@dataclass(frozen=True)
class CalibrationSpec:
    """How windows are cut and labelled (seconds, converted with the rate)."""

    window_s: float = 1.0
    step_s: float = 0.1
    settle_s: float = 1.5
    bands: tuple[tuple[float, float], ...] = ((8.0, 12.0), (18.0, 26.0))

    def samples(self, sfreq: float) -> tuple[int, int, int]:
        return int(round(self.window_s * sfreq)), int(round(self.step_s * sfreq)), int(round(self.settle_s * sfreq))


@dataclass(frozen=True)
class TrialResult:
    """One cue of a decoded run: what was asked and what the decoder said."""

    number: int
    cue: str
    onset_sample: int
    onset_s: float
    decoded: str
    correct: bool
    latency_s: float | None


def pick_sensorimotor(ch_names: Sequence[str]) -> list[str]:
    """The sensorimotor channels present in ``ch_names``, in montage order."""
    picks = [c for c in ch_names if c in SENSORIMOTOR]
    if len(picks) < 2:
        raise ValidationError(
            [Problem("ch_names", list(ch_names)[:8], "a montage with sensorimotor channels (C3, C4, ...)")],
            what="calibration montage",
        )
    return picks


def settled_windows(source_index: np.ndarray, cue_samples: int, settle: int) -> np.ndarray:
    """Mask of windows whose last sample lies at least ``settle`` samples into its cue."""
    return (np.asarray(source_index) % cue_samples) >= settle


def fit_attempt_decoder(data, *, sfreq, ch_names, cue_at: Callable, cue_samples: int,
                        spec: CalibrationSpec = CalibrationSpec()):
    """Fit a band-power + shrinkage-LDA rest/attempt decoder on a cued calibration run.

    Parameters
    ----------
    data : ndarray, shape (n_times, n_channels)
        The calibration run, sample 0 at a cue boundary's clock (sample ``i`` is
        source sample ``i``).
    cue_at : callable
        Source sample index (array) -> cue label (``rest``, ``grasp``, ``open``).
    cue_samples : int
        Length of one cue in samples.
    """
    from sklearn.pipeline import make_pipeline

    from ..decoding import LDA, BandPower, Decoder, FilterBank

    window, step, settle = spec.samples(sfreq)
    ends = np.arange(window - 1, len(data), step)
    ends = ends[settled_windows(ends, cue_samples, settle)]
    labels = np.array([ATTEMPT_CLASSES[c] for c in cue_at(ends)])
    if len(set(labels)) < 2:
        raise ValidationError([Problem("data", f"{len(data)} samples", "a run long enough to hold rest and attempt cues")],
                              what="calibration run")
    decoder = Decoder([FilterBank(spec.bands, sfreq=sfreq)], make_pipeline(BandPower(log=True), LDA()),
                      sfreq=sfreq, ch_names=ch_names, window=window, step=step)
    return decoder.fit([np.asarray(data, dtype=np.float64)], [ends], labels)


def score_trials(decoded_class: np.ndarray, source_index: np.ndarray, *, sfreq: float, cue_at: Callable,
                 cue_samples: int, settle: int, first_source_sample: int) -> list[TrialResult]:
    """Turn per-window decisions into one trial per complete cue.

    A trial's decision is the majority of its settled windows. Its latency is
    the time from the cue onset to the first window decoded as the cue's
    class, and only where the cue changes the class (rest -> attempt or back):
    after ``grasp`` the ``open`` cue asks for no change, so no detection
    latency exists (None). Cues cut by the start or the end of the run are left out.
    """
    source_index = np.asarray(source_index)
    trials = []
    if len(source_index) == 0:
        return trials
    first_cue = -(-int(first_source_sample) // cue_samples)
    last_cue = int(source_index[-1]) // cue_samples - 1  # the final cue must be complete
    for k in range(first_cue, last_cue + 1):
        onset = k * cue_samples
        inside = (source_index >= onset) & (source_index < onset + cue_samples)
        settled = inside & (source_index >= onset + settle)
        if not settled.any():
            continue
        cue = ATTEMPT_CLASSES[str(cue_at(onset))]
        votes = decoded_class[settled]
        values, counts = np.unique(votes, return_counts=True)
        decided = str(values[counts.argmax()])
        hits = np.flatnonzero(inside & (decoded_class == cue))
        changes = ATTEMPT_CLASSES[str(cue_at(onset - 1))] != cue
        latency = float((source_index[hits[0]] - onset) / sfreq) if len(hits) and changes else None
        trials.append(TrialResult(len(trials) + 1, cue, onset, (onset - first_source_sample) / sfreq,
                                  decided, decided == cue, latency))
    return trials
