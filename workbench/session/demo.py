"""The whole trial day behind ``make demo`` / ``workbench demo``, headless, with a simulated participant.

Everything is real but the participant and the devices: LSL outlets and
inlets, LabRecorder XDF files, the decoder core, the safety gate, the study
database with its audit trail. In order:

1. the demo study is opened (``open_demo_store``: schema, accounts, study);
2. **calibration run**: cued rest / grasp / open, recorded to XDF;
3. **training** from that file: epochs from its markers, cross-validation
   grouped by trial, chance level, confusion matrix; the decoder is saved and
   its SHA-256 goes into the session;
4. **closed loop with the simulated glove**, with two injected faults the
   gate must catch (a signal gap, a NaN burst);
5. **recalibration between blocks** from the calibration run and the
   closed-loop trials (decoder version v2);
6. **closed loop with adaptive stimulation**: amplitude from the EMG envelope
   of the simulated participant while the decoded intent is active (rest
   ramps it down), an injected loss of the stimulator's heartbeat;
7. session, runs, online trials and run metrics saved. Every gate decision is
   saved *while* its run runs (a SafetyEvent per decision, batched once a
   second from a writer thread), so the session and each run are created
   before their block starts and the session gets its recordings at the end.

Each step calls the layers below; nothing here is demo-only logic.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path


from ..errors import Problem, ValidationError

DEMO_PARTICIPANT = "SCI-001"
CALIBRATION_SEED = 1  # the legacy rest/attempt decoder (workbench.analysis uses it)
CLASSES = ("rest", "grasp", "open")
#: Injected fault -> the gate rules that catch it.
CATCHES = {"stall": ("signal_lost", "signal_gap"), "nan": ("nonfinite_input", "invalid_output"),
           "heartbeat": ("heartbeat_lost",)}


def calibrate(ws, montage: str, seconds: float):
    """Fit and save the rest/attempt decoder on SyntheticSource data; return (decoder, file).

    The first demo's decoder, kept for the re-analysis layer (``workbench.analysis``).
    """
    from ..datasets import SyntheticSource
    from .calibration import fit_attempt_decoder, pick_sensorimotor

    source = SyntheticSource(montage=montage, seed=CALIBRATION_SEED)
    data, _ = source.generate(int(round(seconds * source.sfreq)))
    picks = pick_sensorimotor(source.ch_names)
    cols = [source.ch_names.index(c) for c in picks]
    decoder = fit_attempt_decoder(data[:, cols], sfreq=source.sfreq, ch_names=picks, cue_at=source.cue_at,
                                  cue_samples=source.cue_samples)
    fname = decoder.save(ws.decoders / f"demo_attempt_{montage}.npz")
    return decoder, Path(fname)


@dataclass
class DemoRun:
    """One closed-loop run of the day, summarized."""

    label: str
    live: object  # LiveRun
    trials: list
    summary: object  # RunSummary
    caught: list  # (fault, rule or None, ms from injection to safe state or None)
    decoder_version: str
    target_uv: float | None = None
    safety_events: object = None  # SafetyEventWriter: decisions handed over, rows saved, transactions


@dataclass
class DemoResult:
    workspace: Path
    calibration: object  # LiveRun
    training: object  # TrainingResult
    recalibration: object  # TrainingResult
    runs: list = field(default_factory=list)
    session_id: str | None = None
    audit_intact: bool | None = None
    audit_entries: int = 0
    seconds: float = 0.0
    shortened: tuple = ()
    adaptation: object = None  # BlockComparison: v1 and v2 re-decoding the v2 block, as stored in the records

    @property
    def ok(self) -> bool:
        recordings = [self.calibration.manifest] + [r.live.manifest for r in self.runs]
        faults_caught = all(rule is not None for r in self.runs for _, rule, _ in r.caught)
        return (all(m.status == "complete" for m in recordings) and faults_caught
                and self.audit_intact is not False and all(r.live.lost_or_repeated == 0 for r in self.runs))


def _fault_windows(live):
    """The block's start (its first cue) and, per injected fault, where its catch may fall on the run's
    clock: from just before the injection to a second after it ends. One definition for the fault
    report and for the safe states the report leaves unexplained."""
    start = live.t0 + live.runner.timeline.cues[0][0] if live.runner.timeline.cues else live.t0
    return start, [(f, start + f.at_s - 0.05, start + f.at_s + f.for_s + 1.0) for f in live.faults]


def _caught(live, log) -> list:
    """For each injected fault: the gate rule that put the loop in the safe state, and how soon."""
    out = []
    start, windows = _fault_windows(live)
    for f, lo, hi in windows:
        t_fault = start + f.at_s
        hits = [d for d in log.decisions if d.decision == "safe_state" and d.rule in CATCHES[f.kind]
                and lo <= d.t <= hi]
        already = [d for d in log.decisions if d.decision == "safe_state" and d.t <= t_fault]
        if hits:
            out.append((f, hits[0].rule, max(0.0, (hits[0].t - t_fault) * 1e3)))
        elif already and not [d for d in log.decisions if d.decision == "resumed" and already[-1].t < d.t <= t_fault]:
            out.append((f, f"already safe ({already[-1].rule})", 0.0))
        else:
            out.append((f, None, None))
    return out


def _not_injected(live, log) -> list:
    """Safe states no injected fault and no operator explains: (seconds into the block, rule, detail).

    The gate is right to take them (the silence or the bad input happened), but a user reading the
    demo's summary should not take them for the faults it injected on purpose.
    """
    from .results import unexplained_safe_states

    start, windows = _fault_windows(live)
    return unexplained_safe_states(log, start, [(lo, hi, CATCHES.get(f.kind, ())) for f, lo, hi in windows])


# The demo's participant responds well (difficulty 0.3): with its 12 calibration trials, a typical
# participant ("realistic", 0.5) decodes near chance (grouped CV 0.2-0.75 over seeds), which shows
# the pipeline as broken rather than the trial day it is. 0.3 gives CV ~0.7 and ~0.8 on a later
# block, within what SCI participants reach after a full calibration (participant._params).
DEMO_DIFFICULTY = 0.3


def run_demo(workspace=None, *, calibration_reps: int = 4, loop_reps: int = 2, progress: bool = True,
             seed: int = 0, difficulty: float | str = DEMO_DIFFICULTY) -> DemoResult:
    """Run the whole trial day (module docstring) and return what it measured.

    ``difficulty`` is the simulated participant's (:class:`~workbench.session.participant.ParticipantModel`):
    0.3 by default, ``"realistic"`` for a typical participant (needs more ``calibration_reps``).
    """
    from ..acquisition.lsl_config import use_loopback
    from ..config import get_workspace
    from ..records.demo import open_demo_store
    from ..recording.runs import RunEntities, recover_interrupted_runs
    from .adaptive import AdaptiveController, ControllerSpec
    from .live import Fault, run_block
    from .paradigm import ParadigmSpec
    from .participant import CueTimeline, ParticipantModel, SimulatedParticipant
    from .results import start_run
    from .safety_log import SafetyEventWriter
    from ..analysis.compare import compare_decoders
    from ..records import RecordingFile
    from .training import train_from_recordings
    from ..records.export import bids_label

    subject = bids_label(DEMO_PARTICIPANT)  # the recordings land in the participant's folder (sub-SCI001)

    problems = []
    for name, v, lo in (("calibration_reps", calibration_reps, 2), ("loop_reps", loop_reps, 1)):
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= 50:
            problems.append(Problem(name, v, f"a whole number of repetitions per class, {lo}-50"))
    if problems:
        raise ValidationError(problems, what="demo")
    model = ParticipantModel(difficulty=difficulty)  # refuses a bad difficulty, naming it, before anything runs
    t_start = time.monotonic()
    use_loopback()
    ws = get_workspace(workspace)
    for m in recover_interrupted_runs(ws.recordings):
        print(f"marked interrupted: {m.fname}")
    store = open_demo_store(ws.root, role="investigator")
    try:
        session = _open_session(store)
        runs_saved = [start_run(store, session_id=session.id, number=i, task=task)
                      for i, task in enumerate(("calibration", "glove", "adaptive-stimulation"), start=1)]

        writers = [SafetyEventWriter(store, session_id=session.id, run_id=run.id) for run in runs_saved[1:]]

        def say(text):
            if progress:
                print(text, flush=True)

        cal_spec = ParadigmSpec(CLASSES, cue_s=3.0, rest_s=1.0, repetitions=calibration_reps, seed=seed,
                                jitter_s=0.5)
        say(f"1/5 calibration run: {cal_spec.n_trials} cued trials (rest, grasp, open), recorded to XDF")
        participant = SimulatedParticipant(CueTimeline(), seed=seed, model=model)
        cal = run_block(ws.recordings, cal_spec, participant=participant, progress=progress,
                        entities=RunEntities(subject=subject, task="calibration"))
        say("2/5 training from the recording: grouped cross-validation by trial")
        # In a helper process that exits after (train_from_recordings): the session's process keeps its memory.
        training = train_from_recordings([cal.manifest.fname], CLASSES, cue_s=cal_spec.cue_s,
                                         fname=ws.decoders / "demo_grasp_v1.npz")

        loop_spec = ParadigmSpec(CLASSES, cue_s=3.0, rest_s=1.0, repetitions=loop_reps, seed=seed + 1,
                                 jitter_s=0.5)
        trial_s = loop_spec.cue_s + loop_spec.rest_s + loop_spec.jitter_s / 2
        say("3/5 closed loop, simulated glove; injected: a 0.3 s signal gap, a 0.2 s NaN burst")
        glove_faults = [Fault("stall", 5.0, 0.3), Fault("nan", 11.0, 0.2)]
        glove_participant = SimulatedParticipant(CueTimeline(), seed=seed + 1, block=1, model=model)
        glove = run_block(ws.recordings, loop_spec, participant=glove_participant, decoder=training.decoder,
                          effector="glove", faults=glove_faults, decoder_version="grasp-v1", progress=progress,
                          entities=RunEntities(subject=subject, task="glove"), safety_events=writers[0])
        runs = [_summarize("glove", glove, training.classes, trial_s)]

        say("4/5 recalibration between blocks: calibration + closed-loop trials -> decoder v2")
        # Both runs were cued for cal_spec.cue_s == loop_spec.cue_s seconds.
        recal = train_from_recordings([cal.manifest.fname, glove.manifest.fname], CLASSES, cue_s=loop_spec.cue_s,
                                      fname=ws.decoders / "demo_grasp_v2.npz")

        say("5/5 closed loop, adaptive stimulation on the EMG envelope; injected: stimulator heartbeat lost 0.3 s")
        stim_spec = ParadigmSpec(CLASSES, cue_s=3.0, rest_s=1.0, repetitions=loop_reps,
                                 seed=seed + 2, jitter_s=0.5)
        stim_participant = SimulatedParticipant(CueTimeline(), seed=seed + 2, block=2, model=model)
        stim = run_block(ws.recordings, stim_spec, participant=stim_participant, decoder=recal.decoder,
                         effector="adaptive", controller=AdaptiveController(ControllerSpec()),
                         faults=[Fault("heartbeat", 4.0, 0.3)], decoder_version="grasp-v2", progress=progress,
                         follow_intent=True,
                         entities=RunEntities(subject=subject, task="adaptive"), safety_events=writers[1])
        runs.append(_summarize("adaptive stimulation", stim, recal.classes, trial_s))
        runs[-1].target_uv = ControllerSpec().target_uv

        for run, w in zip(runs, writers):
            run.safety_events = w
        result = DemoResult(ws.root, cal, training, recal, runs)
        result.session_id = _save(store, ws, result, session, runs_saved)
        # What adaptation changed, asked of the records: the v2 block's recording re-decoded by the unadapted
        # v1 and by v2 (workbench reanalyze, serially: ~1 s), each result a Reanalysis with both hashes.
        say("what adaptation changed: the adaptive-stimulation block re-decoded by v1 and v2, saved as re-analyses")
        stim_path = RecordingFile.from_file(stim.manifest.fname, root=ws.root).path
        result.adaptation = compare_decoders(store, session.id, stim_path, [training.fname, recal.fname], ws.root)
        report = store.verify_audit()
        result.audit_intact, result.audit_entries = report.ok, report.n_entries
    finally:
        store.close()
    result.seconds = time.monotonic() - t_start
    result.shortened = (
        f"calibration: {cal_spec.n_trials} trials of {cal_spec.cue_s:g} s (a real session: 40-80 trials per class, "
        f"4-5 s cues, several runs)",
        f"closed loop: {loop_spec.n_trials} and {stim_spec.n_trials} trials (a real session: blocks of 20-40 "
        f"trials, repeated after each recalibration)",
        f"participant, glove and stimulator are simulated (participant difficulty {model.difficulty:g}: a good "
        f"responder; --difficulty realistic for a typical one); recalibration uses one closed-loop block",
    )
    return result


def _summarize(label, live, classes, trial_s) -> DemoRun:
    from .results import score_online_trials, summarize_run

    trials = score_online_trials(live.log, live.runner.trials(), live.t0)
    summary = summarize_run(live.log, trials, classes, trial_s)
    version = next((t.decoder_version for t in trials if t.decoder_version), "")
    return DemoRun(label, live, trials, summary, _caught(live, live.log), version)


def _open_session(store):
    """The day's Session, saved before the first block (its safety events refer to it)."""
    from ..records import Session

    session = Session(participant_id=DEMO_PARTICIPANT, started_at=datetime.now(timezone.utc),
                      device="workbench simulated amplifier", montage="simulated sensorimotor EEG (8 ch) + EMG",
                      operator=store.user.name, notes="workbench demo trial day (in progress)")
    saved, = store.add(session)
    return saved


