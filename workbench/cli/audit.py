"""``workbench audit verify``: check the audit trail and the tables against it."""

from __future__ import annotations

from ._user import add_user_options, open_store


def register(subparsers) -> None:
    parser = subparsers.add_parser("audit", help="audit trail: verify the hash chain and the tables")
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = sub.add_parser("verify", help="exit 1 and name the first broken entry if anything was altered")
    add_user_options(verify, default_role="monitor")
    parser.set_defaults(func=run)


def run(args) -> int:
    with open_store(args, "monitor") as store:
        report = store.verify_audit()
    print(report.summary())
    return 0 if report.ok else 1
