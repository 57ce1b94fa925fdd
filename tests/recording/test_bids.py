"""BIDS export with mne-bids: data and events survive the round trip; only pseudonyms leave."""

import mne
import numpy as np
import pandas as pd
import pytest
from mne_bids import BIDSPath, read_raw_bids

from workbench.datasets import SyntheticSource, generate_raw
from workbench.errors import RecordingFileError, ValidationError
from workbench.recording.bids import export_recording, write_bids_run
from workbench.recording.read import read_recording
from workbench.recording.runs import RunEntities

from ..conftest import REPO


def _read_back(export, entities, datatype="eeg"):
    path = BIDSPath(
        subject=entities.subject, session=entities.session, task=entities.task,
        run=f"{entities.run:02d}", datatype=datatype, root=export.root,
    )  # fmt: skip
    return read_raw_bids(path, verbose="error")


def _assert_same(raw, back):
    assert back.ch_names == raw.ch_names and back.info["sfreq"] == raw.info["sfreq"]
    # BrainVision stores float32 in 0.1 uV resolution by default (pybv): compare to that precision
    np.testing.assert_allclose(back.get_data(), raw.get_data(), atol=1e-7, rtol=1e-5)
    keep = [not d.startswith("BAD_") for d in raw.annotations.description]
    np.testing.assert_allclose(back.annotations.onset, raw.annotations.onset[keep], atol=1.5 / raw.info["sfreq"])
    assert list(back.annotations.description) == list(np.asarray(raw.annotations.description)[keep])


@pytest.mark.parametrize(
    "where, rel",
    [
        ("shared", "magicblink_emg/handSix.xdf"),  # real: OpenBCI 8 ch at 250 Hz + gesture markers
        ("samples", "sim_eeg64_counter.xdf"),  # recorded by the workbench with LabRecorder
    ],
)
def test_xdf_with_markers_round_trips(workspace, shared_data, where, rel):
    fname = (shared_data if where == "shared" else REPO / "data_samples") / rel
    entities = RunEntities(subject="P042", session="01", task="gesture", run=1)
    export = export_recording(fname, workspace.bids, entities)
    raw = read_recording(fname)
    back = _read_back(export, entities)
    _assert_same(raw, back)
    assert export.n_events == len(raw.annotations) > 0
    events = pd.read_csv(export.events_tsv, sep="\t")
    assert len(events) == len(back.annotations)
    channels = pd.read_csv(export.channels_tsv, sep="\t")
    assert list(channels["name"]) == raw.ch_names
    for sidecar in ("_eeg.json", "_channels.tsv", "_events.tsv"):
        assert export.fpath.with_name(export.fpath.name.replace("_eeg.vhdr", sidecar)).is_file()


def test_real_edf_round_trips_with_pseudonym_only(workspace, shared_data):
    raw = mne.io.read_raw_edf(shared_data / "eegmmidb/S001/S001R04.edf", preload=True, verbose="error")
    raw.crop(0, 20)
    raw.info["subject_info"] = {"first_name": "Jane", "last_name": "Doe", "his_id": "MRN-12345", "sex": 2}
    entities = RunEntities(subject="P001", task="mi", run=4)
    export = write_bids_run(raw, workspace.bids, entities, line_freq=60)
    back = _read_back(export, entities)
    _assert_same(raw, back)
    participants = pd.read_csv(export.participants_tsv, sep="\t")
    assert participants["participant_id"].tolist() == ["sub-P001"]
    written = "".join(p.read_text(errors="ignore") for p in workspace.bids.rglob("*") if p.is_file())
    for identifier in ("Jane", "Doe", "MRN-12345"):
        assert identifier not in written


def test_ecog_exports_as_ieeg(workspace):
    raw = generate_raw(SyntheticSource(montage="ecog-8", seed=3), 5.0)
    entities = RunEntities(subject="P002", task="grasp", run=1)
    export = write_bids_run(raw, workspace.bids, entities, datatype="ieeg")
    assert "/ieeg/" in export.fpath.as_posix()
    back = _read_back(export, entities, datatype="ieeg")
    np.testing.assert_allclose(back.get_data(), raw.get_data(), atol=1e-7, rtol=1e-5)
    assert "ecog" in back.get_channel_types()


def test_bad_input(workspace, tmp_path):
    entities = RunEntities(subject="P001", task="mi", run=1)
    with pytest.raises(ValidationError) as err:
        write_bids_run("not a raw", workspace.bids, entities, datatype="meg", line_freq=55)
    assert set(err.value.fields) == {"datatype", "raw", "line_freq"}
    with pytest.raises(RecordingFileError, match="missing.xdf"):
        export_recording(tmp_path / "missing.xdf", workspace.bids, entities)
