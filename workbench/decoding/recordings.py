"""Labelled recordings for training and validating decoders (EDF, XDF).

Readers are imported inside the functions (mne, pyxdf) so that importing the
decoder stays light.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import RecordingFileError


@dataclass(frozen=True)
class LabelledRun:
    """One continuous run with its cues.

    Attributes
    ----------
    data : ndarray, shape (n_times, n_channels)
        Signal in volts (EDF) or the device's unit (XDF).
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


# PhysioNet EEG Motor Movement/Imagery (Schalk et al. 2004, IEEE TBME 51:1034;
# Goldberger et al. 2000, Circulation 101:e215): in runs 6, 10, 14 T1 cues
# both fists and T2 both feet; in runs 4, 8, 12 T1 left fist, T2 right fist.
EEGMMIDB_LABELS = {
    **{r: {"T1": "hands", "T2": "feet"} for r in (5, 6, 9, 10, 13, 14)},
    **{r: {"T1": "left", "T2": "right"} for r in (3, 4, 7, 8, 11, 12)},
}


def read_eegmmidb_run(data_dir, subject, run):
    """Read one run of eegmmidb (EDF) with its T1/T2 cues as a LabelledRun."""
    import mne

    fname = Path(data_dir) / f"S{subject:03d}" / f"S{subject:03d}R{run:02d}.edf"
    if not fname.is_file():
        raise RecordingFileError(f"eegmmidb file not found: {fname}")
    names = EEGMMIDB_LABELS.get(run)
    if names is None:
        raise RecordingFileError(f"run {run} has no motor cues (allowed runs: {sorted(EEGMMIDB_LABELS)})")
    raw = mne.io.read_raw_edf(fname, preload=True, verbose="error")
    ann = raw.annotations
    keep = [i for i, d in enumerate(ann.description) if d in names]
    onsets = np.round(ann.onset[keep] * raw.info["sfreq"]).astype(np.int64)
    labels = np.array([names[ann.description[i]] for i in keep])
    ch_names = [c.strip(".") for c in raw.ch_names]
    return LabelledRun(raw.get_data().T.copy(), float(raw.info["sfreq"]), ch_names, onsets, labels, fname.stem)


# bci4als recordings (Luv et al., github evyatarluv/bci4als, MIT): OpenBCI
# 16 channels at 125 Hz; markers 1 idle, 2 left hand, 3 right hand.
BCI4ALS_CHANNELS = ["Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2", "F7", "F8", "F3", "F4", "T7", "T8", "P3", "P4"]
BCI4ALS_LABELS = {"1": "idle", "2": "left", "3": "right"}


def read_bci4als_xdf(fname):
    """Read a bci4als LabRecorder XDF: the EEG stream and its class markers."""
    import pyxdf

    fname = Path(fname)
    if not fname.is_file():
        raise RecordingFileError(f"XDF file not found: {fname}")
    streams, _ = pyxdf.load_xdf(str(fname))
    eeg = next((s for s in streams if s["info"]["type"][0] == "EEG"), None)
    mk = next((s for s in streams if s["info"]["type"][0] == "Markers"), None)
    if eeg is None or mk is None:
        raise RecordingFileError(f"{fname}: needs an EEG stream and a Markers stream")
    ts = np.asarray(eeg["time_stamps"])
    onsets, labels = [], []
    for t, m in zip(mk["time_stamps"], mk["time_series"]):
        try:  # markers are written as "2.000000000000000"
            code = str(int(float(m[0])))
        except ValueError:
            continue
        if code in BCI4ALS_LABELS:
            onsets.append(int(np.searchsorted(ts, t)))
            labels.append(BCI4ALS_LABELS[code])
    sfreq = float(eeg["info"]["nominal_srate"][0])
    return LabelledRun(np.asarray(eeg["time_series"], dtype=np.float64), sfreq, list(BCI4ALS_CHANNELS),
                       np.array(onsets, dtype=np.int64), np.array(labels), fname.parent.name)
