"""The safety gate: no command over a limit, the safe state within 100 ms, whatever happens.

The gate is a pure state machine on explicit time stamps, so the properties are
checked on simulated time (no wall clock, no sleeping).
"""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.errors import ValidationError
from workbench.session.gate import SAFE_COMMAND, SAFE_WITHIN_S, GateLimits, SafetyGate
from tests.budget import examples

LIMITS = GateLimits()
COMMANDS = ("open", "close", "hold", None)
#: The same commands as stimulation programs with their checked amplitudes (mA): switches are ramped.
LEVELS = {"open": 3.0, "close": 6.0, "hold": 1.5}

# One step of the loop: time advance (at most tick_s, the loop's promise) and what happens.
event = st.one_of(
    st.tuples(st.just("output"), st.sampled_from(("grasp", "open", "rest")),
              st.one_of(st.floats(0, 1), st.just(math.nan)), st.sampled_from(COMMANDS), st.booleans(),
              st.floats(0, 0.2)),
    st.tuples(st.just("amplitude"), st.one_of(st.floats(-5, 50), st.just(math.inf), st.just(math.nan)),
              st.booleans(), st.floats(0, 0.2)),
    st.tuples(st.just("fault"), st.sampled_from(("signal_gap", "disconnected", "nonfinite_input"))),
    st.tuples(st.just("stop"),),
    st.tuples(st.just("resume"),),
    st.tuples(st.just("tick"),),
)
step = st.tuples(st.floats(0, LIMITS.tick_s), st.booleans(), st.booleans(), event)


def drive(gate, t, ev):
    kind = ev[0]
    if kind == "output":
        _, intent, p, command, valid, latency = ev
        return gate.propose(t, intent, p, command, valid=valid, latency_s=latency)
    if kind == "amplitude":
        _, amp, valid, latency = ev
        return gate.request_amplitude(t, amp, valid=valid, latency_s=latency)
    if kind == "fault":
        return gate.fault(t, ev[1])
    if kind == "stop":
        return gate.operator_stop(t)
    if kind == "resume":
        return gate.operator_resume(t)
    return gate.tick(t)


@pytest.mark.parametrize("levels", [{}, LEVELS], ids=["glove", "programs"])
@settings(max_examples=examples(300), deadline=None)
@given(steps=st.lists(step, min_size=1, max_size=400))
def test_no_command_exceeds_a_limit_and_safe_state_comes_within_100_ms(levels, steps):
    t = 100.0
    gate = SafetyGate(LIMITS, t, {c: a for c, a in levels.items()})
    passed, amp, amp_t = [], 0.0, t
    for dt, has_signal, has_heartbeat, ev in steps:
        t += dt
        was_safe = gate.safe
        decisions = []
        if has_signal:
            decisions += gate.signal(t)
        if has_heartbeat:
            decisions += gate.heartbeat(t)
        answer = drive(gate, t, ev)
        decisions += answer
        if ev[0] in ("output", "amplitude"):
            # Every output gets a decision of its own (a record), also when refused while already safe.
            last = answer[-1]
            assert last.decision == "safe_state" or last.command == (ev[3] if ev[0] == "output" else "amplitude")
        for d in decisions:
            assert d.t == t
            if d.decision == "safe_state":  # the one immediate change: everything off
                assert d.command == SAFE_COMMAND and d.amplitude_ma == 0.0 and d.wire() == SAFE_COMMAND
                assert d.time_to_safe_s is not None and d.time_to_safe_s <= SAFE_WITHIN_S + 1e-9
                amp, amp_t = 0.0, t
                continue
            if d.wire() is None:
                continue
            assert not (was_safe and not any(x.decision == "resumed" for x in decisions)), "nothing leaves while safe"
            if d.decision == "passed" and d.rule == "all_limits" and d.command != "amplitude":
                passed.append(t)
            if d.amplitude_ma is not None:
                # Between two consecutive commands that are not the safe state: at most ramp rate x dt, up or down.
                assert 0 <= d.amplitude_ma <= LIMITS.max_amplitude_ma
                assert abs(d.amplitude_ma - amp) <= LIMITS.max_ramp_ma_per_s * (t - amp_t) + 1e-9
                on_wire = d.via or d.command
                if on_wire in levels:  # never above what the program on the wire was checked for
                    assert d.amplitude_ma <= levels[on_wire] + 1e-9
                    assert d.wire() == f"{on_wire}@{d.amplitude_ma:.3f}"
                amp, amp_t = d.amplitude_ma, t
        # The watchdog's promise, checked after every call: silence longer than its timeout is already safe.
        if ev[0] in ("fault", "stop") or t - gate._last_signal > LIMITS.signal_timeout_s \
                or t - gate._last_heartbeat > LIMITS.heartbeat_timeout_s:
            assert gate.safe and gate.command == SAFE_COMMAND and gate.amplitude_ma == 0.0
        if gate.safe:
            assert gate.command == SAFE_COMMAND and gate.amplitude_ma == 0.0
    for a, b in zip(passed, passed[1:]):
        assert b - a >= LIMITS.refractory_s - 1e-9
    for i, a in enumerate(passed):
        assert sum(1 for b in passed[i:] if b < a + 1.0) <= LIMITS.max_rate_per_s


