"""Where the numbers come from: recording and decoder hashes, software versions, audit check."""

from __future__ import annotations

import platform
import sys
from datetime import datetime, timezone
from importlib import metadata

import pandas as pd

from .trial_data import TrialData

#: Packages whose versions decide the results shown (signal path, decoder, records, figures).
SOFTWARE = ("numpy", "scipy", "numba", "scikit-learn", "mne", "pylsl", "pyxdf", "pandas",
            "SQLAlchemy", "plotly")


def software_versions() -> pd.DataFrame:
    from .. import __version__

    rows = [("workbench", __version__), ("python", sys.version.split()[0]),
            ("platform", platform.platform(terse=True))]
    for name in SOFTWARE:
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, "not installed"))
    return pd.DataFrame(rows, columns=["software", "version"])


def recording_hashes(data: TrialData, workspace_root) -> pd.DataFrame:
    """Every recording file of every session with its SHA-256 and whether the file still matches it."""
    rows = []
    for s in data.sessions:
        for f in s.recording_files:
            problem = f.check(workspace_root) if workspace_root is not None else "workspace unknown"
            rows.append({"session": s.id, "file": f.path, "SHA-256": f.sha256,
                         "check": "intact" if problem is None else problem.split(": ", 1)[-1]})
    return pd.DataFrame(rows, columns=["session", "file", "SHA-256", "check"])


def decoder_hashes(data: TrialData) -> pd.DataFrame:
    rows = [{"session": s.id, "decoder version": s.decoder_version or "—", "decoder SHA-256": s.decoder_sha256 or "—"}
            for s in data.sessions]
    return pd.DataFrame(rows, columns=["session", "decoder version", "decoder SHA-256"])


def audit_result(store) -> tuple[bool, str]:
    """(intact?, one-line summary) of the audit trail's hash chain and table replay."""
    report = store.verify_audit()
    return report.ok, report.summary().splitlines()[0]


def generated_stamp(store) -> str:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    # A report is shared: its author appears as a staff code (keyed with the study's key), like every staff name in it.
    return f"generated {now} by {store.staff_code(store.user.name)} ({store.user.role})"
