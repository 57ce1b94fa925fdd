"""The live scope's model: the latest window of chosen channels, decimated for display.

Plotting every sample is wasted work: a screen 1,000 px wide shows at most
1,000 columns. The model keeps, per column, the minimum and the maximum of
the samples it covers (min-max decimation), so spikes and clipping stay
visible however long the window. Quality is computed on the full-rate window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...acquisition.quality import SignalQuality, compute_quality
from ...errors import Problem, ValidationError
from ...utils._checks import _check_positive


@dataclass(frozen=True)
class ScopeFrame:
    """One display update.

    Attributes
    ----------
    times : ndarray, shape (n_points,)
        Seconds relative to the newest sample (<= 0).
    traces : ndarray, shape (n_points, n_picks)
        Decimated values, in the stream's units.
    ch_names : tuple of str
    quality : SignalQuality | None
        None until a window holds at least two samples.
    markers : tuple of (float, str)
        Markers inside the window: (time relative to the newest sample, label).
    connected : bool
    n_samples_received : int
    """

    times: np.ndarray
    traces: np.ndarray
    ch_names: tuple[str, ...]
    quality: SignalQuality | None
    markers: tuple[tuple[float, str], ...]
    connected: bool
    n_samples_received: int

    def stacked(self) -> tuple[np.ndarray, np.ndarray]:
        """Traces offset for a stacked display: ``(y (n_points, n_picks), offsets (n_picks,))``.

        Each trace is centred on its mean; channels are spaced by eight times
        the median RMS so a typical channel does not overlap its neighbours.
        """
        if self.traces.size == 0:
            return self.traces, np.zeros(self.traces.shape[1])
        centred = self.traces - np.nanmean(self.traces, axis=0)
        rms = self.quality.rms if self.quality is not None else np.nanstd(centred, axis=0)
        spacing = 8 * float(np.nanmedian(rms)) or 1.0
        offsets = -spacing * np.arange(self.traces.shape[1])
        return centred + offsets, offsets


def decimate_minmax(data: np.ndarray, times: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Min-max decimation of ``data`` (n_times, n_channels) to at most ``max_points`` rows."""
    n = data.shape[0]
    if n <= max_points:
        return data, times
    n_buckets = max_points // 2
    size = -(-n // n_buckets)  # ceil
    n_full = n // size
    body = data[n - n_full * size :].reshape(n_full, size, data.shape[1])
    t_body = times[n - n_full * size :].reshape(n_full, size)
    out = np.empty((2 * n_full, data.shape[1]), dtype=np.float64)
    out[0::2] = body.min(axis=1)
    out[1::2] = body.max(axis=1)
    t_out = np.repeat(t_body[:, 0], 2)
    t_out[1::2] = t_body[:, -1]
    return out, t_out


class ScopeModel:
    """The data behind a live scope (no widget code; driven by tests directly).

    Parameters
    ----------
    stream : Stream
        A connected :class:`~workbench.acquisition.Stream`.
    picks : list of str | None
        Channels to show (default: the first 8).
    window : float
        Seconds shown.
    max_points : int
        Display points per trace (>= 10).
    markers : MarkerStream | None
        Markers drawn as vertical lines.
    line_freq : float
        Mains frequency for the line-noise ratio (50 or 60 Hz).
    """

    def __init__(self, stream, picks=None, *, window: float = 5.0, max_points: int = 1000, markers=None,
                 line_freq: float = 50.0) -> None:  # fmt: skip
        _check_positive("window", window)
        if not isinstance(max_points, int) or max_points < 10:
            raise ValidationError([Problem("max_points", max_points, "an integer >= 10")], what="scope")
        self.stream = stream
        names = stream.ch_names
        self.picks = list(picks) if picks is not None else names[:8]
        stream.pick_indices(self.picks)  # validates names now, not at the first update
        self.window = float(window)
        self.max_points = max_points
        self.markers = markers
        self.line_freq = float(line_freq)
        self.n_updates = 0
        self.frame: ScopeFrame | None = None

    def set_picks(self, picks) -> None:
        """Show other channels from the next update on."""
        self.stream.pick_indices(list(picks))
        self.picks = list(picks)

    def update(self) -> ScopeFrame:
        """Read the newest window, decimate it, compute its quality."""
        data, ts = self.stream.get_data(self.window, picks=self.picks)
        quality = None
        if len(ts) >= 2:
            quality = compute_quality(data, self.stream.sfreq, self.picks, line_freq=self.line_freq)
        t_ref = ts[-1] if len(ts) else 0.0
        shown, t_shown = decimate_minmax(data.astype(np.float64, copy=False), ts, self.max_points)
        markers = ()
        if self.markers is not None and len(ts):
            markers = tuple(
                (m.timestamp - t_ref, m.value) for m in self.markers.get_markers(tmin=ts[0]) if m.timestamp <= t_ref
            )
        self.frame = ScopeFrame(
            times=t_shown - t_ref,
            traces=shown,
            ch_names=tuple(self.picks),
            quality=quality,
            markers=markers,
            connected=self.stream.connected,
            n_samples_received=self.stream.n_samples_received,
        )
        self.n_updates += 1
        return self.frame
