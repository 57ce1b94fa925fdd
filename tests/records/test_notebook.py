"""The trial-records notebook runs top to bottom on a fresh kernel."""

from __future__ import annotations

import os
import tempfile

import pytest

from tests.conftest import REPO

NOTEBOOK = REPO / "notebooks" / "04_trial_records.ipynb"


@pytest.mark.slow
def test_notebook_executes():
    import nbformat
    from nbclient import NotebookClient
    from traitlets.config import Config

    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(len(c.source.splitlines()) <= 12 for c in nb.cells if c.cell_type == "code")
    cfg = Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(tempfile.mkdtemp(), "k")}})
    NotebookClient(nb, kernel_name="python3", timeout=120, config=cfg,
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                      for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "audit trail intact" in outputs and "redcap_records.csv" in outputs
    assert "age transcribed wrongly" in outputs
    assert "'SCI-001', 'SCI-002']" in outputs  # the ZH assessor sees ZH only
