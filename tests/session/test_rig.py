"""The simulated rig: the participant and devices in a process of their own, following the session's cues."""

import os
import pickle
import time

import numpy as np
import pylsl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.acquisition import MarkerStream, Stream
from workbench.errors import ValidationError, WorkbenchError
from workbench.session.effectors import HEARTBEAT_S, CommandOutlet
from workbench.session.participant import MARKER_LOOKBACK_S, CueTimeline, SimulatedParticipant
from workbench.session.rig import SimulatedRig

# A sequence of runner actions on a timeline, at increasing times.
_ACTIONS = st.lists(st.tuples(st.sampled_from(["pause", "resume", "stop"]), st.floats(0.05, 3.0)), max_size=6)


def _apply(timeline, actions):
    t = 0.0
    for kind, dt in actions:
        t += dt
        {"pause": timeline.pause, "resume": timeline.resume, "stop": timeline.stop_at}[kind](t)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 30.0), min_size=1, max_size=12, unique=True), _ACTIONS)
def test_a_copy_fed_every_snapshot_gives_the_same_cues_as_the_original(onsets, actions):
    original, copy = CueTimeline(), CueTimeline()
    original.subscribe(copy.restore)
    original.set_cues([(t, "grasp" if i % 2 else "open") for i, t in enumerate(sorted(onsets))], end_s=40.0)
    _apply(original, actions)
    t = np.linspace(-1, 60, 500)
    assert (copy.label_at(t) == original.label_at(t)).all()
    assert copy.cues == original.cues and copy.end_s == original.end_s
    # and a pickled timeline (what the rig's process gets) too, without the listener
    again = pickle.loads(pickle.dumps(original))
    assert again.cues == original.cues and not again._listeners


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 400), min_size=1, max_size=40))
def test_every_cue_onset_is_sent_once_whatever_the_chunking(chunks):
    p = SimulatedParticipant(CueTimeline([(0.1, "grasp"), (0.5, "rest"), (0.9, "open")]), sfreq=500.0)
    sent = []
    for n in chunks:
        sent += p.generate(n)[1]
    end_s = sum(chunks) / 500.0
    assert sent == [(round(t * 500), lab) for t, lab in p.timeline.cues if t < end_s]


def test_a_pause_that_reaches_the_participant_late_is_still_sent_once_at_its_own_sample():
    p = SimulatedParticipant(CueTimeline([(0.2, "grasp"), (3.0, "open")]), sfreq=500.0)
    assert p.generate(500)[1] == [(100, "grasp")]  # 1 s sent
    p.timeline.pause(1.0 - MARKER_LOOKBACK_S / 2)  # made "now", arriving after the samples went out
    markers = p.generate(50)[1]
    assert markers == [(round((1.0 - MARKER_LOOKBACK_S / 2) * 500), "pause")]
    assert p.generate(500)[1] == []  # once, and the later cue waits for the resume


def _read_until(stream_reader, stop, timeout=10.0):
    """Every row read until ``stop(rows)`` or ``timeout``."""
    rows, t_end = [], time.monotonic() + timeout
    while time.monotonic() < t_end:
        data, _, _, _ = stream_reader.read_lossy()
        if len(data):
            rows.append(data)
            if stop(np.concatenate(rows)):
                break
        stream_reader.wait(0.05)
    return np.concatenate(rows) if rows else np.empty((0, 0))


