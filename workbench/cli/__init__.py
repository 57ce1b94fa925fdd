"""The ``workbench`` command line: one subcommand per job.

Each subcommand lives in its own module under ``workbench.cli`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a callable
taking the parsed arguments and returning an exit code. Modules import their
heavy dependencies inside the function, so ``workbench --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading

from .. import __version__
from ..errors import WorkbenchError
from ._checks import OptionError, check_workspace

#: Subcommand modules, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "simulate",
    "streams",
    "record",
    "demo",
    "session",
    "bridge",
    "db",
    "user",
    "audit",
    "export",
    "report",
    "dashboard",
    "reanalyze",
    "randomize",
    "warmup",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="SCI BCI trial workbench: acquisition, decoding, trial records and reports.",
        epilog="Trial records: SQLite (the default, a file in the workspace) is a single-workstation store: "
               "the file's permissions are its only boundary, and roles and sites are checked by this program, "
               "not by the database. A study with several people or several sites uses PostgreSQL "
               "(--db-url postgresql://... or $WORKBENCH_DB_URL), where the database server itself enforces "
               "each person's role and site.",
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    parser.add_argument(
        "--workspace",
        metavar="DIR",
        default=None,
        help="folder for everything the workbench writes (default: $WORKBENCH_HOME or ./workspace)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as err:
            if err.name == f"{__name__}.{name}":
                continue  # subcommand not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C (SIGINT) is the operator's stop: effector off, then the recording closed. A process
        # started from a background job or script inherits SIGINT ignored (POSIX, without job control)
        # and Python then keeps it ignored: an operator's Ctrl-C or `kill -INT` would do nothing.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        # Commands that only read never write run manifests: a run left "recording" is marked
        # interrupted by the next recording (recording/runs.py), not by `user list`.
        check_workspace(args.workspace)
        return int(args.func(args) or 0)
    except OptionError as err:
        # An option the user must fix: exit 2, as argparse does for the options it checks itself.
        print(f"workbench {args.command}: error: {err}", file=sys.stderr)
        return 2
    except WorkbenchError as err:
        # Expected, user-facing failures: say what is wrong without a traceback.
        print(f"workbench {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"workbench {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as err:  # a disk, permission or network fault: say which, without a traceback
        print(f"workbench {args.command}: error: {err}", file=sys.stderr)
        return 1
    except Exception as err:
        if os.environ.get("WORKBENCH_DEBUG"):
            raise
        print(f"workbench {args.command}: unexpected error ({type(err).__name__}): {err}\n"
              "run again with WORKBENCH_DEBUG=1 for the traceback, and report it",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
