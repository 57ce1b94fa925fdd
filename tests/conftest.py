"""Fixtures shared by every test folder.

The LSL configuration is switched to loopback-only *before* pylsl loads, so no
test ever sends discovery traffic beyond this machine.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from workbench.acquisition.lsl_config import SESSION_ENV, use_loopback
from workbench.config import shared_data_dir

# One LSL session per test process (each pytest-xdist worker, and a plain run): a resolver sees only
# the streams of its own session, so two workers, or a second test run, never see each other's streams
# (liblsl's [lab] SessionID). Child processes (the CLI, notebook kernels, Voila) inherit it.
os.environ[SESSION_ENV] = f"wbtest-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"
use_loopback(force=True)

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = shared_data_dir(must_exist=False)
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


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes():
    """Passwords hashed in this process use the cheapest argon2id, not RFC 9106's low-memory setting.

    Tests make a few hundred accounts (the demo study alone has seven), at ~70-140 ms a hash: a tenth of
    the fast tier. An argon2 hash string carries its own parameters, so every login, here or in a CLI
    child process, verifies it exactly as it verifies a production hash. The production setting is
    checked in a fresh process (tests/records/access/test_password_hash_cost.py), and the key derivation
    of the signing keys (trail/signing.py) is left alone: its parameters are not stored with the keys.
    """
    from argon2 import PasswordHasher

    from workbench.records.access import auth

    production, auth._HASHER = auth._HASHER, PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    auth._HASHER = production


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
# Each worker has its own LSL session (above), so LSL tests run on both workers. A test is its own unit
# of work unless its module shares a module- or class-scoped fixture (a JupyterLab or Voila server, a
# seeded study): such a module stays on one worker. Slow tests are handed out first, so the last minutes
# are not one worker finishing a long test while the other idles.
_shares_fixture: dict[str, bool] = {}


def _module_shares_fixture(path) -> bool:
    """Whether the module, or a conftest.py above it, defines a fixture shared across its tests."""
    key = str(path)
    if key not in _shares_fixture:
        sources = [Path(key)] + [d / "conftest.py" for d in Path(key).parents if d != REPO and REPO in d.parents]
        text = "".join(p.read_text() for p in sources if p.is_file())
        _shares_fixture[key] = any(f'scope="{s}"' in text for s in ("module", "class", "package"))
    return _shares_fixture[key]


def pytest_collection_modifyitems(config, items):
    """Slow tests first (a stable sort: every worker collects the same order, as xdist requires)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup``: units of work as described above, handed out in collection order.

    xdist 3.8 groups by a suffix it writes into ``item._nodeid``, which pytest 9 no longer reads
    (``nodeid`` comes from ``_id``), so ``xdist_group`` markers are ignored; the controller sees only
    node ids, so the unit is decided here from the module's source.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleWhenShared(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if _module_shares_fixture(REPO / module) else nodeid

    return ModuleWhenShared(config, log)


def pytest_unconfigure(config):
    """Remove this process's LSL session file (written by use_loopback in the temporary folder)."""
    cfg = Path(os.environ.get("LSLAPICFG", ""))
    if cfg.name.startswith("workbench-lsl-wbtest-") and cfg.is_file():
        cfg.unlink()
