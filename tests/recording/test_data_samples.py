"""The recordings shipped in data_samples/ read back and show what their README says."""

import numpy as np
import pytest

from workbench.acquisition.quality import compute_quality
from workbench.errors import RecordingFileError
from workbench.recording.read import inspect_xdf
from workbench.recording.read import read_recording, read_xdf_streams

from ..conftest import REPO

SAMPLES = REPO / "data_samples"


def test_counter_sample_has_every_sample():
    streams = {s.name: s for s in read_xdf_streams(SAMPLES / "sim_eeg64_counter.xdf")}
    counter = streams["wb-sample-eeg"].data[:, 0]
    np.testing.assert_array_equal(np.diff(counter), 1.0)
    assert streams["wb-sample-eeg"].n_channels == 64


def test_flat_and_clipped_channels_are_found_in_the_ecog_sample():
    raw = read_recording(SAMPLES / "sim_ecog8_flat_clipped.xdf")
    q = compute_quality(raw.get_data().T * 1e6, raw.info["sfreq"], raw.ch_names)
    assert [n for n, *_, in q.rows() if q.flat[raw.ch_names.index(n)]] == ["ECOG3"]
    assert [n for n in raw.ch_names if q.clipped[raw.ch_names.index(n)]] == ["ECOG5"]


def test_interrupted_sample_reads_up_to_the_kill_only_when_asked():
    fname = SAMPLES / "interrupted_kill9.xdf"
    with pytest.raises(RecordingFileError, match="no footer"):
        read_xdf_streams(fname)
    streams, note = inspect_xdf(fname)
    assert "no footer" in note and streams[0].n_samples > 500
