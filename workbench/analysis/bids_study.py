"""The study as one BIDS dataset, and a BIDS dataset as re-analysis units.

:func:`export_bids_study` writes every recording of the chosen sessions as a
BIDS run (``write_bids_run``: BrainVision, events, channels, pseudonym only),
then the dataset-level files: ``participants.tsv`` from the study records
(the participants exported, nothing else), one ``sessions.tsv`` per
participant, and ``scans.tsv`` rows naming the workbench session each run
came from, so re-analysis results from the BIDS copy link back to the
records. BIDS session labels are the visit names (``ses-baseline``), runs are
numbered within a visit. The dataset is assembled in a temporary folder and
renamed into place: a failed export leaves nothing half-written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import Problem, ValidationError
from ..utils.files import staged_folder
from .units import Selection, WorkUnit, select_sessions

#: Recording files mne-bids can write from (read_recording's formats).
_BIDS_DATA = ("_eeg.vhdr", "_ieeg.vhdr", "_eeg.edf", "_ieeg.edf", "_eeg.bdf", "_eeg.fif")
_SCAN_COLUMNS = {"session_record": "identifier of the workbench Session record this run was recorded in",
                 "source_sha256": "SHA-256 of the recording file the run was exported from"}
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
                add_scans_columns(tmp, entities, export.fpath, {"session_record": s.id, "source_sha256": sha},
                                  _SCAN_COLUMNS)
                sessions_of.setdefault(subject, {})[label] = visit_name.get(s.visit_id, "n/a")
        for subject, labels in sessions_of.items():
            write_sessions_tsv(tmp, subject, [{"session_id": f"ses-{lab}", "visit": v} for lab, v in
                                              sorted(labels.items())], {"visit": "visit of the study schedule"})
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
    return out


def bids_units(root) -> list[WorkUnit]:
    """One unit per EEG/iEEG run of a BIDS dataset (a folder or any fsspec URL).

    Runs exported by the workbench name their session record in
    ``scans.tsv`` (``session_record``), so results link back to the study;
    runs of other datasets are analysed without that link.
    """
    import io

    import fsspec
    import pandas as pd

    fs, base = fsspec.core.url_to_fs(str(root))
    if not fs.isdir(base):
        raise ValidationError([Problem("bids", str(root), "a BIDS dataset folder (with sub-*/ folders)")],
                              what="BIDS dataset")
    prefix = str(root).split("://", 1)[0] + "://" if "://" in str(root) else ""
    base = base.rstrip("/")
    files = [p for p in fs.find(base) if p[len(base) + 1:].startswith("sub-")]
    records: dict[str, str] = {}
    for scans in (p for p in files if p.endswith("_scans.tsv")):
        frame = pd.read_csv(io.BytesIO(fs.cat_file(scans)), sep="\t", dtype=str, keep_default_na=False)
        folder = scans.rsplit("/", 1)[0]
        if "session_record" in frame:
            for fname, rec in zip(frame["filename"], frame["session_record"]):
                if rec and rec != "n/a":
                    records[f"{folder}/{fname}"] = rec
    units = []
    for path in sorted(files):
        if not path.endswith(_BIDS_DATA):
            continue
        rel = path[len(base) + 1:]
        events = path.rsplit("_", 1)[0] + "_events.tsv"
        units.append(WorkUnit(identity=f"bids:{rel}", source=prefix + path, session_id=records.get(path),
                              label=rel.rsplit("/", 1)[-1], events=prefix + events if events in files else None))
    return units
