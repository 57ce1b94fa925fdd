"""Append-only logs of the closed loop's per-output rows, in fixed-size numpy blocks.

The loop logs every decoder output (10 to 250 a second, by the decoder's
step) and times each one. Kept as a list of tuples, a row cost about 300
bytes of Python objects: at 250 a second 4.5 MB a minute, 270 MB for an
hour-long block, the block's memory growing the whole time (the soak's
first-to-last-minute figure), and every tuple one more object for the
garbage collector. Here a row is one element of
a structured array: 41 bytes for an output, 24 for its timing.

Blocks have a fixed size and are never copied: a log that doubled an array
instead would copy tens of MB inside the live loop once it grew large. Rows
read back as tuples of Python values, so code that iterated the lists reads
these the same; :meth:`RowLog.column` gives one field as an array.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

BLOCK_ROWS = 4096  # rows per block: 168 kB of output rows, allocated once every ~16 s at 250 outputs/s

#: A field is ("name", kind): "f8" a float, "?" a bool, "label" a string from a small set (stored as its index).
Field = tuple[str, str]


class RowLog(Sequence):
    """An append-only table of rows with the given ``fields``; a sequence of tuples to read.

    Parameters
    ----------
    fields : sequence of (name, kind)
        kind "f8" (float), "?" (bool) or "label" (one of a few strings: decoded classes, decoder versions).
    """

    def __init__(self, fields: Sequence[Field]) -> None:
        self.fields = tuple((str(n), str(k)) for n, k in fields)
        self._dtype = np.dtype([(n, "i4" if k == "label" else k) for n, k in self.fields])
        self._label_cols = [i for i, (_, k) in enumerate(self.fields) if k == "label"]
        self._labels: list[list] = [[] for _ in self.fields]  # per label field: index -> value
        self._codes: list[dict] = [{} for _ in self.fields]  # per label field: value -> index
        self._blocks: list[np.ndarray] = []
        self._n = 0

    def append(self, row) -> None:
        """Add one row (a tuple in field order)."""
        i = self._n % BLOCK_ROWS
        if i == 0:
            self._blocks.append(np.empty(BLOCK_ROWS, self._dtype))
        if self._label_cols:
            row = list(row)
            for c in self._label_cols:
                code = self._codes[c].get(row[c])
                if code is None:
                    code = self._codes[c][row[c]] = len(self._labels[c])
                    self._labels[c].append(row[c])
                row[c] = code
            row = tuple(row)
        self._blocks[-1][i] = row
        self._n += 1

    def extend(self, rows) -> None:
        for row in rows:
            self.append(row)

    def __iadd__(self, rows) -> "RowLog":
        self.extend(rows)
        return self

    def __len__(self) -> int:
        return self._n

    def _rows(self, block: np.ndarray) -> list[tuple]:
        rows = block.tolist()
        if not self._label_cols:
            return rows
        out = []
        for r in rows:
            r = list(r)
            for c in self._label_cols:
                r[c] = self._labels[c][r[c]]
            out.append(tuple(r))
        return out

    def __iter__(self) -> Iterator[tuple]:
        for b, block in enumerate(self._blocks):
            yield from self._rows(block[: min(BLOCK_ROWS, self._n - b * BLOCK_ROWS)])

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._n))]
        i = int(index)
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(f"row {index} of a log of {self._n} rows")
        return self._rows(self._blocks[i // BLOCK_ROWS][i % BLOCK_ROWS: i % BLOCK_ROWS + 1])[0]

    def column(self, name: str) -> np.ndarray:
        """One field of every row as an array (labels as an object array of their values)."""
        c = [n for n, _ in self.fields].index(name)
        if not self._n:
            values = np.empty(0, self._dtype[c])
        else:
            last = self._n - (len(self._blocks) - 1) * BLOCK_ROWS
            values = np.concatenate([b[name] for b in self._blocks[:-1]] + [self._blocks[-1][name][:last]])
        if self.fields[c][1] == "label":
            labels = np.empty(len(self._labels[c]), dtype=object)
            labels[:] = self._labels[c]
            return labels[values]
        return values

    def __array__(self, dtype=None, copy=None):
        """Rows x fields as floats (for logs of floats and bools only)."""
        if self._label_cols:
            raise TypeError("a log with label fields has no float array form; use column()")
        out = np.column_stack([self.column(n).astype(np.float64) for n, _ in self.fields]) if self._n else \
            np.empty((0, len(self.fields)))
        return out if dtype is None else out.astype(dtype)

    @property
    def nbytes(self) -> int:
        """Memory held by the rows (whole blocks)."""
        return len(self._blocks) * BLOCK_ROWS * self._dtype.itemsize

    def __repr__(self) -> str:
        return f"<RowLog {len(self)} rows: {', '.join(n for n, _ in self.fields)}>"


def output_log() -> RowLog:
    """One row per decoder output: (now, sample_time, intent, p, valid, latency_s, decoder_version)."""
    return RowLog((("now", "f8"), ("sample_time", "f8"), ("intent", "label"), ("p", "f8"), ("valid", "?"),
                   ("latency_s", "f8"), ("decoder_version", "label")))


def timing_log() -> RowLog:
    """One row per decoder output: (sample_time, arrival_time, done_time) on the LSL clock."""
    return RowLog((("sample_time", "f8"), ("arrival_time", "f8"), ("done_time", "f8")))