def _save(store, ws, r: DemoResult, session, runs) -> str:
    """The session gets its recordings and decoder hash; each run its trials and metrics."""
    from dataclasses import replace

    from ..records import RecordingFile
    from .results import save_run

    files = [r.calibration.manifest] + [run.live.manifest for run in r.runs]
    store.update(replace(session, decoder_version="grasp-v1", decoder_sha256=r.training.sha256,
                         recording_files=tuple(RecordingFile.from_file(m.fname, root=ws.root) for m in files),
                         notes=f"workbench demo trial day; decoder v2 sha256 {r.recalibration.sha256}"),
                 reason="end of the session: its recordings, decoder and decoder hash are known now")
    save_run(store, session_id=session.id, number=1, task="calibration", log=_empty_log(), trials=[],
             summary=None, t0=r.calibration.t0, run=runs[0])
    for run, saved in zip(r.runs, runs[1:]):
        save_run(store, session_id=session.id, number=saved.number, task=saved.task, log=run.live.log,
                 trials=run.trials, summary=run.summary, t0=run.live.t0, run=saved)
    return session.id


def _empty_log():
    from .closed_loop import LoopLog

    return LoopLog()


def _uv(x):
    return "n/a" if x is None else f"{x:.1f} µV"


def _ms(x):
    return "n/a" if x is None else f"{x:.1f} ms"


