"""Real recordings for the decoder tests, read once per session."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from workbench.decoding import CSP, LDA, CommonAverageReference, Decoder, IIRFilter


@pytest.fixture(scope="session")
def eegmmidb_runs(shared_data):
    """S001 runs 6, 10, 14 (imagined both fists vs both feet), 64 ch, 160 Hz."""
    from workbench.recording.labelled import read_eegmmidb_run

    return [read_eegmmidb_run(shared_data / "eegmmidb", 1, r) for r in (6, 10, 14)]


@pytest.fixture(scope="session")
def bci4als_run(shared_data):
    """bci4als Sub2011001 LabRecorder XDF: 16 ch at 125 Hz, idle/left/right cues."""
    from workbench.recording.labelled import read_bci4als_xdf

    return read_bci4als_xdf(shared_data / "bci4als" / "Sub2011001" / "EEG.xdf")


def window_ends(runs, after_s=2.0):
    """Windows ending ``after_s`` seconds after each cue (MNE's crop 1..2 s ends at 2 s)."""
    return [r.onsets + int(round(after_s * r.sfreq)) for r in runs]


@pytest.fixture(scope="session")
def csp_decoder(eegmmidb_runs):
    """CSP(4)+LDA, 7-30 Hz, CAR, 1 s windows, trained on runs 6 and 10."""
    train = eegmmidb_runs[:2]
    sf = train[0].sfreq
    dec = Decoder([IIRFilter(7.0, 30.0, sfreq=sf), CommonAverageReference()], make_pipeline(CSP(4), LDA()),
                  sfreq=sf, ch_names=train[0].ch_names, window=161, step=23)
    return dec.fit([r.data for r in train], window_ends(train), np.concatenate([r.labels for r in train]))
