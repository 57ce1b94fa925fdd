"""``workbench session run``: one closed-loop block against an LSL stream, or ``--simulated``.

The work is done by :func:`workbench.session.live.run_block` (and, without a
``--decoder``, a calibration block and :mod:`workbench.session.training`
first); this module parses options, prints and saves the run through a store
opened with the caller's account. Ctrl-C is the operator's stop: the gate
turns the effector off first, then the recording is closed and the run saved.
"""

from __future__ import annotations

import sys

from ._user import add_user_options, open_store

#: Safe states the end-of-run summary lists one per line (the rest are counted; every one is saved).
MAX_LISTED_SAFE_STATES = 10


def register(subparsers) -> None:
    p = subparsers.add_parser("session", help="closed-loop BCI sessions: cue paradigm, decoder, safety gate, effector")
    sub = p.add_subparsers(dest="session_command", metavar="ACTION")
    r = sub.add_parser("run", help="run one closed-loop block and record it (Ctrl-C stops safely)")
    src = r.add_mutually_exclusive_group(required=True)
    src.add_argument("--stream", help="name of the amplifier's LSL stream (its channels must match the decoder)")
    src.add_argument("--simulated", action="store_true",
                     help="simulated participant and effector (calibrates first when no --decoder)")
    r.add_argument("--decoder", help="decoder file (.npz); required with --stream")
    r.add_argument("--simulated-effector", action="store_true",
                   help="with --stream: the simulated effector answers the commands (no device attached); "
                        "otherwise the device must listen on NAME-commands and answer on NAME-heartbeat")
    r.add_argument("--effector", default="glove", choices=("glove", "programs", "adaptive"),
                   help="glove/FES (open, close, hold), spinal stimulation programs, or adaptive stimulation")
    r.add_argument("--classes", nargs="+", default=["rest", "grasp", "open"], help="cued classes")
    r.add_argument("--reps", type=int, default=2, help="trials per class (default 2)")
    r.add_argument("--cue-s", type=float, default=3.0, help="cue duration in seconds")
    r.add_argument("--rest-s", type=float, default=1.5, help="inter-trial interval in seconds")
    r.add_argument("--jitter-s", type=float, default=0.5, help="inter-trial jitter in seconds")
    r.add_argument("--seed", type=int, default=0, help="seed of the cue order (and simulated participant)")
    r.add_argument("--threshold", type=float, default=0.6, help="gate: minimum class probability")
    r.add_argument("--max-amplitude", type=float, default=8.0, help="gate: highest stimulation amplitude, mA")
    r.add_argument("--name", default=None,
                   help="prefix of the loop's streams: NAME-commands, NAME-gate, NAME-outputs (default wb-loop-PID)")
    r.add_argument("--participant", default=None, help="pseudonym the session is saved for (default: none, not saved)")
    add_user_options(r, "engineer")
    r.set_defaults(func=run)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def run(args) -> int:
    import os

    from ..acquisition.lsl_config import use_loopback
    from ..config import get_workspace
    from ..decoding import load_decoder
    from ..errors import Problem, ValidationError
    from ..recording.runs import RunEntities
    from ..session.adaptive import AdaptiveController
    from ..session.gate import GateLimits
    from ..session.live import run_block
    from ..session.paradigm import ParadigmSpec
    from ..session.participant import CueTimeline, SimulatedParticipant
    from ..session.stimulation import intent_programs

    problems = []
    if args.stream and not args.decoder:
        problems.append(Problem("--decoder", None, "a decoder file when running against --stream"))
    # Every limit and the paradigm are checked before anything starts.
    try:
        limits = GateLimits(threshold=args.threshold, max_amplitude_ma=args.max_amplitude)
    except ValidationError as err:
        problems += err.problems
        limits = None
    try:
        spec = ParadigmSpec(tuple(args.classes), args.cue_s, args.rest_s, args.reps, args.seed, args.jitter_s)
    except ValidationError as err:
        problems += err.problems
        spec = None
    if problems:
        raise ValidationError(problems, what="session run")
    use_loopback()
    ws = get_workspace(args.workspace)
    store = open_store(args, "engineer") if args.participant else None
    from .warmup import warm_kernels

    print("decoder kernels: compiling or loading from numba's cache ...", flush=True)
    warm_kernels(paths=("bandpower",))  # a cold cache compiles here, never in the live loop
    participant = SimulatedParticipant(CueTimeline(), seed=args.seed) if args.simulated else None
    if args.decoder:
        decoder = load_decoder(args.decoder)
        version = decoder_version = f"file {args.decoder.rsplit('/', 1)[-1]}"
    else:
        decoder, version = _calibrate(ws, spec, args.seed, _subject(args)), "calibrated now"
        decoder_version = "session-calibrated"
    programs = intent_programs(decoder.model.classes_) if args.effector == "programs" else None
    name = args.name or f"wb-loop-{os.getpid()}"
    print(f"commands on {name}-commands; the effector's heartbeat expected on {name}-heartbeat")
    records = _open_records(store, args, decoder, version, participant is not None) if store is not None else None
    block = run_block(ws.recordings, spec, participant=participant, stream=args.stream, decoder=decoder,
                      effector=args.effector, programs=programs, limits=limits, name=name,
                      controller=AdaptiveController() if args.effector == "adaptive" else None,
                      decoder_version=decoder_version[:60], entities=RunEntities(subject=_subject(args), task="loop"),
                      simulate_effector=True if args.simulated or args.simulated_effector else None,
                      safety_events=records[2] if records else None)
    _report(block, decoder, spec, version, store, records, ws)
    if block.rig_error:
        print(f"simulated rig (participant and devices) failed: {block.rig_error}", file=sys.stderr)
    if block.stopped_by_operator:
        print("stopped by the operator (Ctrl-C): the effector was turned off first")
        return 130
    return 0 if block.manifest.status == "complete" else 1


