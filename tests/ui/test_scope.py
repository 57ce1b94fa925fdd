"""The live scope: its model on a real stream, and the FigureWidget it drives (no browser)."""

import asyncio
import time

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
        # Made before the cue: a process's first FigureWidget (plotly's validators, its 5 MB page module) took
        # over 4 s on a loaded machine, and the cue had left the 5 s window by the scope's first frame.
        scope = ScopeWidget(model)
        assert wait_for(lambda: stream.n_samples_received >= 2 * 160, timeout=10)
        cue.push_sample(["go"])
        assert wait_for(lambda: markers.n_markers_received == 1)
        frame = model.update()
        assert frame.traces.shape[1] == 3 and 100 <= frame.traces.shape[0] <= 200  # min-max pairs
        assert frame.ch_names == ("C3..", "C4..", "Cz..")
        assert frame.times[-1] == 0 and frame.times[0] >= -5.0
        assert [label for _, label in frame.markers] == ["go"] and -5.0 <= frame.markers[0][0] <= 0
        assert frame.quality is not None and not frame.quality.flat.any() and np.all(frame.quality.rms > 0)

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


def _receipt(figure) -> None:
    """What plotly's page code sends back after drawing the latest trace edit (its deltas, by edit number)."""
    figure._js2py_traceDeltas = {"trace_deltas": [], "trace_edit_id": figure._last_trace_edit_id}


@pytest.mark.lsl
@pytest.mark.timeout(60)
def test_frames_wait_for_the_pages_receipt_and_go_on_as_soon_as_it_comes(replay):
    with Stream(replay.name, bufsize=10) as stream:
        assert wait_for(lambda: stream.n_samples_received >= 160, timeout=10)
        scope = ScopeWidget(ScopeModel(stream, picks=["C3..", "Cz.."], window=2.0), rate=50.0, max_wait=30.0)

        async def page_that_draws_every_frame():
            scope.start()
            for _ in range(100):
                await asyncio.sleep(0.01)
                _receipt(scope.figure)
            scope.stop()

        asyncio.run(page_that_draws_every_frame())
        # Paced by receipts, not by max_wait: with a 30 s max_wait one unconfirmed frame would end the run.
        assert scope.n_confirmed >= 5 and scope.n_unconfirmed == 0 and scope.n_rebuilds == 0


@pytest.mark.lsl
@pytest.mark.timeout(60)
def test_a_plot_the_page_shows_but_does_not_draw_is_rebuilt_a_few_times_then_on_resume(replay):
    with Stream(replay.name, bufsize=10) as stream:
        assert wait_for(lambda: stream.n_samples_received >= 160, timeout=10)
        scope = ScopeWidget(ScopeModel(stream, picks=["C3..", "Cz.."], window=2.0), rate=50.0, max_wait=0.02,
                            stall_after=0.1)
        first = scope.figure

        async def run(seconds, page=None):
            scope.start()
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                await asyncio.sleep(0.01)
                if page is not None:
                    page()

        asyncio.run(run(0.5))  # no page shows the scope (a headless run): nothing to rebuild
        assert scope.n_rebuilds == 0 and scope.figure is first and scope.n_unconfirmed > 0

        scope.status._view_count = 1  # a page reports a view, and its plot never draws
        asyncio.run(run(1.2))  # rebuilds at 0.1, 0.3 and 0.7 s into the stall, then no more
        assert scope.n_rebuilds == ScopeWidget.MAX_REBUILDS
        assert scope.widget.children[1] is scope.figure and scope.figure is not first and first.comm is None
        assert [t.name for t in scope.figure.data] == ["C3..", "Cz.."]  # frames go on in the new plot
        scope.refresh()
        assert "has not drawn the plot" in scope.status.value and "Resume" in scope.status.value

        scope.stop()
        asyncio.run(run(0.05))  # Resume: a new plot at once, and a new round of rebuilds if it stalls too
        assert scope.n_rebuilds == ScopeWidget.MAX_REBUILDS + 1

        asyncio.run(run(0.5, page=lambda: _receipt(scope.figure)))  # this plot draws: no more rebuilds
        scope.stop()
        scope.refresh()
        assert scope.n_rebuilds == ScopeWidget.MAX_REBUILDS + 1 and scope.n_confirmed > 0
        assert "has not drawn" not in scope.status.value and "plot rebuilt 4 times" in scope.status.value
