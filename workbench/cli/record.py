"""``workbench record``: record LSL streams to one XDF file with LabRecorder."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    p = subparsers.add_parser("record", help="record LSL streams to XDF (LabRecorder), one file per run")
    p.add_argument("--streams", nargs="+", metavar="NAME", help="names of the streams to record")
    p.add_argument("--duration", type=float, help="seconds to record")
    p.add_argument("--out", default=None, help="output .xdf (default: BIDS name in the workspace's recordings/)")
    p.add_argument("--subject", default="01", help="participant pseudonym (BIDS label, letters and digits)")
    p.add_argument("--session", default=None, help="session label")
    p.add_argument("--task", default="bci", help="task label")
    p.add_argument("--run", type=int, default=None, help="run number (default: next free)")
    p.add_argument("--list", action="store_true", help="list the workspace's runs and their status, then exit")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..acquisition.lsl_config import use_loopback
    from ..config import get_workspace
    from ..errors import Problem, ValidationError

    use_loopback()
    from ..recording.labrecorder import record_run
    from ..recording.runs import RunEntities, list_runs, recorder_gone, recover_interrupted_runs

    ws = get_workspace(args.workspace)
    if args.list:  # only reads: a dead run is shown as such, and marked by the next recording
        for m in list_runs(ws.recordings):
            gone = " (recorder gone: marked interrupted by the next recording)" if (
                m.status == "recording" and recorder_gone(m)) else ""
            print(f"{m.status:<12} {m.started_at}  {m.fname}  {', '.join(m.stream_names)}{gone}")
        return 0
    for m in recover_interrupted_runs(ws.recordings):
        print(f"marked interrupted: {m.fname} ({m.detail})", file=sys.stderr)
    problems = []
    if not args.streams:
        problems.append(Problem("--streams", args.streams, "one or more stream names (see `workbench streams`)"))
    if args.duration is None or not args.duration > 0:
        problems.append(Problem("--duration", args.duration, "a number of seconds > 0"))
    if problems:
        raise ValidationError(problems, what="record command")
    entities = RunEntities(subject=args.subject, task=args.task, session=args.session, run=args.run)
    print(f"recording {', '.join(args.streams)} for {args.duration:g} s ...", flush=True)
    manifest = record_run(args.streams, args.duration, ws.recordings, entities=entities, fname=args.out)
    print(f"{manifest.status}: {manifest.fname}")
    print(f"sha256: {manifest.sha256}  ({manifest.size_bytes} bytes)")
    for s in manifest.streams:
        print(f"  {s.name} [{s.stype}] {s.n_channels} ch @ {s.sfreq:g} Hz: {s.n_samples} samples")
    return 0 if manifest.status == "complete" else 1