def _subject(args) -> str:
    """BIDS subject of the run: the participant's pseudonym in its BIDS-safe form, "cli" when not saved for one."""
    from ..records.export import bids_label

    return bids_label(args.participant) if args.participant else "cli"


def _calibrate(ws, spec, seed, subject="cli"):
    from ..recording.runs import RunEntities
    from ..session.live import run_block
    from ..session.participant import CueTimeline, SimulatedParticipant
    from ..session.training import train_from_recordings

    from dataclasses import replace

    # At least three trials per class: grouped cross-validation needs every class in every training fold.
    spec = replace(spec, repetitions=max(3, spec.repetitions))
    print(f"no --decoder: calibration block of {spec.n_trials} trials with the simulated participant first")
    cal = run_block(ws.recordings, spec, participant=SimulatedParticipant(CueTimeline(), seed=seed + 100),
                    entities=RunEntities(subject=subject, task="calibration"))
    res = train_from_recordings([cal.manifest.fname], spec.classes, cue_s=spec.cue_s,
                                fname=ws.decoders / f"session_{cal.manifest.run_id}.npz")
    print(f"trained: CV trial accuracy {res.trial_accuracy:.2f} (chance {res.chance_level:.2f}); saved {res.fname}")
    return res.decoder


def _open_records(store, args, decoder, version, simulated):
    """Session and Run saved before the block, so that every gate decision is recorded while it runs."""
    from datetime import datetime, timezone

    from ..records import Session
    from ..session.results import start_run
    from ..session.safety_log import SafetyEventWriter

    try:
        session, = store.add(Session(participant_id=args.participant, started_at=datetime.now(timezone.utc),
                                     device="simulated amplifier" if simulated else "LSL stream",
                                     montage=f"{len(decoder.ch_names)} channels", decoder_version=version[:60],
                                     operator=store.user.name))
        run = start_run(store, session_id=session.id, number=1, task="closed-loop")
    except BaseException:
        store.close()
        raise
    return session, run, SafetyEventWriter(store, session_id=session.id, run_id=run.id)


def _report(block, decoder, spec, version, store, records, ws) -> None:
    from dataclasses import replace

    from ..records import RecordingFile
    from ..session.results import save_run, score_online_trials, summarize_run, summary_lines, unexplained_safe_states

    trials = score_online_trials(block.log, block.runner.trials(), block.t0)
    classes = [str(c) for c in decoder.model.classes_]
    summary = summarize_run(block.log, trials, classes, spec.cue_s + spec.rest_s + spec.jitter_s / 2)
    print(f"recording  {block.manifest.status}: {block.manifest.fname}")
    print("\n".join(summary_lines(summary, decoder_version=version, max_listed=MAX_LISTED_SAFE_STATES,
                                  unexplained=unexplained_safe_states(block.log, block.t0))))
    if block.priority:
        print(f"loop       {block.priority}; {block.cpu_latency or 'CPU idle states not set'}")
    if store is None:
        print("not saved (give --participant to save the session)")
        return
    session, run, writer = records
    try:
        session = replace(session, recording_files=(RecordingFile.from_file(block.manifest.fname, root=ws.root),))
        store.update(session, reason="end of the run: its recording is complete")
        save_run(store, session_id=session.id, number=1, task="closed-loop", log=block.log, trials=trials,
                 summary=summary, t0=block.t0, run=run)
        print(f"saved      session {session.id}, run {run.id} ({len(trials)} trials, {writer.n_written} gate "
              f"decisions as safety events, written during the run)")
    finally:
        store.close()
    # The recording is final: its dashboard summary is built now, so the session's first opening in the
    # dashboard reads no recording (issue 22: a long session within 3 s), as after `workbench demo`.
    from ..report.recording_summary import build_session_summaries

    build_session_summaries([session], ws.root)
