"""Stream picker: refresh finds real streams, choosing and connecting shows their state."""

import pytest

from workbench.acquisition import MarkerStream, Stream
from workbench.datasets import Player, SyntheticSource
from workbench.errors import ValidationError
from workbench.ui.acquisition import StreamPicker, StreamPickerModel

from ..acquisition.outlets import wait_for

pytestmark = [pytest.mark.lsl, pytest.mark.timeout(60)]


def test_picker_finds_chooses_and_connects(unique_name):
    with Player(SyntheticSource(montage="ecog-8", seed=0), name=unique_name) as player:
        picker = StreamPicker(StreamPickerModel(timeout=1.0))
        picker.refresh()
        ours = [uid for label, uid in picker.choice.options if unique_name in label]
        assert len(ours) == 2  # signal and markers
        picker.choice.value = tuple(ours)  # as a click in the browser would
        assert set(picker.model.selected) == set(ours)
        opened = picker.connect()
        try:
            assert sorted(type(c).__name__ for c in opened) == ["MarkerStream", "Stream"]
            signal = next(c for c in opened if isinstance(c, Stream))
            assert signal.ch_names == player.ch_names
            assert wait_for(lambda: signal.n_samples_received > 0)
            picker.show_state()
            assert player.name in picker.state.value and "connected" in picker.state.value
            assert picker.connect() == []  # already connected: nothing opened twice
        finally:
            picker.model.disconnect_all()
        assert isinstance(opened[0], (Stream, MarkerStream))
        with pytest.raises(ValidationError, match="uids"):
            picker.model.select(["no-such-uid"])


@pytest.mark.slow
def test_filter_by_type_and_connect_drives_the_scope(unique_name):
    from workbench.ui.acquisition import ScopeModel, ScopeWidget

    with Player(SyntheticSource(montage="ecog-8", seed=3), name=unique_name) as player, \
            Player(SyntheticSource(montage="eeg-64", seed=4), name=unique_name + "-b") as other:
        with Stream(other.name) as first:
            scope = ScopeWidget(ScopeModel(first, window=2.0))
            picker = StreamPicker(StreamPickerModel(timeout=1.0), on_connect=scope.follow)
            picker.refresh()
            assert {"Markers"} < set(picker.type_filter.options)
            picker.type_filter.value = "Markers"
            labels = [label for label, _ in picker.choice.options]
            assert labels and all("Markers" in label or "marker" in label.lower() for label in labels)
            assert any(player.marker_name in label for label in labels)
            assert not any(label.startswith(player.name + " ") for label in labels)
            signal_type = next(d.stype for d in picker.model.streams if d.name == player.name)
            picker.type_filter.value = signal_type
            ours = [uid for label, uid in picker.choice.options if player.name in label]
            picker.choice.value = tuple(ours)
            try:
                picker.connect()
                assert scope.model.stream.name == player.name  # the scope follows the connection
                assert scope.figure.layout.title.text == player.name
                assert wait_for(lambda: picker.model.states()[0].n_samples > 0)
                picker.show_state()
                assert f"<td>{player.name}</td><td>connected</td>" in picker.state.value
            finally:
                picker.model.disconnect_all()
