"""Who is acting on the command line: ``--user NAME`` and a password, checked by the store.

The password comes from ``--password-stdin`` (one line per password the
command asks for, in order), else ``$WORKBENCH_PASSWORD`` (for scripts),
else a prompt that does not echo. The role and site come from the account.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

PASSWORD_VAR = "WORKBENCH_PASSWORD"


def add_user_options(parser: argparse.ArgumentParser, default_role: str | None = None) -> None:
    """Add ``--user``, ``--password-stdin`` and ``--db-url`` to a subcommand.

    ``default_role`` is the least role the command needs; kept for the help
    text (the account decides the role actually held).
    """
    parser.add_argument("--user", default=None,
                        help="your user name (default: $WORKBENCH_USER); your role and site come from your account"
                             + (f" (this command needs at least a {default_role})" if default_role else ""))
    parser.add_argument("--password-stdin", action="store_true",
                        help=f"read the password from standard input (else ${PASSWORD_VAR}, else a prompt)")
    parser.add_argument("--db-url", default=None,
                        help="SQLAlchemy URL (default: $WORKBENCH_DB_URL or the workspace's SQLite file)")


class PasswordSource:
    """Hands out the passwords a command needs: stdin lines, the environment, or prompts."""

    def __init__(self, from_stdin: bool) -> None:
        self._lines: list[str] | None = None
        self.from_stdin = from_stdin

    def next_stdin(self, what: str) -> str:
        if self._lines is None:
            self._lines = sys.stdin.read().splitlines()
        if not self._lines:
            from ..errors import Problem, ValidationError

            raise ValidationError([Problem("--password-stdin", "<no line left>", f"one line per password: {what}")],
                                  what="command line")
        return self._lines.pop(0)

    def prompt(self, what: str) -> str:
        if not sys.stdin.isatty():
            from ..errors import Problem, ValidationError

            raise ValidationError([Problem("password", None, f"{what}: --password-stdin, ${PASSWORD_VAR}, "
                                           "or run in a terminal to be asked")], what="command line")
        return getpass.getpass(f"{what}: ")

    def own(self, name: str) -> str:
        """The acting user's password: stdin, else $WORKBENCH_PASSWORD, else a prompt."""
        if self.from_stdin:
            return self.next_stdin(f"the password of {name}")
        return os.environ.get(PASSWORD_VAR) or self.prompt(f"password for {name}")


def user_name(args: argparse.Namespace) -> str:
    from ..errors import Problem, ValidationError

    name = getattr(args, "user", None) or os.environ.get("WORKBENCH_USER")
    if not name:
        raise ValidationError([Problem("--user", None, "your user name (or set WORKBENCH_USER)")],
                              what="command line")
    return name


def db_url(args: argparse.Namespace) -> str:
    """``--db-url`` if given (checked: never an empty one taken as "the default"), else the workspace's."""
    from ..config import get_workspace
    from ._checks import check_db_url

    if args.db_url is not None:
        return check_db_url(args.db_url)
    if os.environ.get("WORKBENCH_DB_URL") == "":
        return check_db_url("", "$WORKBENCH_DB_URL")
    url = get_workspace(args.workspace).db_url
    return check_db_url(url, "$WORKBENCH_DB_URL") if os.environ.get("WORKBENCH_DB_URL") else url


def open_store(args: argparse.Namespace, default_role: str | None = None, passwords: PasswordSource | None = None):
    """Log in with the command line's user and password; a Store acting as that account."""
    from ..records import Store

    name = user_name(args)
    passwords = passwords or PasswordSource(getattr(args, "password_stdin", False))
    return Store(db_url(args), user=name, password=passwords.own(name), workspace=args.workspace)
