"""read_recording on every kind of real file in ../shared/data, and on broken copies."""

from __future__ import annotations

import shutil
from collections import Counter

import numpy as np
import pytest

from workbench.errors import RecordingFileError, ValidationError
from workbench.recording import read_recording
from workbench.recording.read import inspect_xdf, pick_signal_stream, read_xdf_streams

BCI4ALS_CHANNELS = "Fp1 Fp2 C3 C4 P7 P8 O1 O2 F7 F8 F3 F4 T7 T8 P3 P4".split()  # data/README.md


def test_bci4als_xdf_default_names_given_names_and_string_markers(shared_data):
    fname = shared_data / "bci4als" / "Sub2011001" / "EEG.xdf"
    raw = read_recording(fname)
    assert raw.info["sfreq"] == 125 and raw.n_times == 53600
    assert raw.ch_names[:2] == ["EEG01", "EEG02"] and set(raw.get_channel_types()) == {"eeg"}
    counts = Counter(raw.annotations.description)
    # README: 20 trials per class, 111 start, 1111 trial start, 9 trial end, 99 end.
    assert sum(counts.values()) == 182
    assert [counts[f"{c}.000000000000000"] for c in (1, 2, 3)] == [20, 20, 20]
    assert counts["1111.000000000000"] == 60
    named = read_recording(fname, ch_names=BCI4ALS_CHANNELS)
    assert named.ch_names == BCI4ALS_CHANNELS
    np.testing.assert_array_equal(named.get_data(), raw.get_data())
    with pytest.raises(ValidationError, match="ch_names"):
        read_recording(fname, ch_names=BCI4ALS_CHANNELS[:-1])


def test_xdf_markers_land_on_the_sample_recorded_at_the_same_time(shared_data):
    fname = shared_data / "magicblink_emg" / "ayush.xdf"
    streams = read_xdf_streams(fname)
    sig = pick_signal_stream(streams)
    markers = next(s for s in streams if s.is_marker)
    raw = read_recording(fname)
    # Data in volts from the microvolts the XDF holds (values unchanged otherwise).
    np.testing.assert_allclose(raw.get_data().T * 1e6, sig.data, rtol=1e-6)
    inside = (markers.times >= sig.times[0]) & (markers.times <= sig.times[-1])
    nearest = np.searchsorted(sig.times, markers.times[inside])
    onsets = raw.annotations.onset * raw.info["sfreq"]
    assert np.abs(onsets - nearest).max() <= 1.0
    assert list(raw.annotations.description) == list(np.asarray(markers.labels())[inside])


def test_integer_marker_stream(shared_data):
    raw = read_recording(shared_data / "magicblink_emg" / "markersPlusEKG.xdf")
    assert Counter(raw.annotations.description) == {"2": 29}
    assert raw.info["sfreq"] == 250 and raw.info["nchan"] == 8


def test_clock_resets_file_keeps_markers_in_order_and_marks_the_jump(shared_data):
    raw = read_recording(shared_data / "xdf_example_files" / "clock_resets.xdf")
    assert raw.n_times == 27815 and raw.info["sfreq"] == 100
    desc = list(raw.annotations.description)
    assert desc.count("BAD_ACQ_SKIP") == 1
    labels = [d for d in desc if d != "BAD_ACQ_SKIP"]
    assert len(labels) == 175 and labels[0] == "XXX" and labels[-1] == "XXX"
    assert np.all(np.diff(raw.annotations.onset) >= 0)


def test_empty_streams_are_skipped(shared_data):
    raw = read_recording(shared_data / "xdf_example_files" / "empty_streams.xdf")
    # The only signal with samples: the int32 counter 0..9 at 1 Hz.
    assert raw.ch_names == ["ch:00"] and raw.n_times == 10
    np.testing.assert_array_equal(raw.get_data()[0], np.arange(10))
    assert list(raw.annotations.description) == ['{"state": 2}']
    with pytest.raises(RecordingFileError, match="not a signal stream"):
        read_recording(shared_data / "xdf_example_files" / "empty_streams.xdf", stream="ctrl")
    with pytest.raises(RecordingFileError, match="Empty data stream"):
        read_recording(
            shared_data / "xdf_example_files" / "empty_streams.xdf", stream="Empty data stream: test stream 0 counter"
        )


