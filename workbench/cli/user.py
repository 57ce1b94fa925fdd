"""``workbench user``: add, list, deactivate and unlock accounts (argon2-hashed passwords).

``workbench user add NAME --role ROLE --password-stdin`` creates the first
account, which must be an investigator's; every later one needs an
investigator's login: ``--as NAME`` with that investigator's password
(``$WORKBENCH_PASSWORD``, or the second line of standard input with
``--password-stdin``, or a prompt). The new account's password is the first
line of standard input with ``--password-stdin``, else asked twice.
"""

from __future__ import annotations

import os

from ._user import PASSWORD_VAR, PasswordSource, add_user_options, db_url, open_store


def register(subparsers) -> None:
    from ..records import ROLES

    parser = subparsers.add_parser("user", help="accounts: add (first one: an investigator), list, deactivate, unlock")
    sub = parser.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="give a staff member an account (investigators only, except the first)")
    add.add_argument("account", metavar="NAME", help="the staff member's user name")
    add.add_argument("--role", required=True, choices=ROLES, help="their role: " + ", ".join(ROLES))
    add.add_argument("--site", default=None, help="the site code they work at (assessors and engineers: required; "
                                                  "monitors, sponsors, data managers and the allocator: none)")
    add.add_argument("--as", dest="user", default=None, metavar="NAME",
                     help="the investigator adding the account (not needed for the first account)")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the new password (and then the investigator's, unless $WORKBENCH_PASSWORD) "
                          "from standard input, one per line")
    add.add_argument("--db-url", default=None, help="SQLAlchemy URL (default: the workspace's database)")
    ls = sub.add_parser("list", help="every account: name, role, site, active")
    add_user_options(ls, default_role="monitor")
    off = sub.add_parser("deactivate", help="stop an account from logging in (investigators only)")
    off.add_argument("account", metavar="NAME")
    off.add_argument("--reason", required=True, help="why (recorded in the audit trail)")
    add_user_options(off, default_role="investigator")
    unlock = sub.add_parser("unlock", help="let an account locked by wrong passwords log in again (investigators "
                                           "only; in the audit trail)")
    unlock.add_argument("account", metavar="NAME")
    unlock.add_argument("--reason", required=True,
                        help="why, e.g. how the person was identified (in the signed audit trail and the access log)")
    add_user_options(unlock, default_role="investigator")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..records import UserAccount

    if args.user_command == "add":
        return _add(args)
    with open_store(args) as store:
        if args.user_command == "list":
            for a in store.find(UserAccount):
                print(f"{a.id:<24} {a.role:<13} {a.site_id or '(all sites)':<12} {'active' if a.active else 'inactive'}")
        elif args.user_command == "unlock":
            failures = store.unlock_account(args.account, reason=args.reason)
            print(f"account {args.account!r} unlocked by {store.user.name} ({failures} wrong passwords before)")
        else:
            store.deactivate_account(args.account, reason=args.reason)
            print(f"account {args.account!r} deactivated by {store.user.name}")
    return 0


def _add(args) -> int:
    from ..errors import Problem, ValidationError
    from ..records import Store, UserAccount

    passwords = PasswordSource(args.password_stdin)
    if args.password_stdin:
        new = passwords.next_stdin(f"the new password of {args.account}")
    else:
        new = passwords.prompt(f"new password for {args.account}")
        if passwords.prompt("the same password again") != new:
            raise ValidationError([Problem("password", "<withheld>", "the same password twice")], what="new account")
    if args.user is None:
        if args.role != "investigator" or args.site is not None:
            raise ValidationError([Problem("--as", None, "the investigator adding the account (only the first "
                                           "account, a coordinating investigator without --site, needs none)")],
                                  what="user add")
        with Store.create_first_account(db_url(args), user=args.account, password=new,
                                        workspace=args.workspace) as store:
            print(f"first account {store.user.name!r} (investigator, all sites) created")
        return 0
    # The investigator's password: $WORKBENCH_PASSWORD first, else the next stdin line, else a prompt.
    acting = PasswordSource(False) if os.environ.get(PASSWORD_VAR) else passwords
    with open_store(args, passwords=acting) as store:
        store.add_account(UserAccount(id=args.account, role=args.role, site_id=args.site), new)
        print(f"account {args.account!r} ({args.role}{', site ' + args.site if args.site else ''}) "
              f"created by {store.user.name}")
    return 0
