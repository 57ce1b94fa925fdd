"""The buffered live Stream on real loopback LSL outlets."""

import contextlib
import threading
import time

import numpy as np
import pylsl
import pytest

from workbench.acquisition import MarkerStream, Stream
from workbench.acquisition.inlet_worker import NotConnectedError
from workbench.datasets import Player
from workbench.errors import ValidationError

from .outlets import CounterOutlet, wait_for

pytestmark = [pytest.mark.lsl, pytest.mark.timeout(60)]


def _counter(stream_or_data):
    return np.asarray(stream_or_data)[:, 0]


#: How a stream is pulled: its thread polling, its thread woken by liblsl, or a live loop's own thread.
MODES = ["poll", "wake", "caller"]


@contextlib.contextmanager
def _pulled(stream, mode):
    """In ``caller`` mode, a thread standing for the live loop: ``pull_here`` over and over, as run_block does."""
    if mode != "caller":
        yield None
        return
    stop, pulled = threading.Event(), []

    def loop():
        while not stop.is_set():
            pulled.append(stream.pull_here(0.004))

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield pulled
    finally:
        stop.set()
        thread.join(5)


@pytest.mark.parametrize("mode", MODES)
def test_info_window_and_every_sample_once(unique_name, mode):
    labels, units = ["Cnt", "C3", "C4"], ["none", "microvolts", "microvolts"]
    # Stamped on the sample grid: a source stamping its chunks when pushed puts its push jitter in the stamps,
    # and liblsl's dejitter, two seconds in on a loaded machine, still followed it by 6 % (a CI run).
    with CounterOutlet(unique_name, n_channels=3, sfreq=500.0, labels=labels, units=units, grid_stamps=True) as out:
        with Stream(unique_name, bufsize=5.0, wake_on_arrival=mode != "poll") as stream, \
                _pulled(stream, mode) as pulled:
            assert stream.ch_names == labels and stream.units == tuple(units)
            assert stream.info["sfreq"] == 500.0 and stream.info.get_channel_types() == ["eeg"] * 3
            assert [ch["unit_mul"] for ch in stream.info["chs"]] == [0, -6, -6]  # microvolts
            got = []
            while stream.n_samples_received < 1000:
                got.append(_counter(stream.read_new()[0]))
                time.sleep(0.02)
            got.append(_counter(stream.read_new()[0]))
            data, ts = stream.get_data(0.5)
            picked, _ = stream.get_data(0.5, picks=["C4"])
        sent = out.n_sent
    if pulled is not None:  # the loop took over: what it stored is what was received, after the thread's part
        assert 0 < sum(pulled) <= stream.n_samples_received
    counter = np.concatenate(got)
    # every sample once, in order, from the first received one
    np.testing.assert_array_equal(counter, np.arange(counter[0], counter[0] + len(counter)))
    assert counter[-1] < sent
    assert data.shape == (250, 3) and ts.shape == (250,) and picked.shape == (250, 1)
    np.testing.assert_array_equal(np.diff(data[:, 0]), 1.0)
    # A regular stream's stamps come through dejitter unchanged, each beside its own sample: 1/sfreq apart,
    # at the same offset from the sample index (a ring buffer that shifted stamps against samples fails).
    np.testing.assert_allclose(np.diff(ts), 1 / 500.0, rtol=1e-3)
    offset = ts - data[:, 0] / 500.0 - out.lsl_t0  # the outlet stamped sample i at lsl_t0 + i / 500
    assert np.abs(offset).max() < 1e-4, offset  # a tenth of a sample period: each stamp with its own sample


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_disconnect_is_seen_and_reconnect_marks_the_gap(shared_data, unique_name, mode):
    # A real recording (eegmmidb, 64 ch at 160 Hz) replayed by the simulated amplifier.
    edf = shared_data / "eegmmidb/S001/S001R04.edf"
    sid = f"{unique_name}-sid"
    first = Player.from_file(edf, name=unique_name, source_id=sid, counter=True).start()
    stream = Stream(unique_name, bufsize=5.0, wake_on_arrival=mode != "poll").connect()
    try:
        with _pulled(stream, mode):
            assert wait_for(lambda: stream.n_samples_received > 50)
            t_stop = pylsl.local_clock()
            first.stop()
            # The issue asks for detection within 0.5 s; liblsl reports the loss in about 1 ms.
            assert wait_for(lambda: not stream.connected, timeout=0.5)
            lost = [e for e in stream.events if e.kind == "disconnected"]
            assert len(lost) == 1 and lost[0].lsl_time - t_stop < 0.5
            n_before = stream.n_samples_received
            time.sleep(0.3)
            with Player.from_file(edf, name=unique_name, source_id=sid, counter=True):
                assert wait_for(lambda: stream.connected, timeout=10)
                assert wait_for(lambda: stream.n_samples_received > n_before + 20, timeout=5)
            kinds = [e.kind for e in stream.events]
            assert kinds[:4] == ["connected", "disconnected", "reconnected", "gap"]
            gap = stream.events[3]
            assert gap.gap_stop > gap.gap_start and gap.n_missing >= 0.3 * 160 - 1  # at least the pause
            assert gap.n_samples == n_before
            # the counter restarts with the new source; the gap sits exactly at the jump
            counter = stream.get_data()[0][:, 0]
            assert np.count_nonzero(np.diff(counter) != 1) == 1
    finally:
        stream.disconnect()
        first.stop()


