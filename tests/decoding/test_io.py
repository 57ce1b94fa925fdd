"""Saving and loading decoders: no pickle, metadata, stream checks."""

import json

import numpy as np
import pytest

from workbench import __version__
from workbench.decoding import load_decoder, read_decoder_metadata
from workbench.errors import RecordingFileError, ValidationError


@pytest.fixture()
def saved(csp_decoder, workspace):
    return csp_decoder.save(workspace.decoders / "s001_hands_feet.npz")


def test_round_trip_gives_identical_outputs(csp_decoder, saved, eegmmidb_runs):
    x = eegmmidb_runs[2].data[:3000]
    loaded = load_decoder(saved)
    np.testing.assert_array_equal(loaded.decode(x).values, csp_decoder.decode(x).values)


def test_file_is_plain_arrays_and_json(saved, csp_decoder):
    with np.load(saved, allow_pickle=False) as z:  # would raise on any pickled object
        names = set(z.files)
        meta = json.loads(str(z["meta.json"]))
    assert {"stage0.sos_", "features.filters_", "model.coef_", "model.classes_"} <= names
    assert meta["format"] == "workbench-decoder" and meta["format_version"] == 1
    assert meta["workbench_version"] == __version__
    assert meta["sfreq"] == 160.0 and meta["ch_names"] == csp_decoder.ch_names
    assert meta["bands"] == [[7.0, 30.0]]
    assert meta["training_sha256"] == csp_decoder.training_sha256_ and len(meta["training_sha256"]) == 64
    assert meta["outputs"] == ["p(feet)", "p(hands)"]
    assert [s["type"] for s in meta["stages"]] == ["IIRFilter", "CommonAverageReference"]


def test_loading_against_a_stream_lists_every_difference(saved, csp_decoder):
    names = list(csp_decoder.ch_names)
    load_decoder(saved, ch_names=names, sfreq=160.0)  # matching stream: fine
    wrong = names[:-2] + ["Status"]
    with pytest.raises(ValidationError) as err:
        load_decoder(saved, ch_names=wrong, sfreq=250.0)
    msg = str(err.value)
    assert err.value.fields == ("sfreq", "ch_names (missing)", "ch_names (unexpected)")
    assert "250.0" in msg and "160.0 Hz" in msg and names[-1] in msg and "Status" in msg
    # which side each name is missing from, in words: the decoder's two, the stream's one
    assert f"not in the stream: {names[-2]}, {names[-1]} (2 of the decoder's {len(names)})" in msg
    assert "in the stream, not trained on: Status" in msg
    swapped = [names[1], names[0]] + names[2:]
    with pytest.raises(ValidationError, match=r"ch_names\[0\] \(order\)"):
        load_decoder(saved, ch_names=swapped, sfreq=160.0)


def test_newer_or_foreign_files_are_refused(saved, tmp_path):
    with np.load(saved, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["meta.json"]))
    meta["format_version"] = 99
    np.savez(tmp_path / "newer.npz", **{**arrays, "meta.json": np.array(json.dumps(meta))})
    with pytest.raises(RecordingFileError, match="newer"):
        read_decoder_metadata(tmp_path / "newer.npz")
    meta["format_version"] = 1
    meta["model"]["type"] = "os.system"
    np.savez(tmp_path / "evil.npz", **{**arrays, "meta.json": np.array(json.dumps(meta))})
    with pytest.raises(RecordingFileError, match="unknown type 'os.system'"):
        load_decoder(tmp_path / "evil.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(RecordingFileError, match="junk.npz"):
        load_decoder(tmp_path / "junk.npz")


def test_saving_needs_npz_and_leaves_nothing_behind_on_error(csp_decoder, tmp_path):
    with pytest.raises(ValidationError, match="fname"):
        csp_decoder.save(tmp_path / "decoder.pkl")
    assert list(tmp_path.iterdir()) == []
