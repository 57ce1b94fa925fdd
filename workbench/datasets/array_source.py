"""A recording held in memory, served block by block like :class:`SyntheticSource`.

The :class:`~workbench.datasets.player.Player` replays EDF, BDF, BrainVision
and FIF files through this source: the signal at its own rate and each
annotation as a marker on its sample.
"""

from __future__ import annotations

import numpy as np

from ..errors import Problem, ValidationError
from ..recording.read import VOLTAGE_TYPES



class ArraySource:
    """Serve ``data`` (n_times, n_channels) and its markers, once or in a loop.

    Parameters
    ----------
    data : array, shape (n_times, n_channels)
    sfreq : float
    ch_names, ch_types, units : sequence of str
    markers : sequence of (int, str)
        ``(sample_index, label)`` within ``data``.
    loop : bool
        Start again at the first sample after the last one; sample indices
        (and the counter) keep increasing.
    counter : bool
        Channel 0 becomes the running sample index (float64, exact to 2**53),
        renamed ``"COUNTER"``.
    stream_type, description : str
        LSL stream type and a free text for ``desc/acquisition/model``.

    Attributes
    ----------
    n_times : int | None
        Samples before the source ends (None when looping).
    """

    def __init__(
        self,
        data,
        sfreq: float,
        ch_names,
        ch_types,
        units,
        markers=(),
        *,
        loop: bool = False,
        counter: bool = False,
        stream_type: str = "EEG",
        description: str = "",
    ) -> None:
        data = np.asarray(data)
        problems = []
        if data.ndim != 2 or data.shape[0] == 0 or data.shape[1] == 0:
            problems.append(Problem("data", f"array of shape {data.shape}", "shape (n_times > 0, n_channels > 0)"))
        if not np.isfinite(sfreq) or sfreq <= 0:
            problems.append(Problem("sfreq", sfreq, "a rate in Hz > 0"))
        n_ch = data.shape[1] if data.ndim == 2 else -1
        for field, seq in (("ch_names", ch_names), ("ch_types", ch_types), ("units", units)):
            if len(seq) != n_ch:
                problems.append(Problem(field, f"{len(seq)} entries", f"one per channel ({n_ch})"))
        markers = [(int(i), str(label)) for i, label in markers]
        bad = [m for m in markers if not 0 <= m[0] < max(data.shape[0], 1)]
        if bad:
            problems.append(Problem("markers", bad[:3], f"sample indices within 0..{data.shape[0] - 1}"))
        if problems:
            raise ValidationError(problems, what="ArraySource")
        self.counter = bool(counter)
        self.loop = bool(loop)
        self.sfreq = float(sfreq)
        self.dtype = np.float64 if counter or data.dtype == np.float64 else np.float32
        self._data = data.astype(self.dtype, copy=False)
        self.ch_names, self.ch_types, self.units = list(ch_names), list(ch_types), list(units)
        if self.counter:
            self.ch_names[0], self.ch_types[0], self.units[0] = "COUNTER", "misc", "samples"
        self._marker_at = np.array([m[0] for m in markers], dtype=np.int64)
        self._marker_label = [m[1] for m in markers]
        order = np.argsort(self._marker_at, kind="stable")
        self._marker_at = self._marker_at[order]
        self._marker_label = [self._marker_label[i] for i in order]
        self.stream_type = stream_type
        self.description = description
        self.n_times_generated = 0

    @property
    def n_times(self) -> int | None:
        return None if self.loop else int(self._data.shape[0])

    @classmethod
    def from_raw(cls, raw, *, loop: bool = False, counter: bool = False) -> "ArraySource":
        """Serve an MNE ``Raw``: potentials in µV, annotations as markers on their samples."""
        ch_types = raw.get_channel_types()
        scale = np.array([1e6 if t in VOLTAGE_TYPES else 1.0 for t in ch_types])
        units = ["microvolts" if t in VOLTAGE_TYPES else "" for t in ch_types]
        sfreq = raw.info["sfreq"]
        ann = raw.annotations
        # Annotation onsets count from the measurement start; the first sample
        # of the file is at raw.first_time on that scale.
        samples = np.round((ann.onset - raw.first_time) * sfreq).astype(int) if len(ann) else []
        markers = [
            (int(s), d) for s, d in zip(samples, ann.description) if 0 <= s < raw.n_times
        ]
        stream_type = "EEG" if "eeg" in ch_types else (ch_types[0].upper() if ch_types else "EEG")
        name = raw.filenames[0].name if raw.filenames and raw.filenames[0] else "array"
        return cls(
            raw.get_data().T * scale,
            sfreq,
            raw.ch_names,
            ch_types,
            units,
            markers,
            loop=loop,
            counter=counter,
            stream_type=stream_type,
            description=f"replay of {name}",
        )

    def generate(self, n_times: int) -> tuple[np.ndarray, list[tuple[int, str]]]:
        """The next ``n_times`` samples (fewer at the end of a non-looping source) and their markers."""
        length = self._data.shape[0]
        start = self.n_times_generated
        if not self.loop:
            n_times = max(0, min(n_times, length - start))
        first = start % length
        if first + n_times <= length:
            # One contiguous copy: several times cheaper than a gather at 1024 ch x 30 kHz.
            block = self._data[first : first + n_times].copy()
        else:
            block = self._data[(start + np.arange(n_times)) % length]
        if self.counter:
            block[:, 0] = np.arange(start, start + n_times)
        markers = []
        if self._marker_at.size and n_times:
            # Markers of every pass over the data that this block touches.
            for lap in range(start // length, (start + n_times - 1) // length + 1):
                at = self._marker_at + lap * length
                hit = np.flatnonzero((at >= start) & (at < start + n_times))
                markers.extend((int(at[i]), self._marker_label[i]) for i in hit)
        self.n_times_generated += n_times
        return block, markers
