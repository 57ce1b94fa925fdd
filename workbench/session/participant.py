"""The simulated participant: EEG that follows the cues, and muscles that answer stimulation.

A Player source (``sfreq``, ``ch_names``, ``ch_types``, ``units``, ``n_times``,
``generate(n)``) whose signal is made *when it is sent*, so what the
effectors do reaches the signal in the same run:

- **Sensorimotor EEG**: a 10 Hz mu rhythm per hemisphere over FC/C/CP 3 and 4
  that desynchronizes during attempted movement (Pfurtscheller & Lopes da
  Silva 1999, Clin Neurophysiol 110:1842), with a 0.3 s reaction time after the
  cue and a 0.3 s time constant. ``grasp`` desynchronizes the left hemisphere
  more, ``open`` the right one: two separable patterns, so that a three-class
  loop can be tested (in scalp EEG two movements of one hand are far harder to
  tell apart; this is a test bench, not a claim about decodability).
- **EMG** of one muscle: its envelope follows the stimulation amplitude
  through a physiological delay (``emg_delay_s``, 25 ms: spinal reflex
  pathway plus conduction, in the range of posterior-root muscle reflexes,
  Minassian et al. 2007, Muscle Nerve 35:327) and a first-order muscle
  response (``emg_tau_s``), over a resting baseline; raw EMG is Gaussian
  noise scaled so that the mean rectified value equals the envelope.
- A **sample counter** on channel 0, so a lost or repeated sample shows.

Cues come from a :class:`CueTimeline` shared with the paradigm runner (a
pause or an abort changes what the participant does next); each cue onset
is returned as a marker, which the Player stamps sample-exactly.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from scipy import signal

from ..errors import Problem, ValidationError

EEG_CHANNELS = ("FC3", "C3", "CP3", "FC4", "C4", "CP4", "Cz", "Pz")
#: Fraction of mu amplitude kept (left hemisphere, right hemisphere) per intent.
#: A pause of unknown length is first inserted this long, then shortened on resume.
_OPEN_PAUSE = 1e6
ERD_KEEP = {"rest": (1.0, 1.0), "grasp": (0.35, 0.8), "open": (0.8, 0.35), "pause": (1.0, 1.0)}


class CueTimeline:
    """Cue onsets in seconds from the start of a run; safe to change while the run streams."""

    def __init__(self, cues=()) -> None:
        self._lock = threading.Lock()
        self._onsets = [float(t) for t, _ in cues]
        self._labels = [str(lab) for _, lab in cues]
        self.end_s: float | None = None

    def set_cues(self, cues, end_s: float | None = None) -> None:
        with self._lock:
            self._onsets = [float(t) for t, _ in cues]
            self._labels = [str(lab) for _, lab in cues]
            self.end_s = end_s

    @property
    def cues(self) -> list[tuple[float, str]]:
        with self._lock:
            return list(zip(self._onsets, self._labels))

    def label_at(self, t) -> np.ndarray:
        """Cue in force at each time ``t`` (s); ``rest`` before the first cue and after the end."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        with self._lock:
            onsets, labels, end = np.asarray(self._onsets), np.asarray(self._labels + ["rest"]), self.end_s
        if not len(onsets):
            return np.full(len(t), "rest")
        k = np.searchsorted(onsets, t, side="right") - 1
        out = np.where(k >= 0, labels[np.clip(k, 0, None)], "rest")
        if end is not None:
            out = np.where(t >= end, "rest", out)
        return out

    def onsets_between(self, t0: float, t1: float) -> list[tuple[float, str]]:
        with self._lock:
            return [(t, lab) for t, lab in zip(self._onsets, self._labels)
                    if t0 <= t < t1 and (self.end_s is None or t < self.end_s)]

    def shift_from(self, t: float, by: float, label: str = "pause") -> None:
        """Insert ``by`` seconds of ``label`` at ``t``; the cut cue is repeated whole, later cues move on."""
        with self._lock:
            later = [i for i, o in enumerate(self._onsets) if o >= t]
            at = later[0] if later else len(self._onsets)
            # The cue cut by the pause is repeated whole after it.
            resumed = self._labels[at - 1] if at else "rest"
            extra = t - self._onsets[at - 1] if at else 0.0
            for i in later:
                self._onsets[i] += by + extra
            self._onsets[at:at] = [t, t + by]
            self._labels[at:at] = [label, resumed]
            if self.end_s is not None:
                self.end_s += by + extra

    def pause(self, t: float) -> None:
        """From ``t`` the participant rests (``pause``) until :meth:`resume`; later cues wait."""
        self.shift_from(t, _OPEN_PAUSE)
        with self._lock:
            self._paused_at = t

    def resume(self, t: float) -> None:
        """End the pause at ``t``: the cue cut by the pause and every later one follow from ``t``."""
        with self._lock:
            at = getattr(self, "_paused_at", None)
            if at is None:
                return
            back = _OPEN_PAUSE - max(0.0, t - at)
            self._onsets = [o - back if o > at else o for o in self._onsets]
            if self.end_s is not None:
                self.end_s -= back
            self._paused_at = None

    def stop_at(self, t: float) -> None:
        with self._lock:
            self.end_s = t if self.end_s is None else min(self.end_s, t)


