"""A closed-loop block on real LSL, LabRecorder and SQLite: everything in one XDF, faults caught, records saved."""

import numpy as np
import pytest

from workbench.recording.read import read_xdf_streams
from workbench.recording.runs import RunEntities
from workbench.records import Run, RunMetrics, SafetyEvent, Session, Trial
from workbench.records.demo import open_demo_store
from workbench.session.live import Fault, run_block
from workbench.session.paradigm import ParadigmSpec
from workbench.session.participant import CueTimeline, SimulatedParticipant
from workbench.session.results import save_run, score_online_trials, start_run, summarize_run
from workbench.session.safety_log import SafetyEventWriter
from workbench.session.stimulation import intent_programs
from workbench.session.training import train_decoder, windows_from_raw
from workbench.utils.realtime import cpu_latency, thread_priority

from tests.utils.pm_qos import holds_cpu_latency

from ._simulated import simulated_raw


def probe_priority():
    """What ``run_block`` gets on this machine: the same request, from a thread of its own."""
    import threading

    from workbench.utils.realtime import LIVE_PRIORITY, live_priority

    box = {}

    def probe():
        with live_priority(LIVE_PRIORITY) as got:
            box["got"] = got

    t = threading.Thread(target=probe)
    t.start()
    t.join(10)
    return box["got"]