@pytest.mark.parametrize("mode", MODES)
def test_a_silent_source_is_reported_and_its_return_marks_the_gap(unique_name, mode):
    with CounterOutlet(unique_name, sfreq=500.0) as out:
        # liblsl's dejitter smooths time stamps over a short silence; raw stamps show the jump.
        with Stream(unique_name, stall_timeout=0.3, dejitter=False, wake_on_arrival=mode != "poll") as stream, \
                _pulled(stream, mode):
            assert wait_for(lambda: stream.n_samples_received > 100)
            out.paused.set()  # the outlet stays open but sends nothing
            assert wait_for(lambda: not stream.connected, timeout=2)
            assert "no samples" in stream.events[-1].detail
            time.sleep(0.2)
            out.paused.clear()
            assert wait_for(lambda: stream.connected, timeout=2)
            assert wait_for(lambda: any(e.kind == "gap" for e in stream.events))
    # The outlet stamps each chunk as it pushes it: held up on a loaded machine, it pushes the chunks it owes
    # back to back, and each then begins before the last one ended (up to a chunk, 18 ms, back): a reversal
    # the stream rightly reports, beside the ones this test makes.
    reversed_ = [e for e in stream.events if e.kind == "time_reversed"]
    assert all(e.gap_start - e.gap_stop <= 9 / 500 + 1e-3 for e in reversed_)
    events = [e for e in stream.events if e.kind != "time_reversed"]
    assert [e.kind for e in events][:4] == ["connected", "disconnected", "reconnected", "gap"]
    assert events[3].n_missing >= 0.4 * 500  # the silence, at the nominal rate


def test_a_source_held_up_that_then_sends_what_it_owed_is_late_not_lost(unique_name):
    """An amplifier with its own clock held up for a moment (a busy host): the silence is reported, and the
    samples that follow are the ones it owed, stamped on its grid: a gap of none missing, said so."""
    with CounterOutlet(unique_name, sfreq=500.0, grid_stamps=True) as out:
        with Stream(unique_name, stall_timeout=0.3, dejitter=False) as stream:
            assert wait_for(lambda: stream.n_samples_received > 100)
            out.paused.set()
            assert wait_for(lambda: not stream.connected, timeout=2)
            out.paused.clear()
            assert wait_for(lambda: any(e.kind == "gap" for e in stream.events))
            counter = _counter(stream.get_data()[0])
    gaps = [e for e in stream.events if e.kind == "gap"]  # a loaded machine may hold the outlet up again
    assert gaps and all(g.n_missing == 0 and g.detail == "no samples missing: they came late, none was lost"
                        for g in gaps)
    np.testing.assert_array_equal(counter, np.arange(counter[0], counter[0] + len(counter)))


