"""A BIDS dataset's runs as re-analysis units, chosen like the workspace's sessions.

The selection reads what BIDS keeps (BIDS 1.9, "Participants file",
"Sessions file", "Scans file"): participant and session from the file
names' ``sub-`` and ``ses-`` entities, the site from ``participants.tsv``,
the day from ``scans.tsv`` ``acq_time`` (or the session's ``acq_time`` in
``sessions.tsv``). A criterion the dataset cannot answer (no site column, no
sessions, undated runs) is an error naming the option and what the dataset
has: answering it with "nothing selected" would read as "no such sessions".

Runs the workbench exported name their session record and its recording's
hash in ``scans.tsv``; re-analysis links them back (``reanalyze`` checks the
record holds that hash). Other datasets' runs are named by the dataset and
their path in it, which is what their results keep as provenance.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime

from ..errors import Problem, ValidationError
from .units import Selection, WorkUnit

#: Recording files mne-bids can write from (read_recording's formats).
BIDS_DATA = ("_eeg.vhdr", "_ieeg.vhdr", "_eeg.edf", "_ieeg.edf", "_eeg.bdf", "_eeg.fif")
#: Names mne-bids and bids-starter-kit leave in dataset_description.json when none was given.
_PLACEHOLDER_NAMES = {"", "[Unspecified]", "n/a"}
_SHOWN = 12  # names listed in an error before "..."


@dataclass(frozen=True)
class BidsRun:
    """One EEG/iEEG run of a BIDS dataset and what the selection reads about it."""

    path: str  # in the dataset, e.g. sub-01/ses-1/eeg/sub-01_ses-1_task-x_eeg.vhdr
    subject: str
    session: str | None
    site: str | None
    visits: frozenset  # the ses label and the sessions.tsv visit / visit_id of that session
    day: date | None
    session_record: str | None
    source_sha256: str | None
    events: str | None

    def matches(self, sel: Selection) -> bool:
        if sel.sites and self.site not in sel.sites:
            return False
        if sel.participants and self.subject not in {_subject_label(p) for p in sel.participants}:
            return False
        if sel.visits and not (self.visits & set(sel.visits)):
            return False
        if (sel.date_from and self.day < sel.date_from) or (sel.date_to and self.day > sel.date_to):
            return False
        return True


@dataclass(frozen=True)
class BidsDataset:
    """The runs of a dataset and the tables the selection reads."""

    root: str  # as given (folder or URL)
    name: str  # DatasetDOI, else Name, else the root: names the dataset's units
    runs: tuple[BidsRun, ...]
    participant_columns: tuple[str, ...] | None  # None: no participants.tsv

    def unit(self, run: BidsRun) -> WorkUnit:
        base = self.root.rstrip("/")
        return WorkUnit(identity=f"bids:{self.name}/{run.path}", source=f"{base}/{run.path}",
                        session_id=run.session_record, source_sha256=run.source_sha256,
                        label=run.path.rsplit("/", 1)[-1],
                        events=None if run.events is None else f"{base}/{run.events}")


def bids_units(root, selection: Selection = Selection()) -> list[WorkUnit]:
    """One unit per EEG/iEEG run of the BIDS dataset at ``root`` (a folder or any fsspec URL)
    that ``selection`` chooses; criteria the dataset cannot answer are a ValidationError."""
    dataset = read_bids_dataset(root)
    check_bids_selection(dataset, selection)
    return [dataset.unit(r) for r in dataset.runs if r.matches(selection)]


def read_bids_dataset(root) -> BidsDataset:
    """The runs of a BIDS dataset with their entities, site, day and session link."""
    import fsspec

    fs, base = fsspec.core.url_to_fs(str(root))
    if not fs.isdir(base):
        raise ValidationError([Problem("bids", str(root), "a BIDS dataset folder (with sub-*/ folders)")],
                              what="BIDS dataset")
    base = base.rstrip("/")
    files = {p[len(base) + 1:] for p in fs.find(base)}

    def table(rel):
        return _read_tsv(fs.cat_file(f"{base}/{rel}")) if rel in files else None

    participants = table("participants.tsv")
    site_of = {}
    if participants is not None and "site" in participants:
        site_of = dict(zip(participants["participant_id"], participants["site"]))
    sessions, scans = {}, {}
    for rel in files:
        if rel.endswith("_sessions.tsv") and rel.count("/") == 1:
            sessions[rel.split("/", 1)[0]] = {r["session_id"]: r for r in table(rel).to_dict("records")}
        elif rel.endswith("_scans.tsv"):
            folder = rel.rsplit("/", 1)[0]
            scans.update({f"{folder}/{r['filename']}": r for r in table(rel).to_dict("records")})
    runs = []
    for rel in sorted(f for f in files if f.startswith("sub-") and f.endswith(BIDS_DATA)):
        entities = dict(part.split("-", 1) for part in rel.rsplit("/", 1)[-1].split("_") if "-" in part)
        sub, ses = entities.get("sub", ""), entities.get("ses")
        ses_row = sessions.get(f"sub-{sub}", {}).get(f"ses-{ses}", {}) if ses else {}
        scan = scans.get(rel, {})
        visits = {ses} | {_known(ses_row.get(c)) for c in ("visit", "visit_id")} if ses else set()
        events = rel.rsplit("_", 1)[0] + "_events.tsv"
        runs.append(BidsRun(
            path=rel, subject=sub, session=ses, site=_known(site_of.get(f"sub-{sub}")),
            visits=frozenset(visits - {None}),
            day=_day(scan.get("acq_time")) or _day(ses_row.get("acq_time")),
            session_record=_known(scan.get("session_record")), source_sha256=_known(scan.get("source_sha256")),
            events=events if events in files else None))
    description = json.loads(fs.cat_file(f"{base}/dataset_description.json")) \
        if "dataset_description.json" in files else {}
    name = _known(description.get("DatasetDOI")) or str(description.get("Name") or "").strip()
    return BidsDataset(root=str(root), name=name if name not in _PLACEHOLDER_NAMES else str(root),
                       runs=tuple(runs),
                       participant_columns=None if participants is None else tuple(participants.columns))


def check_bids_selection(dataset: BidsDataset, sel: Selection) -> None:
    """Every criterion names something the dataset has, and the dataset can answer it."""
    runs = dataset.runs
    problems = []
    if sel.sites:
        sites = sorted({r.site for r in runs if r.site})
        if dataset.participant_columns is None:
            has = "this dataset has no participants.tsv"
        elif "site" not in dataset.participant_columns:
            has = "this dataset's participants.tsv has the columns " + ", ".join(dataset.participant_columns)
        else:
            has = None
        for s in sel.sites:
            if has:
                problems.append(Problem("site", s, f"a dataset with a site column in participants.tsv; {has}"))
            elif s not in sites:
                problems.append(Problem("site", s, "a site of the dataset: " + _listed(sites)))
    subjects = sorted({r.subject for r in runs})
    problems += [Problem("participant", p, "a participant of the dataset: " + _listed(f"sub-{s}" for s in subjects))
                 for p in sel.participants if _subject_label(p) not in subjects]
    if sel.visits:
        names = sorted(set().union(*(r.visits for r in runs))) if runs else []
        for v in sel.visits:
            if not names:
                problems.append(Problem("visit", v, "a dataset with sessions (ses-<label>); this dataset has none"))
            elif v not in names:
                problems.append(Problem("visit", v, "a session label, or a visit named in sessions.tsv: "
                                        + _listed(names)))
    undated = [r.path for r in runs if r.day is None]
    for opt, day in (("from", sel.date_from), ("to", sel.date_to)):
        if day is not None and undated:
            problems.append(Problem(opt, day.isoformat(), "a dataset whose runs are dated (acq_time in scans.tsv "
                                    f"or sessions.tsv); {len(undated)} of {len(runs)} runs are not, e.g. {undated[0]}"))
    if sel.date_from and sel.date_to and sel.date_to < sel.date_from:
        problems.append(Problem("to", sel.date_to.isoformat(), f"a date on or after {sel.date_from}"))
    if problems:
        raise ValidationError(problems, what=f"selection in the BIDS dataset {dataset.root}")


def _subject_label(participant: str) -> str:
    """A pseudonym (SCI-003), a BIDS label (SCI003) or a subject (sub-SCI003) as its ``sub-`` label."""
    from ..records.export import bids_label

    return bids_label(participant[4:] if participant.startswith("sub-") else participant)


def _read_tsv(data: bytes):
    import pandas as pd

    return pd.read_csv(io.BytesIO(data), sep="\t", dtype=str, keep_default_na=False)


def _known(value) -> str | None:
    return None if value in (None, "", "n/a") else str(value)


def _day(acq_time) -> date | None:
    """The day of a BIDS ``acq_time`` (``YYYY-MM-DDThh:mm:ss[.ffffff][Z]``); None if absent or unreadable."""
    text = _known(acq_time)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _listed(names) -> str:
    names = list(names)
    return ", ".join(names[:_SHOWN]) + (f", ... ({len(names)} in all)" if len(names) > _SHOWN else "")
