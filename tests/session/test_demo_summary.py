"""The demo's summary tells the faults it injected from safe states nobody injected (issue 18)."""

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.budget import examples
from workbench.session.demo import CATCHES, _not_injected
from workbench.session.gate import GateDecision
from workbench.session.live import Fault

T0, FIRST_CUE = 1000.0, 2.0  # the run's clock at start, and its first cue (faults count from there)
RULES = sorted({r for rules in CATCHES.values() for r in rules} | {"operator_stop", "latency_overrun"})


def _run(faults, decisions):
    live = SimpleNamespace(t0=T0, runner=SimpleNamespace(timeline=SimpleNamespace(cues=[(FIRST_CUE, "rest")])),
                           faults=faults)
    return live, SimpleNamespace(decisions=decisions)


def test_an_injected_fault_is_not_listed_and_an_unexplained_safe_state_is():
    start = T0 + FIRST_CUE
    faults = [Fault("stall", 5.0, 0.3), Fault("nan", 11.0, 0.2)]
    decisions = [GateDecision(start + 5.08, "safe_state", "signal_lost", detail="no new samples for 83 ms"),
                 GateDecision(start + 11.01, "safe_state", "nonfinite_input"),
                 GateDecision(start + 17.3, "safe_state", "heartbeat_lost",
                              detail="effector heartbeat stopped for 95 ms"),
                 GateDecision(start + 25.0, "safe_state", "operator_stop")]
    [(t, rule, detail)] = _not_injected(*_run(faults, decisions))
    assert round(t, 1) == 17.3 and rule == "heartbeat_lost" and "95 ms" in detail


@settings(max_examples=examples(200), deadline=None)
@given(faults=st.lists(st.builds(Fault, st.sampled_from(sorted(CATCHES)), st.floats(0, 60), st.floats(0.05, 1.0)),
                       max_size=3),
       safe=st.lists(st.tuples(st.floats(-5, 80), st.sampled_from(RULES)), max_size=12))
def test_listed_exactly_when_no_injected_fault_or_operator_explains_it(faults, safe):
    start = T0 + FIRST_CUE
    decisions = [GateDecision(start + t, "safe_state", rule) for t, rule in safe]
    decisions += [GateDecision(start + 1.0, "passed", "threshold")]  # other decisions are never listed
    listed = [(round(t, 6), rule) for t, rule, _ in _not_injected(*_run(faults, decisions))]

    def explained(t, rule):  # on the run's clock, as the gate stamps its decisions
        return rule == "operator_stop" or any(
            start + f.at_s - 0.05 <= start + t <= start + f.at_s + f.for_s + 1.0 and rule in CATCHES[f.kind]
            for f in faults)

    assert listed == [(round(t, 6), rule) for t, rule in safe if not explained(t, rule)]


def test_without_injected_faults_every_safe_state_but_the_operators_is_listed_with_its_detail():
    """`workbench session run` injects nothing: its summary lists each safe state the gate took."""
    from workbench.session.results import unexplained_safe_states

    decisions = [GateDecision(T0 + 3.0, "passed", "all_limits"),
                 GateDecision(T0 + 182.3, "safe_state", "heartbeat_lost",
                              detail="effector heartbeat missing for 81 ms (previous check 14 ms before)"),
                 GateDecision(T0 + 200.0, "safe_state", "operator_stop")]
    assert unexplained_safe_states(SimpleNamespace(decisions=decisions), T0) == [
        ((T0 + 182.3) - T0, "heartbeat_lost", "effector heartbeat missing for 81 ms (previous check 14 ms before)")]
