"""The Player on real LSL outlets (loopback): completeness, time stamps, markers, replay."""

from __future__ import annotations

import numpy as np
import pylsl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from workbench.datasets import CUES, ArraySource, Player, SyntheticSource
from workbench.errors import RecordingFileError, ValidationError, WorkbenchError
from workbench.recording import read_recording
from workbench.recording.read import pick_signal_stream, read_xdf_streams

from tests.budget import examples

from .receiver import Receiver

pytestmark = pytest.mark.lsl


@pytest.mark.slow
def test_counter_channel_arrives_complete_for_30_s_at_64_ch_1_khz(unique_name):
    src = SyntheticSource("eeg-64", seed=0, counter=True, sfreq=1000)
    with Player(src, name=unique_name, chunk_ms=20) as player:
        rx = Receiver(unique_name)
        try:
            complete = rx.wait_for(30_000, timeout=60)
        finally:
            values, stamps = rx.close()
    assert complete, f"only {len(stamps)} samples in 60 s"
    arrived, last_stamp = np.array(rx.arrivals).T
    assert np.all(arrived >= last_stamp), "samples left before their time: not paced"
    assert rx.full_info.channel_count() == 64 and rx.full_info.nominal_srate() == 1000
    assert rx.full_info.get_channel_labels()[:2] == ["COUNTER", "FC3"]
    counter = values[:, 0]
    assert np.all(np.diff(counter) == 1), "a sample was lost or repeated"
    # Each sample carries its own time stamp t0 + i / sfreq.
    np.testing.assert_allclose(stamps - player.t0, counter / 1000.0, atol=1e-6)
    # Content: the other channels are the source's samples for those indices.
    ref, _ = SyntheticSource("eeg-64", seed=0, counter=True, sfreq=1000).generate(int(counter[-1]) + 1)
    np.testing.assert_array_equal(values, ref[counter.astype(int)])


@pytest.mark.slow  # seconds of real-time streaming or a subprocess: make test, not make check
def test_synthetic_markers_carry_cue_labels_at_their_sample_times(unique_name):
    src = SyntheticSource("ecog-8", seed=0, cue_s=0.5)
    player = Player(src, name=unique_name, chunk_ms=10, duration=6.0).start()
    try:
        markers = Receiver(player.marker_name)
        assert player.wait(30)
        markers.settle()
    finally:
        labels, stamps = markers.close()
        player.stop()
    assert player.n_samples_sent == 6000 and player.n_markers_sent == 12
    assert len(stamps) >= 4  # those sent after the inlet connected
    cue = np.round((stamps - player.t0) * src.sfreq / src.cue_samples).astype(int)
    np.testing.assert_allclose(stamps - player.t0, cue * 0.5, atol=1e-9)
    assert [row[0] for row in labels] == [CUES[k % 3] for k in cue]


@pytest.mark.slow
def test_a_player_keeps_when_each_chunk_left_only_when_asked(unique_name):
    src = SyntheticSource("ecog-8", seed=0)
    player = Player(src, name=unique_name, chunk_ms=5, duration=1.0, keep_pushes=True).start()
    try:
        assert player.wait(30)
    finally:
        player.stop()
    pushes = player.pushes
    # one row per chunk, the last covering the last sample; each returned after its last sample's stamp
    assert len(pushes) >= 100 and (np.diff(pushes[:, 0]) > 0).all()
    assert pushes[-1, 0] == pytest.approx(player.t0 + (player.n_samples_sent - 1) / src.sfreq, abs=1e-9)
    assert (pushes[:, 1] >= pushes[:, 0]).all()
    assert Player(src, name=unique_name).pushes is None


class _Collected:
    """What a feed handed to its signal and marker outlets, in order (the feed's bookkeeping alone, no clock)."""

    def __init__(self):
        self.chunks, self.markers, self.sent_before = [], [], []

    def push_chunk(self, block, stamps):
        self.chunks.append((np.array(block), np.array(stamps)))

    def push_sample(self, value, stamp):
        # how many signal samples had gone out when this marker did
        self.markers.append((value[0], stamp, sum(len(b) for b, _ in self.chunks)))


#: Steps of the Player's thread in samples: anything, and the ones that end just before, at and after a cue.
_SAMPLES = st.one_of(st.integers(0, 300), st.sampled_from([124, 125, 126]))


@settings(max_examples=examples(80), deadline=None)
@given(steps=st.lists(st.tuples(st.booleans(), _SAMPLES, _SAMPLES), min_size=1, max_size=40),
       duration=st.sampled_from([None, 5.0]))
