"""``workbench export``: pseudonymised CSV, Parquet, REDCap, BIDS, NWB (sessions) or CDISC ODM (clinical records)."""

from __future__ import annotations

from ._user import add_user_options, open_store
from .reanalyze import add_selection_options, check_selection, given_selection_options, selection_from_args

FORMATS = ("csv", "parquet", "redcap", "bids", "nwb", "odm")
#: Formats that export recorded sessions, so --participant, --visit ... choose which.
SESSION_FORMATS = ("bids", "nwb")


def register(subparsers) -> None:
    parser = subparsers.add_parser("export", help="export the study (pseudonyms only, with the audit trail)")
    parser.add_argument("--format", required=True, choices=FORMATS, help="what to write")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="new or empty folder (default: a new folder in the workspace's exports/)")
    parser.add_argument("--allow-broken-trail", action="store_true",
                        help="export even if `workbench audit verify` fails (the manifest records it)")
    add_selection_options(parser)  # bids and nwb only: which sessions' recordings are exported
    add_user_options(parser, default_role="monitor")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..config import get_workspace
    from ..errors import Problem
    from ..records.export import export_study
    from ._checks import OptionError

    selection = selection_from_args(args)
    if args.format not in SESSION_FORMATS:  # these hold the whole study: refuse rather than ignore a selection
        given = given_selection_options(args)
        if given:
            raise OptionError([Problem(opt, _value(args, opt), f"only with --format bids or nwb: --format "
                                                               f"{args.format} exports the whole study (every "
                                                               "participant the account may read)") for opt in given],
                              what="export")
    out = args.out
    if out is not None:
        from pathlib import Path

        target = Path(out).expanduser()
        if target.exists() and not (target.is_dir() and not any(target.iterdir())):
            raise OptionError([Problem("--out", out, "a new or empty folder (nothing is overwritten)")],
                              what="export")
    if out is None:
        from datetime import datetime, timezone

        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        out = get_workspace(args.workspace).exports / f"{args.format}-{stamp}"
    with open_store(args, "monitor") as store:
        if args.format == "bids":  # every recording of the chosen sessions, as one BIDS dataset
            from ..analysis import export_bids_study

            check_selection(store, selection)
            folder = export_bids_study(store, out, args.workspace, selection,
                                       allow_broken_trail=args.allow_broken_trail)
        elif args.format == "nwb":  # one NWB file per recording of the chosen sessions
            from ..recording.nwb import export_nwb

            check_selection(store, selection)
            folder = export_nwb(store, out, args.workspace, selection, allow_broken_trail=args.allow_broken_trail)
        elif args.format == "odm":
            from ..records.odm import export_odm

            result = export_odm(store, out, allow_broken_trail=args.allow_broken_trail)
            folder = result.fname.parent
            if result.left_out:
                print(f"left out (role {store.user.role!r} may not read them): {', '.join(result.left_out)}")
        else:
            folder = export_study(store, out, args.format, allow_broken_trail=args.allow_broken_trail)
    files = sorted(p.name for p in folder.iterdir())
    print(f"exported {args.format} to {folder}: {', '.join(files)}")
    return 0


def _value(args, option: str):
    value = getattr(args, {"--from": "date_from", "--to": "date_to"}.get(option, option.lstrip("-")))
    return value[0] if isinstance(value, list) and len(value) == 1 else value
