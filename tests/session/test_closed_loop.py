"""The loop's logic, stepped on simulated time: decoder -> gate -> commands, faults -> safe state."""

import numpy as np
import pytest

from workbench.acquisition.events import AcquisitionEvent
from workbench.session.adaptive import AdaptiveController, ControllerSpec
from workbench.session.closed_loop import ClosedLoop
from workbench.session.effectors import intent_commands
from workbench.session.gate import SAFE_COMMAND, SAFE_WITHIN_S, GateLimits, SafetyGate
from workbench.session.paradigm import ParadigmRunner, ParadigmSpec
from workbench.session.participant import CueTimeline, SimulatedParticipant
from workbench.session.training import train_decoder, windows_from_raw

from ._simulated import EASY, simulated_raw

SPEC = ParadigmSpec(cue_s=3.0, rest_s=1.5, repetitions=4, seed=0)
STEP_S = 0.01


@pytest.fixture(scope="module")
def decoder():
    raw, _, _ = simulated_raw(SPEC, model=EASY)  # these tests check the loop, not the participant's decodability
    return train_decoder(windows_from_raw(raw, SPEC.classes, cue_s=SPEC.cue_s)).decoder


def make_loop(decoder, participant, effector="glove", controller=None):
    sent = []
    gate = SafetyGate(GateLimits(), 0.0)
    picks = [participant.ch_names.index(c) for c in decoder.ch_names]
    emg = participant.ch_names.index("EMG") if controller else None
    loop = ClosedLoop(decoder.online(), picks, gate, intent_commands(effector, decoder.model.classes_),
                      lambda text, src: sent.append(text), controller=controller, emg_col=emg,
                      sfreq=participant.sfreq, decoder_version="v1")
    return loop, sent


def drive(loop, participant, seconds, t0=0.0, nan_at=None, beat_until=np.inf, event_at=None, event_kind="gap"):
    """Step the loop every 10 ms of simulated time on the participant's samples; heartbeat each step."""
    n = int(round(STEP_S * participant.sfreq))
    t = t0
    for _ in range(int(round(seconds / STEP_S))):
        x, _ = participant.generate(n)
        t = round(t + STEP_S, 6)
        ts = t - STEP_S + (np.arange(n) + 1) / participant.sfreq
        events = []
        if nan_at is not None and nan_at <= t < nan_at + 0.1:
            x[:, 1:-1] = np.nan
            events = [AcquisitionEvent("nonfinite", "sim", 0.0, t, 0, detail="NaN")]
        if event_at is not None and event_at <= t < event_at + STEP_S - 1e-9:
            events = [AcquisitionEvent(event_kind, "sim", 0.0, t, 0, detail=event_kind)]
        loop.step(t, x, ts, events=events, heartbeats=[t] if t <= beat_until else [])
    return t


def participant_for(spec, seed):
    p = SimulatedParticipant(CueTimeline(), seed=seed, model=EASY)
    ParadigmRunner(spec, p.timeline).start(offset_s=1.0)
    return p


def test_commands_follow_the_decoded_intent_and_leave_through_send(decoder):
    p = participant_for(ParadigmSpec(cue_s=3.0, rest_s=1.5, repetitions=2, seed=5), seed=5)
    loop, sent = make_loop(decoder, p)
    drive(loop, p, 20.0)
    passed = [d for d in loop.log.decisions if d.decision == "passed"]
    assert passed and all(d.command in ("open", "close", "hold") for d in passed)
    assert sent == [c[1] for c in loop.log.commands]
    assert len(loop.log.outputs) == pytest.approx(20.0 / 0.1, abs=12)  # one output per 100 ms after the window
    # each passed command is the glove command of an intent that was decoded above threshold just before it
    by_t = {}
    for o in loop.log.outputs:
        by_t.setdefault(o[0], o)
    commands = intent_commands("glove", decoder.model.classes_)
    assert all(commands[by_t[d.t][2]] == d.command for d in passed)


