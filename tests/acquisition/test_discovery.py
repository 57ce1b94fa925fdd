"""Stream discovery: every visible stream, with its description, in bounded time."""

import pytest

from workbench.acquisition import find_streams
from workbench.acquisition.discovery import find_stream
from workbench.errors import StreamNotFoundError, ValidationError

from .outlets import CounterOutlet

pytestmark = pytest.mark.lsl


@pytest.mark.timeout(20)
def test_find_streams_lists_name_type_channels_rate_format_source(unique_name):
    labels = ["C3", "C4", "Cz"]
    with CounterOutlet(unique_name, n_channels=3, sfreq=250.0, labels=labels, source_id=f"{unique_name}-sid"):
        found = find_streams(timeout=1.0, name=unique_name)
    assert len(found) == 1
    d = found[0]
    assert (d.name, d.stype, d.n_channels, d.ch_names, d.sfreq, d.dtype, d.source_id) == (
        unique_name, "EEG", 3, tuple(labels), 250.0, "float32", f"{unique_name}-sid"
    )
    assert d.hostname and d.uid
    assert unique_name in d.summary() and "250 Hz" in d.summary()


@pytest.mark.timeout(10)
def test_find_streams_returns_empty_when_nothing_matches(unique_name):
    assert find_streams(timeout=0.3, name=unique_name) == []


@pytest.mark.timeout(20)
def test_find_stream_unknown_name_is_a_clear_error(unique_name):
    with pytest.raises(StreamNotFoundError, match=f"name='{unique_name}'.*visible streams"):
        find_stream(unique_name, timeout=0.3)
    with pytest.raises(ValidationError, match="name/source_id"):
        find_stream()


@pytest.mark.timeout(20)
def test_two_sources_with_one_name_need_a_source_id(unique_name):
    with CounterOutlet(unique_name, source_id="a-" + unique_name), CounterOutlet(unique_name, source_id="b-" + unique_name):
        assert len(find_streams(timeout=1.0, name=unique_name, info_timeout=0)) == 2
        with pytest.raises(ValidationError, match="exactly one match"):
            find_stream(unique_name, timeout=1.0)
        # minimum=1 resolution may return before the second answers; retry is bounded by the test timeout
        assert find_stream(unique_name, source_id="b-" + unique_name, timeout=1.0).source_id() == "b-" + unique_name
