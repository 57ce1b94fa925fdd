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

How hard the participant is to decode is a :class:`ParticipantModel`: ERD
depth and signal-to-noise ratio, trial-to-trial variability (some attempts
with weak or no desynchronization), drift across blocks and days (electrode
impedance and a slowly rotating spatial pattern) and fatigue (ERD depth
decays with time on task). ``ParticipantModel(difficulty="easy")`` is the
noiseless test bench this module used to be; the default is a participant
that a three-class decoder gets 60-85 % right, as people with SCI do.

Cues come from a :class:`CueTimeline` shared with the paradigm runner (a
pause or an abort changes what the participant does next); each cue onset
is returned as a marker, which the Player stamps sample-exactly.
"""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass, fields

import numpy as np
from scipy import signal

from ..errors import Problem, ValidationError

EEG_CHANNELS = ("FC3", "C3", "CP3", "FC4", "C4", "CP4", "Cz", "Pz")
#: Fraction of mu amplitude kept (left hemisphere, right hemisphere) per intent.
#: A pause of unknown length is first inserted this long, then shortened on resume.
_OPEN_PAUSE = 1e6
ERD_KEEP = {"rest": (1.0, 1.0), "grasp": (0.35, 0.8), "open": (0.8, 0.35), "pause": (1.0, 1.0)}
#: Ipsilateral ERD as a fraction of the contralateral one (0.2 / 0.65 in ERD_KEEP).
_IPSI = 0.2 / 0.65
#: Mu-band (8-12 Hz) power over background power at C3 at rest of the unscaled generator, in dB
#: (computed from the iirpeak response and the 4 µV white background at 500 Hz).
BASE_SNR_DB = 18.3
#: A day between sessions moves the drift as far as this many blocks (impedance and electrode position change).
DAY_IN_BLOCKS = 4
#: Minutes of time on task per block, when the caller does not say (the demo's blocks are 1-5 min).
BLOCK_MIN = 5.0
#: How far behind the samples already sent a late cue onset (a pause that reached the rig late) is still sent.
MARKER_LOOKBACK_S = 0.25

_NAMED = {"easy": 0.0, "realistic": 0.5, "hard": 0.9}


def _params(d: float) -> dict:
    """Parameters at difficulty ``d`` in [0, 1]: 0 is the noiseless bench, 0.5 the realistic default.

    The default was tuned so that a decoder trained on one calibration block
    and used unadapted on the next scores ~0.7 per trial over three classes:
    SCI participants using motor-imagery/attempt EEG BCIs score 60-85 %
    (Pfurtscheller et al. 2003, Neurosci Lett 351:33, tetraplegic hand-grasp
    BCI; Müller-Putz et al. 2007, Clin Neurophysiol 118:2404, attempted
    movements in chronic SCI; Cincotti et al. 2008, Brain Res Bull 75:796).
    """
    return dict(
        erd_depth=0.65 - 0.3 * d,  # fraction of mu lost contralaterally; 20-40 % in SCI ERD maps
        snr_db=BASE_SNR_DB - 14.0 * d,  # scalp mu a few dB above the background
        trial_sd=0.6 * d,  # ERD depth across trials: coefficient of variation
        miss_rate=0.2 * d,  # attempts without any desynchronization
        drift_per_block=0.2 * d,  # rad of pattern rotation, and log-gain SD of impedance, per block
        fatigue_per_min=0.02 * d,  # fraction of ERD depth lost per minute on task
    )


@dataclass(frozen=True)
class ParticipantModel:
    """How the simulated participant behaves; every field left ``None`` follows ``difficulty``.

    Parameters
    ----------
    difficulty : float in [0, 1] or ``"easy"`` (0) | ``"realistic"`` (0.5, default) | ``"hard"`` (0.9)
    erd_depth : float in (0, 1]
        Fraction of mu amplitude lost over the contralateral hemisphere during an attempt.
    snr_db : float in [-20, 40]
        Mu-band power over background power at C3 at rest.
    trial_sd : float in [0, 2]
        Trial-to-trial spread of the ERD depth (as a fraction of ``erd_depth``).
    miss_rate : float in [0, 1)
        Fraction of attempts with no modulation at all.
    drift_per_block : float in [0, 1]
        Rotation (rad) of the spatial pattern and log-gain SD of electrode impedance per block.
    fatigue_per_min : float in [0, 0.2]
        Fraction of ERD depth lost per minute on task.
    seed : int >= 0
        Who the participant is: the direction of the drift and the spread of trials.
    """

    difficulty: float | str = "realistic"
    erd_depth: float | None = None
    snr_db: float | None = None
    trial_sd: float | None = None
    miss_rate: float | None = None
    drift_per_block: float | None = None
    fatigue_per_min: float | None = None
    seed: int = 0

    _RANGES = {"erd_depth": (0.0, 1.0, "a fraction in (0, 1]"), "snr_db": (-20.0, 40.0, "-20 to 40 dB"),
               "trial_sd": (0.0, 2.0, "0 to 2"), "miss_rate": (0.0, 0.99, "a fraction in [0, 0.99]"),
               "drift_per_block": (0.0, 1.0, "0 to 1 per block"), "fatigue_per_min": (0.0, 0.2, "0 to 0.2 per min")}

    def __post_init__(self) -> None:
        problems = []
        d = self.difficulty
        if isinstance(d, str) and d in _NAMED:
            d = _NAMED[d]
        if isinstance(d, bool) or not isinstance(d, (int, float)) or not 0 <= d <= 1:
            problems.append(Problem("difficulty", self.difficulty, f"a number in [0, 1] or one of {sorted(_NAMED)}"))
            d = 0.5
        defaults = _params(float(d))
        for name, (lo, hi, allowed) in self._RANGES.items():
            v = getattr(self, name)
            if v is None:
                object.__setattr__(self, name, defaults[name])
                continue
            ok = not isinstance(v, bool) and isinstance(v, (int, float)) and np.isfinite(v) and lo <= v <= hi
            if name == "erd_depth" and ok and v == 0:
                ok = False
            if not ok:
                problems.append(Problem(name, v, allowed))
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            problems.append(Problem("seed", self.seed, "a whole number >= 0"))
        if problems:
            raise ValidationError(problems, what="participant model")
        object.__setattr__(self, "difficulty", float(d))

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class CueTimeline:
    """Cue onsets in seconds from the start of a run; safe to change while the run streams.

    A copy in another process (the simulated rig's participant) follows this one through
    :meth:`subscribe`: every change calls the listeners with :meth:`snapshot`, which the copy
    takes with :meth:`restore`. A timeline pickles without its lock and listeners.
    """

    def __init__(self, cues=()) -> None:
        self._lock = threading.Lock()
        self._onsets = [float(t) for t, _ in cues]
        self._labels = [str(lab) for _, lab in cues]
        self.end_s: float | None = None
        self._listeners: list = []

    def __getstate__(self) -> dict:
        return {"snapshot": self.snapshot(), "paused_at": getattr(self, "_paused_at", None)}

    def __setstate__(self, state: dict) -> None:
        self.__init__()
        self.restore(state["snapshot"])
        self._paused_at = state["paused_at"]

    def snapshot(self) -> tuple:
        """``(onsets, labels, end_s)``: everything a copy needs to give the same cues."""
        with self._lock:
            return list(self._onsets), list(self._labels), self.end_s

    def restore(self, snapshot) -> None:
        """Take the cues of another timeline's :meth:`snapshot`."""
        onsets, labels, end_s = snapshot
        with self._lock:
            self._onsets, self._labels, self.end_s = [float(t) for t in onsets], [str(x) for x in labels], end_s

    def subscribe(self, listener) -> None:
        """Call ``listener(snapshot)`` after every change, from the thread that made it."""
        self._listeners.append(listener)

    def unsubscribe(self, listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _changed(self) -> None:
        if self._listeners:
            snap = self.snapshot()
            for listener in list(self._listeners):
                listener(snap)

    def set_cues(self, cues, end_s: float | None = None) -> None:
        with self._lock:
            self._onsets = [float(t) for t, _ in cues]
            self._labels = [str(lab) for _, lab in cues]
            self.end_s = end_s
        self._changed()

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

    def index_at(self, t) -> np.ndarray:
        """Index of the cue in force at each time ``t`` (s); -1 before the first cue."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        with self._lock:
            onsets = np.asarray(self._onsets)
        if not len(onsets):
            return np.full(len(t), -1)
        return np.searchsorted(onsets, t, side="right") - 1

    def onsets_between(self, t0: float, t1: float) -> list[tuple[float, str]]:
        """Cues with ``t0 <= onset < t1`` that start before the end, in order."""
        with self._lock:
            # Onsets ascend (a schedule's, kept in order by shift_from): a live loop asks at every step.
            stop = t1 if self.end_s is None else min(t1, self.end_s)
            lo, hi = bisect.bisect_left(self._onsets, t0), bisect.bisect_left(self._onsets, stop)
            return list(zip(self._onsets[lo:hi], self._labels[lo:hi]))

    def progress_at(self, t: float, not_counted: tuple[str, ...] = ()) -> tuple[str, float | None, int]:
        """The cue in force at ``t`` (s) for a view, without the arrays of :meth:`label_at`.

        Returns ``(label, next_onset, n_begun)``: the label (``rest`` before the first cue and from the
        end), the first onset after ``t`` (None: none), and how many cues have begun by ``t`` whose label
        is not in ``not_counted``. O(log n) but for the count's C-speed slice count: a live loop asks at
        every step, and the arrays took 65 us p50 a step in a 5-minute block (12 us since).
        """
        with self._lock:
            k = bisect.bisect_right(self._onsets, t)
            label = self._labels[k - 1] if k and (self.end_s is None or t < self.end_s) else "rest"
            nxt = self._onsets[k] if k < len(self._onsets) else None
            begun = self._labels[:k]
            n_begun = k - sum(begun.count(lab) for lab in not_counted)
        return label, nxt, n_begun

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
        self._changed()

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
            resumed = max(at, t)
            back = _OPEN_PAUSE - (resumed - at)
            # Each shifted onset went out by _OPEN_PAUSE and comes back by a little less: at that
            # magnitude a float's step is ~1e-10 s, and a pause shorter than that put the resumed cue
            # before the pause itself, out of the order every lookup relies on. None starts before `resumed`.
            self._onsets = [max(o - back, resumed) if o > at else o for o in self._onsets]
            if self.end_s is not None:
                self.end_s = max(self.end_s - back, resumed)
            self._paused_at = None
        self._changed()

    def stop_at(self, t: float) -> None:
        with self._lock:
            self.end_s = t if self.end_s is None else min(self.end_s, t)
        self._changed()


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
    model : ParticipantModel
        How hard the participant is to decode (default: realistic).
    block : int
        Block of the day (0 = calibration); with ``day``, how far the signal has drifted.
    day : int
        Session day (0 = the day the decoder was trained).
    elapsed_min : float
        Minutes on task before this block starts (fatigue); default ``block * 5``.
    """

    n_times = None
    dtype = np.float64
    stream_type = "EEG"

    def __init__(self, timeline: CueTimeline | None = None, *, sfreq: float = 500.0, n_extra: int = 0, seed: int = 0,
                 reaction_s: float = 0.3, emg: EmgPlant | None = None, model: ParticipantModel | None = None,
                 block: int = 0, day: int = 0, elapsed_min: float | None = None) -> None:
        problems = []
        if model is not None and not isinstance(model, ParticipantModel):
            problems.append(Problem("model", type(model).__name__, "a ParticipantModel"))
        for name, v in (("block", block), ("day", day)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v <= 10_000:
                problems.append(Problem(name, v, "a whole number 0-10000"))
        if elapsed_min is not None and (isinstance(elapsed_min, bool) or not isinstance(elapsed_min, (int, float))
                                        or not 0 <= elapsed_min <= 24 * 60):
            problems.append(Problem("elapsed_min", elapsed_min, "0-1440 minutes"))
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
        self.model = model or ParticipantModel()
        self.block, self.day = int(block), int(day)
        self.elapsed_min = float(block * BLOCK_MIN if elapsed_min is None else elapsed_min)
        m = self.model
        # Who the participant is (model.seed) fixes the direction of drift; the block and day how far it went.
        who = np.random.default_rng([m.seed, 7])
        steps = self.block + DAY_IN_BLOCKS * self.day
        theta = m.drift_per_block * steps
        u = who.standard_normal(w.shape) * (w.sum(axis=0) > 0)  # rotate within the channels that carry mu
        for i in range(2):
            u[i] -= (u[i] @ w[i]) / (w[i] @ w[i]) * w[i]
            u[i] *= np.linalg.norm(w[i]) / np.linalg.norm(u[i])
        w = np.cos(theta) * w + np.sin(theta) * u
        # Electrode impedance: a per-channel gain on signal and background alike, a random walk over blocks.
        n_eeg = len(EEG_CHANNELS) + n_extra
        self._gain = np.exp(m.drift_per_block * np.sqrt(steps) * who.standard_normal(n_eeg))
        self._mu_gain = 10.0 ** ((m.snr_db - BASE_SNR_DB) / 20.0)
        self._weights = w * 12.0 * self._mu_gain  # µV: mu of ~10 µV at C3/C4 when easy
        self._trial_factor: dict[int, float] = {}
        self._noise_seed = seed
        self._sent_markers: set[tuple[float, str]] = set()

    def inject_nan(self, at_s: float, for_s: float) -> None:
        """EEG samples in [at_s, at_s + for_s) become NaN (a broken amplifier channel group)."""
        self._nan_spans.append((float(at_s), float(at_s) + float(for_s)))

    def inject_stall(self, at_s: float, for_s: float) -> None:
        """The amplifier goes silent for ``for_s`` seconds when it reaches ``at_s`` (a signal gap)."""
        self._stalls.append([float(at_s), float(for_s), False])

    def _factor(self, k: int) -> float:
        """ERD depth of cue ``k`` as a fraction of the model's: drawn once per cue, whatever the chunking."""
        f = self._trial_factor.get(k)
        if f is None:
            m = self.model
            rng = np.random.default_rng([m.seed, self._noise_seed, self.block, self.day, k + 1])
            miss, z = rng.random(), rng.standard_normal()
            f = 0.0 if miss < m.miss_rate else float(np.clip(1.0 + m.trial_sd * z, 0.0, 1.0 / m.erd_depth))
            self._trial_factor[k] = f
        return f

    def _targets(self, intent, index, t) -> np.ndarray:
        """Fraction of mu kept (left, right) per sample: the class's pattern, scaled by trial and fatigue."""
        m = self.model
        fatigue = np.clip(1.0 - m.fatigue_per_min * (self.elapsed_min + t / 60.0), 0.0, 1.0)
        depth = np.array([self._factor(int(k)) for k in index]) * m.erd_depth * fatigue
        out = np.ones((len(intent), 2))
        grasp, opening = intent == "grasp", intent == "open"
        out[grasp, 0] -= depth[grasp]
        out[grasp, 1] -= _IPSI * depth[grasp]
        out[opening, 1] -= depth[opening]
        out[opening, 0] -= _IPSI * depth[opening]
        return np.clip(out, 0.0, 1.0)

    def cue_at(self, sample) -> np.ndarray:
        return self.timeline.label_at(np.asarray(sample) / self.sfreq)

    def generate(self, n_times: int):
        n = int(n_times)
        start = self.n_times_generated
        idx = start + np.arange(n)
        t = idx / self.sfreq
        intent = self.timeline.label_at(t - self.reaction_s)
        target = self._targets(intent, self.timeline.index_at(t - self.reaction_s), t) if n else np.empty((0, 2))
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
        x[:, 1:1 + n_eeg] *= self._gain
        env = self.emg.step(self.stimulation_ma, n)
        x[:, -1] = env * np.sqrt(np.pi / 2) * self._rng.standard_normal(n)
        for a, b in self._nan_spans:
            x[(t >= a) & (t < b), 1:-1] = np.nan
        for stall in self._stalls:
            if not stall[2] and n and t[-1] >= stall[0]:
                stall[2] = True
                time.sleep(stall[1])  # the Player's thread stops pushing: a real silence on the stream
        self.n_times_generated += n
        return x, self._new_markers(start / self.sfreq, (start + n) / self.sfreq)

    def _new_markers(self, t_start: float, t_end: float) -> list[tuple[int, str]]:
        """Cue onsets up to ``t_end`` not sent yet, looking back ``MARKER_LOOKBACK_S`` before ``t_start``.

        In the simulated rig a pause or a resume reaches this copy of the timeline a moment after the
        runner made it; its onset ("now") may then fall just behind the samples already sent. It is still
        sent once, stamped at its own sample, rather than lost from the record.
        """
        out = []
        for onset, label in self.timeline.onsets_between(max(0.0, t_start - MARKER_LOOKBACK_S), t_end):
            if (onset, label) not in self._sent_markers:
                self._sent_markers.add((onset, label))
                out.append((int(round(onset * self.sfreq)), label))
        return out


def simulate_recording(spec, seed: int = 0, lead_s: float = 1.0, *, model: ParticipantModel | None = None,
                       block: int = 0, day: int = 0, sfreq: float | None = None):
    """A paradigm run of the simulated participant offline (no LSL), as an MNE Raw in volts with cue annotations.

    For training a decoder without streaming first (notebooks, tests, benchmarks); the
    live path records the same signal through LSL and LabRecorder. ``sfreq``: the
    sampling rate (default: the participant's own, 500 Hz).
    """
    import mne

    from .paradigm import ParadigmRunner

    rate = {} if sfreq is None else {"sfreq": sfreq}  # None: the participant's own default rate
    p = SimulatedParticipant(CueTimeline(), seed=seed, model=model, block=block, day=day, **rate)
    ParadigmRunner(spec, p.timeline).start(offset_s=lead_s)
    x, markers = p.generate(int(round((spec.duration_s + 2 * lead_s) * p.sfreq)))
    info = mne.create_info(p.ch_names, p.sfreq, p.ch_types)
    scale = np.where(np.array(p.ch_types) == "misc", 1.0, 1e-6)
    raw = mne.io.RawArray(x.T * scale[:, None], info, verbose=False)
    raw.set_annotations(mne.Annotations([s / p.sfreq for s, _ in markers], [0.0] * len(markers),
                                        [lab for _, lab in markers]))
    return raw
