"""The generic instrument entry model."""

from __future__ import annotations

import pytest

from workbench.errors import ValidationError
from workbench.outcomes.entry import InstrumentEntry


def test_text_is_parsed_and_scored_live():
    entry = InstrumentEntry("6MWT")
    entry.set("distance_m", " 270 ")
    assert entry.scores == {"distance": 270, "speed": 0.75}
    assert not entry.complete
    entry.set("device", "walker")
    assert entry.complete and entry.final_scores()["speed"] == 0.75


def test_invalid_text_is_a_field_problem_and_blocks_saving():
    entry = InstrumentEntry("10MWT")
    entry.update({"comfortable_time_s": "ten", "device": "none"})
    assert entry.problems["comfortable_time_s"].allowed == "a number from 1 to 600 s"
    with pytest.raises(ValidationError) as info:
        entry.final_scores()
    assert info.value.fields == ("comfortable_time_s",)


def test_arat_rule_fills_items_and_reports_contradictions():
    entry = InstrumentEntry("ARAT")
    entry.set("right.pinch_1", 3)
    assert entry.scores["right.pinch"] == 18 and "right.pinch_6" in entry.implied
    entry.set("right.pinch_6", 1)
    assert set(entry.problems) == {"right.pinch_6"} and entry.scores == {}
