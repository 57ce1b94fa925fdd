"""CI executes every notebook: a notebook that no longer runs is a broken manual."""

from __future__ import annotations

import os
import re
import tempfile

import nbformat
import pytest
from nbclient import NotebookClient
from traitlets.config import Config

from .conftest import REPO

NOTEBOOKS = sorted(p for p in (REPO / "notebooks").glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds the engineers' entry points; none found"


def _demo_workspace(root):
    """The demo study as `make demo` leaves it: seeded, with ISNCSCI, a recording and BCI runs."""
    from workbench.config import get_workspace

    from .report.trial_helpers import full_demo_store

    ws = get_workspace(root)
    full_demo_store(ws).close()
    return ws.root


#: Every notebook runs against an empty workspace; those that read the trial's records (the store, the
#: dashboard) also against the demo study (05 once failed only with the demo study in place, never in an
#: empty workspace). The acquisition and decoder notebooks read no records: a second run proves nothing.
WORKSPACES = {"empty": lambda root: root, "demo-study": _demo_workspace}
READS_RECORDS = ("workbench.records", "open_demo_store", "open_store", "dashboard")


def _reads_records(path) -> bool:
    return any(word in path.read_text() for word in READS_RECORDS)


#: What a notebook must print, beyond running: what its reader is told to look for.
PRINTS = {
    # what adaptation changed, read back from the records: v1 and v2 on the stimulation block
    "03_closed_loop": (r"loop_v1\.npz trial accuracy [01]\.\d\d over 3 trials",
                       r"loop_v2\.npz trial accuracy [01]\.\d\d over 3 trials",
                       # the block's two latency shares and the loop's scheduling they were measured under
                       r"latency +shares p50/p99: amplifier \d+\.\d/\d+\.\d ms",
                       r"loop +(real-time \(SCHED_FIFO \d+\)|ordinary priority)",
                       # the gate's rules in words; the block's end is its own, not an operator stop
                       r"gate +\d+ passed, \d+ blocked, \d+ safe states: .*1\u00d7 end of the run"),
}

CASES = [(path, kind) for path in NOTEBOOKS for kind in WORKSPACES if kind == "empty" or _reads_records(path)]


def test_the_record_notebooks_run_against_the_demo_study():
    with_study = {path.stem for path, kind in CASES if kind == "demo-study"}
    assert {"04_trial_records", "05_outcome_forms", "dashboard"} <= with_study
    assert "02_decoder" not in with_study


@pytest.mark.slow
@pytest.mark.parametrize(("path", "kind"), CASES, ids=[f"{p.stem}-{k}" for p, k in CASES])
def test_notebook_runs_headless(path, kind, tmp_path, monkeypatch):
    # Each notebook writes into its own workspace, never the user's.
    monkeypatch.setenv("WORKBENCH_HOME", str(WORKSPACES[kind](tmp_path / "workspace")))
    nb = nbformat.read(path, as_version=4)
    # A relative ipc path hangs (STACK.md): give the kernel an absolute one.
    cfg = Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(tempfile.mkdtemp(), "k")}})
    client = NotebookClient(
        nb, kernel_name="python3", timeout=240, config=cfg, resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors, f"{path.name} ({kind}): {errors[0].get('ename')}: {errors[0].get('evalue')}"
    printed = "".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                      for out in cell.get("outputs", []) if out.get("output_type") == "stream")
    for pattern in PRINTS.get(path.stem, ()):
        assert re.search(pattern, printed), f"{path.name} ({kind}) did not print {pattern!r}: {printed[-2000:]}"