pytestmark = [pytest.mark.lsl, pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def decoder():
    spec = ParadigmSpec(cue_s=3.0, rest_s=1.5, repetitions=4, seed=0)
    raw, _, _ = simulated_raw(spec)
    return train_decoder(windows_from_raw(raw, spec.classes, cue_s=spec.cue_s)).decoder


def test_stimulation_programs_block_records_everything_and_the_gate_catches_a_nan_burst(decoder, workspace,
                                                                                         unique_name):
    from datetime import datetime, timezone

    spec = ParadigmSpec(cue_s=2.5, rest_s=1.0, repetitions=1, seed=3, jitter_s=0.3)
    participant = SimulatedParticipant(CueTimeline(), seed=3)
    programs = intent_programs(decoder.model.classes_)
    store = open_demo_store(workspace.root)
    session = Session(participant_id="SCI-001", started_at=datetime.now(timezone.utc), device="sim",
                      montage="sim", operator=store.user.name)
    store.add(session)
    run = start_run(store, session_id=session.id, number=1, task="programs")
    writer = SafetyEventWriter(store, session_id=session.id, run_id=run.id)
    before = thread_priority()
    block = run_block(workspace.recordings, spec, participant=participant, decoder=decoder, effector="programs",
                      programs=programs, faults=[Fault("nan", 3.0, 0.2)], name=unique_name, progress=False,
                      decoder_version="test-v1", entities=RunEntities(subject="test", task="programs"),
                      safety_events=writer, cpu_latency_us=0)
    assert block.manifest.status == "complete" and block.lost_or_repeated == 0
    # The loop ran real-time where this machine permits it, said so, and gave the caller its thread back as it was.
    assert block.priority == str(probe_priority()) and thread_priority() == before
    # The CPUs' wake-up latency asked for was held for the block where permitted (else it says why), and let go.
    with cpu_latency(0) as probe_latency:
        pass
    assert block.cpu_latency == str(probe_latency) and not holds_cpu_latency()

    # one XDF: signal, cue markers, commands, gate decisions, decoder outputs
    streams = {s.name: s for s in read_xdf_streams(block.manifest.fname)}
    assert set(streams) == {unique_name, f"{unique_name}-markers", f"{unique_name}-commands", f"{unique_name}-gate",
                            f"{unique_name}-outputs"}
    cues = [lab for lab in streams[f"{unique_name}-markers"].labels() if lab != "iti"]
    assert sorted(cues) == sorted(spec.classes)
    recorded_commands = [c.split(";")[0] for c in streams[f"{unique_name}-commands"].labels()]
    sent = [c for _, c, _ in block.log.commands]
    assert recorded_commands == sent[: len(recorded_commands)] and len(recorded_commands) >= len(sent) - 1
    gate_markers = streams[f"{unique_name}-gate"].labels()
    # The NaN burst: safe state at once, stimulation off. On a loaded machine the gate can already be
    # safe then for another fault (the loop held up past the silence limit): the burst is then a
    # decision of its own, held under its rule (SafetyGate.fault), after a safe state that names its cause.
    t_nan = block.t0 + block.runner.timeline.cues[0][0] + 3.0
    context = [(round(d.t - t_nan, 3), d.decision, d.rule) for d in block.log.decisions if -2 < d.t - t_nan < 0.5]
    caught = [d for d in block.log.decisions if d.rule == "nonfinite_input" and d.decision in ("safe_state", "held")]
    assert caught and abs(caught[0].t - t_nan) < 0.1, context
    switches = [d for d in block.log.decisions if d.decision in ("safe_state", "resumed") and d.t < caught[0].t]
    was_safe = not switches or switches[-1].decision == "safe_state"
    assert caught[0].decision == ("held" if was_safe else "safe_state"), context
    assert caught[0].marker() in gate_markers
    during = [c for t, c, _ in block.log.commands if caught[0].t - 1e-6 <= t <= t_nan + 0.2]
    assert all(c == "off" for c in during) and (was_safe or during), (during, context)
    # Every gate decision is a marker in the recording and a SafetyEvent row, none lost on the way.
    events = store.find(SafetyEvent, run_id=run.id)
    assert len(block.log.decisions) == len(gate_markers) == len(events) == writer.n_put == writer.n_written
    assert gate_markers == [d.marker() for d in block.log.decisions]
    assert sorted((e.lsl_time, e.decision, e.rule) for e in events) == sorted(
        (d.t, d.decision, d.rule) for d in block.log.decisions)
    assert {"held", "passed", "safe_state", "resumed"} <= {e.decision for e in events}
    assert writer.n_transactions < len(events) / 5, "batched, not one transaction per decision"
    # program switches are ramped: consecutive program commands move at most ramp rate x dt
    program_steps = [(d.t, d.amplitude_ma) for d in block.log.decisions if d.wire() and d.decision != "safe_state"]
    assert all(abs(b - a) <= 4.0 * (tb - ta) + 1e-9 for (ta, a), (tb, b) in zip(program_steps, program_steps[1:]))
    assert streams[f"{unique_name}-outputs"].n_channels == len(decoder.model.classes_) + 1

    # the simulated stimulator got exactly the commands, in order, and only accepted programs
    received = [c.command for _, c in block.effector.received]
    assert received == sent[: len(received)] and not block.effector.faults
    levels = {p.command(): p.amplitude_ma for p in programs.values()}
    assert {c.split("@")[0] for c in received} <= set(levels) | {"off"}
    assert all(float(c.split("@")[1]) <= levels[c.split("@")[0]] for c in received if "@" in c)

    # records: trials with the decoder version, metrics, every gate decision
    trials = score_online_trials(block.log, block.runner.trials(), block.t0)
    summary = summarize_run(block.log, trials, list(decoder.model.classes_), 3.65)
    try:
        run = save_run(store, session_id=session.id, number=1, task="programs", log=block.log, trials=trials,
                       summary=summary, t0=block.t0, run=run)
        saved = store.find(Trial, run_id=run.id)
        assert len(saved) == len(trials) == spec.n_trials
        assert all(t.decoder_version == "test-v1" for t in saved if t.decoded is not None)
        [metrics] = store.find(RunMetrics, run_id=run.id)
        assert metrics.n_safe_states == summary.n_safe_states >= 1
        assert len(store.find(SafetyEvent, run_id=run.id)) == len(events), "saving the run adds no event twice"
        assert was_safe or any(e.decision == "safe_state" and e.rule == "nonfinite_input" and e.time_to_safe_ms == 0
                               for e in events)
        assert store.find(Run, id=run.id) and store.verify_audit().ok
    finally:
        store.close()


def test_operator_stop_release_and_abort_from_the_panel_thread(decoder, workspace, unique_name):
    """The operator panel's requests reach the running loop: stop = safe state now, abort ends the block."""
    import threading
    import time

    from workbench.session.live import BlockControl

    spec = ParadigmSpec(cue_s=2.5, rest_s=1.0, repetitions=3, seed=4, jitter_s=0.3)
    control = BlockControl()
    box = {}
    thread = threading.Thread(target=lambda: box.update(block=run_block(
        workspace.recordings, spec, participant=SimulatedParticipant(CueTimeline(), seed=4), decoder=decoder,
        effector="glove", name=unique_name, progress=False, control=control,
        entities=RunEntities(subject="test", task="operator"))))
    thread.start()
    deadline = time.monotonic() + 60
    while not (control.running and control.cue is not None and control.cue.trial >= 1):
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.05)
    control.request("stop")
    while control.gate_rule != "operator_stop":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(1.0)
    assert control.gate_safe, "an operator stop holds until released"
    control.request("release")
    control.request("abort")
    thread.join(60)
    block = box["block"]
    assert block.runner.state == "aborted" and block.manifest.status == "complete"
    rules = [d.rule for d in block.log.decisions if d.decision == "safe_state"]
    assert "operator_stop" in rules
    assert block.effector.received and block.effector.received[-1][1].command == "off"
    assert len(block.runner.trials()) < spec.n_trials


