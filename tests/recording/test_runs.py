"""Run manifests: atomic JSON records; runs left 'recording' by a dead process become 'interrupted'."""

import subprocess
import sys

import psutil
import pytest

from workbench.errors import RecordingFileError
from workbench.recording.runs import (
    RecordedStream,
    RunEntities,
    RunManifest,
    list_runs,
    load_manifest,
    next_run_number,
    own_process,
    recover_interrupted_runs,
    save_manifest,
    utc_now,
)
from workbench.utils.files import sha256_file


def _manifest(fname, pid, started, status="recording"):
    return RunManifest(
        run_id="run-" + str(pid),
        fname=str(fname),
        status=status,
        entities=RunEntities(subject="P001", task="mi", session="01", run=1),
        pid=pid,
        pid_started=started,
        started_at=utc_now(),
        streams=(RecordedStream("obci_eeg1", "EEG", "", 16, 125.0), RecordedStream("MarkerStream", "Markers", "", 1, 0.0)),
    )


def _dead_process():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    started = psutil.Process(proc.pid).create_time()
    proc.wait(30)
    return proc.pid, started


def test_manifest_round_trip(workspace, tmp_path):
    m = _manifest(tmp_path / "a.xdf", *own_process())
    path = save_manifest(workspace.recordings, m)
    assert load_manifest(path) == m
    assert list_runs(workspace.recordings) == [m]
    path.write_text("{ not json")
    with pytest.raises(RecordingFileError, match="not a valid manifest"):
        load_manifest(path)


def test_dead_driver_marks_run_interrupted_with_what_the_file_holds(workspace, shared_data, tmp_path):
    real = shared_data / "bci4als/Sub2011001/EEG.xdf"
    partial = tmp_path / "partial.xdf"
    partial.write_bytes(real.read_bytes()[: 2_000_000])  # as if the recorder died mid-run
    dead = _manifest(partial, *_dead_process())
    alive = _manifest(tmp_path / "other.xdf", *own_process())
    save_manifest(workspace.recordings, dead)
    save_manifest(workspace.recordings, alive)

    marked = recover_interrupted_runs(workspace.recordings)
    assert [m.run_id for m in marked] == [dead.run_id]
    m = marked[0]
    assert m.status == "interrupted" and m.sha256 == sha256_file(partial)
    assert "ended without stopping" in m.detail and "truncated" in m.detail
    n_eeg = {s.name: s.n_samples for s in m.streams}["obci_eeg1"]
    assert 0 < n_eeg < 53600
    # the live process's run is untouched, and recovery is idempotent
    assert {r.run_id: r.status for r in list_runs(workspace.recordings)} == {
        dead.run_id: "interrupted", alive.run_id: "recording"
    }
    assert recover_interrupted_runs(workspace.recordings) == []


def test_next_run_number_skips_existing_files(tmp_path):
    e = RunEntities(subject="P001", task="mi")
    assert next_run_number(tmp_path, e) == 1
    (tmp_path / "sub-P001_task-mi_run-01_eeg.xdf").touch()
    (tmp_path / "sub-P001_task-mi_run-02_eeg.xdf").touch()
    assert next_run_number(tmp_path, e) == 3
    assert e.folder(tmp_path) == tmp_path / "sub-P001"


def test_recording_modules_import_downward_only():
    """read <- runs <- labrecorder: no module imports one that imports it back (also inside functions)."""
    import ast
    from pathlib import Path

    import workbench.recording as pkg

    folder = Path(pkg.__file__).parent

    def local_imports(module: str) -> set[str]:
        tree = ast.parse((folder / f"{module}.py").read_text())
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                found.add(node.module or "")
        return found

    assert local_imports("read") == set()
    assert local_imports("runs") == {"read"}
    assert "labrecorder" not in local_imports("runs")
    assert {"read", "runs"} <= local_imports("labrecorder")


def test_a_run_is_marked_only_when_its_recorder_is_provably_gone(workspace, tmp_path):
    """Another host's run, or a live process, is left alone; a reused pid (another start time) is not the recorder."""
    import dataclasses

    pid, started = own_process()
    elsewhere = dataclasses.replace(_manifest(tmp_path / "a.xdf", 4_000_000, started), run_id="elsewhere",
                                    host="acquisition-pc-2")
    reused = dataclasses.replace(_manifest(tmp_path / "b.xdf", pid, started - 3600), run_id="reused")
    alive = dataclasses.replace(_manifest(tmp_path / "c.xdf", pid, started), run_id="alive")
    for m in (elsewhere, reused, alive):
        save_manifest(workspace.recordings, m)
    assert [m.run_id for m in recover_interrupted_runs(workspace.recordings)] == ["reused"]
    assert {m.run_id: m.status for m in list_runs(workspace.recordings)} == {
        "elsewhere": "recording", "reused": "interrupted", "alive": "recording"}


def test_a_manifest_from_before_the_host_field_reads_as_this_host(workspace, tmp_path):
    import json
    import socket

    path = save_manifest(workspace.recordings, _manifest(tmp_path / "a.xdf", *own_process()))
    raw = json.loads(path.read_text())
    del raw["host"]
    path.write_text(json.dumps(raw))
    assert load_manifest(path).host == socket.gethostname()
