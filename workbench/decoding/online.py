"""Online decoding: feed chunks, get outputs, with the fitted decoder's kernels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import Problem, ValidationError
from ._validation import check_continuous
from .kernels import count_nonfinite_rows, hold_last_valid


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
        samples before the output, or the output itself is not finite.
    """

    sample_index: np.ndarray
    values: np.ndarray
    valid: np.ndarray

    def __len__(self):
        return len(self.sample_index)

    @classmethod
    def concatenate(cls, outputs, n_values):
        outputs = list(outputs)
        if not outputs:
            return cls(np.empty(0, np.int64), np.empty((0, n_values)), np.empty(0, bool))
        return cls(
            np.concatenate([o.sample_index for o in outputs]),
            np.concatenate([o.values for o in outputs]),
            np.concatenate([o.valid for o in outputs]),
        )


class OnlineDecoder:
    """Chunk-by-chunk application of a fitted :class:`Decoder`.

    ``update(chunk)`` takes (n_times, n_channels) samples of any length
    (including 0 or 1) and returns a :class:`DecoderOutput`. State lives in
    explicit state objects of each stage; ``reset()`` starts over.
    Non-finite samples are replaced by the channel's last finite value before
    they reach any filter (so one NaN cannot poison later outputs) and the
    outputs whose window saw them are flagged invalid.
    """

    def __init__(self, decoder):
        if not decoder.is_fitted:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("This Decoder is not fitted yet: call fit(runs, ends, y) first.")
        self.decoder = decoder
        self.reset()

    def reset(self):
        """Forget all history: fresh filter, window and model states."""
        d = self.decoder
        self._stage_states = [st.init_state() for st in d.stages]
        self._feature_state = d.features.init_state(d.step)
        self._model_state = d.model.init_state()
        self._last_valid = np.zeros(d.n_channels)
        self._n_seen = 0
        self._last_bad = -(1 << 62)

    @property
    def n_samples_seen(self):
        return self._n_seen

    def update(self, chunk):
        """Feed samples (n_times, n_channels); return the outputs they complete."""
        d = self.decoder
        x = check_continuous("chunk", chunk, d.n_channels, allow_nonfinite=True, copy=False)
        n = x.shape[0]
        n_bad = count_nonfinite_rows(x)
        if n_bad:  # repair a copy; the caller's array is never modified
            x = x.copy()
            bad_rows = np.zeros(n, dtype=bool)
            hold_last_valid(x, self._last_valid, bad_rows)
        elif n:
            self._last_valid[:] = x[-1]
        for st, state in zip(d.stages, self._stage_states):
            x = st.stream(x, state)
        feats = d.features.stream(x, self._feature_state)
        values = d.model.stream(feats, self._model_state) if len(feats) else np.empty((0, len(d.output_names())))
        # Output grid: sample counts c (1-based) with c % step == 0 and c >= window.
        lo = max(self._n_seen + 1, d.window)
        idx = np.arange(-(-lo // d.step), (self._n_seen + n) // d.step + 1, dtype=np.int64) * d.step - 1
        if len(idx) != len(values):  # an internal invariant, not user input
            raise RuntimeError(f"decoder produced {len(values)} outputs, expected {len(idx)}")
        if n_bad:
            bad_idx = np.where(bad_rows, np.arange(self._n_seen, self._n_seen + n), -(1 << 62))
            last_bad = np.maximum(np.maximum.accumulate(bad_idx), self._last_bad)
            last_bad_at = last_bad[idx - self._n_seen]
            self._last_bad = int(last_bad[-1])
        else:
            last_bad_at = self._last_bad
        valid = (idx - last_bad_at >= d.invalid_span) & np.isfinite(values).all(axis=1)
        self._n_seen += n
        return DecoderOutput(idx, values, valid)

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
