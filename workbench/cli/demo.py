"""``workbench demo``: calibrate, stream, acquire, record, decode live, save the session.

The work is done by :func:`workbench.session.demo.run_demo`; this module only
parses options and prints. About 30 s; leaves a readable XDF with its manifest,
a saved decoder and the session in the study database of the workspace.
"""

from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="simulated amplifier -> LSL -> acquisition -> XDF + live decoder -> trial records (about 30 s)"
    )
    p.add_argument("--duration", type=float, default=10.0, help="seconds to acquire and record (default 10)")
    p.add_argument("--montage", default="eeg-64", help="simulated montage: eeg-64 (decoded live), ecog-8 or utah-96")
    p.add_argument("--calibration", type=float, default=120.0, metavar="S",
                   help="seconds of simulated cued calibration data the decoder is fitted on (default 120)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..session.demo import format_summary, run_demo

    result = run_demo(args.workspace, duration=args.duration, montage=args.montage, calibration_s=args.calibration)
    print()
    print(format_summary(result))
    return 0 if result.ok else 1
