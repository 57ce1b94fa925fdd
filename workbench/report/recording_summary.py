"""What a session view draws from a recording, read once and kept: a decimated snippet and the ERD map.

Reading a long recording and computing its ERD map takes seconds, so the
summary is built once, kept per recording SHA-256 under
``<workspace>/cache/session-summaries``, and every later view draws from it.
:func:`build_session_summaries` builds them when a session is recorded (the
demo calls it when the trial day ends), so even the first opening of the
session in the dashboard reads no recording, only checks its SHA-256.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..utils.files import make_private_dir
from .signals import ErdMap, Snippet, erd_map, signal_snippet

#: Points per channel a snippet is drawn with: a screen is ~1000 px wide, and a 2 kHz
#: 5 s snippet of 8 channels (80,000 points, 2 MB of figure JSON) took seconds to send and draw.
DISPLAY_POINTS = 2000
#: Where summaries of recordings are kept, inside the workspace.
SUMMARY_DIR = ("cache", "session-summaries")


def decimate_envelope(times: np.ndarray, data: np.ndarray, max_points: int = DISPLAY_POINTS):
    """(times, data) with at most ``max_points`` samples per channel, keeping each bucket's min and max.

    A min/max envelope rather than every k-th sample: a spike or a saturated
    stretch stays visible at any zoom a screen can show, where plain
    subsampling would drop it.
    """
    n = data.shape[1]
    if n <= max_points:
        return times, data
    size = int(np.ceil(n / (max_points // 2)))
    starts = np.arange(0, n, size)
    out = np.empty((data.shape[0], 2 * len(starts)), dtype=data.dtype)
    out[:, 0::2] = np.minimum.reduceat(data, starts, axis=1)
    out[:, 1::2] = np.maximum.reduceat(data, starts, axis=1)
    tt = np.repeat(times[starts], 2)
    tt[1::2] = times[np.minimum(starts + size, n) - 1]  # each bucket drawn from its first to its last sample
    return tt, out


@dataclass(frozen=True)
class RecordingSummary:
    """What the session view draws from a recording: a decimated snippet and the ERD map (or None)."""

    snippet: Snippet
    erd: ErdMap | None


def summary_path(root: Path, sha256: str) -> Path:
    return Path(root).joinpath(*SUMMARY_DIR, f"{sha256}.npz")


def recording_summary(rec, root: Path) -> RecordingSummary:
    """The summary of recording ``rec`` (a :class:`RecordingFile`): from the cache, else read once and kept.

    The cache is keyed by the SHA-256 the session recorded, so a summary is
    always of the file the session names; the caller checks the file first.
    """
    path = summary_path(root, rec.sha256)
    if path.is_file():
        try:
            return _load_summary(path)
        except (OSError, KeyError, ValueError):
            path.unlink(missing_ok=True)  # a half-written or old-format summary: read the recording again
    from ..recording import read_recording

    raw = read_recording(Path(root) / rec.path)
    snip = signal_snippet(raw)
    times, data = decimate_envelope(snip.times, snip.data)
    summary = RecordingSummary(Snippet(times, data, snip.ch_names), erd_map(raw))
    _save_summary(path, summary)
    return summary


def _save_summary(path: Path, s: RecordingSummary) -> None:
    arrays = {"snip_times": s.snippet.times, "snip_data": s.snippet.data,
              "snip_ch": np.array(s.snippet.ch_names, dtype=str), "has_erd": np.array(s.erd is not None)}
    if s.erd is not None:
        arrays.update(erd_percent=s.erd.erd_percent, erd_classes=np.array(s.erd.classes, dtype=str),
                      erd_ch=np.array(s.erd.ch_names, dtype=str), erd_freqs=s.erd.freqs,
                      erd_nwin=np.array([s.erd.n_windows[c] for c in s.erd.classes]), erd_nrest=np.array(s.erd.n_rest))
    make_private_dir(path.parent)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    os.replace(tmp, path)  # whole or not at all: a reader never sees half a summary


def _load_summary(path: Path) -> RecordingSummary:
    with np.load(path, allow_pickle=False) as z:
        snip = Snippet(z["snip_times"], z["snip_data"], tuple(str(c) for c in z["snip_ch"]))
        erd = None
        if bool(z["has_erd"]):
            classes = tuple(str(c) for c in z["erd_classes"])
            erd = ErdMap(z["erd_percent"], classes, tuple(str(c) for c in z["erd_ch"]), z["erd_freqs"],
                         dict(zip(classes, (int(n) for n in z["erd_nwin"]))), int(z["erd_nrest"]))
    return RecordingSummary(snip, erd)


def build_session_summaries(sessions, root) -> list[Path]:
    """Build the summary of every recording of ``sessions`` not summarised yet; return the summaries' paths.

    Called when a session's recordings are final (``workbench demo`` at the end of
    the trial day), so the dashboard's first opening of a long session draws from
    the summary instead of reading the whole recording (issue 22: "loads a long
    session within 3 s"). A recording that is missing or changed is skipped: the
    session view says what is wrong with it when it is opened.
    """
    built = []
    for session in sessions:
        for rec in session.recording_files:
            if rec.check(root) is None:
                recording_summary(rec, Path(root))
                built.append(summary_path(root, rec.sha256))
    return built


__all__ = ["DISPLAY_POINTS", "SUMMARY_DIR", "RecordingSummary", "build_session_summaries", "decimate_envelope",
           "recording_summary", "summary_path"]