def _adaptation_lines(r: DemoResult) -> list[str]:
    """The v2 block as v1 and v2 decode it offline, read back from the records, beside what v2 did live."""
    live = r.runs[-1].summary
    scores = [(label, r.adaptation.score(Path(fname).name)) for label, fname in
              (("unadapted v1", r.training.fname), ("recalibrated v2", r.recalibration.fname))]

    def acc(s):
        if s is None or s.accuracy is None:
            return "n/a" + ("" if s is None or not s.error else f" (the re-analysis failed: {s.error})")
        return f"{s.accuracy:.2f}"

    n = max((s.n_trials for _, s in scores if s is not None), default=0)
    lines = [f"adaptation       the adaptive-stimulation block ({n} trials, drift since calibration) re-decoded "
             f"offline from its recording (re-analyses in the records): "
             + ", ".join(f"{label} trial accuracy {acc(s)}" for label, s in scores)]
    live_acc = "n/a" if live.accuracy is None else f"{live.accuracy:.2f}"
    v2 = scores[1][1]
    why = ""
    if v2 is not None and v2.accuracy is not None and live.accuracy is not None:
        why = (" (offline the same: the same kernels on the same windows, scored as the loop scores its trials)"
               if abs(v2.accuracy - live.accuracy) < 1e-9 else
               " (a window at the edge of a trial's settle time can tip a close trial the other way offline)")
    lines.append(f"  v2 decoded this block live with accuracy {live_acc}{why}. One block of {n} trials moves "
                 f"{1 / max(n, 1):.2f} per trial; over many simulated participants: python benchmarks/adaptation.py")
    return lines


