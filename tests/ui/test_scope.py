"""The live scope: its model on a real stream, and the FigureWidget it drives (no browser)."""

import asyncio

import numpy as np
import pylsl
import pytest

from workbench.acquisition import MarkerStream, Stream
from workbench.datasets import Player
from workbench.errors import ValidationError
from workbench.ui.acquisition import ScopeModel, ScopeWidget
from workbench.ui.acquisition.scope_model import decimate_minmax

from ..acquisition.outlets import wait_for


def test_minmax_decimation_keeps_extremes():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(10_000, 3))
    data[1234, 1] = 50.0  # a spike that plain subsampling would miss
    times = np.arange(10_000) / 1000.0
    out, t_out = decimate_minmax(data, times, 500)
    assert out.shape[0] <= 500 and out.shape[1] == 3 and len(t_out) == out.shape[0]
    assert out[:, 1].max() == 50.0
    np.testing.assert_array_equal(out.max(axis=0), data[10_000 - (out.shape[0] // 2) * 40 :].max(axis=0))
    assert np.all(np.diff(t_out) >= 0)
    same, _ = decimate_minmax(data[:100], times[:100], 500)
    assert same is not None and same.shape == (100, 3)


@pytest.fixture
def replay(shared_data, unique_name):
    # A real recording (eegmmidb, 64 ch at 160 Hz) replayed by the simulated amplifier.
    with Player.from_file(shared_data / "eegmmidb/S002/S002R01.edf", name=unique_name) as player:
        yield player


@pytest.mark.slow
@pytest.mark.lsl
@pytest.mark.timeout(60)
def test_scope_model_and_widget_follow_a_real_stream(replay, unique_name):
    cue = pylsl.StreamOutlet(pylsl.StreamInfo(unique_name + "-cues", "Markers", 1, 0, "string", unique_name + "-c"))
    with Stream(replay.name, bufsize=10) as stream, MarkerStream(unique_name + "-cues") as markers:
        model = ScopeModel(stream, picks=["C3..", "C4..", "Cz.."], window=5.0, max_points=200, markers=markers)
        assert wait_for(lambda: stream.n_samples_received >= 2 * 160, timeout=10)
        cue.push_sample(["go"])
        assert wait_for(lambda: markers.n_markers_received == 1)
        frame = model.update()
        assert frame.traces.shape[1] == 3 and 100 <= frame.traces.shape[0] <= 200  # min-max pairs
        assert frame.ch_names == ("C3..", "C4..", "Cz..")
        assert frame.times[-1] == 0 and frame.times[0] >= -5.0
        assert [label for _, label in frame.markers] == ["go"] and -5.0 <= frame.markers[0][0] <= 0
        assert frame.quality is not None and not frame.quality.flat.any() and np.all(frame.quality.rms > 0)

        scope = ScopeWidget(model)
        scope.refresh()
        first = [np.array(t.y) for t in scope.figure.data]
        assert [t.name for t in scope.figure.data] == ["C3..", "C4..", "Cz.."]
        assert len(scope.figure.layout.shapes) == 1 and scope.figure.layout.annotations[0].text == "go"
        assert "C3.." in scope.quality.value and "connected" in scope.status.value
        n = stream.n_samples_received
        assert wait_for(lambda: stream.n_samples_received > n + 16)
        scope.refresh()
        assert any(not np.array_equal(a, np.array(t.y)) for a, t in zip(first, scope.figure.data))

        async def run_scope_beside_other_work():
            scope.start()
            ticks = 0
            for _ in range(20):  # other notebook work keeps running between frames
                await asyncio.sleep(0.02)
                ticks += 1
            scope.pause_button.click()  # what the user clicks: the redraws stop
            paused_at = scope.n_redraws
            await asyncio.sleep(0.2)
            label = scope.pause_button.description
            resumed = scope.n_redraws == paused_at and not scope.running
            scope.pause_button.click()  # Resume
            await asyncio.sleep(0.2)
            resumed = resumed and scope.running and scope.n_redraws > paused_at
            scope.stop()
            return ticks, label, resumed

        before = scope.n_redraws
        assert asyncio.run(run_scope_beside_other_work()) == (20, "Resume", True)
        assert scope.n_redraws > before and not scope.running and scope.pause_button.description == "Resume"

        with pytest.raises(ValidationError, match="picks"):
            model.set_picks(["nope"])
    del cue
