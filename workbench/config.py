"""Where the workbench writes: one workspace folder holds everything.

Resolution order: an explicit path (``--workspace DIR``), then the
``WORKBENCH_HOME`` environment variable, then ``workspace/`` at the top of the
workbench checkout that holds the current folder (found by walking up, so
``make demo`` at the top, ``make lab`` and a notebook or Voila kernel running
in ``notebooks/`` all use one workspace), and outside a checkout
``./workspace``. Inside it::

    workspace/
        workbench.sqlite      trial records (unless WORKBENCH_DB_URL names a server)
        recordings/           XDF files, one per run, BIDS-style names
        bids/                 BIDS exports (mne-bids)
        decoders/             fitted decoders (.npz + JSON metadata, no pickle)
        reports/              HTML and PDF trial reports
        exports/              CSV, Parquet, REDCap files
        logs/
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SUBDIRS = ("recordings", "bids", "decoders", "reports", "exports", "logs")


@dataclass(frozen=True)
class Workspace:
    """The workbench's one output folder and the paths inside it."""

    root: Path

    @property
    def recordings(self) -> Path:
        return self.root / "recordings"

    @property
    def bids(self) -> Path:
        return self.root / "bids"

    @property
    def decoders(self) -> Path:
        return self.root / "decoders"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def db_url(self) -> str:
        """``WORKBENCH_DB_URL`` if set (e.g. PostgreSQL), else SQLite in the workspace."""
        url = os.environ.get("WORKBENCH_DB_URL")
        if url:
            return url
        return f"sqlite:///{self.root / 'workbench.sqlite'}"

    def ensure(self) -> "Workspace":
        """Create the folder tree (idempotent) and return self.

        Folders it makes are 0700: the workspace holds participants' recordings and
        the study's records, and on a shared workstation the file mode is the one
        boundary a SQLite study has (issue 24). Folders that exist keep their mode.
        """
        from .utils.files import make_private_dir

        for sub in SUBDIRS:
            make_private_dir(self.root / sub)
        return self


def find_checkout(start: str | os.PathLike | None = None) -> Path | None:
    """The workbench checkout holding ``start`` (default: the current folder), or None.

    A checkout is a folder with ``pyproject.toml`` beside the ``workbench``
    package; the walk stops at the first one found going up.
    """
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "workbench" / "config.py").is_file():
            return folder
    return None


def default_workspace_path(start: str | os.PathLike | None = None) -> Path:
    """``$WORKBENCH_HOME``, else the checkout's ``workspace/``, else ``./workspace``."""
    env = os.environ.get("WORKBENCH_HOME")
    if env:
        return Path(env)
    checkout = find_checkout(start)
    return (checkout if checkout is not None else Path(start or os.getcwd())) / "workspace"


def get_workspace(path: str | os.PathLike | None = None, *, create: bool = True) -> Workspace:
    """Resolve the workspace: ``path``, else ``$WORKBENCH_HOME``, else the checkout's, else ``./workspace``."""
    if path is None:
        path = default_workspace_path()
    ws = Workspace(Path(path).expanduser().resolve())
    return ws.ensure() if create else ws


SHARED_DATA_ENV = "WORKBENCH_SHARED_DATA"


def shared_data_dir(*, must_exist: bool = True) -> Path:
    """The public recordings the notebooks, tests and benchmarks read in place (never copied).

    ``$WORKBENCH_SHARED_DATA``, else ``shared/data`` beside the checkout that holds
    this package (CI and the README put ``../shared`` there). Found from the
    package, not the current folder, so a notebook copied elsewhere or a kernel
    started in another folder reads the same files.
    """
    env = os.environ.get(SHARED_DATA_ENV)
    path = Path(env).expanduser() if env else Path(__file__).resolve().parents[2] / "shared" / "data"
    if must_exist and not path.is_dir():
        from .errors import Problem, ValidationError

        raise ValidationError([Problem(SHARED_DATA_ENV, str(path),
                                       "a folder holding the public recordings (put ../shared beside the "
                                       "checkout, or set WORKBENCH_SHARED_DATA)")], what="shared data")
    return path