def test_nan_burst_forces_the_safe_state_at_once(decoder):
    p = participant_for(SPEC, seed=6)
    loop, sent = make_loop(decoder, p)
    drive(loop, p, 8.0, nan_at=6.0)
    safe = [d for d in loop.log.decisions if d.decision == "safe_state" and d.rule == "nonfinite_input"]
    assert safe and safe[0].t == pytest.approx(6.0, abs=STEP_S) and safe[0].time_to_safe_s == 0
    assert SAFE_COMMAND in sent
    # no command passed between the fault and the gate's resumption
    resumed = [d.t for d in loop.log.decisions if d.decision == "resumed" and d.t > safe[0].t]
    until = resumed[0] if resumed else np.inf
    assert not [d for d in loop.log.decisions if d.decision == "passed" and safe[0].t <= d.t < until]
    assert not any(o[4] for o in loop.log.outputs if 6.0 <= o[0] < 6.1), "outputs over NaN are invalid"


def test_stream_gap_event_and_lost_heartbeat_are_caught_within_100_ms(decoder):
    p = participant_for(SPEC, seed=7)
    loop, _ = make_loop(decoder, p)
    drive(loop, p, 10.0, event_at=5.0, beat_until=8.0)
    gap = [d for d in loop.log.decisions if d.decision == "safe_state" and d.rule == "signal_gap"]
    beat = [d for d in loop.log.decisions if d.decision == "safe_state" and d.rule == "heartbeat_lost"]
    assert gap and gap[0].t == pytest.approx(5.0, abs=STEP_S)
    assert beat and 8.0 < beat[0].t <= 8.0 + SAFE_WITHIN_S
    assert loop.gate.safe and loop.gate.command == SAFE_COMMAND


def test_adaptive_stimulation_closes_the_loop_on_the_participants_emg(decoder):
    p = participant_for(SPEC, seed=8)
    spec = ControllerSpec(target_uv=30.0)
    sent = []
    gate = SafetyGate(GateLimits(), 0.0)

    def send(text, src):  # the simulated stimulator, without LSL: the participant's EMG answers after its delay
        sent.append(text)
        p.stimulation_ma = float(text.split(":")[1]) if text.startswith("amplitude:") else 0.0

    loop = ClosedLoop(decoder.online(), [p.ch_names.index(c) for c in decoder.ch_names], gate,
                      intent_commands("adaptive", decoder.model.classes_), send,
                      controller=AdaptiveController(spec), emg_col=p.ch_names.index("EMG"), sfreq=p.sfreq)
    drive(loop, p, 12.0)
    env = np.array([e for t, e, _ in loop.log.envelopes if t > 8.0])
    assert abs(np.median(env) - spec.target_uv) < 0.15 * spec.target_uv
    amps = [float(s.split(":")[1]) for s in sent if s.startswith("amplitude:")]
    assert max(amps) <= GateLimits().max_amplitude_ma


def test_adaptive_stimulation_follows_the_decoded_intent_and_rest_ramps_it_down(decoder):
    """Stimulate only while the gate has passed an active intent; a passed rest brings 0 mA at the ramp rate."""
    p = participant_for(SPEC, seed=9)
    limits = GateLimits()
    gate = SafetyGate(limits, 0.0)
    sent = []  # (time, amplitude) of every amplitude on the wire

    def send(text, src):  # the stimulator: amplitudes and "off" change the current; intents only say what is in force
        if text.startswith("amplitude:"):
            p.stimulation_ma = float(text.split(":")[1])
            sent.append((now[0], p.stimulation_ma))
        elif text == SAFE_COMMAND:
            p.stimulation_ma = 0.0
            sent.append((now[0], 0.0))

    now = [0.0]
    loop = ClosedLoop(decoder.online(), [p.ch_names.index(c) for c in decoder.ch_names], gate,
                      intent_commands("adaptive", decoder.model.classes_, follow_intent=True), send,
                      controller=AdaptiveController(ControllerSpec(target_uv=30.0)), emg_col=p.ch_names.index("EMG"),
                      sfreq=p.sfreq)
    orig_step = loop.step

    def step(t, *a, **k):
        now[0] = t
        return orig_step(t, *a, **k)

    loop.step = step
    drive(loop, p, 16.0)
    # the intent in force over time, from the gate's passed decisions
    passed = [(d.t, d.command) for d in loop.log.decisions if d.decision == "safe_state"
              or (d.decision == "passed" and d.rule == "all_limits" and d.command != "amplitude")]
    assert {"stimulate", "rest"} <= {c for _, c in passed}, "both intents passed the gate"

    def in_force(t):
        before = [c for tc, c in passed if tc <= t]
        return before[-1] if before else SAFE_COMMAND

    # every increase happens while stimulation is in force; every change is within the ramp
    for (t0, a0), (t1, a1) in zip(sent, sent[1:]):
        if a1 > a0 + 1e-9:
            assert in_force(t1) == "stimulate"
        assert abs(a1 - a0) <= limits.max_ramp_ma_per_s * (t1 - t0) + 1e-9 or a1 == 0.0 and in_force(t1) == "off"
    # a rest in force long enough brings the amplitude to 0; stimulation in force long enough raises it
    amps_by_state = {"stimulate": [], "rest": []}
    for t, a in sent:
        since = max(tc for tc, c in passed if tc <= t) if any(tc <= t for tc, _ in passed) else 0.0
        if in_force(t) in amps_by_state and t - since > limits.max_amplitude_ma / limits.max_ramp_ma_per_s:
            amps_by_state[in_force(t)].append(a)
    assert amps_by_state["rest"] and max(amps_by_state["rest"]) == 0.0
    assert amps_by_state["stimulate"] and max(amps_by_state["stimulate"]) > 0.5


