"""`workbench record`: the command line over Recorder, with clear errors."""

import pytest

from workbench.cli import main
from workbench.datasets import Player, SyntheticSource
from workbench.recording.read import read_recording
from workbench.utils.files import sha256_file

pytestmark = [pytest.mark.lsl, pytest.mark.timeout(90)]


@pytest.mark.slow
def test_record_to_a_named_file(workspace, unique_name, tmp_path, capsys):
    out = tmp_path / "run.xdf"
    with Player(SyntheticSource(montage="eeg-64", seed=0), name=unique_name) as player:
        code = main(["--workspace", str(workspace.root), "record", "--streams", player.name,
                     player.marker_name, "--duration", "1.5", "--out", str(out)])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0 and f"complete: {out}" in printed and sha256_file(out) in printed
    raw = read_recording(out)
    assert raw.ch_names == player.ch_names and raw.info["sfreq"] == 500.0
    assert raw.n_times > 250  # at least half of the 1.5 s run


@pytest.mark.slow
def test_record_errors_name_what_is_wrong(workspace, unique_name, capsys):
    assert main(["--workspace", str(workspace.root), "record", "--streams", unique_name, "--duration", "1"]) == 1
    err = capsys.readouterr().err
    assert unique_name in err and "visible streams" in err
    assert main(["--workspace", str(workspace.root), "record", "--duration", "-2"]) == 1
    err = capsys.readouterr().err
    assert "--streams" in err and "--duration" in err and "-2" in err
    assert main(["--workspace", str(workspace.root), "record", "--streams", "x", "--duration", "1",
                 "--subject", "John Smith"]) == 1  # fmt: skip
    assert "subject" in capsys.readouterr().err
