"""Where a source's chunks end, learnt from when its samples arrived.

An amplifier sends its samples in chunks: a chunk leaves once its last sample
is acquired, so its first sample is already a chunk period old when it arrives.
A decoder that outputs every ``step`` samples answers fastest when its outputs
fall on a chunk's last sample; one whose grid happens to fall on a chunk's first
sample waits a whole chunk longer for the same decision. Where the grid falls
depends only on the sample the decoder started with, which in a live loop is
wherever the acquisition thread's pull ended when the loop began: usually a
chunk end, but a pull that caught a chunk half received moves every later
output by up to a chunk (measured in the hour soak of 2026-11-26: one block of
twelve with the amplifier's share p99 at 4.6 ms instead of 1.3 at 4 ms chunks;
in the closed-loop benchmark at 10 ms chunks, two runs of four with its median
at 10.9 ms).

The acquisition thread stores each pull with one arrival time (``RingBuffer``),
so a change of arrival time marks where a pull ended. A pull that ends with a
chunk is followed by a wait for the next chunk; a pull that caught a chunk half
received is followed at once by the rest of it (a thread woken by the chunk's
first sample can do that on every chunk, at the same sample each time). So each
pull end votes with the time until the next pull, and the residue (mod
``step``) with the most of that time is where the decoder's outputs should
fall.
"""

from __future__ import annotations

import numpy as np

from ..errors import Problem, ValidationError

#: Pull ends that must agree before the phase is trusted (fewer: the decoder starts where it is).
MIN_VOTES = 3


def chunk_end_phase(arrivals: np.ndarray, first: int, step: int) -> int | None:
    """The residue mod ``step`` of the absolute sample index at which pulls ended before the longest waits.

    Parameters
    ----------
    arrivals : array (n_times,)
        Arrival time of absolute samples ``first .. first + n_times - 1``, as the ring buffer holds
        them (one value per pull; NaN for samples no longer held).
    first : int
        Absolute index of ``arrivals[0]``.
    step : int
        The decoder's output step in samples.

    Returns
    -------
    phase : int | None
        In ``[0, step)``; None when fewer than ``MIN_VOTES`` pull ends (the newest excluded: its wait
        is not over) fall on it (too little history).
    """
    if not isinstance(step, (int, np.integer)) or isinstance(step, bool) or step < 1:
        raise ValidationError([Problem("step", step, "a whole number of samples >= 1")], what="chunk_end_phase")
    a = np.asarray(arrivals, dtype=np.float64)
    held = np.flatnonzero(np.isfinite(a))
    if len(held) == 0:
        return None
    a = a[held[0]:]
    ends = np.flatnonzero(a[1:] != a[:-1])  # the last sample of each pull but the newest
    if len(ends) == 0:
        return None
    waits = a[ends + 1] - a[ends]  # until the next pull: a chunk period after a chunk end, ~0 inside a chunk
    residue = (ends + first + held[0]) % step
    weight = np.bincount(residue, weights=np.maximum(waits, 0.0), minlength=step)
    phase = int(np.argmax(weight))
    return phase if np.count_nonzero(residue == phase) >= MIN_VOTES and weight[phase] > 0 else None


def samples_to_align(phase: int | None, step: int, next_index: int, n_seen: int) -> int:
    """Samples to withhold from a decoder so that its outputs fall on absolute indices ``≡ phase (mod step)``.

    The decoder's next sample is absolute ``next_index``, and it has seen ``n_seen`` samples (its outputs
    come at sample counts that are multiples of ``step``). 0 when ``phase`` is None. Always ``< step``.
    """
    if phase is None:
        return 0
    return int((phase + 1 + n_seen - next_index) % step)
