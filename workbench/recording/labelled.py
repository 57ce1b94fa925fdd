"""Labelled runs for training and validating decoders: a recording plus its cues.

Built on :func:`workbench.recording.read_recording` (one reader for every
format), so a decoder is trained on exactly what the rest of the workbench
reads: the markers become annotations there and cue sample indices here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from ..errors import RecordingFileError
from .read import read_recording


@dataclass(frozen=True)
class LabelledRun:
    """One continuous run with its cues.

    Attributes
    ----------
    data : ndarray, shape (n_times, n_channels)
        Signal in volts.
    sfreq : float
    ch_names : list of str
    onsets : ndarray of int64
        Sample index of each cue.
    labels : ndarray of str
        Class of each cue.
    name : str
    """

    data: np.ndarray
    sfreq: float
    ch_names: list
    onsets: np.ndarray
    labels: np.ndarray
    name: str


def labelled_run(raw, labels: Mapping[str, str] | Callable[[str], str | None], name: str) -> "LabelledRun":
    """Cue samples and classes from a Raw's annotations.

    ``labels`` maps an annotation description to a class (a dict, or a
    callable returning None for descriptions that are not cues).
    """
    lookup = labels.get if isinstance(labels, Mapping) else labels
    sfreq = float(raw.info["sfreq"])
    onsets, classes = [], []
    for onset, desc in zip(raw.annotations.onset, raw.annotations.description):
        cls = lookup(str(desc))
        if cls is not None:
            # time_as_index handles first_samp and the annotations' origin for every reader
            onsets.append(int(raw.time_as_index(onset - raw.first_time if raw.annotations.orig_time is not None
                                                else onset, use_rounding=True)[0]))
            classes.append(cls)
    return LabelledRun(raw.get_data().T.copy(), sfreq, list(raw.ch_names), np.array(onsets, dtype=np.int64),
                       np.array(classes), name)


# PhysioNet EEG Motor Movement/Imagery (Schalk et al. 2004, IEEE TBME 51:1034;
# Goldberger et al. 2000, Circulation 101:e215): in runs 6, 10, 14 T1 cues
# both fists and T2 both feet; in runs 4, 8, 12 T1 left fist, T2 right fist.
EEGMMIDB_LABELS = {
    **{r: {"T1": "hands", "T2": "feet"} for r in (5, 6, 9, 10, 13, 14)},
    **{r: {"T1": "left", "T2": "right"} for r in (3, 4, 7, 8, 11, 12)},
}


def read_eegmmidb_run(data_dir, subject, run) -> LabelledRun:
    """Read one run of eegmmidb (EDF, volts) with its T1/T2 cues."""
    fname = Path(data_dir) / f"S{subject:03d}" / f"S{subject:03d}R{run:02d}.edf"
    names = EEGMMIDB_LABELS.get(run)
    if names is None:
        raise RecordingFileError(f"run {run} has no motor cues (allowed runs: {sorted(EEGMMIDB_LABELS)})")
    if not fname.is_file():
        raise RecordingFileError(f"eegmmidb file not found: {fname}")
    raw = read_recording(fname)
    raw.rename_channels(lambda c: c.strip("."))  # EDF labels are padded with dots ("Fc5.")
    return labelled_run(raw, names, fname.stem)


# bci4als recordings (Luv et al., github evyatarluv/bci4als, MIT): OpenBCI
# 16 channels at 125 Hz; markers 1 idle, 2 left hand, 3 right hand.
BCI4ALS_CHANNELS = ["Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2", "F7", "F8", "F3", "F4", "T7", "T8", "P3", "P4"]
BCI4ALS_LABELS = {"1": "idle", "2": "left", "3": "right"}


def _bci4als_class(desc: str) -> str | None:
    try:  # markers are written as "2.000000000000000"
        return BCI4ALS_LABELS.get(str(int(float(desc))))
    except ValueError:
        return None


def read_bci4als_xdf(fname) -> LabelledRun:
    """Read a bci4als LabRecorder XDF (EEG in volts) with its class markers."""
    fname = Path(fname)
    if not fname.is_file():
        raise RecordingFileError(f"XDF file not found: {fname}")
    raw = read_recording(fname, ch_names=BCI4ALS_CHANNELS)
    return labelled_run(raw, _bci4als_class, fname.parent.name)