def test_a_block_that_runs_to_its_end_leaves_the_gate_safe_and_the_panel_says_so(decoder, workspace, unique_name):
    """The end of a block is every output off, recorded as the end of the run (the records said "operator
    stop" though nobody pressed it), and the operator's panel shows it, not the last command sent."""
    from workbench.session.gate import SAFE_COMMAND
    from workbench.session.live import BlockControl
    from workbench.ui.session import OperatorPanel

    spec = ParadigmSpec(cue_s=2.0, rest_s=1.0, repetitions=1, seed=4, jitter_s=0.0)
    control = BlockControl()
    block = run_block(workspace.recordings, spec, participant=SimulatedParticipant(CueTimeline(), seed=4),
                      decoder=decoder, effector="glove", name=unique_name, progress=False, control=control,
                      entities=RunEntities(subject="test", task="end"))
    assert block.runner.state == "finished" and block.manifest.status == "complete"
    safe = [d for d in block.log.decisions if d.decision == "safe_state"]
    assert safe and safe[-1].rule == "end_of_run" and block.log.decisions[-1] is safe[-1]
    assert "operator_stop" not in {d.rule for d in safe}
    assert block.effector.received[-1][1].command == "off"
    assert (control.running, control.gate_safe, control.gate_rule, control.command) == (
        False, True, "end_of_run", SAFE_COMMAND)
    status = OperatorPanel(control).refresh()
    assert "not running" in status and "SAFE STATE (end_of_run)" in status and f"<code>{SAFE_COMMAND}</code>" in status


def test_against_any_lsl_stream_the_runner_pushes_the_cue_markers(decoder, workspace, unique_name):
    """A real amplifier (here the participant played by a separate Player): cues go out on NAME-cues."""
    from workbench.datasets import Player

    spec = ParadigmSpec(cue_s=2.0, rest_s=1.0, repetitions=1, seed=6, jitter_s=0.0)
    with Player(SimulatedParticipant(CueTimeline(), seed=6), name=unique_name, chunk_ms=10):
        block = run_block(workspace.recordings, spec, stream=unique_name, decoder=decoder, effector="glove",
                          name=f"{unique_name}-loop", progress=False, simulate_effector=True,
                          entities=RunEntities(subject="test", task="stream"))
    assert block.manifest.status == "complete"
    streams = {s.name: s for s in read_xdf_streams(block.manifest.fname)}
    cues = streams[f"{unique_name}-loop-cues"]
    labels = cues.labels()
    assert [lab for lab in labels if lab != "iti"] == [lab for _, lab in spec.schedule() if lab != "iti"]
    # each marker is stamped with its scheduled onset on the run's clock
    onsets = [t for t, _ in block.runner.timeline.cues]
    assert cues.times - block.t0 == pytest.approx(onsets[: len(labels)], abs=1e-3)
    assert block.effector.received and block.effector.received[-1][1].command == "off"


