"""``workbench streams``: list every LSL stream visible from this machine."""

from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser("streams", help="list LSL streams (name, type, channels, rate, format, source, host)")
    p.add_argument("--timeout", type=float, default=1.0, help="seconds to listen for streams (default 1)")
    p.add_argument("--name", default=None, help="only streams with this exact name")
    p.add_argument("--type", dest="stype", default=None, help="only streams of this type, e.g. EEG")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def run(args) -> int:
    import json
    from dataclasses import asdict

    from ..acquisition.lsl_config import use_loopback

    use_loopback()
    from ..acquisition.discovery import find_streams

    found = find_streams(args.timeout, name=args.name, stype=args.stype)
    if args.json:
        print(json.dumps([asdict(d) for d in found], indent=2))
        return 0
    if not found:
        print(f"no LSL streams found within {args.timeout:g} s")
        return 0
    header = ("name", "type", "ch", "rate (Hz)", "format", "source_id", "host", "channels")
    rows = [
        (
            d.name,
            d.stype,
            str(d.n_channels),
            f"{d.sfreq:g}" if d.regular else "irregular",
            d.dtype,
            d.source_id or "-",
            d.hostname,
            _names(d.ch_names),
        )
        for d in found
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


def _names(ch_names) -> str:
    if not ch_names:
        return "-"
    shown = ",".join(ch_names[:6])
    return shown + (f",... ({len(ch_names)})" if len(ch_names) > 6 else "")
