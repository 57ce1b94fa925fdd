"""``workbench demo``: the whole trial day with a simulated participant, headless (about 2-3 minutes).

The work is done by :func:`workbench.session.demo.run_demo`; this module only
parses options and prints. Ctrl-C stops the run in progress safely (effector
off first, then the recording is closed).
"""

from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="the trial day: calibration, training, closed loop (glove, adaptive stimulation), records"
    )
    p.add_argument("--calibration-reps", type=int, default=4, metavar="N",
                   help="calibration trials per class (rest, grasp, open; default 4)")
    p.add_argument("--loop-reps", type=int, default=2, metavar="N",
                   help="closed-loop trials per class in the glove run (default 2)")
    p.add_argument("--seed", type=int, default=0, help="seed of the simulated participant and cue order")
    p.add_argument("--difficulty", default="0.3", metavar="D",
                   help="how hard the simulated participant is to decode: a number in [0, 1] or easy | realistic | "
                        "hard (default 0.3, a good responder; realistic needs more --calibration-reps)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import Problem, ValidationError
    from ..session.demo import format_summary, run_demo
    from ..session.participant import ParticipantModel
    from ._checks import OptionError
    from .warmup import warm_kernels

    difficulty = _difficulty(args.difficulty)
    try:  # a bad option is refused before the kernels warm up or anything streams
        ParticipantModel(difficulty=difficulty)
    except ValidationError:
        raise OptionError([Problem("--difficulty", args.difficulty,
                                   "a number in [0, 1] or one of easy, realistic, hard")]) from None

    # Before anything streams or the participant is asked to do anything: a cold numba cache
    # compiles here, with a progress bar, never inside a live loop.
    print("decoder kernels: compiling or loading from numba's cache ...", flush=True)
    warm_kernels(paths=("bandpower",))
    result = run_demo(args.workspace, calibration_reps=args.calibration_reps, loop_reps=args.loop_reps,
                      seed=args.seed, difficulty=difficulty)
    summarise_recordings(result.workspace, result.session_id)
    print()
    print(format_summary(result))
    return 0 if result.ok else 1


def summarise_recordings(workspace, session_id: str | None) -> None:
    """Build the dashboard's summaries of the session's recordings now that they are final.

    The first opening of the session in the dashboard then draws from them and
    reads no recording (it only checks its SHA-256): issue 22 asks a long session
    to load within 3 s. Here, not in ``run_demo``: the summaries are the
    report layer's, above the session logic.
    """
    import time

    from ..records import Session
    from ..records.demo import open_demo_store
    from ..report.recording_summary import build_session_summaries

    if session_id is None:
        return
    with open_demo_store(workspace, role="monitor") as store:
        sessions = store.find(Session, id=session_id)
    t0 = time.perf_counter()
    built = build_session_summaries(sessions, workspace)
    print(f"dashboard summaries of the session's {len(built)} recordings built in {time.perf_counter() - t0:.1f} s")


def _difficulty(text: str):
    """A number when it reads as one, else the name (ParticipantModel names what is allowed)."""
    try:
        return float(text)
    except ValueError:
        return text
