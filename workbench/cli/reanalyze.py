"""``workbench reanalyze``: re-decode and re-analyse the study's recorded sessions on Dask."""

from __future__ import annotations

from ._user import add_user_options, open_store


def add_selection_options(parser) -> None:
    """``--site``, ``--participant``, ``--visit``, ``--from``, ``--to`` (shared with ``export --format bids``)."""
    parser.add_argument("--site", action="append", default=[], metavar="SITE", help="only this site (repeatable)")
    parser.add_argument("--participant", action="append", default=[], metavar="PSEUDONYM",
                        help="only this participant (repeatable)")
    parser.add_argument("--visit", action="append", default=[], metavar="VISIT",
                        help="only this visit, by name (baseline) or id (repeatable)")
    parser.add_argument("--from", dest="date_from", default=None, metavar="YYYY-MM-DD",
                        help="only sessions on or after this day")
    parser.add_argument("--to", dest="date_to", default=None, metavar="YYYY-MM-DD",
                        help="only sessions on or before this day")


#: The selection options of the command line, by the field a Selection problem names.
SELECTION_OPTIONS = {"site": "--site", "participant": "--participant", "visit": "--visit", "from": "--from",
                     "to": "--to"}


def given_selection_options(args) -> list[str]:
    """The selection options given on the command line."""
    return [opt for opt, value in (("--site", args.site), ("--participant", args.participant),
                                   ("--visit", args.visit), ("--from", args.date_from), ("--to", args.date_to))
            if value]


def check_selection(store, selection) -> None:
    """Refuse, naming the option, a site, participant or visit the study does not have (exit 2)."""
    from ..errors import Problem, ValidationError
    from ._checks import OptionError

    try:
        selection.check(store)
    except ValidationError as err:
        raise OptionError([Problem(SELECTION_OPTIONS.get(p.field, p.field), p.value, p.allowed)
                           for p in err.problems], what="session selection") from None


def selection_from_args(args):
    from datetime import date

    from ..analysis import Selection
    from ..errors import Problem
    from ._checks import OptionError

    problems, days = [], {}
    for opt, value in (("--from", args.date_from), ("--to", args.date_to)):
        try:
            days[opt] = None if value is None else date.fromisoformat(value)
        except ValueError:
            problems.append(Problem(opt, value, "a date YYYY-MM-DD"))
    if problems:
        raise OptionError(problems, what="session selection")
    return Selection(sites=tuple(args.site), participants=tuple(args.participant), visits=tuple(args.visit),
                     date_from=days["--from"], date_to=days["--to"])


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "reanalyze", help="re-decode and re-analyse recorded sessions on a Dask cluster, with provenance",
        description="Every recording of the chosen sessions (or of a BIDS dataset) is one task; results "
                    "(per-trial decisions, accuracy, ITR, ERD) are written back as records. Finished units "
                    "are skipped on a rerun.")
    parser.add_argument("--decoder", default=None, metavar="FILE",
                        help="saved decoder (.npz) to re-decode with; 'demo' fits the demo decoder if missing; "
                             "without it only the ERD re-analysis runs")
    add_selection_options(parser)
    parser.add_argument("--bids", default=None, metavar="DIR_OR_URL",
                        help="read the runs of this BIDS dataset instead of the workspace's sessions; the "
                             "selection reads sub-/ses- entities, participants.tsv site, scans.tsv acq_time")
    parser.add_argument("--root", default=None, metavar="URL",
                        help="read workspace recordings from this copy of the workspace (any fsspec URL)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="a running Dask scheduler (tcp://host:8786), or 'serial' for this process "
                             "(default: a local cluster of --workers processes)")
    parser.add_argument("--connect-timeout", type=float, default=10.0, metavar="SECONDS",
                        help="how long --scheduler has to answer (default 10 s)")
    parser.add_argument("--workers", type=int, default=2, help="local cluster size (default 2)")
    parser.add_argument("--result-version", type=int, default=1, help="version of the results (default 1)")
    parser.add_argument("--simulate", type=int, default=0, metavar="N",
                        help="first record N simulated sessions into the study (demo and tests)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_user_options(parser, default_role="engineer")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..analysis import (AnalysisSpec, bids_units, demo_decoder, reanalyze, simulate_sessions, site_units,
                            workspace_units)

    selection = selection_from_args(args)
    decoder = demo_decoder(args.workspace) if args.decoder == "demo" else args.decoder
    spec = AnalysisSpec.from_files(decoder, result_version=args.result_version)
    with open_store(args, "engineer") as store:
        if args.simulate:
            made = simulate_sessions(store, args.workspace, n_sessions=args.simulate)
            print(f"recorded {len(made)} simulated sessions")
        if args.bids:
            selection.check_account(store.user)  # the workspace path checks it against the study
            units = bids_units(args.bids, selection)
            if store.user.site_id is not None:  # a site's account re-analyses its own sessions' runs only
                units, others = site_units(store, units)
                if others:
                    print(f"{len(others)} runs left out: not recordings of site {store.user.site_id}'s sessions")
        else:
            check_selection(store, selection)
            units = workspace_units(store, args.workspace, selection, root=args.root)
        print(f"{len(units)} recordings to analyse" + (f" with {spec.decoder_name}" if decoder else " (ERD only)"))
        report = reanalyze(store, units, spec, scheduler=args.scheduler, workers=args.workers,
                           progress=None if args.no_progress else "bar", connect_timeout=args.connect_timeout)
    print(report.summary())
    for r in report.results:
        if r.status == "failed":
            print(f"  failed: {r.unit.label or r.unit.identity}: {r.error}")
    return 0 if report.failed == 0 else 1