@pytest.mark.slow
@pytest.mark.lsl
@pytest.mark.timeout(180)
def test_the_rig_streams_from_its_own_process_follows_the_cues_and_runs_the_effector(unique_name):
    participant = SimulatedParticipant(CueTimeline(), seed=1)
    with SimulatedRig(participant, name=unique_name, chunk_ms=10) as rig, \
            Stream(unique_name, bufsize=30.0) as sig, MarkerStream(f"{unique_name}-markers") as cues:
        assert sig.description.source_id == f"{unique_name}-{rig._process.pid}" != f"{unique_name}-{os.getpid()}"
        reader = sig.reader()
        # The runner's cues, set in this process after the rig started, come back as markers at their samples
        # (rig.t0, the Player's start, is on the LSL clock that every process of the machine shares).
        t_cue = pylsl.local_clock() - rig.t0 + 0.5
        participant.timeline.set_cues([(t_cue, "grasp"), (t_cue + 0.5, "rest")])
        rows = _read_until(reader, lambda x: x[-1, 0] / participant.sfreq > t_cue + 0.7)
        assert len(rows) and (np.diff(rows[:, 0]) == 1).all()  # the sample counter: nothing lost
        deadline = time.monotonic() + 5
        while len(cues.get_markers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        # stamped at the cue's own sample (the participant's clock: t0 + sample / sfreq)
        at_sample = [rig.t0 + round(t * participant.sfreq) / participant.sfreq for t in (t_cue, t_cue + 0.5)]
        assert [m.value for m in cues.get_markers()] == ["grasp", "rest"]
        assert [m.timestamp for m in cues.get_markers()] == pytest.approx(at_sample, abs=1e-4)

        # The effector: commands in order, a silent heartbeat, and on stop what it received.
        commands = CommandOutlet(unique_name)
        effector = rig.start_effector("glove", commands.name)
        with MarkerStream(f"{unique_name}-heartbeat") as heart:
            deadline = time.monotonic() + 10
            while not heart.get_markers() and time.monotonic() < deadline:
                time.sleep(0.05)
            for cmd in ("close", "hold", "open"):
                commands.push(cmd, pylsl.local_clock())
                time.sleep(0.05)
            silenced_at = pylsl.local_clock()
            effector.silence_heartbeat(0.5)
            time.sleep(1.5)
            commands.push("off", pylsl.local_clock())
            time.sleep(0.2)
            beats = [m.timestamp for m in heart.get_markers()]
    # the heartbeat stopped for the 0.5 s asked, then came back; otherwise a beat every HEARTBEAT_S on the
    # device's clock: the mean interval is the period (timed from each poll, a poll's delay was added to every one)
    gaps = np.diff(beats)
    assert 0.45 < gaps.max() < 0.7 and beats[int(np.argmax(gaps))] >= silenced_at - 0.05
    assert np.delete(gaps, np.argmax(gaps)).mean() == pytest.approx(HEARTBEAT_S, rel=0.08)
    assert beats[-1] > silenced_at + 0.6
    assert [c.command for _, c in effector.received] == ["close", "hold", "open", "off"]
    assert effector.state == "off" and not effector.faults and rig.error is None
    # When each chunk left the amplifier (the split of the amplifier's share): every sample received here went
    # out in a chunk the rig reports, each push returned after its last sample's time stamp.
    pushes = rig.pushes
    assert pushes.shape[1] == 2 and (np.diff(pushes[:, 0]) > 0).all() and (pushes[:, 1] >= pushes[:, 0]).all()
    assert pushes[-1, 0] >= rig.t0 + rows[-1, 0] / participant.sfreq - 1e-9


@pytest.mark.slow
@pytest.mark.lsl
@pytest.mark.timeout(180)
def test_an_effector_without_its_command_stream_is_a_clear_error_and_the_rig_still_stops(unique_name):
    rig = SimulatedRig(None, name=unique_name).ready()
    try:
        with pytest.raises(ValidationError, match="command_stream"):
            rig.start_effector("glove", f"{unique_name}-nowhere-commands")
    finally:
        rig.stop()
    assert rig._process is None


@pytest.mark.lsl
@pytest.mark.timeout(180)
def test_a_rig_that_dies_mid_block_is_reported_not_waited_for(unique_name):
    rig = SimulatedRig(SimulatedParticipant(CueTimeline()), name=unique_name).ready()
    rig._process.kill()
    rig._process.wait(10)
    with pytest.raises(WorkbenchError, match="gone|ended"):
        rig.inject_nan(1.0, 0.1)
        rig._reply(5.0, "probe")
    rig.stop()  # returns, with the rig's fate as its error
    assert rig.error and rig._process is None