def test_a_program_over_the_gates_limit_is_refused_before_anything_starts(decoder, workspace, unique_name):
    from workbench.errors import ValidationError
    from workbench.session.gate import GateLimits

    with pytest.raises(ValidationError) as err:
        run_block(workspace.recordings, ParadigmSpec(), participant=SimulatedParticipant(), decoder=decoder,
                  effector="programs", programs=intent_programs(decoder.model.classes_), name=unique_name,
                  limits=GateLimits(max_amplitude_ma=2.0), faults=[Fault("melt", -1, 0)])
    assert {"programs['grasp'].amplitude_ma", "programs['open'].amplitude_ma", "faults"} <= set(err.value.fields)
    assert not list(workspace.recordings.rglob("*.xdf"))


def test_a_loop_that_falls_behind_its_buffer_records_a_gap_and_goes_on(decoder, workspace, unique_name):
    """The loop stops reading for 2 s with a 1 s buffer (a compile, a slow disk): a gap, never a crash.

    The buffer holds 1.01 s: samples lost after an exact 2 s freeze are then not a whole number of decoder
    steps (chunks of 10 samples at 500 Hz, a step of 50), so the decoder must be put back on its phase after
    the gap.
    """
    from datetime import datetime, timezone

    from workbench.session.results import latency_shares

    spec = ParadigmSpec(cue_s=2.5, rest_s=1.0, repetitions=1, seed=4, jitter_s=0.3)
    participant = SimulatedParticipant(CueTimeline(), seed=4)
    store = open_demo_store(workspace.root)
    session = Session(participant_id="SCI-001", started_at=datetime.now(timezone.utc), device="sim",
                      montage="sim", operator=store.user.name)
    store.add(session)
    run = start_run(store, session_id=session.id, number=1, task="overrun")
    writer = SafetyEventWriter(store, session_id=session.id, run_id=run.id)
    block = run_block(workspace.recordings, spec, participant=participant, decoder=decoder, effector="glove",
                      faults=[Fault("freeze", 3.0, 2.0)], name=unique_name, progress=False, bufsize=1.01,
                      decoder_version="test-v1", entities=RunEntities(subject="test", task="overrun"),
                      safety_events=writer)
    assert block.manifest.status == "complete" and not block.stopped_by_operator
    sfreq = participant.sfreq if hasattr(participant, "sfreq") else None
    # about (2 s - 1 s buffer) of samples lost, counted once; the counter breaks nowhere else
    assert block.samples_lost > 0 and block.log.samples_lost == block.samples_lost
    if sfreq:
        assert 0.5 * sfreq <= block.samples_lost <= 1.5 * sfreq
    assert block.lost_or_repeated == 0
    # a gap fault, the safe state through signal_gap, and the gate back in business afterwards
    gap_faults = [f for f in block.log.faults if f[1] == "signal_gap" and "fell behind" in f[2]]
    assert len(gap_faults) == 1 and str(block.samples_lost) in gap_faults[0][2]
    t_gap = gap_faults[0][0]
    # The gap is a gate decision of its own: the safe state, or, when the gate was safe already (not armed
    # yet, or another rule first on a loaded machine: CI's runner), held under signal_gap (SafetyGate.fault).
    gap = next(d for d in block.log.decisions if d.rule == "signal_gap" and d.t >= t_gap
               and d.decision in ("safe_state", "held"))
    before = [d.decision for d in block.log.decisions if d.t <= gap.t and d is not gap
              and d.decision in ("safe_state", "resumed")]
    if gap.decision == "held":
        assert not before or before[-1] == "safe_state", "held only while the gate was safe"
    assert any(d.decision == "resumed" and d.t > gap.t for d in block.log.decisions)
    # The decoder waited for a full window of fresh data: no valid output right after the gap. Fresh data
    # start at the first output after the gap (one step in); the loop may find the gap while reading the
    # samples after it or one pull later, so this is measured on the outputs' stamps, not the loop's clock.
    after = [o for o in block.log.outputs if o[0] >= t_gap]
    first_valid = next(o for o in after if o[4])
    assert first_valid[1] - after[0][1] >= (decoder.window - decoder.step) / decoder.sfreq - 0.05
    # The decoder's outputs stay on one sample of the amplifier's chunks across the lost samples: the loop
    # withholds what puts them back (ClosedLoop.align_decoder), fewer than one step each time.
    phases = {round((o[1] - block.t0) * decoder.sfreq) % decoder.step for o in block.log.outputs}
    assert len(phases) == 1 and block.log.samples_withheld < 2 * decoder.step
    # A loaded machine stretches the freeze: a loss of a whole number of steps (500 samples on CI) needs
    # nothing withheld; any other loss must have been put back by withholding.
    if block.samples_lost % decoder.step:
        assert block.log.samples_withheld > 0
    # recorded: a gate marker in the XDF, a SafetyEvent row, and counted by the summary
    streams = {s.name: s for s in read_xdf_streams(block.manifest.fname)}
    assert any(m.startswith(f"gate:{gap.decision}|signal_gap") for m in streams[f"{unique_name}-gate"].labels())
    assert any(e.rule == "signal_gap" for e in store.find(SafetyEvent, run_id=run.id))
    trials = score_online_trials(block.log, block.runner.trials(), block.t0)
    summary = summarize_run(block.log, trials, [str(c) for c in decoder.model.classes_], 4.0)
    assert summary.samples_lost == block.samples_lost and summary.n_gaps >= 1
    # the two latency shares of every decoder output (each one timed), and of each command pushed
    shares = latency_shares(block.log)
    assert shares["n_timed"] == len(block.log.outputs) == len(block.log.output_shares)
    assert [o[1] for o in block.log.outputs] == [r[0] for r in block.log.output_shares]
    assert all(s <= a + 0.5 and a <= d for s, a, d in block.log.output_shares)
    assert block.log.shares and len(block.log.shares) <= len(block.log.commands)
    assert all(s <= a + 0.5 and a <= p for s, a, p in block.log.shares)
    assert shares["end_to_end_max_ms"] >= shares["end_to_end_p99_ms"] >= shares["workbench_p50_ms"] >= 0
    assert latency_shares(block.log, commands_only=True)["n_timed"] == len(block.log.shares)
    save_run(store, session_id=session.id, number=1, task="overrun", log=block.log, trials=trials,
             summary=summary, t0=block.t0, run=run)
    (metrics,) = store.find(RunMetrics, run_id=run.id)
    assert metrics.workbench_share_p99_ms == pytest.approx(max(0.0, shares["workbench_p99_ms"]))
    assert metrics.amplifier_share_p50_ms is not None
    # the loss is stored with the run's metrics, not only in its events and the printed summary
    assert metrics.samples_lost == block.samples_lost > 0 and metrics.n_gaps == block.log.n_gaps >= 1
    # and the loop's scheduling it was measured under, as the run's summary says it
    fifo = f"SCHED_FIFO {block.log.rt_priority}" in block.priority
    assert metrics.loop_rt_priority == block.log.rt_priority and (fifo or block.log.rt_priority == 0)
    assert metrics.cpu_latency_us is None and "not asked" in block.cpu_latency  # the default leaves them
    store.close()


def test_a_calibration_run_that_falls_behind_records_the_gap_and_completes(workspace, unique_name):
    """Without a decoder (calibration, recording) the same: the lost samples are counted, the file completes."""
    spec = ParadigmSpec(cue_s=2.0, rest_s=1.0, repetitions=1, seed=5, jitter_s=0.2)
    participant = SimulatedParticipant(CueTimeline(), seed=5)
    block = run_block(workspace.recordings, spec, participant=participant, faults=[Fault("freeze", 2.0, 2.0)],
                      name=unique_name, progress=False, bufsize=1.0, lead_in_s=1.0,
                      entities=RunEntities(subject="test", task="calibration"))
    assert block.manifest.status == "complete" and not block.stopped_by_operator
    assert 0.5 * participant.sfreq <= block.samples_lost <= 1.5 * participant.sfreq
    assert block.n_gaps >= 1 and block.lost_or_repeated == 0
    # LabRecorder read the stream on its own inlet: the XDF lost nothing
    [sig] = [s for s in read_xdf_streams(block.manifest.fname) if s.name == unique_name]
    counter = np.asarray(sig.data)[:, sig.ch_names.index("COUNTER")].astype(np.int64)
    assert len(counter) and (np.diff(counter) == 1).all()