def test_minimal_xdf_int16_and_marker_outside_the_signal(shared_data):
    with pytest.warns(RuntimeWarning, match="1 marker"):
        raw = read_recording(shared_data / "xdf_example_files" / "minimal.xdf")
    assert raw.n_times == 9 and raw.info["sfreq"] == 10
    np.testing.assert_allclose(raw.get_data()[:, 1] * 1e6, [12, 22, 32])  # README table, row 2
    assert list(raw.annotations.description[1:5]) == ["Hello", "World", "from", "LSL"]


def test_muse_multi_stream_picks_eeg_and_stream_option(shared_data):
    for fname in sorted((shared_data / "muselsl2").glob("*.xdf")):
        raw = read_recording(fname)
        assert raw.ch_names == ["TP9", "AF7", "AF8", "TP10", "AUX_RIGHT"]
        assert raw.info["sfreq"] == 256
    p032 = sorted((shared_data / "muselsl2").glob("sub-P032*.xdf"))[0]
    acc = read_recording(p032, stream="ACC")
    assert acc.ch_names == ["ACC_X", "ACC_Y", "ACC_Z"] and acc.info["sfreq"] == 52
    assert set(acc.get_channel_types()) == {"misc"}
    with pytest.raises(ValidationError) as err:
        read_recording(p032, stream="nope")
    assert "stream" in str(err.value) and "'EEG'" not in str(err.value) and "GYRO" in str(err.value)
    p003 = sorted((shared_data / "muselsl2").glob("sub-P003*.xdf"))[0]
    with pytest.raises(RecordingFileError, match="not a signal stream with samples"):
        read_recording(p003, stream="ACC")  # recorded, but empty


def test_picks_read_only_those_channels_with_the_same_values_and_markers(shared_data):
    """A recalibration reads 8 channels of a 256-channel run: the others never reach memory whole."""
    fname = sorted((shared_data / "muselsl2").glob("*.xdf"))[0]
    whole = read_recording(fname)
    picked = read_recording(fname, picks=["TP10", "AF7"])
    assert picked.ch_names == ["AF7", "TP10"]  # the stream's order
    np.testing.assert_array_equal(picked.get_data(), whole.get_data(picks=["AF7", "TP10"]))
    assert list(picked.annotations.description) == list(whole.annotations.description)
    np.testing.assert_array_equal(picked.annotations.onset, whole.annotations.onset)
    eeg = pick_signal_stream(read_xdf_streams(fname, picks=["AF7"]))
    assert eeg.ch_names == ("AF7",) and eeg.data.shape == (eeg.n_times, 1)
    # a run's manifest lists every stream from its time stamps alone, as a whole read would
    listed, _ = inspect_xdf(fname)
    full = read_xdf_streams(fname)
    assert [(r.name, r.n_channels, r.n_samples) for r in listed] == [(x.name, x.n_channels, x.n_times) for x in full]
    assert [r.last_timestamp for r in listed] == [float(x.times[-1]) if x.n_times else None for x in full]
    with pytest.raises(ValidationError, match="picks.*TP9"):
        read_recording(fname, picks=["Cz"])  # no such channel: said, with the channels there are
    with pytest.raises(ValidationError, match="picks"):
        read_recording(shared_data / "eegmmidb" / "S001" / "S001R04.edf", picks=["Cz"])


def test_eegmmidb_edf_annotations(shared_data):
    raw = read_recording(shared_data / "eegmmidb" / "S001" / "S001R04.edf")
    assert raw.info["nchan"] == 64 and raw.info["sfreq"] == 160 and raw.n_times == 20000
    assert Counter(raw.annotations.description) == {"T0": 15, "T1": 8, "T2": 7}


