"""`workbench streams`: what a user types to see what is on the network."""

import json

import pytest

from workbench.cli import main
from workbench.datasets import Player, SyntheticSource

pytestmark = [pytest.mark.lsl, pytest.mark.timeout(60)]


def test_streams_lists_the_simulated_amplifier(unique_name, capsys):
    with Player(SyntheticSource(montage="ecog-8", seed=0), name=unique_name) as player:
        assert main(["streams", "--timeout", "1", "--name", player.name]) == 0
        table = capsys.readouterr().out
        assert main(["streams", "--timeout", "1", "--name", player.name, "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)
    assert unique_name in table and "1000" in table and "ECOG2" in table
    assert len(listed) == 1
    d = listed[0]
    assert d["name"] == player.name and d["n_channels"] == 8 and d["sfreq"] == 1000.0
    assert d["ch_names"] == player.ch_names
    assert d["source_id"] == player.source_id and d["hostname"]


def test_streams_says_when_nothing_is_found(unique_name, capsys):
    assert main(["streams", "--timeout", "0.3", "--name", unique_name]) == 0
    assert "no LSL streams found" in capsys.readouterr().out