def test_silence_is_caught_within_100_ms_when_ticks_come_every_tick_s():
    """Heartbeat lost at t=1.0: the ticks the loop promises catch it by t = 1.0 + timeout + tick_s <= 1.1."""
    gate = SafetyGate(LIMITS, 0.0)
    t, first_safe = 0.0, None
    while t < 2.0:
        t = round(t + LIMITS.tick_s, 6)
        out = gate.signal(t)
        if t <= 1.0:
            out += gate.heartbeat(t)
        out += gate.propose(t, "grasp", 0.95, "close")
        if any(d.decision == "safe_state" and d.rule == "heartbeat_lost" for d in out):
            first_safe = (t, next(d for d in out if d.decision == "safe_state"))
            break
    assert first_safe is not None
    t_safe, d = first_safe
    assert 1.0 < t_safe <= 1.0 + SAFE_WITHIN_S
    assert d.time_to_safe_s == pytest.approx(t_safe - 1.0)


def healthy(gate, t0, t1, dt=0.01, intent="grasp", p=0.9, command="close"):
    out, t = [], t0
    while t < t1 - 1e-9:
        t = round(t + dt, 6)
        out += gate.signal(t) + gate.heartbeat(t) + gate.propose(t, intent, p, command)
    return out, t


def test_a_command_passes_after_resume_and_dwell_and_is_sent_once():
    gate = SafetyGate(LIMITS, 0.0)
    out, t = healthy(gate, 0.0, 1.5)
    passed = [d for d in out if d.decision == "passed"]
    assert [d.command for d in passed] == ["close"]
    resumed = next(d for d in out if d.decision == "resumed")
    # resume after 0.5 s healthy, then 0.2 s dwell
    assert passed[0].t - resumed.t == pytest.approx(LIMITS.dwell_s, abs=0.011)
    assert gate.command == "close"


def test_below_threshold_is_held_and_sends_nothing():
    gate = SafetyGate(LIMITS, 0.0)
    out, _ = healthy(gate, 0.0, 2.0, p=0.55)
    assert not [d for d in out if d.decision == "passed"]
    assert {d.rule for d in out if d.decision == "held"} == {"threshold"}


def test_nan_output_forces_safe_state_then_resumes_after_healthy_outputs():
    gate = SafetyGate(LIMITS, 0.0)
    _, t = healthy(gate, 0.0, 1.5)
    assert gate.command == "close"
    t += 0.01
    out = gate.signal(t) + gate.heartbeat(t) + gate.propose(t, "grasp", math.nan, "close")
    [safe] = [d for d in out if d.decision == "safe_state"]
    assert safe.rule == "invalid_output" and safe.time_to_safe_s == 0 and gate.command == SAFE_COMMAND
    out, _ = healthy(gate, t, t + 1.0)
    assert [d.decision for d in out if d.decision in ("resumed", "passed")] == ["resumed", "passed"]


def test_operator_stop_latches_until_the_operator_resumes():
    gate = SafetyGate(LIMITS, 0.0)
    _, t = healthy(gate, 0.0, 1.5)
    out = gate.operator_stop(t)
    assert out[0].decision == "safe_state" and out[0].rule == "operator_stop"
    out, t = healthy(gate, t, t + 3.0)
    assert not [d for d in out if d.decision in ("resumed", "passed")]
    gate.operator_resume(t)
    out, t = healthy(gate, t, t + 1.0)
    assert [d.decision for d in out if d.decision in ("resumed", "passed")] == ["resumed", "passed"]


def test_the_end_of_a_run_is_recorded_as_such_not_as_an_operator_stop():
    gate = SafetyGate(LIMITS, 0.0)
    _, t = healthy(gate, 0.0, 1.5)
    assert not gate.safe
    [off] = gate.end_of_run(t)
    assert (off.decision, off.rule, off.wire(), gate.amplitude_ma) == ("safe_state", "end_of_run", SAFE_COMMAND, 0.0)
    out, t = healthy(gate, t, t + 3.0)  # late inputs after the end re-arm nothing
    assert gate.safe and not [d for d in out if d.decision in ("resumed", "passed")]
    assert gate.end_of_run(t) == []  # already safe: no second decision


