"""Checks of command-line options, made before anything is read, logged in to or written.

A bad option is the user's to fix, so it is an :class:`OptionError` (exit code 2,
as argparse gives for its own refusals) naming the option, the value and what is
allowed, never a traceback.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import Problem, ValidationError

#: The back ends the store runs on (engine.py); a URL naming another is refused before connecting.
BACKENDS = ("sqlite", "postgresql")
URL_EXAMPLE = "sqlite:////path/to/study.sqlite or postgresql://host/database"


class OptionError(ValidationError):
    """A command-line option with a value the command cannot use (exit code 2)."""

    def __init__(self, problems, what: str = "command line") -> None:
        super().__init__(problems, what=what)


def check_workspace(value: str | None) -> None:
    """``--workspace`` (or ``$WORKBENCH_HOME``) must be a folder, or not exist yet."""
    option, path = ("--workspace", value) if value is not None else ("$WORKBENCH_HOME",
                                                                     os.environ.get("WORKBENCH_HOME"))
    if path is None:
        return
    if path == "":
        raise OptionError([Problem(option, path, "a folder for the workbench's files")])
    p = Path(path).expanduser().absolute()
    existing = next(q for q in (p, *p.parents) if q.exists())  # the root always exists
    if not existing.is_dir():
        where = "this is a file" if existing == p else f"{existing} is a file"
        raise OptionError([Problem(option, path, f"a folder (or a path where one can be made); {where}")])


def check_db_url(url: str, option: str = "--db-url") -> str:
    """A SQLAlchemy URL of a back end the store runs on; a SQLite file's folder must exist."""
    import sqlalchemy as sa

    if not isinstance(url, str) or not url.strip():
        raise OptionError([Problem(option, url, f"a database URL, e.g. {URL_EXAMPLE} (leave the option out "
                                                "for the workspace's SQLite file)")])
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise OptionError([Problem(option, _hide_password(url), f"a database URL, e.g. {URL_EXAMPLE}")]) from None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() not in BACKENDS:
        raise OptionError([Problem(option, shown, "a URL of " + " or ".join(BACKENDS) + f", e.g. {URL_EXAMPLE}")])
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if not db or db == ":memory:" or db.startswith("file:"):
            raise OptionError([Problem(option, shown, "a SQLite file: sqlite:////path/to/study.sqlite")])
        folder = Path(db).expanduser().absolute().parent
        if not folder.is_dir():
            raise OptionError([Problem(option, shown, f"a SQLite file in an existing folder ({folder} "
                                                      "does not exist)")])
        if Path(db).is_dir():
            raise OptionError([Problem(option, shown, "a SQLite file (this is a folder)")])
    return url


def check_new_file(value: str, option: str) -> Path:
    """A file the command will create: its folder exists, the file does not."""
    path = Path(value).expanduser()
    if not value:
        raise OptionError([Problem(option, value, "the path of a new file")])
    if not path.absolute().parent.is_dir():
        raise OptionError([Problem(option, value, f"a new file in an existing folder "
                                                  f"({path.absolute().parent} does not exist)")])
    if path.exists():
        raise OptionError([Problem(option, value, "a new file (it exists; nothing is overwritten)")])
    return path


def check_json_file(value: str, option: str) -> Path:
    """A readable file holding JSON (read here once, so a bad file stops before any login)."""
    path = Path(value).expanduser()
    if not path.is_file():
        raise OptionError([Problem(option, value, "an existing JSON file")])
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        reason = str(err).splitlines()[0][:200]
        raise OptionError([Problem(option, value, f"a readable UTF-8 JSON file ({reason})")]) from None
    if not isinstance(data, dict):
        raise OptionError([Problem(option, value, "a JSON object {table name: [records]}")])
    return path


def _hide_password(url: str) -> str:
    # A URL that does not parse may still carry a password: show the scheme and host part only.
    head, sep, tail = url.partition("://")
    return f"{head}{sep}{tail.rsplit('@', 1)[-1]}" if sep else url[:80]
