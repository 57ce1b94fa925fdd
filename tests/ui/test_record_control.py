"""Record control: start, status while recording, stop with the run's manifest."""

import pytest

from workbench.acquisition import Stream
from workbench.datasets import Player, SyntheticSource
from workbench.recording.labrecorder import Recorder
from workbench.recording.runs import RunEntities
from workbench.ui.acquisition import RecordControl

from ..acquisition.outlets import wait_for

pytestmark = [pytest.mark.lsl, pytest.mark.timeout(90)]


@pytest.mark.slow
def test_record_control_start_status_stop(workspace, unique_name):
    with Player(SyntheticSource(montage="eeg-64", seed=0, counter=True), name=unique_name) as player:
        with Stream(player.name) as monitor:
            control = RecordControl(
                lambda: Recorder([player.name, player.marker_name], workspace.recordings,
                                 entities=RunEntities(subject="P003", task="ui"), monitors=[monitor])  # fmt: skip
            )
            control.start()
            assert control.start_button.disabled and not control.stop_button.disabled
            fname = control.recorder.fname
            assert wait_for(lambda: fname.exists() and fname.stat().st_size > 10_000, timeout=10)
            control.refresh()
            assert "recording" in control.status.value and "MB" in control.status.value
            assert f"{player.name}: " in control.status.value
            manifest = control.stop_in_background()
            manifest.join(30)
    m = control.manifest
    assert m.status == "complete" and m.sha256 and m.sha256 in control.status.value
    assert not control.start_button.disabled and control.stop_button.disabled
    assert {s.name for s in m.streams} == {player.name, player.marker_name}