def test_a_loop_that_pulls_takes_over_from_the_thread_and_is_the_one_liblsl_wakes(unique_name):
    with CounterOutlet(unique_name, sfreq=500.0) as out, Stream(unique_name, wake_on_arrival=True) as stream:
        assert wait_for(lambda: stream.n_samples_received > 0)
        acquisition_thread = stream.thread_native_id
        while stream.pull_here(1.0) == 0:  # the first calls wait while the thread hands over
            pass
        assert stream.thread_native_id == threading.get_native_id() != acquisition_thread
        assert stream.running and stream.connected
        n, got, deadline = stream.n_samples_received, 0, time.monotonic() + 10
        while got < 100 and time.monotonic() < deadline:
            got += stream.pull_here(1.0)
        time.sleep(0.05)
        # only this thread stores now: nothing arrives between its calls, and each says what it stored
        assert got >= 100 and stream.n_samples_received == n + got
        counter = _counter(stream.get_data()[0])
        np.testing.assert_array_equal(counter, np.arange(counter[0], counter[0] + len(counter)))
        assert counter[-1] < out.n_sent
    assert not stream.running
    with pytest.raises(NotConnectedError, match="disconnected"):
        stream.pull_here(0.0)


def test_disconnect_while_a_loop_pulls_releases_the_connection(unique_name):
    """Closed from another thread (an operator's stop) mid-pull: the loop's next call says so, and the inlet the
    loop held is closed, not kept open by the pull that was in flight."""
    with CounterOutlet(unique_name, sfreq=500.0) as out:
        stream = Stream(unique_name, wake_on_arrival=True).connect()
        errors = []

        def loop():
            try:
                while True:
                    stream.pull_here(0.004)
            except NotConnectedError as err:
                errors.append(err)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        assert wait_for(lambda: stream.thread_native_id == thread.native_id and stream.n_samples_received > 0)
        assert out.outlet.have_consumers()
        stream.disconnect()
        thread.join(5)
        assert not thread.is_alive() and len(errors) == 1 and "disconnected" in str(errors[0])
        assert not stream.running and not stream.connected
        assert wait_for(lambda: not out.outlet.have_consumers(), timeout=5)


@pytest.mark.slow
def test_a_late_loop_pulls_its_whole_backlog_and_its_reader_finds_the_overrun(unique_name):
    """A loop late by more than the buffer loses samples as it would with the thread: an overrun, then every
    sample again; and late by less, nothing is lost (liblsl held them)."""
    with CounterOutlet(unique_name, sfreq=1000.0, chunk=20) as out, \
            Stream(unique_name, bufsize=0.5, wake_on_arrival=True) as stream:
        assert wait_for(lambda: stream.n_samples_received > 0)
        while stream.pull_here(1.0) == 0:
            pass
        reader = stream.reader()
        time.sleep(0.2)  # late by less than the buffer
        stream.pull_here(0.0)
        data, _, arrivals, n_lost = reader.read_lossy()
        assert n_lost == 0 and len(data) >= 150 and np.isfinite(arrivals).all()
        np.testing.assert_array_equal(np.diff(_counter(data)), 1.0)
        last = _counter(data)[-1]
        time.sleep(2.5)  # late by five buffers; liblsl holds the samples
        stream.pull_here(0.0)
        data, _, _, n_lost = reader.read_lossy()
        counter = _counter(data)
        assert len(data) == 500 and n_lost >= 1500
        assert counter[0] == last + 1 + n_lost  # exactly the overwritten samples are missing
        np.testing.assert_array_equal(np.diff(counter), 1.0)
        assert counter[-1] < out.n_sent


