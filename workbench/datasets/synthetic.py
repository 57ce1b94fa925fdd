"""Physiologically plausible synthetic recordings with cued attempted grasps.

:class:`SyntheticSource` produces an endless, deterministic signal for one of
the montages in :mod:`workbench.datasets.montages`. What is in it, and why:

- **1/f background** on every channel (He 2014, Trends Cogn Sci 18:480).
- **Mu (8-12 Hz) and beta (15-25 Hz) rhythms** over the hand areas (C3/C4)
  that *desynchronize* during attempted movement: amplitude falls by
  ``erd_contra`` over the contralateral (left, for a right-hand grasp) and
  ``erd_ipsi`` over the ipsilateral hemisphere, with a ~0.4 s time constant
  (Pfurtscheller & Lopes da Silva 1999, Clin Neurophysiol 110:1842). People
  with chronic spinal cord injury keep this ERD during *attempted* movement
  (Müller-Putz et al. 2007, Clin Neurophysiol 118:2404; Hochberg 2006).
- **High gamma (70-150 Hz) increase** during movement, strongest in ECoG
  (Crone et al. 1998, Brain 121:2301; Miller et al. 2007, J Neurosci 27:2424).
- **Line noise** at ``line_freq`` (50 Hz Europe, 60 Hz Americas) with a small
  third harmonic, a different amplitude and phase per channel.
- **Blinks** (EEG only): ~0.4 s monophasic deflections of ~100 µV at Fp1/Fp2,
  0.2 per second on average (Lins et al. 1993, Brain Topogr 6:51).
- **EMG bursts** (EEG only): broadband >20 Hz bursts of 0.3-1 s at the temporal
  rim (Goncharova et al. 2003, Clin Neurophysiol 114:1580).
- **Spikes** (``utah-96`` only): one unit per electrode, inhomogeneous Poisson
  firing at 2-30 Hz whose rate follows the cues (grasp- or open-tuned,
  suppressed, or untuned units), biphasic ~1 ms waveforms of 40-150 µV on
  a 30 kHz broadband signal (Hochberg et al. 2006, Nature 442:164).
- Optional **flat** (all zeros: disconnected electrode) and **clipped**
  (amplified and saturated at ``clip_uv``) channels, for quality-check tests.

Cues cycle ``rest -> grasp -> open -> rest ...``, each ``cue_s`` seconds long,
the first at sample 0; :meth:`SyntheticSource.generate` returns a marker at
every cue onset.

Determinism: the signal is produced page by page (0.1 s pages) from one
``numpy.random.Generator`` seeded with ``seed``; filter states, pending
artifacts and the read position are explicit attributes. Pages are always made
in order and handed out from a buffer, so the samples never depend on the
block sizes asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from ..errors import Problem, ValidationError
from . import _filters
from .montages import MONTAGES, Montage

#: The cue cycle; cue ``k`` (starting at sample ``k * cue_samples``) is ``CUES[k % 3]``.
CUES = ("rest", "grasp", "open")

_PAGE_S = 0.1


@dataclass(frozen=True)
class _Profile:
    """Amplitudes (µV RMS unless noted) of each generator for one montage."""

    background: float
    noise: float
    mu: float
    beta: float
    high_gamma: float
    high_gamma_gain: float  # amplitude factor (1 + gain) at full movement
    erd_contra: float  # fraction of mu/beta amplitude lost at full movement
    erd_ipsi: float
    line: float
    clip_uv: float
    blink_rate: float = 0.0  # per second
    blink_uv: float = 0.0  # peak
    emg_rate: float = 0.0  # per second
    emg_uv: float = 0.0
    spikes: bool = False


# Orders of magnitude: scalp EEG background 10-20 µV and mu 5-10 µV at C3
# (Niedermeyer's Electroencephalography, 6th ed., ch. 9); ECoG roughly 5x scalp
# amplitudes (Ball et al. 2009, NeuroImage 46:708); Utah array LFP of tens of µV
# with ~5-10 µV thermal noise and 50-200 µV spikes (Nordhausen et al. 1996,
# Brain Res 726:129).
_PROFILES = {
    "eeg-64": _Profile(
        background=8.0, noise=0.5, mu=7.0, beta=3.5, high_gamma=0.3, high_gamma_gain=1.0,
        erd_contra=0.45, erd_ipsi=0.25, line=3.0, clip_uv=50.0,
        blink_rate=0.2, blink_uv=110.0, emg_rate=0.05, emg_uv=20.0,
    ),
    "ecog-8": _Profile(
        background=40.0, noise=2.0, mu=25.0, beta=20.0, high_gamma=10.0, high_gamma_gain=2.0,
        erd_contra=0.6, erd_ipsi=0.0, line=5.0, clip_uv=200.0,
    ),
    "utah-96": _Profile(
        background=25.0, noise=6.0, mu=8.0, beta=10.0, high_gamma=3.0, high_gamma_gain=1.5,
        erd_contra=0.5, erd_ipsi=0.0, line=2.0, clip_uv=200.0, spikes=True,
    ),
}


def _add_outer(x: np.ndarray, sources: np.ndarray, weights: np.ndarray) -> None:
    """``x += sources @ weights`` for a handful of sources, in place.

    A (n, 2) @ (2, 96) product through multithreaded BLAS cost 5-10x more than
    these broadcasts on the loaded 2-core test machine (measured 12 ms vs 1 ms
    per 0.1 s page at 30 kHz).
    """
    for j in range(sources.shape[1]):
        x += sources[:, j : j + 1] * weights[j]


class SyntheticSource:
    """An endless simulated recording: EEG, ECoG or Utah-array broadband with cued grasps.

    Parameters
    ----------
    montage : ``"eeg-64"`` | ``"ecog-8"`` | ``"utah-96"``
    seed : int
        Same seed, same samples (whatever block sizes :meth:`generate` is asked for).
    counter : bool
        If True, channel 0 is replaced by the sample index (0, 1, 2, ...) and is
        renamed ``"COUNTER"`` (type ``misc``, unit ``samples``) so a lost or
        repeated sample shows downstream. Blocks are then float64: float32
        holds integers exactly only up to 2**24 (16,777,216 samples, 9.3 min at
        30 kHz), float64 up to 2**53.
    flat_channel, clipped_channel : str | int | None
        Name or index of a channel to make flat (all zeros) or clipped
        (amplified 4x and saturated at +-``clip_uv``: 50 µV EEG, 200 µV ECoG/Utah).
    sfreq : float | None
        Sampling rate in Hz; default the montage's (500 EEG, 1000 ECoG, 30000 Utah).
    cue_s : float
        Length of each cue (rest, grasp, open) in seconds.
    line_freq : 50 | 60
        Mains frequency in Hz.

    Attributes
    ----------
    sfreq, ch_names, ch_types, units, montage, n_times_generated
    n_times : None
        Always None: the source never ends (a file source gives its length).
    """

    n_times = None

    def __init__(
        self,
        montage: str = "eeg-64",
        seed: int = 0,
        counter: bool = False,
        flat_channel: str | int | None = None,
        clipped_channel: str | int | None = None,
        sfreq: float | None = None,
        cue_s: float = 4.0,
        line_freq: float = 50.0,
        day: int = 0,
        turnover_per_day: float = 0.2,
    ) -> None:
        problems: list[Problem] = []
        if isinstance(day, bool) or not isinstance(day, (int, np.integer)) or not 0 <= day <= 10_000:
            problems.append(Problem("day", day, "a whole number of days 0-10000"))
        if (isinstance(turnover_per_day, bool) or not isinstance(turnover_per_day, (int, float))
                or not 0 <= turnover_per_day <= 1):
            problems.append(Problem("turnover_per_day", turnover_per_day, "a fraction of units in [0, 1]"))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            problems.append(Problem("seed", seed, "an integer >= 0"))
        if not isinstance(cue_s, (int, float)) or not np.isfinite(cue_s) or not 0.5 <= cue_s <= 600:
            problems.append(Problem("cue_s", cue_s, "seconds between 0.5 and 600"))
        if line_freq not in (50, 60):
            problems.append(Problem("line_freq", line_freq, "50 or 60 (Hz)"))
        if not isinstance(montage, str) or montage not in MONTAGES:
            # The rules below are the montage's (its rate, its channels): the problems above come with it.
            problems.append(Problem("montage", montage, "one of " + ", ".join(repr(m) for m in MONTAGES)))
            raise ValidationError(problems, what="SyntheticSource")
        mont: Montage = MONTAGES[montage]
        sfreq = mont.sfreq if sfreq is None else sfreq
        if not isinstance(sfreq, (int, float)) or not np.isfinite(sfreq) or sfreq < mont.min_sfreq:
            problems.append(Problem("sfreq", sfreq, f"a number >= {mont.min_sfreq:g} Hz for {montage}"))
        flat = self._pick(mont, "flat_channel", flat_channel, problems)
        clipped = self._pick(mont, "clipped_channel", clipped_channel, problems)
        if flat is not None and flat == clipped:
            problems.append(Problem("clipped_channel", clipped_channel, "a different channel than flat_channel"))
        if counter and 0 in (flat, clipped):
            problems.append(Problem("counter", counter, "False when channel 0 is the flat or clipped channel"))
        if problems:
            raise ValidationError(problems, what="SyntheticSource")

        self.montage = mont
        self.seed = int(seed)
        self.counter = bool(counter)
        self.sfreq = float(sfreq)
        self.cue_s = float(cue_s)
        self.line_freq = float(line_freq)
        self.day, self.turnover_per_day = int(day), float(turnover_per_day)
        self.flat_channel = flat
        self.clipped_channel = clipped
        self.cue_samples = int(round(self.cue_s * self.sfreq))
        self.ch_names = list(mont.ch_names)
        self.ch_types = [mont.ch_type] * mont.n_channels
        self.units = ["microvolts"] * mont.n_channels
        if self.counter:
            self.ch_names[0], self.ch_types[0], self.units[0] = "COUNTER", "misc", "samples"
        self.stream_type = mont.stream_type
        self.description = f"SyntheticSource {mont.name} seed={self.seed}"
        self.n_times_generated = 0
        self._profile = _PROFILES[mont.name]
        self._page_n = max(1, int(round(self.sfreq * _PAGE_S)))
        self._setup()

    # ------------------------------------------------------------------ public
    @property
    def dtype(self) -> type:
        """float64 with a counter channel (exact sample indices), else float32."""
        return np.float64 if self.counter else np.float32

    def cue_at(self, sample: int | np.ndarray) -> str | np.ndarray:
        """The cue label in force at ``sample`` (an index or an array of indices)."""
        labels = np.asarray(CUES)[(np.asarray(sample) // self.cue_samples) % len(CUES)]
        return str(labels) if labels.ndim == 0 else labels

    def generate(self, n_times: int) -> tuple[np.ndarray, list[tuple[int, str]]]:
        """Return the next ``n_times`` samples and the cues that start in them.

        Returns
        -------
        block : ndarray, shape (n_times, n_channels)
            µV (the counter channel in samples); float32, or float64 with ``counter``.
        markers : list of (int, str)
            ``(sample_index, label)`` for each cue onset in the block; the
            index counts from the first sample ever generated.
        """
        if isinstance(n_times, bool) or not isinstance(n_times, (int, np.integer)) or n_times < 0:
            raise ValidationError([Problem("n_times", n_times, "an integer >= 0")], what="generate")
        n_times = int(n_times)
        pages = [self._buffer]
        have = self._buffer.shape[0]
        while have < n_times:
            pages.append(self._make_page())
            have += pages[-1].shape[0]
        buffer = np.concatenate(pages) if len(pages) > 1 else self._buffer
        block, self._buffer = buffer[:n_times], buffer[n_times:]
        start = self.n_times_generated
        first_cue = -(-start // self.cue_samples)  # ceil
        markers = [
            (k * self.cue_samples, CUES[k % len(CUES)])
            for k in range(first_cue, (start + n_times - 1) // self.cue_samples + 1)
        ]
        self.n_times_generated += n_times
        return block.astype(self.dtype, copy=False), markers

    # ---------------------------------------------------------------- internals
    @staticmethod
    def _pick(mont: Montage, field: str, value, problems: list[Problem]) -> int | None:
        if value is None:
            return None
        if isinstance(value, str) and value in mont.ch_names:
            return mont.ch_names.index(value)
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and 0 <= value < mont.n_channels:
            return int(value)
        problems.append(Problem(field, value, f"a channel name of {mont.name} or an index 0..{mont.n_channels - 1}"))
        return None

    def _setup(self) -> None:
        n_ch, sf, prof = self.montage.n_channels, self.sfreq, self._profile
        self._rng = np.random.default_rng(self.seed)
        rng = self._rng
        self._buffer = np.zeros((0, n_ch))
        self._page = 0
        self._pink = _filters.pink()
        self._mu = _filters.resonator(10.0, 2.0, sf)
        self._beta = _filters.resonator(20.0, 6.0, sf)
        self._hg = _filters.bandpass(70.0, min(150.0, 0.4 * sf), sf)
        self._erd_env = _filters.smoother(0.4, sf)
        self._hg_env = _filters.smoother(0.1, sf)
        self._emg_sos = _filters.highpass_sos(20.0, sf)
        # Fixed per-channel traits, drawn once from the seed.
        self._bg_gain = prof.background * (0.8 + 0.4 * rng.random(n_ch))
        self._line_amp = prof.line * (0.5 + rng.random(n_ch))
        line_phase = rng.uniform(0, 2 * np.pi, n_ch)
        # Fundamental plus a third harmonic at 20 % (rectifier loads in the mains).
        self._line_mix = self._line_amp * np.vstack(
            [np.cos(line_phase), np.sin(line_phase), 0.2 * np.cos(line_phase), 0.2 * np.sin(line_phase)]
        )
        # Filter states (explicit, advanced page by page).
        self._zi_pink = _filters.zero_state(*self._pink, n_ch)
        self._zi_mu = _filters.zero_state(*self._mu, 2)
        self._zi_beta = _filters.zero_state(*self._beta, 2)
        self._zi_hg = _filters.zero_state(*self._hg, 2)
        self._zi_erd = _filters.zero_state(*self._erd_env, 1)[:, 0]
        self._zi_hgenv = _filters.zero_state(*self._hg_env, 1)[:, 0]
        # Artifacts that started in one page and run into the next ones.
        if prof.spikes:
            self._setup_units(rng, n_ch)
            self._turn_over_units(n_ch)
        # Longest artifact: an EMG burst (1 s) or a spike waveform (1.6 ms).
        longest = 1.2 * sf if (prof.blink_rate or prof.emg_rate) else (self._waveform.size + 1 if prof.spikes else 1)
        self._carry = np.zeros((self._page_n + int(round(longest)), n_ch))
        # Run the 1/f filter in so the first samples carry no start-up transient.
        warm = rng.standard_normal((4 * 1024, n_ch))
        _, self._zi_pink = signal.lfilter(*self._pink, warm, axis=0, zi=self._zi_pink)

    def _setup_units(self, rng: np.random.Generator, n_ch: int) -> None:
        sf = self.sfreq
        # Baseline rates: log-normal, median 8 Hz, clipped to 2-30 Hz.
        self._rate = np.clip(rng.lognormal(np.log(8.0), 0.6, n_ch), 2.0, 30.0)
        kind = rng.random(n_ch)
        # ~40 % grasp-tuned, 25 % open-tuned, 15 % suppressed, 20 % untuned
        # (mixed tuning as in human motor cortex: Truccolo et al. 2008, J Neurosci 28:1163).
        self._gain_grasp = np.where(kind < 0.4, rng.uniform(1.5, 3.0, n_ch), 0.0)
        self._gain_open = np.where((kind >= 0.4) & (kind < 0.65), rng.uniform(1.5, 3.0, n_ch), 0.0)
        suppressed = (kind >= 0.65) & (kind < 0.8)
        self._gain_grasp = np.where(suppressed, -0.7, self._gain_grasp)
        self._gain_open = np.where(suppressed, -0.7, self._gain_open)
        self._spike_uv = rng.uniform(40.0, 150.0, n_ch)
        t = np.arange(int(round(1.6e-3 * sf))) / sf
        # Extracellular action potential: sharp negative trough then a slower
        # positive repolarisation (Gold et al. 2006, J Neurophysiol 95:3113).
        trough = np.exp(-0.5 * ((t - 0.35e-3) / 0.1e-3) ** 2)
        bump = np.exp(-0.5 * ((t - 0.8e-3) / 0.25e-3) ** 2)
        self._waveform = -trough + 0.35 * bump
        self._zi_units = _filters.zero_state(*self._hg_env, 2)

    def _turn_over_units(self, n_ch: int) -> None:
        """Day-to-day turnover: on each day after day 0, a ``turnover_per_day`` share of electrodes records a new unit.

        Chronic arrays lose and gain units from one day to the next (about half
        of the units were stable over days to weeks in Dickey et al. 2009,
        J Neurophysiol 102:1331), so a decoder fitted on day 0 meets changed
        tuning later. Drawn from its own generator, so day 0 is unchanged and
        the noise of every day comes from ``seed`` alone.
        """
        keep = (self._rate.copy(), self._gain_grasp.copy(), self._gain_open.copy(), self._spike_uv.copy())
        self.units_replaced = np.zeros(n_ch, dtype=bool)
        for d in range(1, self.day + 1):
            r = np.random.default_rng([self.seed, 1_000_003, d])
            new = r.random(n_ch) < self.turnover_per_day
            self._setup_units(r, n_ch)  # a fresh draw of every unit's traits; only the replaced ones are kept
            fresh = (self._rate, self._gain_grasp, self._gain_open, self._spike_uv)
            keep = tuple(np.where(new, f, k) for f, k in zip(fresh, keep))
            self.units_replaced |= new
        self._rate, self._gain_grasp, self._gain_open, self._spike_uv = keep

    def _make_page(self) -> np.ndarray:
        n, n_ch, sf = self._page_n, self.montage.n_channels, self.sfreq
        prof, rng, w = self._profile, self._rng, self.montage.weights
        idx = self._page * n + np.arange(n)
        self._page += 1
        cue = (idx // self.cue_samples) % len(CUES)
        grasp, opening = (cue == 1).astype(float), (cue == 2).astype(float)
        move = grasp + opening
        erd, self._zi_erd = signal.lfilter(*self._erd_env, move, zi=self._zi_erd)
        hg_env, self._zi_hgenv = signal.lfilter(*self._hg_env, move, zi=self._zi_hgenv)

        white = rng.standard_normal((n, n_ch))
        background, self._zi_pink = signal.lfilter(*self._pink, white, axis=0, zi=self._zi_pink)
        x = background * self._bg_gain
        # The flat amplifier/electrode noise floor reuses the same white noise:
        # the sum is still Gaussian noise with a 1/f spectrum over a flat floor,
        # at half the cost of a second draw (the 30 kHz Utah budget).
        x += white * prof.noise

        # Motor generators: index 0 = left hemisphere (contralateral to the
        # right hand), 1 = right hemisphere.
        drive = rng.standard_normal((n, 6))
        mu, self._zi_mu = signal.lfilter(*self._mu, drive[:, 0:2], axis=0, zi=self._zi_mu)
        beta, self._zi_beta = signal.lfilter(*self._beta, drive[:, 2:4], axis=0, zi=self._zi_beta)
        hg, self._zi_hg = signal.lfilter(*self._hg, drive[:, 4:6], axis=0, zi=self._zi_hg)
        keep = np.column_stack([1.0 - prof.erd_contra * erd, 1.0 - prof.erd_ipsi * erd])
        boost = np.column_stack([1.0 + prof.high_gamma_gain * hg_env, 1.0 + 0.5 * prof.high_gamma_gain * hg_env])
        motor = (prof.mu * mu + prof.beta * beta) * keep + prof.high_gamma * hg * boost
        _add_outer(x, motor, w[:2])

        # sin(wt + phase) = sin(wt) cos(phase) + cos(wt) sin(phase): trigonometry
        # on n samples instead of n * n_channels (the 30 kHz Utah budget).
        angle = 2 * np.pi * ((idx * (self.line_freq / sf)) % 1.0)
        waves = np.column_stack([np.sin(angle), np.cos(angle), np.sin(3 * angle), np.cos(3 * angle)])
        _add_outer(x, waves, self._line_mix)

        if prof.blink_rate:
            self._add_blinks(n)
        if prof.emg_rate:
            self._add_emg(n)
        if prof.spikes:
            self._add_spikes(n, grasp, opening)
        x += self._carry[:n]
        self._carry = np.concatenate([self._carry[n:], np.zeros((n, n_ch))])

        if self.flat_channel is not None:
            x[:, self.flat_channel] = 0.0
        if self.clipped_channel is not None:
            c = self.clipped_channel
            x[:, c] = np.clip(4.0 * x[:, c], -prof.clip_uv, prof.clip_uv)
        if self.counter:
            x[:, 0] = idx
        return x

    def _add_blinks(self, n: int) -> None:
        rng, sf = self._rng, self.sfreq
        for onset in rng.integers(0, n, rng.poisson(self._profile.blink_rate * n / sf)):
            length = int(round(rng.uniform(0.3, 0.5) * sf))
            wave = np.hanning(length) * self._profile.blink_uv * rng.uniform(0.7, 1.3)
            self._carry[onset : onset + length] += wave[:, None] * self.montage.weights[2]

    def _add_emg(self, n: int) -> None:
        rng, sf = self._rng, self.sfreq
        muscle = np.flatnonzero(self.montage.weights[3])
        for onset in rng.integers(0, n, rng.poisson(self._profile.emg_rate * n / sf)):
            length = int(round(rng.uniform(0.3, 1.0) * sf))
            burst = signal.sosfilt(self._emg_sos, rng.standard_normal((length, muscle.size)), axis=0)
            burst *= np.hanning(length)[:, None] * self._profile.emg_uv * 1.6  # Hann RMS ~ 0.61
            self._carry[onset : onset + length, muscle] += burst * self.montage.weights[3, muscle]

    def _add_spikes(self, n: int, grasp: np.ndarray, opening: np.ndarray) -> None:
        rng, sf = self._rng, self.sfreq
        cues = np.column_stack([grasp, opening])
        env, self._zi_units = signal.lfilter(*self._hg_env, cues, axis=0, zi=self._zi_units)
        # Integrated rate profiles; unit k fires with intensity
        # rate_k * (1 + g_grasp_k * env_grasp + g_open_k * env_open) >= 0 (gains >= -0.7).
        cum = np.cumsum(np.column_stack([np.ones(n), env]), axis=0) / sf
        positions, channels = [], []
        for k in range(self.montage.n_channels):
            cum_k = self._rate[k] * (cum[:, 0] + self._gain_grasp[k] * cum[:, 1] + self._gain_open[k] * cum[:, 2])
            count = rng.poisson(cum_k[-1])
            # Inverse-CDF sampling of an inhomogeneous Poisson process.
            positions.append(np.searchsorted(cum_k, rng.random(count) * cum_k[-1]))
            channels.append(np.full(count, k))
        pos, ch = np.concatenate(positions), np.concatenate(channels)
        rows = pos[:, None] + np.arange(self._waveform.size)
        np.add.at(self._carry, (rows, ch[:, None]), self._spike_uv[ch, None] * self._waveform)
