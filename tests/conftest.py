"""Fixtures shared by every test folder.

The LSL configuration is switched to loopback-only *before* pylsl loads, so no
test ever sends discovery traffic beyond this machine.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from workbench.acquisition.lsl_config import use_loopback

use_loopback(force=True)

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("WORKBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))
SHARED = SHARED_DATA.parent


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data: the real recordings (read in place, never copied)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"real recordings not found at {SHARED_DATA}; CI puts ../shared beside the checkout")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return SHARED


@pytest.fixture
def unique_name(request) -> str:
    """A stream name no other test (or a stale process) uses."""
    base = request.node.name.replace("[", "-").replace("]", "")[:40]
    return f"wb-test-{base}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A fresh workspace folder for the test, also exported as WORKBENCH_HOME."""
    from workbench.config import get_workspace

    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "workspace"))
    return get_workspace(tmp_path / "workspace")


# --- Running on two workers (pytest-xdist, `make test`) -------------------------------------------
# LSL discovery is machine-wide: a test that resolves streams by type, or counts what it finds, would
# see another worker's outlets. Every test that touches LSL therefore runs on one worker, one after
# the other, as on a single process; everything else (records, ISNCSCI, kernels, reports) fills the
# other core. Touching LSL is read from the test module's source, so a new LSL test needs no marker.
_LSL_WORDS = ("mark.lsl", "mark.browser", "pylsl", "StreamOutlet", "StreamInlet", "run_block", "Player", "unique_name", "LabRecorder",
              "resolve_", "workbench demo", "\"demo\"", "notebook", "brainflow", "lab_widgets", "Voila", "voila")
_touches_lsl: dict[str, bool] = {}


def _module_touches_lsl(path) -> bool:
    key = str(path)
    if key not in _touches_lsl:
        try:
            text = Path(key).read_text()
        except OSError:
            text = ""
        _touches_lsl[key] = any(w in text for w in _LSL_WORDS)
    return _touches_lsl[key]


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` with every LSL-touching module in one group, decided from the test's path.

    xdist 3.8 groups by a suffix it writes into ``item._nodeid``, which pytest 9 no longer reads
    (``nodeid`` comes from ``_id``), so ``xdist_group`` markers are ignored; the controller sees only
    node ids, so the group is decided here from the module's source, as for a single process.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class LslOnOneWorker(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "lsl" if _module_touches_lsl(REPO / nodeid.split("::", 1)[0]) else nodeid

    return LslOnOneWorker(config, log)