@pytest.mark.parametrize("kind, rule", [("time_reversed", "timestamps_backwards"),
                                        ("layout_changed", "stream_layout_changed"),
                                        ("source_changed", "stream_source_changed")])
def test_a_bad_stream_is_a_named_fault_the_safe_state_and_a_fresh_decoder_window(decoder, kind, rule):
    p = participant_for(SPEC, seed=8)
    loop, sent = make_loop(decoder, p)
    drive(loop, p, 8.0, event_at=5.0, event_kind=kind)
    safe = [d for d in loop.log.decisions if d.decision == "safe_state" and d.rule == rule]
    assert safe and safe[0].t == pytest.approx(5.0, abs=STEP_S) and SAFE_COMMAND in sent
    assert any(f[1] == rule for f in loop.log.faults)
    # the decoder's filters start afresh: no valid output until a full window of new samples
    window_s = decoder.window / decoder.sfreq
    assert not any(o[4] for o in loop.log.outputs if 5.0 <= o[1] < 5.0 + window_s - 2 * STEP_S)
    assert any(o[4] for o in loop.log.outputs if o[1] >= 5.0 + window_s)


def test_latency_shares_time_every_decoder_output_and_split_each_latency():
    from workbench.session.closed_loop import LoopLog
    from workbench.session.results import SHARE_KEYS, latency_shares

    log = LoopLog()
    assert latency_shares(log) == {**dict.fromkeys(SHARE_KEYS), "n_timed": 0}
    log.output_shares += [(10.0 + i, 10.0 + i + 0.004, 10.0 + i + 0.0045) for i in range(99)]
    log.output_shares.append((200.0, 200.010, 200.012))
    log.shares.append((200.0, 200.010, 200.012))  # the one output that pushed a command
    sh = latency_shares(log)
    assert sh["n_timed"] == 100
    assert sh["amplifier_p50_ms"] == pytest.approx(4.0) and sh["workbench_p50_ms"] == pytest.approx(0.5)
    assert sh["end_to_end_max_ms"] == pytest.approx(12.0) and 4.5 <= sh["end_to_end_p99_ms"] <= 12.0
    cmd = latency_shares(log, commands_only=True)
    assert cmd["n_timed"] == 1 and cmd["end_to_end_p50_ms"] == pytest.approx(12.0)


def test_every_output_of_a_stepped_loop_is_timed(decoder):
    p = participant_for(SPEC, seed=10)
    loop, _ = make_loop(decoder, p)
    loop.clock = None  # pushes and decisions at the step's time: the workbench share is 0 here
    n = int(round(STEP_S * p.sfreq))
    t = 0.0
    for _ in range(300):
        x, _ = p.generate(n)
        t = round(t + STEP_S, 6)
        ts = t - STEP_S + (np.arange(n) + 1) / p.sfreq
        loop.step(t, x, ts, heartbeats=[t], arrivals=ts + 0.002)
    assert len(loop.log.output_shares) == len(loop.log.outputs) > 20
    for (s, a, d), o in zip(loop.log.output_shares, loop.log.outputs):
        assert s == o[1] and a == pytest.approx(s + 0.002) and d == o[0]


