"""``workbench db``: create or migrate the study database, load the demo study, manage accounts."""

from __future__ import annotations

from ._user import add_user_options, open_store

ROLES = ("investigator", "assessor", "engineer", "monitor")


def register(subparsers) -> None:
    parser = subparsers.add_parser("db", help="study database: upgrade the schema, load the demo study, accounts")
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = sub.add_parser("upgrade", help="create the database or migrate it to the newest schema")
    add_user_options(up, default_role="monitor")
    seed = sub.add_parser("seed-demo", help="load the pseudonymised demo study (data_samples/demo_study)")
    add_user_options(seed, default_role=None)
    seed.add_argument("--file", default=None, help="study JSON to load instead of the demo study")
    add = sub.add_parser("add-user", help="give a staff member an account (investigators only)")
    add.add_argument("account", metavar="NAME", help="the staff member's user name")
    add.add_argument("account_role", metavar="ROLE", choices=ROLES, help="their role: " + ", ".join(ROLES))
    add_user_options(add, default_role=None)
    off = sub.add_parser("deactivate-user", help="stop an account from writing (investigators only)")
    off.add_argument("account", metavar="NAME")
    off.add_argument("--reason", required=True, help="why (recorded in the audit trail)")
    add_user_options(off, default_role=None)
    parser.set_defaults(func=run)


def run(args) -> int:
    import dataclasses

    from ..records import UserAccount
    from ..records.demo import DEMO_STUDY, seed_demo

    with open_store(args, "monitor" if args.db_command == "upgrade" else None) as store:
        if args.db_command == "upgrade":
            rev = store.upgrade()
            print(f"study database at schema revision {rev}: {store.engine.url.render_as_string(hide_password=True)}")
        elif args.db_command == "seed-demo":
            n = seed_demo(store, args.file or DEMO_STUDY)
            print(f"loaded {n} records from {args.file or DEMO_STUDY} as {store.user.name} ({store.user.role})")
        elif args.db_command == "add-user":
            store.add(UserAccount(id=args.account, role=args.account_role))
            print(f"account {args.account!r} ({args.account_role}) created by {store.user.name}")
        else:
            account = store.get(UserAccount, args.account)
            store.update(dataclasses.replace(account, active=False), reason=args.reason)
            print(f"account {args.account!r} deactivated by {store.user.name}")
    return 0
