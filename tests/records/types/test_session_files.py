"""Sessions keep their recordings' SHA-256, checked against real files."""

from __future__ import annotations

import csv
import shutil

import pytest

from tests.records import factories as f
from workbench.errors import RecordingFileError
from workbench.records import RecordingFile, Session, Visit


def _manifest(shared_data):
    with open(shared_data / "MANIFEST.tsv", newline="") as fh:
        return {row["path"]: row["sha256"] for row in csv.DictReader(fh, delimiter="\t")}


def test_recording_hash_matches_the_published_checksum(shared_data, tmp_path):
    rel = "bci4als/Sub2011001/EEG.xdf"
    rec = RecordingFile.from_file(shared_data / rel, root=shared_data)
    assert rec.path == rel and rec.sha256 == _manifest(shared_data)[rel]
    assert rec.check(shared_data) is None
    # A copy changed by one byte is caught.
    copy = tmp_path / rel
    copy.parent.mkdir(parents=True)
    shutil.copyfile(shared_data / rel, copy)
    with open(copy, "r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 1]))
    assert "file changed" in rec.check(tmp_path)
    assert "missing" in RecordingFile(path="nope.xdf", sha256="0" * 64).check(tmp_path)
    with pytest.raises(RecordingFileError):
        RecordingFile.from_file(tmp_path / "absent.xdf")


def test_session_with_real_recordings_round_trips(store, shared_data):
    f.seeded(store)
    files = tuple(RecordingFile.from_file(p, root=shared_data)
                  for p in sorted((shared_data / "bci4als").glob("*/EEG.xdf")))
    session = Session(participant_id="SCI-001", started_at="2026-01-05T09:00:00+00:00", device="OpenBCI",
                      montage="16 ch", decoder_version="csp-lda 0.1", decoder_sha256=files[0].sha256,
                      recording_files=files, operator="eng")
    (saved,) = store.add(session)
    again = store.get(Session, saved.id)
    assert again == saved and len(again.recording_files) == 2
    assert all(r.check(shared_data) is None for r in again.recording_files)
    assert store.verify_audit().ok


def test_study_plans_the_visits(store):
    (p,) = f.seeded(store)
    planned = f.study().plan_visits(p)
    assert [(v.name, v.scheduled_date.isoformat(), v.status) for v in planned] == [
        ("baseline", "2026-01-05", "planned"), ("week12", "2026-03-30", "planned")]
    store.add(*planned)  # the store's schedule checks agree with the plan
    assert len(store.find(Visit, participant_id=p.id)) == 2
