"""The decoder: one fitted object for offline analysis and online use.

A :class:`Decoder` chains continuous stages (filters, re-referencing), a
windowed feature stage (CSP, band power, spikes) and a read-out model (LDA,
ridge, Kalman). ``fit`` trains on windows cut from the *continuously
processed* training runs, i.e. from exactly the signal the online decoder sees;
``decode`` (offline, whole recording) and :class:`OnlineDecoder` (chunks) run
the same streaming code, so a step applied online cannot be skipped in
training.
"""

from __future__ import annotations

import copy
import hashlib

import numpy as np
from ..errors import Problem, ValidationError
from ._base import clone, pipeline_steps
from ._validation import check_continuous, configuration_problems
from ._windowed import WindowedFeature

#: Windows per batch where the feature stage is computed batch by batch (:meth:`Decoder.fit`): 64 windows of
#: 16 channels x 2,000 samples are 16 MB.
BATCH_WINDOWS = 64


def _cut_windows(xp, ends, window, out):
    """Copy the windows of ``xp`` (n_times, n_channels) ending at ``ends`` into ``out`` (n, n_channels, window)."""
    for i, k in enumerate(ends.tolist()):
        out[i] = xp[k - window + 1:k + 1].T


class Decoder:
    """Continuous stages + windowed features + model, trained and run as one.

    Parameters
    ----------
    stages : list of estimators
        Continuous stages applied in order to (n_times, n_channels) data:
        :class:`IIRFilter`, :class:`NotchFilter`, :class:`FilterBank`,
        :class:`CommonAverageReference`, :class:`LaplacianReference`,
        :class:`SmoothedPower`.
    pipeline : sklearn Pipeline or list
        Two steps: a windowed feature (:class:`CSP`, :class:`BandPower`,
        :class:`LogVariance`, :class:`SpikeFeatures`, :class:`LastSample`) then a model
        (:class:`LDA`, :class:`Ridge`, :class:`KalmanDecoder`). It is cloned.
    sfreq : float
        Sampling rate in Hz.
    ch_names : list of str
        Input channel names, in column order.
    window : int
        Window length in samples (training epochs have this length).
    step : int
        Samples between outputs. Outputs fall after sample count ``n`` with
        ``n % step == 0 and n >= window`` (counted from the first sample), so
        chunking cannot move them.
    invalid_span : int | None
        Outputs are flagged invalid while a non-finite input sample lies
        within this many samples before them (default: ``window``).
    """

    def __init__(self, stages, pipeline, *, sfreq, ch_names, window, step, invalid_span=None):
        self.stages = list(stages)
        steps = pipeline_steps(pipeline)
        self.ch_names = [str(c) for c in ch_names]
        self.sfreq = float(sfreq) if sfreq is not None else sfreq
        self.window = window
        self.step = step
        self.invalid_span = window if invalid_span is None else invalid_span
        problems = []
        if not (self.sfreq and np.isfinite(self.sfreq) and self.sfreq > 0):
            problems.append(Problem("sfreq", sfreq, "a sampling rate > 0 in Hz"))
        if not self.ch_names:
            problems.append(Problem("ch_names", ch_names, "at least one channel name"))
        elif len(set(self.ch_names)) != len(self.ch_names):
            problems.append(Problem("ch_names", "duplicates", "unique channel names"))
        for name, v in (("window", window), ("step", step)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                problems.append(Problem(name, v, "a positive whole number of samples"))
        if not isinstance(self.invalid_span, (int, np.integer)) or self.invalid_span < 0:
            problems.append(Problem("invalid_span", invalid_span, "a number of samples >= 0"))
        if len(steps) != 2 or not isinstance(steps[0], WindowedFeature):
            problems.append(Problem("pipeline", [type(s).__name__ for s in steps],
                                    "[windowed feature (CSP, BandPower, LogVariance, SpikeFeatures, LastSample), model]"))
        for i, st in enumerate(self.stages):
            if not (hasattr(st, "stream") and hasattr(st, "init_state")) or isinstance(st, WindowedFeature):
                problems.append(Problem(f"stages[{i}]", type(st).__name__, "a continuous stage (filter or reference)"))
        if len(steps) == 2:
            problems.extend(configuration_problems(self.stages, steps[0], self.sfreq))
        if problems:
            raise ValidationError(problems, what="Decoder")
        self.features = clone(steps[0])
        self.model = clone(steps[1])
        self.stages = [clone(s) for s in self.stages]
        self.training_sha256_ = None

    # ---------------------------------------------------------------- offline
    @property
    def n_channels(self):
        return len(self.ch_names)

    @property
    def is_fitted(self):
        return self.training_sha256_ is not None

    def preprocess(self, X):
        """Continuous stages over a whole run (fresh state): (n_times, n_channels_out)."""
        x = check_continuous("X", X, self.n_channels)
        for st in self.stages:
            x = st.stream(x, st.init_state())
        return x

    def epochs(self, runs, ends):
        """Windows of the processed runs ending at ``ends``: (n_epochs, n_channels_out, window).

        ``runs`` is a list of (n_times, n_channels) arrays (each processed from a
        fresh state, as separate recordings), ``ends`` a list of arrays of the
        sample index of each window's last sample. This is what CSP or band
        power are trained on, and what the online decoder sees at those samples.
        Unfitted continuous stages are fitted first (they learn only the
        channel count; filters are designed from their parameters).
        """
        self._fit_stages(runs)
        return self._epochs(runs, ends)

    def _epochs(self, runs, ends, processed=None):
        """:meth:`epochs` with fitted stages, writing each run's windows into one preallocated array.

        Runs are preprocessed one at a time (or taken from ``processed``, the
        same runs already preprocessed by a decoder of this configuration), so
        at most one processed run is alive beside the output. Windows every
        0.1 s of 1 s overlap 10 times: the output is ten times the runs.
        """
        ends = self._checked_ends(runs, ends, processed)
        n_total = sum(len(e) for e in ends)
        if not n_total:
            return np.empty((0, 0, self.window))
        out, pos = None, 0
        for xp, e in zip(self._processed(runs, processed), ends):
            if out is None:
                out = np.empty((n_total, xp.shape[1], self.window))
            _cut_windows(xp, e, self.window, out[pos:pos + len(e)])
            pos += len(e)
            del xp
        return out

    def _processed(self, runs, processed=None):
        """Each run preprocessed, one at a time (or the given preprocessed runs)."""
        if processed is not None:
            yield from processed
            return
        for run in runs:
            yield self.preprocess(run)

    def _preprocessed_runs(self, runs):
        """Fit the continuous stages and preprocess every run: to share across decoders of this configuration.

        Decoders made with the same stages and parameters (the folds of a
        cross-validation and the final decoder, :func:`~workbench.session.training.train_decoder`)
        preprocess a run identically (the stages learn only the channel count), so
        it is processed once instead of once per fit; pass the result as
        ``processed`` to :meth:`_fit`. None where the feature stage learns from
        every window at once (CSP): its fit holds them all, and the processed
        runs kept beside them would only raise the peak (by 37 MB at 8 channels,
        2 kHz, 5.5 minutes) to save 0.16 s per fit.
        """
        if not getattr(self.features, "_fits_by_batch", False):
            return None
        self._reset_stages()
        self._fit_stages(runs)
        return [self.preprocess(run) for run in runs]

    def _checked_ends(self, runs, ends, processed=None):
        """``ends`` as int64 arrays, one per run, each window inside its run (checked before any work)."""
        ends = [np.asarray(e, dtype=np.int64) for _, e in zip(runs, ends, strict=True)]
        for r, (run, e) in enumerate(zip(runs, ends)):
            n_times = len(processed[r]) if processed is not None else np.shape(run)[0]  # preprocessing keeps the length
            bad = (e < self.window - 1) | (e >= n_times)
            if np.any(bad):
                raise ValidationError(
                    [Problem(f"ends[{r}]", int(e[bad][0]), f"window ends in [{self.window - 1}, {n_times - 1}]")],
                    what="epochs",
                )
        return ends

    def _fit_stages(self, runs):
        if not runs:
            raise ValidationError([Problem("runs", runs, "at least one (n_times, n_channels) recording")], what="Decoder")
        if all(hasattr(s, "n_features_in_") for s in self.stages):
            return
        x = check_continuous("runs[0]", runs[0], self.n_channels)[: max(1, self.window)]
        for st in self.stages:
            st.fit(x)
            x = st.transform(x)

    def _reset_stages(self):
        for st in self.stages:  # refit from scratch
            for attr in [a for a in vars(st) if a.endswith("_") and not a.startswith("_")]:
                delattr(st, attr)

    def fit(self, runs, ends, y):
        """Train on the windows of ``runs`` ending at ``ends`` with targets ``y``.

        Parameters
        ----------
        runs : list of ndarray, shape (n_times, n_channels)
        ends : list of int arrays
            Per run, the sample index of the last sample of each training window.
        y : array-like, shape (n_epochs,) or (n_epochs, n_targets)
            Class labels (classifier) or continuous targets (regressor), in
            the order of the windows.

        Notes
        -----
        Where the feature stage computes each window's features on its own
        (band power, log-variance, covariances, tangent vectors), the windows
        are cut and turned into features :data:`BATCH_WINDOWS` at a time and
        the array of every window never exists: at 8 channels, 2 kHz and two
        bands, 1,620 windows of 1 s are 415 MB, a batch 16 MB. The features,
        hence the fitted decoder, are bit-identical to those computed from
        :meth:`epochs` (``tests/decoding/test_training_memory.py``). CSP and
        spike features learn from every window at once and take them from
        :meth:`epochs`.
        """
        return self._fit(runs, ends, y)

    def _fit(self, runs, ends, y, processed=None, batch_windows=None):
        """:meth:`fit`, optionally on runs already preprocessed by a decoder of this configuration."""
        self._reset_stages()
        self._fit_stages(runs)
        y = np.asarray(y)
        ends = self._checked_ends(runs, ends, processed)
        n_total = sum(len(e) for e in ends)
        if len(y) != n_total:
            raise ValidationError([Problem("y", f"{len(y)} targets", f"one per window ({n_total})")], what="Decoder")
        if n_total and getattr(self.features, "_fits_by_batch", False):
            feats = self.features._fit_transform_batches(
                self._batches(runs, ends, processed, batch_windows or BATCH_WINDOWS), y)
        else:
            ep = self._epochs(runs, ends, processed)
            self.features.fit(ep, y)
            feats = self.features.transform(ep)
            del ep
        self.model.fit(feats, y)
        self.features.init_state(self.step)  # checks window/step compatibility now, not online
        h = hashlib.sha256()
        for run, e in zip(runs, ends):
            h.update(np.ascontiguousarray(run, dtype=np.float64))  # its buffer: the same bytes, no copy of the run
            h.update(np.asarray(e, dtype=np.int64).tobytes())
        h.update(np.ascontiguousarray(y).tobytes())
        self.training_sha256_ = h.hexdigest()
        return self

    def _batches(self, runs, ends, processed, size):
        """A callable giving, on each call, the training windows in order, ``size`` at a time.

        Each call preprocesses the runs again, one at a time, unless
        ``processed`` holds them; a feature stage that needs two passes
        (:class:`TangentSpace`: the reference, then the vectors) calls it twice.
        ``ends`` are checked already (:meth:`_checked_ends`).
        """
        def batches():
            for xp, e in zip(self._processed(runs, processed), ends):
                for s in range(0, len(e), size):
                    chunk = e[s:s + size]
                    out = np.empty((len(chunk), xp.shape[1], self.window))
                    _cut_windows(xp, chunk, self.window, out)
                    yield out
                del xp  # before the next run is preprocessed

        return batches

    def batch_update(self, features, targets, *, alpha):
        """A new decoder whose model is adapted to closed-loop data (SmoothBatch CLDA).

        ``features`` are the model inputs the online decoder produced
        (:attr:`DecoderOutput.features`) and ``targets`` the intended
        kinematics at those outputs; see :meth:`KalmanDecoder.batch_update`
        (Orsborn et al. 2014, Neuron 82:1380). This decoder is not changed,
        nor are OnlineDecoders running it; its ``training_sha256_`` (the
        decoder version) becomes a hash of the old version and the batch.
        """
        if not self.is_fitted:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("This Decoder is not fitted yet: call fit(runs, ends, y) first.")
        if not hasattr(self.model, "batch_update"):
            raise ValidationError([Problem("model", type(self.model).__name__,
                                           "a model with batch_update (KalmanDecoder)")], what="Decoder.batch_update")
        model = self.model.batch_update(features, targets, alpha=alpha)
        new = copy.deepcopy(self)
        new.model = model
        h = hashlib.sha256(self.training_sha256_.encode())
        h.update(np.ascontiguousarray(features, dtype=np.float64).tobytes())
        h.update(np.ascontiguousarray(targets, dtype=np.float64).tobytes())
        h.update(repr(float(alpha)).encode())
        new.training_sha256_ = h.hexdigest()
        return new

    def decode(self, X):
        """Offline: run the decoder over a whole recording from a fresh state."""
        return self.online().update(X)

    def online(self, *, fused=True):
        """A fresh :class:`OnlineDecoder` over a snapshot of this fitted decoder.

        Refitting this decoder afterwards does not change the OnlineDecoder.
        ``fused=False`` runs every stage separately (see :class:`OnlineDecoder`).
        """
        from .online import OnlineDecoder

        return OnlineDecoder(self, fused=fused)

    def output_names(self):
        return self.model.output_names()

    @property
    def bands(self):
        """Pass bands (Hz) of the filter stages, for the saved metadata."""
        out = []
        for st in self.stages:
            if hasattr(st, "bands") and hasattr(st, "sos_"):
                out.extend([list(b) for b in st.bands])
        return out

    # ----------------------------------------------------------------- stream
    def check_stream(self, ch_names, sfreq):
        """Raise ValidationError saying how a stream differs from the training data."""
        problems = []
        if sfreq is None or not np.isclose(float(sfreq), self.sfreq, rtol=0, atol=1e-6):
            problems.append(Problem("sfreq", sfreq, f"{self.sfreq} Hz, the rate the decoder was trained at"))
        names = [str(c) for c in ch_names]
        missing = [c for c in self.ch_names if c not in names]
        extra = [c for c in names if c not in self.ch_names]
        # The value says which side a name is missing from: "got ['FC1', ...]" read as the stream's channels.
        if missing:
            lacking = f"not in the stream: {', '.join(missing)} ({len(missing)} of the decoder's {len(self.ch_names)})"
            problems.append(Problem("ch_names (missing)", lacking, "every channel the decoder was trained on"))
        if extra:
            problems.append(Problem("ch_names (unexpected)", f"in the stream, not trained on: {', '.join(extra)}",
                                    "only the trained channels " + ", ".join(self.ch_names)))
        if not missing and not extra and names != self.ch_names:
            i = next(i for i, (a, b) in enumerate(zip(names, self.ch_names)) if a != b)
            problems.append(Problem(f"ch_names[{i}] (order)", names[i], f"{self.ch_names[i]!r}: the trained order"))
        if problems:
            raise ValidationError(problems, what="stream for this decoder")

    def save(self, fname):
        from .io import save_decoder

        return save_decoder(self, fname)