@pytest.mark.slow
def test_woken_on_arrival_a_chunk_is_stored_when_it_comes_not_at_the_next_poll(unique_name):
    """A 2 s poll interval: a polling thread would sleep through these chunks (it does, with the default)."""
    outlet = pylsl.StreamOutlet(pylsl.StreamInfo(unique_name, "EEG", 2, 500.0, "float32", f"{unique_name}-sid"))
    with Stream(unique_name, poll_interval=2.0, stall_timeout=30.0, wake_on_arrival=True) as stream:
        time.sleep(0.3)  # the thread found nothing and waits
        for k in range(3):
            outlet.push_chunk(np.full((10, 2), k, np.float32).tolist())
            assert wait_for(lambda: stream.n_samples_received >= 10 * (k + 1), timeout=1.0), k
        data, _ = stream.get_data()
    np.testing.assert_array_equal(data[:, 0], np.repeat([0.0, 1.0, 2.0], 10))
    del outlet


def test_no_reconnect_to_another_device_with_the_same_name(unique_name):
    with CounterOutlet(unique_name, source_id="device-A"):
        stream = Stream(unique_name).connect()
        assert wait_for(lambda: stream.n_samples_received > 0)
    try:
        assert wait_for(lambda: not stream.connected, timeout=0.5)
        with CounterOutlet(unique_name, source_id="device-B"):
            time.sleep(1.0)  # several retry rounds
            assert not stream.connected
    finally:
        stream.disconnect()


def test_a_reader_never_sees_nan_samples_before_their_fault(unique_name):
    """Data read first, events after (as the session loop does): NaN in the data means the event is there."""
    with CounterOutlet(unique_name, n_channels=3, labels=["Cnt", "C3", "C4"], chunk=2) as out:
        with Stream(unique_name) as stream:
            assert wait_for(lambda: stream.n_samples_received > 0, timeout=10)
            out.nan_in(500)
            nan_at = out.nan_at
            deadline, seen = time.monotonic() + 20, False
            while not seen and time.monotonic() < deadline:
                data, _ = stream.get_data()
                kinds = [e.kind for e in stream.events]
                seen = bool(np.isnan(data[:, 1]).any())
                assert not seen or "nonfinite" in kinds
    assert seen and out.n_sent > nan_at


def test_nan_samples_are_kept_and_reported(unique_name):
    with CounterOutlet(unique_name, n_channels=3, labels=["Cnt", "C3", "C4"]) as out:
        with Stream(unique_name) as stream:
            assert wait_for(lambda: stream.n_samples_received > 0, timeout=10)
            out.nan_in(500)
            nan_at = out.nan_at
            # The NaN is counted as its chunk arrives, just before the chunk is stored: wait until the
            # buffer holds samples sent after it (counter channel) before reading.
            assert wait_for(lambda: stream.n_nonfinite > 0 and stream.get_data()[0][-1:, 0].sum() > nan_at + 10,
                            timeout=10)
            data, _ = stream.get_data()
    events = [e for e in stream.events if e.kind == "nonfinite"]
    assert len(events) == 1 and "C3" in events[0].detail and "C4" not in events[0].detail
    assert np.isnan(data[:, 1]).any() and not np.isnan(data[:, 2]).any()
    assert out.n_sent > 0


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(n_channels=0), "n_channels"),
        (dict(sfreq=pylsl.IRREGULAR_RATE), "sfreq"),
    ],
)
def test_unusable_streams_are_refused_by_name(unique_name, kwargs, field):
    info = pylsl.StreamInfo(unique_name, "EEG", kwargs.get("n_channels", 2), kwargs.get("sfreq", 100.0), "float32", unique_name)
    outlet = pylsl.StreamOutlet(info)
    stream = Stream(unique_name)
    with pytest.raises(ValidationError) as err:
        stream.connect(timeout=3)
    assert field in err.value.fields and unique_name in str(err.value)
    assert not stream.running
    del outlet


def test_string_stream_needs_a_marker_stream(unique_name):
    outlet = pylsl.StreamOutlet(pylsl.StreamInfo(unique_name, "Markers", 1, 0, "string", unique_name))
    with pytest.raises(ValidationError, match="MarkerStream"):
        Stream(unique_name).connect(timeout=3)
    del outlet