def test_amplitude_is_clamped_and_ramped():
    gate = SafetyGate(LIMITS, 0.0)
    healthy(gate, 0.0, 0.6, command=None)
    t, sent = 0.6, []
    for _ in range(400):
        t = round(t + 0.01, 6)
        gate.signal(t), gate.heartbeat(t)
        [d] = [d for d in gate.request_amplitude(t, 50.0) if d.command == "amplitude"]
        sent.append(d.amplitude_ma)
    assert max(sent) == LIMITS.max_amplitude_ma
    steps = [b - a for a, b in zip(sent, sent[1:])]
    assert max(steps) <= LIMITS.max_ramp_ma_per_s * 0.01 + 1e-9
    # A decrease is ramped too; only the safe state is immediate.
    down = gate.request_amplitude(t + 0.01, 0.0)[-1]
    assert (down.rule, down.amplitude_ma) == ("ramp_limit", pytest.approx(8.0 - LIMITS.max_ramp_ma_per_s * 0.01))
    [off] = gate.operator_stop(t + 0.02)
    assert (off.decision, off.wire(), gate.amplitude_ma) == ("safe_state", SAFE_COMMAND, 0.0)


def run_programs(gate, t0, t1, command, dt=0.01):
    out, t = [], t0
    while t < t1 - 1e-9:
        t = round(t + dt, 6)
        out += gate.signal(t) + gate.heartbeat(t) + gate.propose(t, "x", 0.95, command)
    return out, t


def test_a_program_switch_is_stepped_at_the_ramp_rate_through_amplitudes_both_programs_were_checked_for():
    gate = SafetyGate(LIMITS, 0.0, {"program:walk": 6.0, "program:stand": 2.0})
    out, t = run_programs(gate, 0.0, 3.5, "program:walk")
    walk = [d for d in out if d.wire()]
    # From off, walk starts low and climbs in steps of ramp x ramp_step_s until its own 6 mA.
    amps = [d.amplitude_ma for d in walk]
    assert walk[0].rule == "all_limits" and amps[0] <= LIMITS.max_ramp_ma_per_s * LIMITS.ramp_step_s + 1e-9
    assert amps[-1] == pytest.approx(6.0) and amps == sorted(amps)
    assert all(d.rule == "ramp" and d.wire().startswith("program:walk@") for d in walk[1:])
    out, t = run_programs(gate, t, t + 2.0, "program:stand")
    switch = [d for d in out if d.wire()]
    # Walk (stronger) comes down to 2 mA first, then stand takes over: never stand above its 2 mA.
    assert switch[0].rule == "all_limits" and switch[0].command == "program:stand" and switch[0].via == "program:walk"
    first_stand = next(i for i, d in enumerate(switch) if d.via is None)
    assert all(d.wire().startswith("program:walk@") for d in switch[:first_stand])
    assert switch[first_stand].amplitude_ma == pytest.approx(2.0)
    assert all(d.amplitude_ma <= 2.0 + 1e-9 for d in switch[first_stand:])
    steps = [abs(b.amplitude_ma - a.amplitude_ma) for a, b in zip(walk + switch, (walk + switch)[1:])]
    assert max(steps) <= LIMITS.max_ramp_ma_per_s * LIMITS.ramp_step_s + 1e-9
    # ... and entering the safe state is immediate, whatever was ramping.
    [off] = gate.fault(t, "signal_gap")
    assert off.wire() == SAFE_COMMAND and gate.amplitude_ma == 0.0


def test_levels_over_the_gates_limit_are_refused():
    with pytest.raises(ValidationError) as err:
        SafetyGate(LIMITS, 0.0, {"program:walk": 9.0, "program:stand": -1.0})
    assert set(err.value.fields) == {"levels['program:walk']", "levels['program:stand']"}


def test_limits_list_every_problem():
    with pytest.raises(ValidationError) as err:
        GateLimits(threshold=0.2, dwell_s=-1, heartbeat_timeout_s=0.5, max_rate_per_s=math.nan)
    fields = err.value.fields
    assert "dwell_s" in fields and "max_rate_per_s" in fields
    with pytest.raises(ValidationError) as err:
        GateLimits(threshold=0.2, heartbeat_timeout_s=0.5)
    assert set(err.value.fields) == {"threshold", "heartbeat_timeout_s"}
    assert "within 100 ms" in str(err.value)


def test_decision_marker_names_decision_rule_and_command():
    gate = SafetyGate(LIMITS, 0.0)
    _, t = healthy(gate, 0.0, 1.5)
    [d] = gate.fault(t, "signal_gap", "gap of 120 samples")
    assert d.marker() == "gate:safe_state|signal_gap|off|0.000mA"