@example(steps=[(True, 0, 126), (False, 124, 0), (False, 1, 0)], duration=None)  # the cue at 125 made, not due
@example(steps=[(True, 0, 2000), (False, 1249, 0)], duration=5.0)  # made to the end, pushed to it
def test_samples_made_ahead_go_out_when_due_as_the_source_made_them_with_each_cue_after_its_sample(steps, duration):
    """Any order of making ahead (by any lead) and pushing (on time or late): the Player's thread, whatever
    the machine does to it."""
    from workbench.datasets.player import _BlockFeed

    def source():  # eeg-64 at 250 Hz with a counter: a cue every 125 samples
        return SyntheticSource("eeg-64", seed=3, counter=True, sfreq=250, cue_s=0.5)

    src = source()
    feed = _BlockFeed(src, np.inf if duration is None else round(duration * src.sfreq))
    out = _Collected()
    feed.marker_outlet = out
    k = 0  # the Player's clock, in samples since t0
    for ahead, dk, lead in steps:
        k += dk
        n_sent, n_made = feed.n_sent, src.n_times_generated
        if ahead:
            feed.make_ahead((k + lead) / src.sfreq)
            assert feed.n_sent == n_sent, "a sample made ahead went out before it was due"
            # made up to what will be due then, and no more (nothing made twice)
            assert src.n_times_generated == max(n_made, min(k + lead + 1, feed.n_total))
        else:
            feed.push_due(k / src.sfreq, 100.0, out)
            # every sample due at k is out (the one at k itself too), none later, within the duration
            assert feed.n_sent == min(k + 1, feed.n_total)
    values = np.concatenate([b for b, _ in out.chunks]) if out.chunks else np.empty((0, len(src.ch_names)))
    stamps = np.concatenate([s for _, s in out.chunks]) if out.chunks else np.empty(0)
    np.testing.assert_array_equal(values[:, 0], np.arange(feed.n_sent))  # none lost, repeated or reordered
    np.testing.assert_array_equal(values, source().generate(feed.n_sent)[0])
    np.testing.assert_allclose(stamps, 100.0 + np.arange(feed.n_sent) / src.sfreq, rtol=0, atol=1e-9)
    # each cue once, in order, stamped at its own sample and sent after (never before) that sample
    samples = [round((stamp - 100.0) * src.sfreq) for _, stamp, _ in out.markers]
    assert samples == list(range(0, 125 * len(samples), 125))
    assert [label for label, _, _ in out.markers] == [CUES[(k // 125) % 3] for k in samples]
    assert all(k < sent for k, (_, _, sent) in zip(samples, out.markers))
    assert feed.n_markers == len(out.markers) == -(-feed.n_sent // 125)  # every cue whose sample went out


def _play_and_receive(player, timeout=30):
    """Run the player to its duration with a receiver on each stream; return what arrived."""
    player.start()
    try:
        rx, rx_m = Receiver(player.name), Receiver(player.marker_name)
        assert player.wait(timeout)
        rx.settle()
        rx_m.settle()
    finally:
        received = rx.close()
        markers = rx_m.close()
        player.stop()
    return rx, rx_m, received, markers


@pytest.mark.slow
def test_xdf_replay_sends_every_stream_with_recorded_content_and_timing(shared_data, unique_name):
    fname = shared_data / "magicblink_emg" / "markersPlusEKG.xdf"
    streams = read_xdf_streams(fname)
    sig = pick_signal_stream(streams)
    mrk = next(s for s in streams if s.is_marker)
    player = Player.from_file(fname, name=unique_name, duration=6.0, counter=True)
    assert player.stream_names == [unique_name, f"{unique_name}-markers"]
    rx, rx_m, (values, stamps), (labels, m_stamps) = _play_and_receive(player)
    assert rx_m.full_info.channel_format() == pylsl.cf_int32  # as recorded
    idx = values[:, 0].astype(int)
    assert np.all(np.diff(idx) == 1) and len(idx) > 1000
    np.testing.assert_array_equal(values[:, 1:], sig.data[idx, 1:])
    # Relative timing as recorded (pyxdf-synchronised stamps shifted to now).
    start = min(sig.times[0], mrk.times[0])
    np.testing.assert_allclose(stamps - player.t0, sig.times[idx] - start, atol=1e-6)
    assert len(m_stamps) >= 3
    k = np.searchsorted(mrk.times - start, m_stamps - player.t0 - 1e-6)
    np.testing.assert_allclose(m_stamps - player.t0, mrk.times[k] - start, atol=1e-6)
    assert [int(v[0]) for v in labels] == [int(v) for v in mrk.data[k, 0]]
    # Paced at the recording's own rate: no sample ever reached the inlet
    # before its own time stamp (a replay running ahead would break this).
    arrived, last_stamp = np.array(rx.arrivals).T
    assert np.all(arrived >= last_stamp) and len(arrived) > 10
    assert player.n_samples_sent == np.sum(sig.times - start < 6.0)


@pytest.mark.slow  # seconds of real-time streaming or a subprocess: make test, not make check
def test_edf_replay_streams_annotations_as_markers(shared_data, unique_name):
    fname = shared_data / "eegmmidb" / "S001" / "S001R04.edf"
    raw = read_recording(fname)
    player = Player.from_file(fname, name=unique_name, duration=5.0, counter=True, chunk_ms=50)
    _, _, (values, _), (labels, m_stamps) = _play_and_receive(player)
    assert player.n_samples_sent == 5 * 160
    idx = values[:, 0].astype(int)
    np.testing.assert_allclose(values[:, 1:] * 1e-6, raw.get_data()[1:, idx].T, rtol=1e-5, atol=1e-12)
    # eegmmidb annotations: T0 at 0 s, then the task cue (T1/T2) at 4.2 s.
    expected = {round(o, 3): d for o, d in zip(raw.annotations.onset, raw.annotations.description) if o < 5}
    got = {round(t - player.t0, 3): row[0] for t, row in zip(m_stamps, labels)}
    assert got and all(expected[t] == label for t, label in got.items())
    assert got[4.2] in {"T1", "T2"}


@pytest.mark.slow  # seconds of real-time streaming or a subprocess: make test, not make check
def test_xdf_replay_loops_and_keeps_counting(shared_data, unique_name):
    fname = shared_data / "xdf_example_files" / "minimal.xdf"  # 9 samples at 10 Hz
    player = Player.from_file(fname, name=unique_name, duration=2.5, loop=True, counter=True, chunk_ms=10)
    player.start()
    try:
        rx = Receiver(player.name)
        assert player.wait(30)
        rx.settle()
    finally:
        values, _ = rx.close()
        player.stop()
    assert player.n_samples_sent > 18  # more than two passes over the 9 samples
    assert np.all(np.diff(values[:, 0]) == 1)
    src_data = pick_signal_stream(read_xdf_streams(fname)).data
    np.testing.assert_array_equal(values[:, 1:], src_data[values[:, 0].astype(int) % 9, 1:])


def test_player_rejects_bad_parameters_at_once_and_bad_files():
    src = SyntheticSource("ecog-8")
    with pytest.raises(ValidationError) as err:
        Player(src, name="", chunk_ms=0, duration=-1)
    assert set(err.value.fields) == {"name", "chunk_ms", "duration"}
    player = Player(src, name="never-started")
    with pytest.raises(WorkbenchError, match="not been started"):
        player.wait(0.1)


def test_player_refuses_unreadable_files_before_opening_outlets(shared_data, tmp_path):
    cut = tmp_path / "cut.xdf"
    cut.write_bytes((shared_data / "magicblink_emg" / "handSix.xdf").read_bytes()[:200_000])
    with pytest.raises(RecordingFileError, match="truncated"):
        Player.from_file(cut)
    with pytest.raises(RecordingFileError, match="not a signal stream"):
        Player.from_file(shared_data / "xdf_example_files" / "empty_streams.xdf", stream="ctrl")
    with pytest.raises(RecordingFileError, match="no such file"):
        Player.from_file(tmp_path / "missing.edf")


def test_endless_player_wait_without_timeout_is_refused(unique_name):
    with Player(SyntheticSource("ecog-8"), name=unique_name) as player:
        with pytest.raises(ValidationError, match="timeout"):
            player.wait()
        assert player.running
    assert not player.running


def test_array_source_loops_with_markers_on_every_pass():
    data = np.arange(20.0).reshape(10, 2)
    src = ArraySource(data, 100.0, ["a", "b"], ["eeg", "misc"], ["microvolts", ""], [(0, "go"), (7, "stop")],
                      loop=True, counter=True)  # fmt: skip
    block, markers = src.generate(25)
    np.testing.assert_array_equal(block[:, 0], np.arange(25))
    np.testing.assert_array_equal(block[:, 1], data[np.arange(25) % 10, 1])
    assert markers == [(0, "go"), (7, "stop"), (10, "go"), (17, "stop"), (20, "go")]
    once = ArraySource(data, 100.0, ["a", "b"], ["eeg", "misc"], ["", ""], loop=False)
    assert once.generate(8)[0].shape == (8, 2) and once.generate(8)[0].shape == (2, 2)
    assert once.generate(8)[0].shape == (0, 2)
    with pytest.raises(ValidationError) as err:
        ArraySource(data, 0, ["a"], ["eeg"], [""], [(11, "late")])
    assert set(err.value.fields) == {"sfreq", "ch_names", "ch_types", "units", "markers"}
