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


def test_help_says_what_sqlite_is_and_when_to_use_postgresql():
    import re

    text = re.sub(r"(\w)- (\w)", r"\1-\2", " ".join(_run("--help").stdout.split()))  # argparse wraps at hyphens
    assert "SQLite" in text and "single-workstation store" in text and "permissions" in text
    assert "several sites uses PostgreSQL" in text and "enforces each person's role and site" in text


def test_a_workspace_that_is_a_file_is_refused(tmp_path):
    afile = tmp_path / "notes.txt"
    afile.write_text("not a folder")
    for ws in (afile, afile / "sub"):
        out = _run("--workspace", str(ws), "db", "upgrade")
        assert out.returncode == 2, out.stderr
        assert f"--workspace: got {str(ws)!r}" in out.stderr and "a folder" in out.stderr
        assert "Traceback" not in out.stderr
    assert afile.read_text() == "not a folder" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
