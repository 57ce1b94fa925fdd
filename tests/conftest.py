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
