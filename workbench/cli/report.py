"""``workbench report participant ID`` and ``workbench report study``: HTML and PDF under reports/."""

from __future__ import annotations

import argparse

from ._user import add_user_options, open_store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a study or participant report (HTML + PDF) under reports/",
                       description="Write a self-contained HTML report and its PDF (printed by headless "
                                   "Chromium) under the workspace's reports/ folder and print both paths. "
                                   "Reports carry pseudonyms and coded fields only.")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    one = kinds.add_parser("participant", help="one participant's report")
    one.add_argument("participant_id", metavar="ID", help="the participant's pseudonym, e.g. SCI-001")
    kinds.add_parser("study", help="the whole study's report")
    for k in (one, kinds.choices["study"]):
        k.add_argument("--study", default=None, help="study id (default: the only study in the database)")
        k.add_argument("--no-pdf", action="store_true", help="write the HTML only")
        add_user_options(k, "monitor")
    p.set_defaults(func=run)
    for k in kinds.choices.values():
        k.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..report import write_participant_report, write_study_report

    store = open_store(args, "monitor")
    try:
        if args.kind == "participant":
            files = write_participant_report(store, args.participant_id, args.workspace, study_id=args.study,
                                             pdf=not args.no_pdf)
        else:
            files = write_study_report(store, args.workspace, study_id=args.study, pdf=not args.no_pdf)
    finally:
        store.close()
    print(files.html)
    if files.pdf is not None:
        print(files.pdf)
    return 0