def test_a_late_step_that_finds_samples_and_heartbeats_waiting_is_not_a_lost_signal(decoder):
    """The loop held off the CPU for 150 ms (a loaded machine): its delay is not a silence of its inputs.

    The samples and heartbeats it finds waiting have time stamps without a gap, so neither signal_lost
    nor heartbeat_lost; a stale decoder output may still be refused (latency_overrun: the loop was late).
    A real silence of the same length, slept through by the same late step, is still a lost signal.
    """
    for silent in (False, True):
        p = participant_for(SPEC, seed=9)
        loop, _ = make_loop(decoder, p)
        t = drive(loop, p, 6.0)
        assert not loop.gate.safe, "armed before the late step"
        n_before = len(loop.log.decisions)
        late_s, n = 0.15, int(round(0.15 * p.sfreq))
        x, _ = p.generate(n)
        ts = t + (np.arange(n) + 1) / p.sfreq
        beats = list(np.arange(t + STEP_S, t + late_s + 1e-9, STEP_S))
        if silent:  # the amplifier sent nothing for the first 120 ms of it, the effector too
            keep = ts > t + 0.12
            x, ts, beats = x[keep], ts[keep], [b for b in beats if b > t + 0.12]
        t = round(t + late_s, 6)
        loop.step(t, x, ts, heartbeats=beats)
        rules = {d.rule for d in loop.log.decisions[n_before:] if d.decision == "safe_state"}
        if silent:
            assert rules & {"signal_lost", "heartbeat_lost"}
            assert loop.gate.safe
        else:
            assert not rules & {"signal_lost", "heartbeat_lost"}, rules


@pytest.mark.parametrize("chunk", [5, 10, 25])
def test_aligned_outputs_fall_on_the_last_sample_of_a_chunk_wherever_the_loop_started_reading(decoder, chunk):
    from workbench.acquisition.buffer import RingBuffer, StreamReader
    from workbench.acquisition.chunk_phase import chunk_end_phase, samples_to_align

    p = participant_for(SPEC, seed=11)
    loop, _ = make_loop(decoder, p)
    step = decoder.step
    assert step % chunk == 0 and step > chunk
    buf = RingBuffer(int(10 * p.sfreq), len(p.ch_names), np.float64)
    n_sent = 0

    def send(n, pulls=1):
        """One chunk of ``n`` samples, as the acquisition thread stores it in ``pulls`` pulls."""
        nonlocal n_sent
        x, _ = p.generate(n)
        ts = (n_sent + np.arange(n)) / p.sfreq
        for part in np.array_split(np.arange(n), pulls):
            buf.push(x[part], ts[part], arrival=ts[-1] + 0.001 * pulls + part[0] * 1e-6)
        n_sent += n

    send(chunk - 3)  # the stream opened inside a chunk
    for j in range(60):
        send(chunk, pulls=2 if j % 7 == 3 else 1)  # now and then a pull catches a chunk half received
    send(chunk // 2)  # the first part of a chunk, pulled while the rest was on its way ...
    reader = StreamReader(buf)  # ... when the loop starts reading
    send(chunk - chunk // 2)
    history, first = reader.arrivals_before(int(2 * p.sfreq))
    phase = chunk_end_phase(history, first, step)
    loop.align_decoder(samples_to_align(phase, step, reader.position, loop.online.n_samples_seen))
    t = 0.0
    for j in range(400):
        send(chunk)
        data, ts, arrivals, _ = reader.read_lossy()
        t = float(ts[-1]) + 0.001
        loop.step(t, data, ts, heartbeats=[t], arrivals=arrivals)
    outputs = np.array([o[1] for o in loop.log.outputs])
    assert len(outputs) >= (400 * chunk - decoder.window) // step - 1
    index = np.round(outputs * p.sfreq).astype(int)
    head = chunk - 3
    assert np.all((index - head + 1) % chunk == 0), "an output fell inside a chunk"
    assert 0 < loop.log.samples_withheld < step
