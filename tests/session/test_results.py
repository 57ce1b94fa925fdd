"""Online trials and run metrics scored from a loop log; analysis across runs from the store."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.records import RunMetrics
from workbench.records.demo import open_demo_store
from workbench.session.analysis import closed_loop_performance
from workbench.session.closed_loop import LoopLog
from workbench.session.gate import GateDecision
from workbench.session.results import amplifier_share_parts, save_run, score_online_trials, summarize_run

T0 = 1000.0


def log_for(cues_decoded):
    """Outputs every 0.1 s: each trial (3 s cue at 4 s spacing) decoded as given; one passed command per trial."""
    log = LoopLog()
    trials = []
    for k, (cue, decoded) in enumerate(cues_decoded):
        onset = 1.0 + 4.0 * k
        trials.append((k + 1, cue, onset, onset + 3.0))
        for i in range(30):
            t = T0 + onset + 0.1 * i
            log.outputs.append((t + 0.004, t, decoded, 0.9, True, 0.004, "v1"))
        t_cmd = T0 + onset + 1.5
        log.decisions.append(GateDecision(t_cmd, "passed", "all_limits", f"cmd-{decoded}"))
        log.commands.append((t_cmd, f"cmd-{decoded}", t_cmd - 0.003))
    return log, trials


def test_trials_take_the_majority_of_settled_valid_outputs_and_their_command():
    log, trials = log_for([("grasp", "grasp"), ("open", "rest"), ("rest", "rest")])
    scored = score_online_trials(log, trials, T0)
    assert [(t.cue, t.decoded, t.correct) for t in scored] == [("grasp", "grasp", True), ("open", "rest", False),
                                                               ("rest", "rest", True)]
    assert scored[0].command == "cmd-grasp" and scored[0].command_latency_ms == pytest.approx(3.0)
    assert scored[0].gate_decision == "passed" and scored[0].decoder_version == "v1"
    assert scored[0].latency_s == pytest.approx(0.0) and scored[1].latency_s is None


def test_summary_uses_the_outcome_metrics():
    from workbench.outcomes.bci_metrics import wolpaw_itr

    log, trials = log_for([("grasp", "grasp"), ("open", "rest"), ("rest", "rest"), ("open", "open")])
    log.decisions.append(GateDecision(T0 + 2.0, "safe_state", "signal_lost", "off", 0.0, 0.08))
    s = summarize_run(log, score_online_trials(log, trials, T0), ["grasp", "open", "rest"], 4.0)
    assert s.accuracy == 0.75 and s.itr_bits_per_min == pytest.approx(wolpaw_itr(3, 0.75, 4.0))
    assert s.latency_ms[0] == pytest.approx(3.0) and s.n_safe_states == 1 and s.time_to_safe_ms_max == 80.0
    assert s.safe_state_rules == {"signal_lost": 1}


def test_the_printed_summary_rounds_its_numbers_and_names_the_rules_in_words():
    from workbench.session.results import summary_lines, unexplained_safe_states

    log, trials = log_for([("grasp", "grasp"), ("open", "rest"), ("rest", "rest")])
    log.decisions += [GateDecision(T0 + 2.0, "safe_state", "signal_lost", "off", 0.0, 0.08, "no samples for 80 ms"),
                      GateDecision(T0 + 13.0, "safe_state", "end_of_run", "off", 0.0, 0.0)]
    s = summarize_run(log, score_online_trials(log, trials, T0), ["grasp", "open", "rest"], 4.0)
    lines = summary_lines(s, decoder_version="v1", unexplained=unexplained_safe_states(log, T0))
    text = "\n".join(lines)
    assert lines[0].startswith("trials     3, accuracy 0.67 (chance 0.33), kappa ")
    assert lines[0].endswith(", decoder v1")
    assert "0.666" not in text, "numbers are rounded for reading"
    # faults before what was decided; words, not rule ids; the end of the run is never 'unexplained'
    assert "2 safe states: 1\u00d7 signal lost (no samples), 1\u00d7 end of the run (every output off)" in text
    assert "longest time to safe 80 ms" in text
    assert [x for x in lines if "safe state at" in x] == [
        "           safe state at 2.0 s: signal lost (no samples): no samples for 80 ms"]
    assert "command    latency (last sample -> command pushed) p50 3.0 ms" in text
    assert lines[-1] == "latency    shares: no decoder output timed"  # this log has no timed outputs


def test_safe_fraction_is_the_share_of_the_armed_block_spent_safe_and_ramp_steps_have_no_latency():
    log, trials = log_for([("grasp", "grasp")])
    log.decisions[:0] = [GateDecision(T0 + 0.0, "resumed", "start", "off", 0.0)]
    log.decisions += [GateDecision(T0 + 2.0, "safe_state", "heartbeat_lost", "off", 0.0, 0.08),
                      GateDecision(T0 + 3.0, "resumed", "heartbeat_lost", "off", 0.0),
                      GateDecision(T0 + 3.5, "passed", "ramp", "program:walk", 0.2)]
    log.commands.append((T0 + 3.5, "program:walk@0.200", T0 + 3.5 - 0.5))  # a ramp step: not a command latency
    s = summarize_run(log, score_online_trials(log, trials, T0), ["grasp", "rest"], 4.0)
    assert s.safe_fraction == pytest.approx(1.0 / 3.5)
    assert s.latency_ms[3] == pytest.approx(3.0)


def test_saved_runs_come_back_in_the_performance_table(workspace):
    from datetime import datetime, timezone

    from workbench.records import Session

    log, trials = log_for([("grasp", "grasp"), ("open", "open"), ("rest", "grasp")])
    scored = score_online_trials(log, trials, T0)
    summary = summarize_run(log, scored, ["grasp", "open", "rest"], 4.0)
    store = open_demo_store(workspace.root)
    try:
        assert closed_loop_performance(store).empty
        session = Session(participant_id="SCI-002", started_at=datetime.now(timezone.utc), device="sim",
                          montage="sim", operator=store.user.name)
        store.add(session)
        run = save_run(store, session_id=session.id, number=1, task="glove", log=log, trials=scored,
                       summary=summary, t0=T0)
        table = closed_loop_performance(store)
        assert list(table.participant_id) == ["SCI-002"] and table.accuracy[0] == pytest.approx(2 / 3)
        [m] = store.find(RunMetrics, run_id=run.id)
        assert m.decoder_version == "v1" and m.n_trials == 3
    finally:
        store.close()


def test_envelope_while_an_intent_is_in_force_skips_the_settling_second():
    from workbench.session.results import envelope_while

    log = LoopLog()
    log.decisions += [GateDecision(1.0, "passed", "all_limits", "stimulate"),
                      GateDecision(4.0, "passed", "all_limits", "rest"),
                      GateDecision(4.5, "passed", "all_limits", "amplitude", 0.5)]  # an amplitude is not an intent
    log.envelopes += [(t / 10, 40.0 if 1.0 <= t / 10 < 4.0 else 5.0, 0.0) for t in range(0, 80)]
    log.envelopes += [(1.5, 99.0, 0.0)]  # within the settling second: not counted
    assert envelope_while(log, "stimulate") == 40.0 and envelope_while(log, "rest") == 5.0
    assert envelope_while(log, "off") is None


def _parts_naive(stamps, arrivals, pushes, tol):
    """Each output against every push in order: the first chunk whose last stamp is not earlier."""
    own, delivery = [], []
    for stamp, arrival in zip(stamps, arrivals):
        for last, pushed in pushes:
            if last >= stamp - tol:
                own.append((pushed - stamp) * 1e3)
                delivery.append((arrival - pushed) * 1e3)
                break
        else:
            own.append(np.nan)
            delivery.append(np.nan)
    return np.array(own), np.array(delivery)


@settings(max_examples=80, deadline=None)
@given(chunks=st.lists(st.integers(1, 40), min_size=1, max_size=60), data=st.data())
def test_the_amplifier_share_is_split_at_the_push_that_carried_each_output(chunks, data):
    sfreq, t0 = 2000.0, 5000.0
    ends = np.cumsum(chunks) - 1  # the last sample of each chunk
    last = t0 + ends / sfreq
    pushed = last + np.array(data.draw(st.lists(st.floats(0, 0.004), min_size=len(ends), max_size=len(ends))))
    pushes = np.column_stack([last, pushed])
    # outputs at any sample sent (chunk ends or not), stamped as the inlet saw them (a microsecond's offset)
    samples = np.array(data.draw(st.lists(st.integers(0, int(ends[-1])), min_size=1, max_size=30)))
    stamps = t0 + samples / sfreq + 1e-6
    arrivals = stamps + 0.003
    own, delivery = amplifier_share_parts(stamps, arrivals, pushes, sfreq)
    want = _parts_naive(stamps, arrivals, pushes, 0.25 / sfreq)
    np.testing.assert_allclose(own, want[0])
    np.testing.assert_allclose(delivery, want[1])
    # each output's chunk is the one holding its sample: own + delivery is its whole amplifier share
    k = np.searchsorted(ends, samples)
    np.testing.assert_allclose(own, (pushed[k] - stamps) * 1e3, atol=1e-9)
    np.testing.assert_allclose(own + delivery, (arrivals - stamps) * 1e3, atol=1e-9)


def test_without_push_times_the_amplifier_share_is_not_split():
    own, delivery = amplifier_share_parts([1.0, 2.0], [1.001, 2.001], None, 1000.0)
    assert np.isnan(own).all() and np.isnan(delivery).all()
    # an output after the last push the amplifier reported (its report ended first) is not guessed at
    own, _ = amplifier_share_parts([1.0, 2.0], [1.001, 2.001], np.array([[1.0, 1.0005]]), 1000.0)
    assert own[0] == pytest.approx(0.5) and np.isnan(own[1])