def format_summary(r: DemoResult) -> str:
    """What ``workbench demo`` prints at the end."""
    t = r.training
    lines = [f"trial day finished in {r.seconds:.0f} s; everything is under {r.workspace}", "", "written:"]
    lines.append(f"  calibration    {r.calibration.manifest.fname}")
    for run in r.runs:
        lines.append(f"  {run.label:<14} {run.live.manifest.fname}")
    lines += [f"  decoder v1     {t.fname} (sha256 {t.sha256[:16]}...)",
              f"  decoder v2     {r.recalibration.fname}",
              f"  records        session {r.session_id} for {DEMO_PARTICIPANT} in {r.workspace / 'workbench.sqlite'}"
              f" (audit trail {'intact' if r.audit_intact else 'BROKEN'}, {r.audit_entries} entries)", ""]
    lines.append(f"training         {t.n_trials} trials, {t.n_folds}-fold CV grouped by trial: trial accuracy "
                 f"{t.trial_accuracy:.2f}, window accuracy {t.window_accuracy:.2f} (chance {t.chance_level:.2f}, "
                 f"95% chance bound {t.chance_upper_95:.2f})")
    lines.append("  confusion (rows cue, columns decoded: " + ", ".join(t.classes) + "): "
                 + " | ".join(" ".join(str(int(v)) for v in row) for row in t.confusion))
    lines.append(f"recalibration    v2 on calibration + closed-loop trials: CV trial accuracy "
                 f"{r.recalibration.trial_accuracy:.2f}")
    if r.adaptation is not None:
        lines += _adaptation_lines(r)
    for run in r.runs:
        s = run.summary
        acc = "n/a" if s.accuracy is None else f"{s.accuracy:.2f}"
        itr = "n/a" if s.itr_bits_per_min is None else f"{s.itr_bits_per_min:.1f} bit/min"
        lat = s.latency_ms
        lines.append(f"{run.label} ({run.decoder_version}): {s.n_trials} trials, accuracy {acc} "
                     f"(chance {s.chance_level:.2f}), kappa {'n/a' if s.kappa is None else f'{s.kappa:.2f}'}, "
                     f"ITR {itr}")
        out = s.output_latency_ms
        lines.append(f"  command latency (last sample -> push) p50 {_ms(lat and lat[0])}, p99 {_ms(lat and lat[2])}, "
                     f"max {_ms(lat and lat[3])}; decoder output latency p50 {_ms(out and out[0])}, "
                     f"p99 {_ms(out and out[2])}; samples lost or repeated {run.live.lost_or_repeated}")
        from .results import format_shares, safe_states_in_words

        lines.append(f"  {format_shares(s.shares)}; gaps {s.n_gaps}, samples lost to overruns {s.samples_lost}")
        if run.caught:  # a drill's stall or burst is in the tail: said, so that it is not read as the loop's
            lines.append("  these latencies are over the whole block, the outputs around the faults injected below "
                         "included")
        if run.live.priority:
            lines.append(f"  loop thread: {run.live.priority}; {run.live.cpu_latency or 'CPU idle states not set'}")
        safe = "" if s.safe_fraction is None else f"; in the safe state {100 * s.safe_fraction:.0f}% of the block"
        lines.append(f"  gate: {s.n_passed} passed, {s.n_blocked} blocked, {s.n_safe_states} safe states"
                     + (f": {safe_states_in_words(s.safe_state_rules)}" if s.safe_state_rules else "") + safe)
        w, dec = run.safety_events, run.live.log.decisions
        if w is not None and dec:
            minutes = max(dec[-1].t - dec[0].t, 1e-9) / 60
            lines.append(f"  gate decisions {len(dec)}: every one a gate marker in the XDF and a safety event "
                         f"({w.n_written} rows saved in {w.n_transactions} transactions, "
                         f"{w.n_written / minutes:.0f} rows per minute of closed loop)")
        for f, rule, ms in run.caught:
            what = ("NOT CAUGHT" if rule is None else f"came while the gate was {rule}" if rule.startswith("already")
                    else f"caught by {rule}, safe state {ms:.0f} ms after injection")
            lines.append(f"  injected {f.kind} at {f.at_s:g} s for {f.for_s:g} s: {what}")
        for t, rule, detail in _not_injected(run.live, run.live.log):
            lines.append(f"  safe state not injected, at {t:.1f} s: {rule} ({detail}); no fault was injected then "
                         "(the simulated participant and devices run in a process beside this one: on a busy "
                         "machine they can fall silent, and the gate acts on any silence)")
        if run.live.rig_error:
            lines.append(f"  the simulated rig (participant and devices) failed: {run.live.rig_error}")
        if run.label.startswith("adaptive") and run.live.log.envelopes:
            from .results import envelope_while

            on, rest = envelope_while(run.live.log, "stimulate"), envelope_while(run.live.log, "rest")
            applied = [d.amplitude_ma for d in run.live.log.decisions if d.command == "amplitude" and d.sends]
            lines.append(f"  stimulation follows the decoded intent: EMG envelope {_uv(on)} median while an "
                         f"active intent is in force (target {run.target_uv:g} µV), {_uv(rest)} at rest; "
                         f"amplitude applied max {max(applied, default=0.0):.2f} mA")
        for tr in run.trials:
            lines.append(f"    trial {tr.number}: cue {tr.cue:<5} decoded {str(tr.decoded):<5} "
                         f"{'correct' if tr.correct else 'wrong  '} command {str(tr.command):<6} "
                         f"gate {tr.gate_decision}")
    lines += ["", "shortened compared with a real session:"] + [f"  - {s}" for s in r.shortened]
    return "\n".join(lines)
