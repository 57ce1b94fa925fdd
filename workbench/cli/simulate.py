"""``workbench simulate``: a simulated amplifier, or a recording replayed, on LSL."""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "simulate",
        help="stream a synthetic amplifier or replay a recording on LSL",
        description=(
            "Start real LSL outlets: a signal stream NAME and a marker stream NAME-markers. "
            "Synthetic mode (default) simulates --montage with cued rest/grasp/open; "
            "--replay FILE streams a recording (XDF: all its streams; EDF, BDF, BrainVision, "
            "FIF: annotations as markers) at its own rate. Runs until --duration or Ctrl-C."
        ),
    )
    p.add_argument("--montage", default="eeg-64", help="eeg-64 | ecog-8 | utah-96 (default eeg-64)")
    p.add_argument("--seed", type=int, default=0, help="random seed: same seed, same signal (default 0)")
    p.add_argument("--sfreq", type=float, default=None, help="sampling rate in Hz (default: the montage's)")
    p.add_argument("--flat-channel", default=None, help="name of a channel to make flat")
    p.add_argument("--clipped-channel", default=None, help="name of a channel to make clipped")
    p.add_argument("--replay", metavar="FILE", default=None, help="replay this recording instead")
    p.add_argument("--stream", default=None, help="XDF replay: name or type of the signal stream")
    p.add_argument("--loop", action="store_true", help="replay: start over at the end")
    p.add_argument("--name", default=None, help="signal stream name (default wb-sim; replay: as recorded)")
    p.add_argument("--source-id", default=None, help="LSL source id of the signal stream")
    p.add_argument("--chunk-ms", type=float, default=20.0, help="push period in ms (default 20)")
    p.add_argument("--duration", type=float, default=None, help="seconds to stream (default: until Ctrl-C)")
    p.add_argument("--counter", action="store_true", help="channel 0 carries the sample index")
    p.set_defaults(func=run)


def _channel(value: str | None):
    return int(value) if value is not None and value.isdigit() else value


def run(args: argparse.Namespace) -> int:
    from ..acquisition.lsl_config import use_loopback
    from ..datasets import Player, SyntheticSource
    from ..utils.memory import settle_heap

    use_loopback()  # keeps discovery on this machine unless LSLAPICFG says otherwise
    if args.replay is not None:
        player = Player.from_file(
            args.replay, name=args.name, source_id=args.source_id, chunk_ms=args.chunk_ms,
            duration=args.duration, loop=args.loop, counter=args.counter, stream=args.stream,
        )  # fmt: skip
    else:
        source = SyntheticSource(
            montage=args.montage, seed=args.seed, counter=args.counter, sfreq=args.sfreq,
            flat_channel=_channel(args.flat_channel), clipped_channel=_channel(args.clipped_channel),
        )  # fmt: skip
        player = Player(
            source, name=args.name or "wb-sim", source_id=args.source_id, chunk_ms=args.chunk_ms,
            duration=args.duration,
        )  # fmt: skip
    settle_heap()  # this process is the amplifier: no full garbage collection stops its stream
    player.start()
    what = f"replay of {args.replay}" if args.replay else f"synthetic {args.montage} (seed {args.seed})"
    print(f"streaming {what}", flush=True)
    for spec in player.specs:
        rate = f"{spec.sfreq:g} Hz" if spec.sfreq else "irregular"
        print(f"  {spec.name!r}  type={spec.type}  {rate}  {spec.n_channels} ch  ({spec.channel_format})", flush=True)
    until = f"for {args.duration:g} s" if args.duration else "until Ctrl-C"
    print(f"running {until}", flush=True)
    interrupted = False
    try:
        while not player.wait(0.25):
            pass
    except KeyboardInterrupt:
        interrupted = True
    finally:
        player.stop()
    print(
        f"sent {player.n_samples_sent} samples on {player.name!r} and "
        f"{player.n_markers_sent} markers{' (interrupted)' if interrupted else ''}",
        flush=True,
    )
    sys.stdout.flush()
    return 0
