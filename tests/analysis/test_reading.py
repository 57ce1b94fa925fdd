"""Recordings read where they lie: a local path in place, any fsspec URL through a private copy."""

from __future__ import annotations

import dataclasses

import fsspec
import pytest

from workbench.analysis import AnalysisSpec, WorkUnit, analyse_unit
from workbench.analysis.reading import local_copy
from workbench.datasets import SyntheticSource, generate_raw
from workbench.errors import RecordingFileError
from workbench.recording.bids import write_bids_run
from workbench.recording.runs import RunEntities
from workbench.utils.files import sha256_file


@pytest.fixture(scope="module")
def brainvision(tmp_path_factory):
    root = tmp_path_factory.mktemp("bids")
    raw = generate_raw(SyntheticSource(montage="eeg-64", seed=3), 13.0)
    return write_bids_run(raw, root, RunEntities(subject="P1", session="a", task="attempt", run=1)).fpath


def test_a_local_file_is_read_in_place(brainvision):
    with local_copy(str(brainvision)) as (fname, sha):
        assert fname == brainvision and sha == sha256_file(brainvision)
    with pytest.raises(RecordingFileError, match="no such file"):
        with local_copy(str(brainvision) + ".missing"):
            pass


def test_a_remote_brainvision_run_comes_with_its_companions_and_gives_the_same_results(brainvision):
    fs = fsspec.filesystem("memory")
    stem = brainvision.name[: -len(".vhdr")]
    for ext in (".vhdr", ".vmrk", ".eeg"):
        fs.pipe(f"/runs/{stem}{ext}", brainvision.with_name(stem + ext).read_bytes())
    events = brainvision.with_name(stem.replace("_eeg", "_events.tsv"))
    fs.pipe("/runs/events.tsv", events.read_bytes())
    url = f"memory:///runs/{stem}.vhdr"
    with local_copy(url) as (fname, sha):
        assert sha == sha256_file(brainvision) and fname.with_suffix(".eeg").is_file()
    temp = fname.parent
    assert not temp.exists()  # the private copy is gone afterwards
    spec = AnalysisSpec()
    here = analyse_unit(WorkUnit(identity="x", source=str(brainvision), events=str(events)), spec)
    there = analyse_unit(WorkUnit(identity="x", source=url, events="memory:///runs/events.tsv"), spec)
    assert here.status == there.status == "done" and here.n_trials >= 2
    assert dataclasses.replace(here, unit=there.unit) == there  # everything but where it was read
