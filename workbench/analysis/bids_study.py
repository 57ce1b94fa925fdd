"""The study as one BIDS dataset (read back for re-analysis by ``bids_runs.bids_units``).

:func:`export_bids_study` writes every recording of the chosen sessions as a
BIDS run (``write_bids_run``: BrainVision, events, channels, pseudonym only),
then the dataset-level files: ``participants.tsv`` from the study records
(the participants exported, nothing else), one ``sessions.tsv`` per
participant, and ``scans.tsv`` rows naming the workbench session each run
came from, so re-analysis results from the BIDS copy link back to the
records. Each run's ``acq_time`` is its session's start (UTC), and each
session's row in ``sessions.tsv`` has the first start, its visit and visit id,
so the copy can be selected by date and visit as the workspace is (the
records export carries the same dates). BIDS session labels are the visit names (``ses-baseline``), runs are
numbered within a visit. The dataset is assembled in a temporary folder and
renamed into place: a failed export leaves nothing half-written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import Problem, ValidationError
from ..utils.files import staged_folder
from .units import Selection, select_sessions

_SCAN_COLUMNS = {"acq_time": "start of the workbench session this run was recorded in (UTC)",
                 "session_record": "identifier of the workbench Session record this run was recorded in",
                 "source_sha256": "SHA-256 of the recording file the run was exported from"}
_SESSION_COLUMNS = {"acq_time": "start of the first workbench session under this label (UTC)",
                    "visit": "visit of the study schedule", "visit_id": "identifier of the workbench Visit record"}
_IEEG_TYPES = {"ecog", "seeg", "dbs"}
TASK = "bci"


def _task_of(path: str) -> str:
    for part in Path(path).name.split("_"):
        if part.startswith("task-") and part[5:].isalnum():
            return part[5:]
    return TASK


def export_bids_study(store, out, workspace=None, selection: Selection = Selection(), *,
                      line_freq: float = 50.0, allow_broken_trail: bool = False) -> Path:
    """Write the recordings of the selected sessions as one BIDS dataset in ``out`` (new or empty).

    The audit trail is verified first, as for every export (``allow_broken_trail``).
    """
    import pandas as pd

    from ..config import get_workspace
    from ..records import Visit
    from ..records.export import bids_label, export_study
    from ..recording.bids import add_scans_columns, write_bids_run, write_sessions_tsv
    from ..recording.read import read_recording
    from ..recording.runs import RunEntities
    from .reading import local_copy

    ws = get_workspace(workspace)
    out = Path(out).resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValidationError([Problem("out", str(out), "a new or empty folder")], what="BIDS export")
    sessions = [s for s in select_sessions(store, selection) if s.recording_files]
    if not sessions:  # nothing recorded yet: the participants files alone, as before recordings existed
        return export_study(store, out, "bids", allow_broken_trail=allow_broken_trail)
    visit_name = {v.id: v.name for v in store.find(Visit)}
    with staged_folder(out) as tmp:
        runs: dict[tuple, int] = {}
        sessions_of: dict[str, dict[str, str]] = {}
        for s in sessions:
            subject = bids_label(s.participant_id)
            label = bids_label(visit_name.get(s.visit_id, "")) or "unscheduled"
            for f in s.recording_files:
                task = _task_of(f.path)
                n = runs[(subject, label, task)] = runs.get((subject, label, task), 0) + 1
                entities = RunEntities(subject=subject, session=label, task=task, run=n)
                with local_copy(str(ws.root / f.path)) as (fname, sha):
                    raw = read_recording(fname)
                datatype = "ieeg" if _IEEG_TYPES & set(raw.get_channel_types()) else "eeg"
                export = write_bids_run(raw, tmp, entities, datatype=datatype, line_freq=line_freq)
                add_scans_columns(tmp, entities, export.fpath, {"acq_time": _acq_time(s.started_at),
                                                                "session_record": s.id, "source_sha256": sha},
                                  _SCAN_COLUMNS)
                # Sessions come by start time: the first one of a label gives its acq_time.
                sessions_of.setdefault(subject, {}).setdefault(label, {
                    "session_id": f"ses-{label}", "acq_time": _acq_time(s.started_at),
                    "visit": visit_name.get(s.visit_id, "n/a"), "visit_id": s.visit_id or "n/a"})
        for subject, labels in sessions_of.items():
            write_sessions_tsv(tmp, subject, [row for _, row in sorted(labels.items())], _SESSION_COLUMNS)
        # participants.tsv from the records (pseudonyms only), restricted to the exported subjects:
        # the validator refuses a participants.tsv naming subjects without data.
        records = export_study(store, tmp / ".participants", "bids", allow_broken_trail=allow_broken_trail)
        frame = pd.read_csv(records / "participants.tsv", sep="\t", dtype=str, keep_default_na=False)
        frame[frame["participant_id"].isin([f"sub-{s}" for s in sessions_of])].to_csv(
            tmp / "participants.tsv", sep="\t", index=False)
        shutil.copyfile(records / "participants.json", tmp / "participants.json")
        shutil.copyfile(records / "manifest.json", tmp / "manifest.json")
        shutil.rmtree(records)
        (tmp / ".bidsignore").write_text("manifest.json\n")
        _name_dataset(tmp / "dataset_description.json", store)
    return out


def _acq_time(started_at) -> str:
    """BIDS ``acq_time`` (``YYYY-MM-DDThh:mm:ss``) of a UTC start, to the second."""
    from datetime import timezone

    if started_at.tzinfo is None:  # the store keeps UTC; a naive time is read as such, not as local time
        started_at = started_at.replace(tzinfo=timezone.utc)
    return started_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def _name_dataset(fname: Path, store) -> None:
    """Name the dataset by the study and the export's time (mne-bids leaves "[Unspecified]"):
    re-analysis names a run's results by its dataset and path, so two exports never share a name."""
    import json
    from datetime import datetime, timezone

    from ..records import Study

    description = json.loads(fname.read_text())
    study = ", ".join(s.id for s in store.find(Study)) or "study"
    description["Name"] = f"{study} recordings, workbench export {datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ}"
    fname.write_text(json.dumps(description, indent=4) + "\n")
