"""Check a sample counter channel: how many samples were lost or repeated.

A source that writes its running sample index into one channel (the
simulated amplifier's channel 0, BrainFlow's package number row) lets a
consumer prove that nothing went missing between the amplifier and the
buffer, as mne-lsl's tests do with their mock streams.

Counting is by samples, not by breaks: a chunk of 40 samples dropped in one
go is 40 samples lost (and one break). A sample counts as lost when its index
lies between the first and the last index seen but never arrived, and as
repeated for every extra arrival of an index already seen; so a repeated
chunk in the middle of an otherwise perfect run is that chunk's length in
repeats and no loss, whatever order the copies came in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import Problem, ValidationError


@dataclass(frozen=True)
class CounterCheck:
    """What a counter channel says about the samples that carried it.

    Attributes
    ----------
    n_samples : int
        Samples checked (counter values received).
    n_lost : int
        Sample indices between the first and the last received that never arrived.
    n_repeated : int
        Extra arrivals of an index already received.
    n_breaks : int
        Places where the counter did not step by exactly one (a jump, a step
        back or a standstill); one lost chunk is one break.
    first, last : int or None
        First and last counter value, unwrapped (None when nothing was received).
    """

    n_samples: int
    n_lost: int
    n_repeated: int
    n_breaks: int
    first: int | None = None
    last: int | None = None

    @property
    def ok(self) -> bool:
        """True when no sample was lost or repeated."""
        return self.n_lost == 0 and self.n_repeated == 0

    def __str__(self) -> str:
        return (f"{self.n_samples} samples: {self.n_lost} lost, {self.n_repeated} repeated "
                f"({self.n_breaks} break{'s' * (self.n_breaks != 1)} in the counter)")  # fmt: skip


def check_counter(values, *, modulus: int | None = None) -> CounterCheck:
    """Count the samples lost and repeated in a run of counter values.

    Parameters
    ----------
    values : array-like of int or float, shape (n_samples,)
        The counter channel in arrival order (e.g. ``data[:, 0]`` of every
        chunk, concatenated). Float values must be whole numbers, as the
        Player writes them (a float64 sample index, exact up to 2**53, which
        never wraps).
    modulus : int or None
        For a counter that wraps (BrainFlow's package number counts 0..255,
        so ``modulus=256``). A step is read as the shortest way round the
        circle: forward by less than ``modulus / 2`` is progress (with the
        samples in between lost), backward by up to ``modulus / 2`` is a
        repeat. More than ``modulus / 2`` samples lost in one go cannot be told
        from a repeat; that is the limit of any wrapping counter.

    Returns
    -------
    CounterCheck

    Raises
    ------
    ValidationError
        The values are not one-dimensional, not finite whole numbers, or
        ``modulus`` is not an integer of at least 2, or a value lies outside
        ``[0, modulus)``.
    """
    arr = np.asarray(values)
    problems = []
    if modulus is not None and (isinstance(modulus, bool) or not isinstance(modulus, (int, np.integer))
                                or modulus < 2):  # fmt: skip
        problems.append(Problem("modulus", modulus, "None, or an integer of at least 2 (the counter's period)"))
        modulus = None
    if arr.ndim != 1:
        problems.append(Problem("counter values", f"shape {arr.shape}", "one dimension: one value per sample"))
    elif arr.size and not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        problems.append(Problem("counter values", f"dtype {arr.dtype}", "integers or whole-number floats"))
    elif arr.size and np.issubdtype(arr.dtype, np.floating):
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            problems.append(Problem("counter values", arr[bad][:5].tolist(), "finite whole numbers (sample indices)"))
    if not problems and modulus is not None and arr.size:
        out = (arr < 0) | (arr >= modulus)
        if out.any():
            problems.append(Problem("counter values", arr[out][:5].tolist(), f"0 to {modulus - 1} (modulus {modulus})"))
    if problems:
        raise ValidationError(problems, what="sample counter")
    if arr.size == 0:
        return CounterCheck(0, 0, 0, 0)
    idx = arr.astype(np.int64)
    step = np.diff(idx)
    if modulus is not None:
        # Shortest way round: steps in [-modulus/2, modulus/2).
        half = modulus // 2
        step = (step + half) % modulus - half
        idx = idx[0] + np.concatenate(([0], np.cumsum(step)))
    n_unique = np.unique(idx).size
    first, last = int(idx[0]), int(idx[-1])
    lo, hi = int(idx.min()), int(idx.max())
    return CounterCheck(
        n_samples=int(idx.size),
        n_lost=(hi - lo + 1) - n_unique,
        n_repeated=int(idx.size) - n_unique,
        n_breaks=int(np.count_nonzero(step != 1)),
        first=first,
        last=last,
    )


class CounterBreaks:
    """Breaks in a counter channel, counted chunk by chunk as samples arrive (constant memory).

    A live loop keeps only the last value: an hour at 2 kHz is 7.2 million
    counter values, which a check at the end would have to hold. A break is a
    step other than +1, inside a chunk or across two; :meth:`restart` after a
    known loss (an overrun the loop already counted) so the jump over it is not
    counted again. Same count as :func:`check_counter`'s ``n_breaks`` over each
    uninterrupted stretch, summed.
    """

    def __init__(self) -> None:
        self.n_breaks = 0
        self.n_samples = 0
        self._last: int | None = None

    def add(self, values) -> None:
        """The counter values of one chunk, in arrival order (whole numbers)."""
        idx = np.asarray(values).astype(np.int64, copy=False).ravel()
        if not idx.size:
            return
        if self._last is not None:
            self.n_breaks += int(idx[0] != self._last + 1)
        self.n_breaks += int(np.count_nonzero(np.diff(idx) != 1))
        self.n_samples += idx.size
        self._last = int(idx[-1])

    def restart(self) -> None:
        """Samples were lost and already counted: the next chunk starts a new stretch."""
        self._last = None

    @property
    def result(self) -> int | None:
        """Breaks counted, or None when no counter value arrived."""
        return self.n_breaks if self.n_samples else None