def test_a_fault_while_already_safe_is_a_decision_of_its_own_and_delays_re_arming():
    gate = SafetyGate(LIMITS, 0.0)
    _, t = healthy(gate, 0.0, 1.5)
    [entered] = gate.fault(t, "signal_gap", "gap of 120 samples")
    [held] = gate.fault(t + 0.05, "nonfinite_input", "NaN in 3 samples")
    assert (entered.decision, held.decision, held.rule) == ("safe_state", "held", "nonfinite_input")
    assert "NaN in 3 samples" in held.detail and "already safe" in held.detail
    assert not held.sends and gate.safe and gate.safe_rule == "signal_gap"  # nothing leaves; the first rule stays
    # re-arming counts healthy time from the later fault, not the first
    out, _ = healthy(gate, t + 0.05, t + 0.05 + LIMITS.resume_after_s - 0.02)
    assert not any(d.decision == "resumed" for d in out)
    out, _ = healthy(gate, t + 0.05 + LIMITS.resume_after_s - 0.02, t + 0.05 + LIMITS.resume_after_s + 0.5)
    assert any(d.decision == "resumed" for d in out)


def test_a_fault_that_goes_on_over_several_chunks_is_decided_once_and_delays_re_arming():
    """A 0.2 s NaN burst spans 50 chunks of 4 ms: one fault, not one safe state and 49 held decisions."""
    gate = SafetyGate(LIMITS, 0.0)
    _, t = healthy(gate, 0.0, 1.5)
    decisions = []
    for k in range(50):
        decisions += gate.fault(t + 0.004 * k, "nonfinite_input", "NaN in 8 samples")
    assert [(d.decision, d.rule) for d in decisions] == [("safe_state", "nonfinite_input")]
    # re-arming counts healthy time from the burst's last chunk, not its first
    t_last = t + 0.004 * 49
    out, t = healthy(gate, t_last, t_last + LIMITS.resume_after_s - 0.02)
    assert not any(d.decision == "resumed" for d in out)
    # the same fault after valid outputs came between is a new one: decided again
    [again] = gate.fault(t + 0.001, "nonfinite_input", "NaN in 2 samples")
    assert (again.decision, again.rule) == ("held", "nonfinite_input")


def test_another_fault_during_a_burst_is_still_a_decision_of_its_own():
    gate = SafetyGate(LIMITS, 0.0)
    _, t = healthy(gate, 0.0, 1.5)
    gate.fault(t, "nonfinite_input", "NaN in 8 samples")
    [held] = gate.fault(t + 0.004, "signal_gap", "gap of 40 samples")
    assert (held.decision, held.rule) == ("held", "signal_gap")
    [held] = gate.fault(t + 0.008, "nonfinite_input", "NaN in 8 samples")  # after another rule: named again
    assert (held.decision, held.rule) == ("held", "nonfinite_input")


def test_operator_stop_while_already_safe_is_still_recorded_and_sends_off():
    gate = SafetyGate(LIMITS, 0.0)
    [d] = gate.operator_stop(0.01)  # the gate starts safe
    assert (d.decision, d.rule, d.command, d.time_to_safe_s) == ("safe_state", "operator_stop", SAFE_COMMAND, 0.0)
    out, _ = healthy(gate, 0.01, 2.0)
    assert not [x for x in out if x.decision in ("resumed", "passed")], "latched until the operator resumes"


def test_inputs_that_waited_for_a_late_call_are_fresh_but_a_gap_in_their_stamps_is_lost():
    """receive() judges each input on its own time stamps before the watchdog looks at the present."""
    gate = SafetyGate(LIMITS, 0.0)
    _, t = healthy(gate, 0.0, 1.0)
    assert not gate.safe
    # 200 ms without a call, then samples stamped continuously over them and a heartbeat every 10 ms
    out = gate.receive(t + 0.2, t + 0.001, t + 0.2, heartbeats=[t + 0.01 * k for k in range(1, 21)])
    assert not out and not gate.safe
    # the same late call after the samples really stopped for 150 ms: lost, with its silence as the delay
    t += 0.2
    out = gate.receive(t + 0.2, t + 0.15, t + 0.2, heartbeats=[t + 0.01 * k for k in range(1, 21)])
    assert [d.rule for d in out] == ["signal_lost"] and gate.safe
    assert out[0].time_to_safe_s == pytest.approx(0.2) and "150 ms" in out[0].detail
    # nothing at all arrives: the watchdog catches the silence at the present
    gate2 = SafetyGate(LIMITS, 0.0)
    _, t = healthy(gate2, 0.0, 1.0)
    out = gate2.receive(t + 0.09, None, None, heartbeats=[t + 0.01 * k for k in range(1, 10)])
    assert [d.rule for d in out] == ["signal_lost"]
