"""``workbench bridge brainflow``: publish a BrainFlow board as LSL streams."""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "bridge",
        help="publish a non-LSL amplifier (BrainFlow boards) as LSL streams",
        description="Bridge an amplifier that does not speak LSL onto LSL, so the workbench can use it at once.",
    )
    kinds = p.add_subparsers(dest="bridge", metavar="KIND")
    bf = kinds.add_parser(
        "brainflow",
        help="any BrainFlow board (OpenBCI, g.tec Unicorn, Muse, ...); --board synthetic needs no hardware",
        description=(
            "Publish a BrainFlow board as LSL streams: NAME (ExG channels in microvolts, BrainFlow's package "
            "counter on channel 0), NAME-aux (accelerometer and the other auxiliary rows), NAME-markers "
            "(BrainFlow's marker row) and one NAME-<preset> per further preset. Channel names and types come "
            "from BrainFlow's board description. Runs until --duration or Ctrl-C."
        ),
    )
    bf.add_argument("--board", default=None, help="board name (synthetic, cyton, unicorn, muse_2, ...; --list-boards) "
                    "or BrainFlow id")
    bf.add_argument("--serial-port", default=None, help="serial port, e.g. /dev/ttyUSB0 (OpenBCI Cyton, ...)")
    bf.add_argument("--mac-address", default=None, help="Bluetooth MAC address (boards that need one)")
    bf.add_argument("--ip-address", default=None, help="IP address (Wi-Fi boards)")
    bf.add_argument("--ip-port", type=int, default=None, help="IP port (Wi-Fi boards)")
    bf.add_argument("--serial-number", default=None, help="device serial number (Unicorn, Muse, ...)")
    bf.add_argument("--name", default="brainflow", help="name of the ExG stream (default brainflow)")
    bf.add_argument("--chunk-ms", type=float, default=20.0, help="how often the board is emptied onto LSL (ms)")
    bf.add_argument("--duration", type=float, default=None, help="seconds to run (default: until Ctrl-C)")
    bf.add_argument("--list-boards", action="store_true", help="print the board names and exit")
    bf.set_defaults(func=run_brainflow)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_brainflow(args: argparse.Namespace) -> int:
    from ..acquisition.lsl_config import use_loopback
    from ..datasets.brainflow_bridge import BrainFlowBridge, available_boards

    if args.list_boards:
        print("\n".join(available_boards()))
        return 0
    use_loopback()  # keeps discovery on this machine unless LSLAPICFG says otherwise
    bridge = BrainFlowBridge(
        args.board, name=args.name, serial_port=args.serial_port, mac_address=args.mac_address,
        ip_address=args.ip_address, ip_port=args.ip_port, serial_number=args.serial_number, chunk_ms=args.chunk_ms,
    )  # fmt: skip
    bridge.start()
    print(f"bridging BrainFlow board {args.board!r} to LSL", flush=True)
    for spec in bridge.specs:
        rate = f"{spec.sfreq:g} Hz" if spec.sfreq else "irregular"
        print(f"  {spec.name!r}  type={spec.type}  {rate}  {spec.n_channels} ch", flush=True)
    print(f"running {'for %g s' % args.duration if args.duration else 'until Ctrl-C'}", flush=True)
    interrupted = False
    try:
        bridge.wait(args.duration)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bridge.stop()
    sent = ", ".join(f"{n} {name!r}" for name, n in bridge.n_samples_sent.items())
    print(f"sent {sent}{' (interrupted)' if interrupted else ''}", flush=True)
    if bridge.error is not None:
        print(f"workbench bridge: the board stopped with an error: {bridge.error}", file=sys.stderr)
        return 1
    return 0
