"""Adaptation during closed-loop use: between blocks, and continuously for Kalman decoders.

- **Between blocks** (classifiers): a supervised recalibration on the
  calibration run plus the closed-loop trials, whose cues are the labels
  (:func:`recalibrate` on windows already cut; from the recorded runs,
  :func:`~workbench.session.training.train_from_recordings`, which the trial
  day uses: it fits in a helper process, so the session's own memory stays
  flat over hours); the new decoder replaces the old one at the next block.
- **During use** (continuous decoders): SmoothBatch closed-loop decoder
  adaptation (Orsborn et al. 2014, Neuron 82:1380): every ``batch_size``
  valid outputs, the Kalman observation model is refitted on the features the
  online decoder produced and the *intended* kinematics (e.g. the direction
  to the target, as in Gilja et al. 2012, Nat Neurosci 15:1752) and blended
  with the current one (``alpha`` weights the current decoder). The
  arithmetic is the decoder core's (``Decoder.batch_update``); this module
  collects batches and names versions.

Every decoder in force has a version (:func:`decoder_version`); the loop
records it with each output, hence with each trial.
"""

from __future__ import annotations

import numpy as np

from ..errors import Problem, ValidationError


def decoder_version(decoder, prefix: str = "dec") -> str:
    """A short, stable version name: the prefix and the first 12 hex digits of the decoder's training hash."""
    return f"{prefix}-{decoder.training_sha256_[:12]}"


def recalibrate(windows, fname=None, **kwargs):
    """Supervised recalibration between blocks: a new decoder on every run's cued windows (grouped CV reported)."""
    from .training import train_decoder

    return train_decoder(list(windows), fname=fname, **kwargs)


def offline_accuracy(decoder, windows) -> tuple[float, float]:
    """(window, trial) accuracy of a fixed ``decoder`` on one run's cued windows, decoded offline.

    A trial's decision is the majority of its windows, as in cross-validation
    (:func:`~workbench.session.training.train_decoder`). Used to ask what a
    decoder *not* in force would have scored on a recorded block, e.g. the
    unadapted v1 on the block that v2 decoded live.
    """
    names = decoder.model.classes_
    out = decoder.decode(windows.data)
    row = dict(zip(out.sample_index.tolist(), range(len(out))))
    keep = np.array([int(e) in row for e in windows.ends], dtype=bool)
    if not keep.any():
        raise ValidationError([Problem("windows", len(windows.ends), "windows the decoder produces an output at")],
                              what="offline accuracy")
    pred = np.array([names[int(np.argmax(out.values[row[int(e)]]))] for e in windows.ends[keep]]).astype(str)
    labels, trials = np.asarray(windows.labels)[keep].astype(str), np.asarray(windows.trials)[keep]
    hits = []
    for t in np.unique(trials):
        m = trials == t
        values, counts = np.unique(pred[m], return_counts=True)
        hits.append(values[counts.argmax()] == labels[m][0])
    return float(np.mean(pred == labels)), float(np.mean(hits))


class SmoothBatchAdapter:
    """Collects (features, intended kinematics) of valid outputs; returns an adapted decoder per full batch.

    Parameters
    ----------
    decoder : Decoder
        With a :class:`~workbench.decoding.KalmanDecoder` model.
    alpha : float in [0, 1]
        Weight of the current decoder in each update.
    batch_size : int
        Valid outputs per update (Orsborn et al. 2014 used batches of 1-2 min).
    """

    def __init__(self, decoder, *, alpha: float = 0.5, batch_size: int = 600, prefix: str = "kalman") -> None:
        problems = []
        if not hasattr(decoder.model, "batch_update"):
            problems.append(Problem("decoder", type(decoder.model).__name__, "a decoder with a KalmanDecoder model"))
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha <= 1:
            problems.append(Problem("alpha", alpha, "a weight in [0, 1]"))
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 10:
            problems.append(Problem("batch_size", batch_size, "a whole number of outputs >= 10"))
        if problems:
            raise ValidationError(problems, what="SmoothBatch adaptation")
        self.decoder, self.alpha, self.batch_size, self.prefix = decoder, float(alpha), batch_size, prefix
        self.version = decoder_version(decoder, prefix)
        self.history = [self.version]
        self._z: list[np.ndarray] = []
        self._x: list[np.ndarray] = []

    def add(self, output, intended) -> object | None:
        """Add one chunk's outputs and the intended kinematics at them; a new decoder when a batch is full."""
        intended = np.asarray(intended, dtype=np.float64).reshape(len(output), -1)
        if output.features is None:
            raise ValidationError([Problem("output.features", None, "the online decoder's features")],
                                  what="SmoothBatch adaptation")
        keep = output.valid & np.isfinite(intended).all(axis=1)
        self._z.append(output.features[keep])
        self._x.append(intended[keep])
        if sum(len(z) for z in self._z) < self.batch_size:
            return None
        z, x = np.concatenate(self._z), np.concatenate(self._x)
        self._z, self._x = [], []
        self.decoder = self.decoder.batch_update(z, x, alpha=self.alpha)
        self.version = decoder_version(self.decoder, self.prefix)
        self.history.append(self.version)
        return self.decoder
