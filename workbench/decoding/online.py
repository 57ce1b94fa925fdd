"""Online decoding: feed chunks, get outputs, with the fitted decoder's kernels."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ..errors import Problem, ValidationError
from ._validation import check_continuous
from ._fused import FusedBandPowerLDA, FusedSpikes
from .kernels import all_bounded, count_nonfinite_rows, hold_last_valid


FAULT_KINDS = ("nonfinite_input", "state_overflow", "gap")

#: A recursive state value beyond this is an overflow: its square (every power
#: feature squares) would exceed the float64 range (about 1.8e308). No
#: physiological signal in any unit comes near it.
STATE_LIMIT = 1e150


@dataclass(frozen=True)
class DecoderFault:
    """Something that made the online decoder's outputs invalid for a while.

    Attributes
    ----------
    sample_index : int
        Index (from the first sample fed) of the first sample concerned: the
        first non-finite sample, the last sample of the chunk in which a state
        overflowed, or the first sample after a gap.
    kind : str
        ``"nonfinite_input"``, ``"state_overflow"`` or ``"gap"``.
    detail : str
        What happened, for the operator and the safety record.
    """

    sample_index: int
    kind: str
    detail: str


@dataclass(frozen=True)
class DecoderOutput:
    """Outputs of a decoder for one chunk (or a whole recording).

    Attributes
    ----------
    sample_index : ndarray of int64, shape (n_outputs,)
        Index (from the first sample fed) of the sample after which each
        output was produced.
    values : ndarray, shape (n_outputs, n_values)
        Class probabilities (classifiers) or decoded variables (regressors).
    valid : ndarray of bool, shape (n_outputs,)
        False where a non-finite input sample fell within ``invalid_span``
        samples before the output, where the window still holds data from
        before a gap or a state reset, or where the output is not finite.
    features : ndarray, shape (n_outputs, n_features) | None
        The feature vectors the model read (e.g. for closed-loop decoder
        adaptation, :meth:`Decoder.batch_update`).
    """

    sample_index: np.ndarray
    values: np.ndarray
    valid: np.ndarray
    features: np.ndarray | None = None

    def __len__(self):
        return len(self.sample_index)

    @classmethod
    def concatenate(cls, outputs, n_values):
        outputs = list(outputs)
        if not outputs:
            return cls(np.empty(0, np.int64), np.empty((0, n_values)), np.empty(0, bool))
        feats = [o.features for o in outputs]
        return cls(
            np.concatenate([o.sample_index for o in outputs]),
            np.concatenate([o.values for o in outputs]),
            np.concatenate([o.valid for o in outputs]),
            None if any(f is None for f in feats) else np.concatenate(feats),
        )


def _recursive_arrays(state):
    """The arrays of a stage or model state that feed back into later samples."""
    if state is None:
        return ()
    return tuple(getattr(state, f) for f in getattr(state, "recursive_fields", ()))


class OnlineDecoder:
    """Chunk-by-chunk application of a fitted :class:`Decoder`, safe in a loop.

    ``update(chunk)`` takes (n_times, n_channels) samples of any length
    (including 0 or 1) and returns a :class:`DecoderOutput`. State lives in
    explicit state objects of each stage; ``reset()`` starts over.

    It runs on a *snapshot* of the decoder taken when it is made: fitting
    the decoder again (or adapting it) never changes outputs that are being
    produced; make a new OnlineDecoder to switch.

    Faults, reported by :meth:`pop_faults` and never silently absorbed:

    - non-finite input: replaced by the channel's last finite value before it
      reaches any filter (one NaN fed to an IIR filter would make its state
      NaN forever); outputs within ``invalid_span`` samples are invalid.
    - state overflow: a finite but huge input can push a recursive state
      (filter ``zi``, smoothed power, Kalman x and P) to Inf, after which
      Inf - Inf = NaN poisons every later sample, or near it, where its
      square is Inf for thousands of samples while the filter rings down.
      After each chunk those states are checked against ``STATE_LIMIT``; an
      overflowed one is reset to its initial value and outputs are invalid
      until a full window of new data.
    - gap: :meth:`mark_gap` (the stream reported lost samples or a
      reconnection) resets the recursive states and invalidates outputs until
      a full window of new data has arrived.

    Parameters
    ----------
    decoder : Decoder
        A fitted decoder (copied).
    fused : bool
        Run a filter + :class:`BandPower` + :class:`LDA` decoder in one
        kernel call per chunk (same outputs, about half the time at 64
        channels: benchmarks/decoder.py), and a band-pass +
        :class:`SpikeFeatures` decoder's repair, filter and spike features in
        one pass over each chunk (same outputs; 1024 channels at 30 kHz:
        ``intracortical_realtime_factor``); False runs every decoder stage by
        stage.
    """

    def __init__(self, decoder, *, fused=True):
        if not decoder.is_fitted:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("This Decoder is not fitted yet: call fit(...) first.")
        # A deep copy: Decoder.fit refits its estimators in place, and a running
        # loop must never see half-refitted or different parameters.
        self.decoder = copy.deepcopy(decoder)
        use_fused = fused and FusedBandPowerLDA.applies(self.decoder)
        self._fused = FusedBandPowerLDA(self.decoder) if use_fused else None
        use_spikes = fused and FusedSpikes.applies(self.decoder)
        self._spikes = FusedSpikes(self.decoder) if use_spikes else None
        self.reset()

    def reset(self):
        """Forget all history: fresh filter, window and model states."""
        d = self.decoder
        self._stage_states = [st.init_state() for st in d.stages]
        self._feature_state = d.features.init_state(d.step)
        self._model_state = d.model.init_state()
        self._last_valid = np.zeros(d.n_channels)
        self._n_seen = 0
        self._last_bad = np.full(1, -(1 << 62), dtype=np.int64)  # last non-finite input sample
        self._valid_from = 0
        self._faults = []

    @property
    def n_samples_seen(self):
        return self._n_seen

    @property
    def _refill_span(self):
        """Samples of new data needed after a reset before an output is trusted again."""
        return max(self.decoder.window, self.decoder.invalid_span)

    def mark_gap(self, detail="gap in the stream"):
        """The stream lost samples or reconnected: start the filters afresh.

        The filters' state describes a signal that no longer continues: fed on
        across the gap they would ring on the step between the last sample
        before and the first after (and after a reconnection the amplifier's
        offset is often different). Their initial state is what they had at
        the start of every training run, so the transient after a gap is one
        the decoder was trained with. The model state (Kalman) restarts from
        its prior for the same reason. The window features are not reset:
        they keep the absolute output grid and forget old samples on their
        own after one window, which is exactly the span during which outputs
        are flagged invalid (``max(window, invalid_span)`` samples).
        """
        d = self.decoder
        self._stage_states = [st.init_state() for st in d.stages]
        self._model_state = d.model.init_state()
        self._valid_from = max(self._valid_from, self._n_seen + self._refill_span - 1)
        self._faults.append(DecoderFault(self._n_seen, "gap", str(detail)))

    def pop_faults(self):
        """The faults since the last call (oldest first), and forget them."""
        out, self._faults = self._faults, []
        return out

    def update(self, chunk):
        """Feed samples (n_times, n_channels); return the outputs they complete."""
        d = self.decoder
        x = check_continuous("chunk", chunk, d.n_channels, allow_nonfinite=True, copy=False)
        if self._fused is not None and self._stage_states[0].started:
            return self._update_fused(x)
        n = x.shape[0]
        n0 = self._n_seen
        bad_rows = None
        if self._spikes is not None and self._stage_states[0].started:
            # repair, band-pass and spike features in one pass (see :mod:`._fused`)
            feats, n_bad, _ = self._spikes.run(x, self._stage_states[0], self._feature_state, self._last_valid,
                                               STATE_LIMIT)
            if n_bad:
                bad_rows = self._spikes.bad_rows[:n]
                self._report_nonfinite(bad_rows, n_bad, n0)
        else:
            feats, n_bad, bad_rows = self._staged_features(x, n0)
        values = d.model.stream(feats, self._model_state) if len(feats) else np.empty((0, len(d.output_names())))
        # Output grid: sample counts c (1-based) with c % step == 0 and c >= window.
        lo = max(n0 + 1, d.window)
        idx = np.arange(-(-lo // d.step), (n0 + n) // d.step + 1, dtype=np.int64) * d.step - 1
        if len(idx) != len(values):  # an internal invariant, not user input
            raise RuntimeError(f"decoder produced {len(values)} outputs, expected {len(idx)}")
        if n_bad:
            bad_idx = np.where(bad_rows, np.arange(n0, n0 + n), -(1 << 62))
            last_bad = np.maximum(np.maximum.accumulate(bad_idx), self._last_bad[0])
            last_bad_at = last_bad[idx - n0]
            self._last_bad[0] = last_bad[-1]
        else:
            last_bad_at = self._last_bad[0]
        self._n_seen += n
        overflowed = self._reset_overflowed_states() if n else False
        valid = (idx - last_bad_at >= d.invalid_span) & (idx >= self._valid_from) & np.isfinite(values).all(axis=1)
        if overflowed:  # when in the chunk it happened is unknown: none of its outputs is trusted
            valid[:] = False
        return DecoderOutput(idx, values, valid, feats)

    def _staged_features(self, x, n0):
        """Repair, stages and features one kernel after another: (features, n_bad, bad_rows)."""
        d, n = self.decoder, x.shape[0]
        bad_rows = None
        n_bad = count_nonfinite_rows(x)
        if n_bad:  # repair a copy; the caller's array is never modified
            x = x.copy()
            bad_rows = np.zeros(n, dtype=bool)
            hold_last_valid(x, self._last_valid, bad_rows)
            self._report_nonfinite(bad_rows, n_bad, n0)
        elif n:
            self._last_valid[:] = x[-1]
        for st, state in zip(d.stages, self._stage_states):
            x = st.stream(x, state)
        return d.features.stream(x, self._feature_state), n_bad, bad_rows

    def _update_fused(self, x):
        """The same outputs in one kernel call (see :mod:`._fused`)."""
        d, n0, n = self.decoder, self._n_seen, x.shape[0]
        n_bad, state_ok, idx, feats, values, valid = self._fused.run(
            x, self._stage_states[0], self._feature_state, self._last_valid, self._last_bad, self._valid_from,
            d.invalid_span, STATE_LIMIT)
        if n_bad:
            self._report_nonfinite(self._fused.bad_rows[:n], n_bad, n0)
        self._n_seen += n
        if not state_ok and self._reset_overflowed_states():
            valid[:] = False
        return DecoderOutput(idx, values, valid, feats)

    def _report_nonfinite(self, bad_rows, n_bad, n0):
        first = int(np.argmax(bad_rows))
        self._faults.append(DecoderFault(
            n0 + first, "nonfinite_input",
            f"{n_bad} sample(s) with NaN or Inf in samples {n0 + first}..{n0 + len(bad_rows) - 1}, "
            "replaced by each channel's last finite value"))

    def _reset_overflowed_states(self):
        d = self.decoder
        parts = [(f"stages[{i}] ({type(st).__name__})", st, i) for i, st in enumerate(d.stages)]
        parts.append((f"model ({type(d.model).__name__})", d.model, None))
        hit = []
        for label, est, i in parts:
            state = self._model_state if i is None else self._stage_states[i]
            if all(all_bounded(a.reshape(-1), STATE_LIMIT) for a in _recursive_arrays(state)):
                continue
            hit.append(label)
            if i is None:
                self._model_state = est.init_state()
            else:
                self._stage_states[i] = est.init_state()
        if not hit:
            return False
        n = self._n_seen
        self._valid_from = max(self._valid_from, n + self._refill_span - 1)
        self._faults.append(DecoderFault(
            n - 1, "state_overflow",
            f"state of {', '.join(hit)} overflowed (NaN, Inf or beyond 1e150) by sample {n - 1}; reset to its initial value"))
        return True

    def warm(self, n_times=64):
        """Compile (or load from numba's cache) every kernel :meth:`update` can call; return seconds taken.

        A live loop must never compile: the first fused update compiles for tens of seconds on a cold
        cache, while the stream's ring buffer fills (issue 18). This runs a throwaway copy over chunks
        of the live shape and dtype (``n_times`` x the decoder's channels, float64, as the closed loop
        feeds it): the first chunk (stage by stage), later ones (fused), a non-finite sample, a single
        sample, and after :meth:`mark_gap`. This decoder's state is untouched.
        """
        import time

        t = time.perf_counter()
        probe = copy.copy(self)  # shares the fitted (read-only) decoder; its own states below
        probe.reset()
        n = max(2, int(n_times))
        rng = np.random.default_rng(0)
        x = rng.standard_normal((n, self.decoder.n_channels))
        probe.update(x)
        probe.update(x)
        x[n // 2, 0] = np.nan
        probe.update(x)
        probe.update(x[:1])
        probe.mark_gap("warm-up")
        probe.update(x)
        return time.perf_counter() - t

    def check_stream(self, ch_names, sfreq):
        """See :meth:`Decoder.check_stream`."""
        self.decoder.check_stream(ch_names, sfreq)


def decode_in_chunks(decoder, X, sizes):
    """Run ``decoder`` online over ``X`` cut into chunks of the given sizes.

    ``sizes`` are used in turn (cycled) until ``X`` is consumed; returns the
    concatenated :class:`DecoderOutput`.
    """
    sizes = [int(s) for s in sizes]
    if not sizes or min(sizes) < 1:
        raise ValidationError([Problem("sizes", sizes, "positive chunk lengths")], what="decode_in_chunks")
    online = decoder.online()
    outs, pos, i = [], 0, 0
    X = np.asarray(X)
    while pos < len(X):
        s = sizes[i % len(sizes)]
        outs.append(online.update(X[pos:pos + s]))
        pos += s
        i += 1
    return DecoderOutput.concatenate(outs, len(decoder.output_names()))