def test_brainvision_and_bdf(shared_data):
    bv = read_recording(shared_data / "mne_testdata" / "test.vhdr")
    assert bv.info["nchan"] == 32 and bv.info["sfreq"] == 1000 and bv.n_times == 7900
    assert Counter(bv.annotations.description)["Stimulus/S255"] == 5
    bdf = read_recording(shared_data / "mne_testdata" / "test_bdf_stim_channel.bdf")
    assert bdf.ch_names == ["C3", "C4", "Cz", "Status"]
    assert len(bdf.annotations) == 9 and Counter(bdf.annotations.description)["1"] == 7
    big = read_recording(shared_data / "mne_testdata" / "test.bdf")
    assert big.info["nchan"] == 73 and big.info["sfreq"] == 2048


def test_fif_round_trip(shared_data, tmp_path):
    raw = read_recording(shared_data / "eegmmidb" / "S002" / "S002R01.edf")
    raw.save(tmp_path / "s2_raw.fif")
    back = read_recording(tmp_path / "s2_raw.fif")
    np.testing.assert_allclose(back.get_data(), raw.get_data())
    assert list(back.annotations.description) == list(raw.annotations.description)


def _truncated(src, dst, fraction):
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


@pytest.mark.parametrize(
    "relpath",
    ["bci4als/Sub2011001/EEG.xdf", "magicblink_emg/handSix.xdf", "eegmmidb/S001/S001R04.edf", "mne_testdata/test.bdf"],
)
def test_truncated_copies_raise_and_say_so(shared_data, tmp_path, relpath):
    src = shared_data / relpath
    for fraction in (0.5, 0.999):
        bad = _truncated(src, tmp_path / f"cut{fraction}{src.suffix}", fraction)
        with pytest.raises(RecordingFileError, match="truncated|could not read") as err:
            read_recording(bad)
        assert str(bad) in str(err.value)


def test_truncated_xdf_can_be_recovered_on_request(shared_data, tmp_path):
    bad = _truncated(shared_data / "bci4als" / "Sub2011001" / "EEG.xdf", tmp_path / "crash.xdf", 0.5)
    with pytest.warns(RuntimeWarning, match="truncated"):
        raw = read_recording(bad, allow_truncated=True)
    assert 20000 < raw.n_times < 53600


def test_truncated_brainvision_data_file(shared_data, tmp_path):
    for ext in ("vhdr", "vmrk"):
        shutil.copy(shared_data / "mne_testdata" / f"test.{ext}", tmp_path / f"test.{ext}")
    _truncated(shared_data / "mne_testdata" / "test.eeg", tmp_path / "test.eeg", 0.5003)
    with pytest.raises(RecordingFileError, match="truncated"):
        read_recording(tmp_path / "test.vhdr")


def test_corrupt_missing_empty_and_unknown_files(tmp_path):
    junk = tmp_path / "junk.xdf"
    junk.write_bytes(b"this is not an XDF file" * 40)
    fif = tmp_path / "junk_raw.fif"
    fif.write_bytes(bytes(range(256)) * 8)
    edf = tmp_path / "junk.edf"
    edf.write_bytes(b"0" * 300)
    for bad, expected in [
        (junk, "does not start with the .XDF:. magic code"),
        (fif, "could not read as FIF"),
        (edf, "could not read as EDF"),
        (tmp_path / "absent.edf", "no such file"),
        (tmp_path, "not a file"),
    ]:
        with pytest.raises(RecordingFileError, match=expected):
            read_recording(bad)
    empty = tmp_path / "empty.bdf"
    empty.touch()
    with pytest.raises(RecordingFileError, match="empty"):
        read_recording(empty)
    csv = tmp_path / "data.csv"
    csv.write_text("1,2,3\n")
    with pytest.raises(RecordingFileError, match=r"\.xdf.*\.edf"):
        read_recording(csv)
