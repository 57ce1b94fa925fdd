"""The record control's model against real LSL streams and LabRecorder."""

import time

import pytest

from workbench.acquisition import Stream
from workbench.datasets import Player, SyntheticSource
from workbench.recording.labrecorder import Recorder
from workbench.recording.read import read_xdf_streams
from workbench.recording.runs import RunEntities
from workbench.ui.acquisition import RecordControl, RecordControlModel

from ..acquisition.outlets import wait_for

pytestmark = [pytest.mark.lsl, pytest.mark.timeout(120)]


@pytest.mark.slow
def test_states_are_announced_before_labrecorder_answers(workspace, unique_name):
    seen = []
    with Player(SyntheticSource(montage="ecog-8", seed=1, counter=True), name=unique_name) as player:
        with Stream(player.name) as monitor:
            assert wait_for(lambda: monitor.n_samples_received > 500, timeout=10)  # the stream ran before the run
            model = RecordControlModel(lambda: Recorder([player.name], workspace.recordings,
                                                        entities=RunEntities(subject="P010", task="ui"),
                                                        monitors=[monitor]))
            model.listeners.add(lambda: seen.append(model.state))
            model.start()
            assert seen == ["starting", "recording"]
            time.sleep(1.5)
            during = dict(model.view().samples)[player.name]
            # Samples in this run only: fewer than the monitor's total since it connected.
            assert 0 < during < monitor.n_samples_received
            manifest = model.stop()
    assert seen == ["starting", "recording", "stopping", "stopped"]
    in_file = dict(model.view().samples)[player.name]
    (signal,) = [s for s in read_xdf_streams(manifest.fname) if s.name == player.name]
    assert in_file == manifest.streams[0].n_samples == len(signal.times)


@pytest.mark.slow  # seconds of real-time streaming or a subprocess: make test, not make check
def test_unknown_stream_fails_with_the_reason_and_can_start_again(workspace, unique_name):
    model = RecordControlModel(lambda: Recorder([unique_name], workspace.recordings,
                                                entities=RunEntities(subject="P011", task="ui")))
    model.start()
    assert model.state == "failed" and unique_name in model.message and model.can_start


@pytest.mark.slow
def test_a_click_disables_record_at_once(workspace, unique_name):
    with Player(SyntheticSource(montage="ecog-8", seed=2), name=unique_name) as player:
        control = RecordControl(lambda: Recorder([player.name], workspace.recordings,
                                                 entities=RunEntities(subject="P012", task="ui")))
        worker = control.start_in_background()
        # Before LabRecorder has answered: the button is off and the status says what is happening.
        assert control.start_button.disabled and "starting" in control.status.value
        worker.join(30)
        assert control.model.state == "recording" and not control.stop_button.disabled
        control.stop_in_background().join(30)
    assert control.model.state == "stopped" and "samples in the file" in control.status.value
