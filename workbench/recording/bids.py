"""Export a recorded run to a BIDS dataset with mne-bids (EEG or iEEG).

Writes the data as BrainVision (via pybv), with ``events.tsv`` from the
run's annotations, ``channels.tsv``, the JSON sidecars and
``participants.tsv``. Only the pseudonym leaves the workbench: the Raw's
``subject_info``, experimenter and device identifiers are replaced before
writing (BIDS 1.9, "Participant names and other labels"; the trial's
de-identification rule: pseudonyms only in exports).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem, RecordingFileError, ValidationError
from .runs import RunEntities

DATATYPES = ("eeg", "ieeg")


@dataclass(frozen=True)
class BidsExport:
    """Where a run was written in a BIDS dataset."""

    root: Path
    fpath: Path
    events_tsv: Path | None  # None when the run holds no markers (mne-bids writes no events.tsv)
    channels_tsv: Path
    participants_tsv: Path
    n_events: int


def _deidentify(raw, pseudonym: str):
    # mne's anonymize() clears subject info, experimenter, device and file ids
    # and moves the measurement date to 2000-01-01 (as BIDS' recommended date
    # shifting does); only the pseudonym is put back.
    raw = raw.copy().anonymize(daysback=None, keep_his=False, verbose="error")
    raw.info["subject_info"] = {"his_id": pseudonym}
    return raw


def write_bids_run(
    raw,
    bids_root,
    entities: RunEntities,
    *,
    datatype: str = "eeg",
    line_freq: float = 50.0,
    overwrite: bool = False,
) -> BidsExport:
    """Write one run (an :class:`mne.io.Raw`) into the BIDS dataset at ``bids_root``.

    Parameters
    ----------
    raw : mne.io.Raw
        The run, with annotations for its events.
    bids_root : path-like
        Dataset root (``Workspace.bids``).
    entities : RunEntities
        subject (a pseudonym), session, task, run.
    datatype : str
        ``"eeg"`` or ``"ieeg"`` (ECoG/sEEG channels).
    line_freq : float
        Mains frequency written to the sidecar (50 Hz in Europe, 60 in the Americas).
    """
    import mne
    from mne_bids import BIDSPath, write_raw_bids

    problems = []
    if datatype not in DATATYPES:
        problems.append(Problem("datatype", datatype, "one of " + ", ".join(DATATYPES)))
    if not isinstance(raw, mne.io.BaseRaw):
        problems.append(Problem("raw", type(raw).__name__, "an mne.io.Raw"))
    if line_freq not in (50.0, 60.0, 50, 60):
        problems.append(Problem("line_freq", line_freq, "50 or 60 (Hz)"))
    if problems:
        raise ValidationError(problems, what="BIDS export")
    raw = _deidentify(raw, entities.subject)
    raw.info["line_freq"] = float(line_freq)
    bids_path = BIDSPath(
        subject=entities.subject,
        session=entities.session,
        task=entities.task,
        run=None if entities.run is None else f"{entities.run:02d}",
        datatype=datatype,
        root=Path(bids_root),
    )
    with warnings.catch_warnings():
        # BrainVision knows only voltages; misc channels (a sample counter, a
        # decoder output) are written as numbers without a unit, and channels.tsv
        # keeps their type. pybv says so on every export: expected, not a fault.
        warnings.filterwarnings("ignore", message="Encountered unsupported non-voltage units")
        bids_path = write_raw_bids(
            raw, bids_path, format="BrainVision", allow_preload=True, overwrite=overwrite, verbose="error"
        )
    events_tsv = bids_path.copy().update(suffix="events", extension=".tsv")
    channels_tsv = bids_path.copy().update(suffix="channels", extension=".tsv")
    return BidsExport(
        root=Path(bids_root),
        fpath=Path(bids_path.fpath),
        events_tsv=Path(events_tsv.fpath) if Path(events_tsv.fpath).is_file() else None,
        channels_tsv=Path(channels_tsv.fpath),
        participants_tsv=Path(bids_root) / "participants.tsv",
        n_events=len(raw.annotations),
    )


def export_recording(fname, bids_root, entities: RunEntities, *, datatype: str = "eeg", **kwargs) -> BidsExport:
    """Read a recording (XDF, EDF, BDF, BrainVision, FIF) and write it as a BIDS run."""
    from .read import read_recording

    fname = Path(fname)
    if not fname.is_file():
        raise RecordingFileError(f"recording {fname} does not exist")
    raw = read_recording(fname)
    return write_bids_run(raw, bids_root, entities, datatype=datatype, **kwargs)


# -- study level: many runs in one dataset -------------------------------------------------
def add_scans_columns(root, entities: RunEntities, fpath, values: dict[str, str], descriptions: dict[str, str]) -> Path:
    """Add columns to the row of ``fpath`` in its session's ``scans.tsv`` (written by mne-bids).

    BIDS 1.9 "Scans file": extra columns are allowed when a sidecar
    ``scans.json`` describes them; the sidecar is written beside the table.
    """
    import json

    import pandas as pd

    folder = entities.folder(Path(root))
    stem = f"sub-{entities.subject}" + (f"_ses-{entities.session}" if entities.session else "")
    scans = folder / f"{stem}_scans.tsv"
    frame = pd.read_csv(scans, sep="\t", dtype=str, keep_default_na=False)
    name = Path(fpath).relative_to(folder).as_posix()
    for col, value in values.items():
        if col not in frame:
            frame[col] = "n/a"
        frame.loc[frame["filename"] == name, col] = value
    frame.to_csv(scans, sep="\t", index=False)
    sidecar = scans.with_suffix(".json")
    meta = json.loads(sidecar.read_text()) if sidecar.is_file() else {}
    meta.update({col: {"Description": text} for col, text in descriptions.items()})
    sidecar.write_text(json.dumps(meta, indent=2) + "\n")
    return scans


def write_sessions_tsv(root, subject: str, rows: list[dict[str, str]], descriptions: dict[str, str]) -> Path:
    """``sub-<label>/sub-<label>_sessions.tsv`` with one row per session label (BIDS 1.9, "Sessions file").

    ``rows`` are mappings with ``session_id`` (``ses-<label>``) first; other
    columns are described in the JSON sidecar.
    """
    import json

    import pandas as pd

    folder = Path(root) / f"sub-{subject}"
    fname = folder / f"sub-{subject}_sessions.tsv"
    frame = pd.DataFrame(rows).fillna("n/a")
    frame.to_csv(fname, sep="\t", index=False)
    fname.with_suffix(".json").write_text(
        json.dumps({col: {"Description": text} for col, text in descriptions.items()}, indent=2) + "\n")
    return fname
