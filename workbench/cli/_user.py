"""Who is acting on the command line: ``--user``/``--role`` or WORKBENCH_USER/WORKBENCH_ROLE."""

from __future__ import annotations

import argparse
import getpass
import os


def add_user_options(parser: argparse.ArgumentParser, default_role: str | None) -> None:
    """Add ``--user``, ``--role`` and ``--db-url`` to a subcommand."""
    parser.add_argument("--user", default=None,
                        help="your user name, recorded in the audit trail (default: $WORKBENCH_USER or login name)")
    parser.add_argument("--role", default=None,
                        help="investigator, assessor, engineer or monitor (default: $WORKBENCH_ROLE"
                             + (f" or {default_role})" if default_role else "; required)"))
    parser.add_argument("--db-url", default=None,
                        help="SQLAlchemy URL (default: $WORKBENCH_DB_URL or the workspace's SQLite file)")


def user_from_args(args: argparse.Namespace, default_role: str | None):
    from ..errors import Problem, ValidationError
    from ..records import User

    name = args.user or os.environ.get("WORKBENCH_USER") or getpass.getuser()
    role = args.role or os.environ.get("WORKBENCH_ROLE") or default_role
    if role is None:
        raise ValidationError([Problem("--role", None, "investigator, assessor, engineer or monitor "
                                       "(or set WORKBENCH_ROLE)")], what="command line")
    return User(name, role)


def open_store(args: argparse.Namespace, default_role: str | None):
    from ..config import get_workspace
    from ..records import Store

    url = args.db_url or get_workspace(args.workspace).db_url
    return Store(url, user=user_from_args(args, default_role))