@dataclass
class EmgPlant:
    """EMG envelope (µV) driven by stimulation (mA) through a delay and a first-order response.

    ``gain_uv_per_ma`` at steady state; explicit state, stepped sample by sample.
    """

    sfreq: float
    gain_uv_per_ma: float = 12.0
    baseline_uv: float = 5.0
    delay_s: float = 0.025
    tau_s: float = 0.08

    def __post_init__(self) -> None:
        self._delay = np.zeros(max(1, int(round(self.delay_s * self.sfreq))))
        self._pos = 0
        self.envelope_uv = self.baseline_uv
        self._alpha = 1.0 - np.exp(-1.0 / (self.tau_s * self.sfreq))

    def step(self, amplitude_ma: float, n: int) -> np.ndarray:
        """Advance ``n`` samples at a constant input; returns the envelope per sample."""
        out = np.empty(n)
        d, a = self._delay, self._alpha
        for i in range(n):
            delayed = d[self._pos]
            d[self._pos] = amplitude_ma
            self._pos = (self._pos + 1) % len(d)
            self.envelope_uv += a * (self.baseline_uv + self.gain_uv_per_ma * delayed - self.envelope_uv)
            out[i] = self.envelope_uv
        return out


class SimulatedParticipant:
    """A Player source: counter, sensorimotor EEG following ``timeline``, and one EMG channel.

    Parameters
    ----------
    timeline : CueTimeline
    sfreq : float
    n_extra : int
        Extra background EEG channels (E01, E02...), to stream 64 or 256 channels.
    seed : int
    reaction_s : float
        Time from a cue to the start of the attempt.
    """

    n_times = None
    dtype = np.float64
    stream_type = "EEG"

    def __init__(self, timeline: CueTimeline | None = None, *, sfreq: float = 500.0, n_extra: int = 0, seed: int = 0,
                 reaction_s: float = 0.3, emg: EmgPlant | None = None) -> None:
        problems = []
        if not (isinstance(sfreq, (int, float)) and 100 <= sfreq <= 50_000):
            problems.append(Problem("sfreq", sfreq, "100-50000 Hz"))
        if not (isinstance(n_extra, int) and 0 <= n_extra <= 4096):
            problems.append(Problem("n_extra", n_extra, "0-4096 channels"))
        if problems:
            raise ValidationError(problems, what="simulated participant")
        self.timeline = timeline or CueTimeline()
        self.sfreq = float(sfreq)
        self.reaction_s = float(reaction_s)
        self.ch_names = ["COUNTER", *EEG_CHANNELS, *[f"E{i + 1:03d}" for i in range(n_extra)], "EMG"]
        self.ch_types = ["misc"] + ["eeg"] * (len(EEG_CHANNELS) + n_extra) + ["emg"]
        self.units = ["samples"] + ["microvolts"] * (len(self.ch_names) - 1)
        self.description = "workbench simulated participant"
        self.emg = emg or EmgPlant(self.sfreq)
        self.stimulation_ma = 0.0  # set by the simulated stimulator
        self.n_times_generated = 0
        self._rng = np.random.default_rng(seed)
        self._nan_spans: list[tuple[float, float]] = []
        self._stalls: list[list] = []
        self._mu = signal.iirpeak(10.0, 2.0, fs=self.sfreq)  # a 5 Hz wide mu band, as in scalp EEG
        self._zi_mu = np.zeros((2, 2))
        self._keep = np.ones(2)
        self._keep_alpha = 1.0 - np.exp(-1.0 / (0.3 * self.sfreq))
        w = np.zeros((2, len(EEG_CHANNELS)))
        w[0, :3] = (0.6, 1.0, 0.6)
        w[1, 3:6] = (0.6, 1.0, 0.6)
        w[:, 6] = 0.3
        self._weights = w * 12.0  # µV: mu of ~10 µV at C3/C4

    def inject_nan(self, at_s: float, for_s: float) -> None:
        """EEG samples in [at_s, at_s + for_s) become NaN (a broken amplifier channel group)."""
        self._nan_spans.append((float(at_s), float(at_s) + float(for_s)))

    def inject_stall(self, at_s: float, for_s: float) -> None:
        """The amplifier goes silent for ``for_s`` seconds when it reaches ``at_s`` (a signal gap)."""
        self._stalls.append([float(at_s), float(for_s), False])

    def cue_at(self, sample) -> np.ndarray:
        return self.timeline.label_at(np.asarray(sample) / self.sfreq)

    def generate(self, n_times: int):
        n = int(n_times)
        start = self.n_times_generated
        idx = start + np.arange(n)
        t = idx / self.sfreq
        intent = self.timeline.label_at(t - self.reaction_s)
        target = np.array([ERD_KEEP.get(str(c), (1.0, 1.0)) for c in intent]) if n else np.empty((0, 2))
        keep = np.empty((n, 2))
        k, a = self._keep, self._keep_alpha
        for i in range(n):  # first-order approach of the ERD: explicit state, block-size independent
            k += a * (target[i] - k)
            keep[i] = k
        drive = self._rng.standard_normal((n, 2))
        mu, self._zi_mu = signal.lfilter(*self._mu, drive, axis=0, zi=self._zi_mu)
        x = np.empty((n, len(self.ch_names)))
        x[:, 0] = idx
        n_eeg = len(self.ch_names) - 2
        x[:, 1:1 + n_eeg] = 4.0 * self._rng.standard_normal((n, n_eeg))
        x[:, 1:1 + len(EEG_CHANNELS)] += (mu * keep * 3.0) @ self._weights
        env = self.emg.step(self.stimulation_ma, n)
        x[:, -1] = env * np.sqrt(np.pi / 2) * self._rng.standard_normal(n)
        for a, b in self._nan_spans:
            x[(t >= a) & (t < b), 1:-1] = np.nan
        for stall in self._stalls:
            if not stall[2] and n and t[-1] >= stall[0]:
                stall[2] = True
                time.sleep(stall[1])  # the Player's thread stops pushing: a real silence on the stream
        self.n_times_generated += n
        markers = [(int(round(o * self.sfreq)), lab) for o, lab in self.timeline.onsets_between(
            start / self.sfreq, (start + n) / self.sfreq)]
        return x, markers


def simulate_recording(spec, seed: int = 0, lead_s: float = 1.0):
    """A paradigm run of the simulated participant offline (no LSL), as an MNE Raw in volts with cue annotations.

    For training a decoder without streaming first (notebooks, tests); the
    live path records the same signal through LSL and LabRecorder.
    """
    import mne

    from .paradigm import ParadigmRunner

    p = SimulatedParticipant(CueTimeline(), seed=seed)
    ParadigmRunner(spec, p.timeline).start(offset_s=lead_s)
    x, markers = p.generate(int(round((spec.duration_s + 2 * lead_s) * p.sfreq)))
    info = mne.create_info(p.ch_names, p.sfreq, p.ch_types)
    scale = np.where(np.array(p.ch_types) == "misc", 1.0, 1e-6)
    raw = mne.io.RawArray(x.T * scale[:, None], info, verbose=False)
    raw.set_annotations(mne.Annotations([s / p.sfreq for s, _ in markers], [0.0] * len(markers),
                                        [lab for _, lab in markers]))
    return raw
