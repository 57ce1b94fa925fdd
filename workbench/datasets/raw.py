"""A stretch of a block source as an MNE ``Raw`` (for notebooks, tests and decoders offline)."""

from __future__ import annotations

import numpy as np

from ..errors import Problem, ValidationError
from ..recording.read import VOLTAGE_TYPES



def generate_raw(source, duration: float):
    """Generate ``duration`` seconds from ``source`` and return them as ``mne.io.RawArray``.

    Potentials are converted from µV to volts (MNE's unit); each marker becomes
    an annotation (duration 0) on its sample. The source advances, so two
    calls give two consecutive stretches.

    Parameters
    ----------
    source : SyntheticSource | ArraySource
    duration : float
        Seconds (> 0).
    """
    import mne

    if not isinstance(duration, (int, float)) or not 0 < duration < np.inf:
        raise ValidationError([Problem("duration", duration, "seconds > 0")], what="generate_raw")
    start = source.n_times_generated
    block, markers = source.generate(int(round(duration * source.sfreq)))
    scale = np.array([1e-6 if t in VOLTAGE_TYPES else 1.0 for t in source.ch_types])
    info = mne.create_info(list(source.ch_names), source.sfreq, list(source.ch_types))
    raw = mne.io.RawArray(block.T.astype(np.float64) * scale[:, None], info, verbose=False)
    if markers:
        onsets = [(sample - start) / source.sfreq for sample, _ in markers]
        raw.set_annotations(mne.Annotations(onsets, [0.0] * len(markers), [label for _, label in markers]))
    return raw
