"""``workbench report participant ID`` and ``workbench report study``: HTML and PDF under reports/."""

from __future__ import annotations

import argparse

from ._user import add_user_options, open_store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a study or participant report (HTML + PDF) under reports/",
                       description="Write a self-contained HTML report and its PDF (printed by headless "
                                   "Chromium) under the workspace's reports/ folder and print both paths (the HTML "
                                   "first). Without Chromium the HTML is written and a warning says how to "
                                   "get the PDF (exit 0). "
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
    import sys

    from ..report import write_participant_report, write_study_report
    from ..report.pdf import ChromiumMissingError
    from ..report.write import add_pdf

    store = open_store(args, "monitor")
    try:
        # The HTML first, and said at once: it is the report; the PDF is a print of it.
        if args.kind == "participant":
            files = write_participant_report(store, args.participant_id, args.workspace, study_id=args.study,
                                             pdf=False)
        else:
            files = write_study_report(store, args.workspace, study_id=args.study, pdf=False)
    finally:
        store.close()
    print(files.html, flush=True)
    if args.no_pdf:
        return 0
    try:
        files = add_pdf(files)
    except ChromiumMissingError as err:
        # The HTML report is complete and self-contained: a missing printer is a warning, not a failure.
        print(f"workbench report: warning: no PDF written. {err}; then run this command again, or open "
              f"{files.html} in a browser and print it to PDF (A4).", file=sys.stderr)
        return 0
    print(files.pdf)
    return 0
