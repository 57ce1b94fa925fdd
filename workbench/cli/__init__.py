"""The ``workbench`` command line: one subcommand per job.

Each subcommand lives in its own module under ``workbench.cli`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a callable
taking the parsed arguments and returning an exit code. Modules import their
heavy dependencies inside the function, so ``workbench --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__
from ..errors import WorkbenchError

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
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="SCI BCI trial workbench: acquisition, decoding, trial records and reports.",
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


def _mark_interrupted_runs(workspace: str | None) -> None:
    """A run whose recording process died is marked interrupted at the next start.

    Only reads JSON manifests (and the partial file of a dead run), so it costs
    nothing when every run closed cleanly; a workspace that does not exist yet
    is not created.
    """
    from ..config import get_workspace
    from ..recording.runs import recover_interrupted_runs

    ws = get_workspace(workspace, create=False)
    if ws.recordings.is_dir():
        for manifest in recover_interrupted_runs(ws.recordings):
            print(f"workbench: run marked interrupted: {manifest.fname} ({manifest.detail})", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        _mark_interrupted_runs(args.workspace)
        return int(args.func(args) or 0)
    except WorkbenchError as err:
        # Expected, user-facing failures: say what is wrong without a traceback.
        print(f"workbench {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"workbench {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
