"""The installed ``workbench`` command: what a new user types first."""

import subprocess
import sys

import workbench
from workbench.cli import COMMAND_MODULES, build_parser


def _run(*args, **kw):
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True, timeout=120, **kw)


def test_version_and_help():
    out = _run("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"workbench {workbench.__version__}"
    help_ = _run("--help")
    assert help_.returncode == 0
    for name in ("simulate", "streams", "record", "demo"):
        assert name in help_.stdout, f"'workbench {name}' missing from --help"


def test_every_subcommand_module_registers():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(COMMAND_MODULES) <= set(sub.choices), "a subcommand module is missing or failed to register"


def test_no_command_prints_help_and_fails():
    out = _run()
    assert out.returncode == 2 and "usage: workbench" in out.stdout
