from __future__ import annotations

import pytest

from workbench.config import get_workspace

from .trial_helpers import full_demo_store


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """(workspace, investigator store) holding the demo study with ISNCSCI, BCI runs and a recording."""
    ws = get_workspace(tmp_path_factory.mktemp("report") / "workspace")
    store = full_demo_store(ws)
    yield ws, store
    store.close()
