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
_LSL_WORDS = ("pylsl", "StreamOutlet", "StreamInlet", "run_block", "Player", "unique_name", "LabRecorder",
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


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (after it, a marker added here is ignored)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("lsl") or item.get_closest_marker("browser") or _module_touches_lsl(item.path):
            item.add_marker(pytest.mark.xdist_group("lsl"))