def test_use_before_connect_and_bad_picks(unique_name):
    stream = Stream(unique_name)
    with pytest.raises(NotConnectedError, match="connect"):
        stream.get_data(1.0)
    with CounterOutlet(unique_name, n_channels=2, labels=["a", "b"]):
        with Stream(unique_name) as stream:
            with pytest.raises(ValidationError, match="picks"):
                stream.get_data(1.0, picks=["a", "zz"])
            with pytest.raises(ValidationError, match="winsize"):
                stream.get_data(-1)


@pytest.mark.slow  # seconds of real-time streaming or a subprocess: make test, not make check
def test_signal_markers_emg_decoder_and_effector_share_one_clock(unique_name):
    """Five streams at once; a marker sent with a sample carries that sample's time."""
    outs = [
        CounterOutlet(unique_name + "-eeg", n_channels=8, sfreq=500.0),
        CounterOutlet(unique_name + "-emg", n_channels=4, sfreq=1000.0, stype="EMG"),
        CounterOutlet(unique_name + "-dec", n_channels=2, sfreq=50.0, stype="Control", chunk=1),
    ]
    markers = pylsl.StreamOutlet(pylsl.StreamInfo(unique_name + "-mrk", "Markers", 1, 0, "string", unique_name + "m"))
    effector = pylsl.StreamOutlet(pylsl.StreamInfo(unique_name + "-eff", "Effector", 1, 0, "int32", unique_name + "e"))
    for o in outs:
        o.start()
    streams = [Stream(o.name, stype=o._info.type()).connect() for o in outs]
    mk, ef = MarkerStream(unique_name + "-mrk").connect(), MarkerStream(unique_name + "-eff").connect()
    try:
        assert wait_for(lambda: all(s.n_samples_received > 50 for s in streams))
        sent_at = []
        for k in range(5):
            sent_at.append(pylsl.local_clock())
            markers.push_sample([f"cue-{k}"], sent_at[-1])
            effector.push_sample([k], sent_at[-1])
            time.sleep(0.1)
        assert wait_for(lambda: mk.n_markers_received == 5 and ef.n_markers_received == 5)
        assert [m.value for m in mk.read_new()] == [f"cue-{k}" for k in range(5)]
        assert [m.value for m in ef.get_markers()] == [str(k) for k in range(5)]
        np.testing.assert_allclose([m.timestamp for m in mk.get_markers()], sent_at, atol=1e-3)
        time.sleep(0.2)
        for s in streams:
            _, ts = s.get_data()
            # each signal's newest time stamps cover the markers' times on the same clock
            assert ts[0] <= sent_at[-1] <= ts[-1] + 0.1
    finally:
        for s in (*streams, mk, ef):
            s.disconnect()
        for o in outs:
            o.stop()


def test_opened_from_a_real_time_loop_its_buffer_is_made_at_ordinary_priority_and_its_thread_is_real_time(
        unique_name, monkeypatch):
    import threading

    from workbench.utils.realtime import live_priority, thread_priority

    seen = {}
    setup = Stream._setup

    def watched(self, info):  # where the ring buffer is allocated and written through
        seen["setup"] = thread_priority()
        return setup(self, info)

    monkeypatch.setattr(Stream, "_setup", watched)

    def loop():
        with live_priority() as got:
            seen["granted"] = got.granted
            with CounterOutlet(unique_name, n_channels=2, sfreq=500.0), Stream(unique_name, bufsize=2.0) as stream:
                seen["caller"] = thread_priority()
                seen["flowed"] = wait_for(lambda: stream.n_samples_received > 50, 10)
                tid = stream.thread_native_id
                seen["worker"] = thread_priority(tid) if tid not in (None, threading.get_native_id()) else None

    t = threading.Thread(target=loop)
    t.start()
    t.join(30)
    if not seen.get("granted"):
        pytest.skip("real-time scheduling not permitted here")
    assert seen["setup"] == "SCHED_OTHER"
    assert seen["caller"] == seen["worker"] == "SCHED_FIFO 20" and seen["flowed"]
