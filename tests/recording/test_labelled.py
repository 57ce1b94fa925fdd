"""Labelled runs read from the real EDF and XDF files."""

import numpy as np
import pytest

from workbench.recording.labelled import read_bci4als_xdf, read_eegmmidb_run
from workbench.errors import RecordingFileError


def test_eegmmidb_run_has_its_cues_and_labels(shared_data):
    r6 = read_eegmmidb_run(shared_data / "eegmmidb", 1, 6)
    assert r6.data.shape == (20000, 64) and r6.sfreq == 160.0
    assert r6.ch_names[:3] == ["Fc5", "Fc3", "Fc1"]
    # run 6: T1 (both fists) 7 times, T2 (both feet) 8 times (MANIFEST.tsv)
    assert (r6.labels == "hands").sum() == 7 and (r6.labels == "feet").sum() == 8
    assert np.all(np.diff(r6.onsets) > 600)  # one cue about every 4 s
    assert 10e-6 < np.median(np.std(r6.data, axis=0)) < 200e-6  # volts


def test_bci4als_xdf_has_twenty_trials_per_class(shared_data):
    r = read_bci4als_xdf(shared_data / "bci4als" / "Sub2011001" / "EEG.xdf")
    assert r.data.shape == (53600, 16) and r.sfreq == 125.0
    assert {c: int((r.labels == c).sum()) for c in ("idle", "left", "right")} == {"idle": 20, "left": 20, "right": 20}
    assert np.all((r.onsets > 0) & (r.onsets < len(r.data)))
    assert r.ch_names[2:4] == ["C3", "C4"]
    # the same samples pyxdf reads, microvolts scaled to volts
    import pyxdf

    streams, _ = pyxdf.load_xdf(str(shared_data / "bci4als" / "Sub2011001" / "EEG.xdf"))
    eeg = next(s for s in streams if s["info"]["type"][0] == "EEG")
    np.testing.assert_allclose(r.data, np.asarray(eeg["time_series"], dtype=float) * 1e-6, rtol=1e-6)


def test_missing_files_and_runs_are_reported(shared_data, tmp_path):
    with pytest.raises(RecordingFileError, match="S009R06.edf"):
        read_eegmmidb_run(shared_data / "eegmmidb", 9, 6)
    with pytest.raises(RecordingFileError, match="allowed runs"):
        read_eegmmidb_run(shared_data / "eegmmidb", 2, 1)
    with pytest.raises(RecordingFileError, match="nothing.xdf"):
        read_bci4als_xdf(tmp_path / "nothing.xdf")
