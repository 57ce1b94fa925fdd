"""Run manifests: one JSON file per recorded run, so no run is ever lost track of.

A manifest is written (atomically) *before* LabRecorder starts, with status
``recording`` and the pid of the process driving it. On a clean stop it is
rewritten ``complete`` with the file's sha256 and the streams found in it. If
the driving process dies (crash, ``kill -9``), the manifest stays
``recording`` with a dead pid; :func:`recover_interrupted_runs`, called by
every recording entry point at start-up (never by a command that only reads),
marks such runs ``interrupted`` and records what the partial file still holds.
A run is marked only when its recorder is provably gone: on this host, no
process with its pid, or one started at another time (a reused pid). A
process that exists but cannot be inspected, or a run recorded on another
host (a shared workspace), is left ``recording``.

File names follow the BIDS entities ``sub``, ``ses``, ``task``, ``run``
(BIDS 1.9, "Entities" appendix; built with mne-bids' ``BIDSPath``).
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from ..errors import Problem, RecordingFileError, ValidationError
from ..utils.files import atomic_write, sha256_file
from .read import RecordedStream, inspect_xdf

RUN_STATUSES = ("recording", "complete", "interrupted")
_LABEL = re.compile(r"^[A-Za-z0-9]+$")  # BIDS labels: alphanumeric only


@dataclass(frozen=True)
class RunEntities:
    """BIDS entities naming one run. ``subject`` must be a pseudonym, never a name."""

    subject: str
    task: str
    session: str | None = None
    run: int | None = None

    def __post_init__(self) -> None:
        problems = []
        for key in ("subject", "task", "session"):
            value = getattr(self, key)
            if value is None and key == "session":
                continue
            if not isinstance(value, str) or not _LABEL.match(value):
                problems.append(Problem(key, value, "a BIDS label: letters and digits only (a pseudonym)"))
        if self.run is not None and (not isinstance(self.run, int) or self.run < 1):
            problems.append(Problem("run", self.run, "an integer >= 1"))
        if problems:
            raise ValidationError(problems, what="run entities")

    def basename(self, suffix: str = "eeg", extension: str = ".xdf") -> str:
        from mne_bids import BIDSPath

        run = None if self.run is None else f"{self.run:02d}"
        return BIDSPath(
            subject=self.subject, session=self.session, task=self.task, run=run,
            suffix=suffix, extension=extension, check=False,
        ).basename

    def folder(self, root: Path) -> Path:
        """``root/sub-<label>[/ses-<label>]``."""
        out = Path(root) / f"sub-{self.subject}"
        return out / f"ses-{self.session}" if self.session else out


@dataclass(frozen=True)
class RunManifest:
    """The record of one run's XDF file (see module docstring)."""

    run_id: str
    fname: str
    status: str
    entities: RunEntities
    pid: int
    pid_started: float
    started_at: str
    streams: tuple[RecordedStream, ...]
    stopped_at: str | None = None
    sha256: str | None = None
    size_bytes: int | None = None
    detail: str = ""
    #: The machine whose process ``pid`` is (a manifest from before this field: this one).
    host: str = field(default_factory=socket.gethostname)

    def __post_init__(self) -> None:
        if self.status not in RUN_STATUSES:
            raise ValidationError([Problem("status", self.status, ", ".join(RUN_STATUSES))], what="run manifest")

    @property
    def stream_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.streams)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> "RunManifest":
        raw = json.loads(text)
        raw["entities"] = RunEntities(**raw["entities"])
        raw["streams"] = tuple(RecordedStream(**s) for s in raw["streams"])
        return cls(**raw)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def manifest_dir(recordings: Path) -> Path:
    return Path(recordings) / "runs"


def manifest_path(recordings: Path, run_id: str) -> Path:
    return manifest_dir(recordings) / f"{run_id}.json"


def new_run_id(fname: Path) -> str:
    return f"{Path(fname).stem}-{uuid.uuid4().hex[:8]}"


def next_run_number(folder: Path, entities: RunEntities) -> int:
    """The first run number whose file does not exist yet in ``folder``."""
    n = 1
    while (folder / replace(entities, run=n).basename()).exists():
        n += 1
    return n


def save_manifest(recordings: Path, manifest: RunManifest) -> Path:
    path = manifest_path(recordings, manifest.run_id)
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write(manifest.to_json())
    return path


def load_manifest(path: Path) -> RunManifest:
    try:
        return RunManifest.from_json(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecordingFileError(f"run manifest {path} does not exist") from None
    except (ValueError, TypeError, KeyError) as err:
        raise RecordingFileError(f"run manifest {path} is not a valid manifest: {err}") from None


def list_runs(recordings: Path) -> list[RunManifest]:
    """Every run manifest in the workspace, oldest first."""
    folder = manifest_dir(recordings)
    if not folder.is_dir():
        return []
    runs = [load_manifest(p) for p in sorted(folder.glob("*.json"))]
    return sorted(runs, key=lambda m: m.started_at)


def process_alive(pid: int, started: float) -> bool:
    """False only if ``pid`` is provably not the process started at ``started`` (on this host).

    No such process, a zombie, or a process started at another time (pids get
    reused) is gone; a process that exists but may not be inspected counts as
    alive, since a run must never be marked interrupted while still recording.
    """
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return abs(proc.create_time() - started) < 1.0
    except psutil.NoSuchProcess:  # ZombieProcess is one too
        return False
    except psutil.AccessDenied:
        return True


def recorder_gone(manifest: RunManifest) -> bool:
    """Whether the process recording ``manifest``'s run is provably gone (see :func:`process_alive`)."""
    return manifest.host == socket.gethostname() and not process_alive(manifest.pid, manifest.pid_started)


def own_process() -> tuple[int, float]:
    import psutil

    pid = os.getpid()
    return pid, psutil.Process(pid).create_time()


def finalize(manifest: RunManifest, status: str, detail: str = "") -> RunManifest:
    """Fill in sha256, size and per-stream contents from the file on disk."""
    fname = Path(manifest.fname)
    if not fname.exists():
        return replace(manifest, status=status, stopped_at=utc_now(), detail=detail or "no file was written")
    try:
        streams, note = inspect_xdf(fname)
        found = {s.name: s for s in streams}
    except RecordingFileError as err:
        found, note = {}, str(err)
    if note:
        detail = f"{detail}; {note}" if detail else note
    streams = tuple(found.get(s.name, s) for s in manifest.streams)
    stopped = datetime.fromtimestamp(fname.stat().st_mtime, timezone.utc).isoformat(timespec="milliseconds")
    return replace(
        manifest,
        status=status,
        streams=streams,
        stopped_at=stopped if status == "interrupted" else utc_now(),
        sha256=sha256_file(fname),
        size_bytes=fname.stat().st_size,
        detail=detail,
    )


def recover_interrupted_runs(recordings: Path) -> list[RunManifest]:
    """Mark ``interrupted`` every run still ``recording`` whose driving process is gone.

    Returns the runs marked now (already-marked runs, runs whose process
    still runs or cannot be checked, are left alone). Only recording entry
    points call it: it rewrites manifests.
    """
    marked = []
    for manifest in list_runs(recordings):
        if manifest.status != "recording" or not recorder_gone(manifest):
            continue
        detail = f"process {manifest.pid} ended without stopping the recording (found {time.strftime('%Y-%m-%d %H:%M:%S')})"
        updated = finalize(manifest, "interrupted", detail)
        save_manifest(recordings, updated)
        marked.append(updated)
    return marked
