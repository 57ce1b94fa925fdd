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
