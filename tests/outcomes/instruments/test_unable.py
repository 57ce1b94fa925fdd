"""Walk tests record "unable to walk" with the reason instead of a time; nothing is imputed."""

from __future__ import annotations

import pytest

from workbench.errors import ValidationError
from workbench.outcomes.entry import InstrumentEntry
from workbench.outcomes.instruments import check_assessment, load_instrument, score_instrument

TEN = load_instrument("10MWT")


def test_unable_to_walk_scores_none_and_needs_no_time():
    result = score_instrument(TEN, {"unable_reason": "cannot stand or step, even with assistance"})
    assert result.scores == {"comfortable_speed": None, "fast_speed": None} and result.complete
    assert check_assessment("10MWT", TEN.version, result.item_values, result.scores) == []


def test_a_time_beside_a_reason_is_a_contradiction():
    with pytest.raises(ValidationError) as info:
        score_instrument(TEN, {"unable_reason": "pain", "comfortable_time_s": 12.0})
    (p,) = info.value.problems
    assert p.field == "comfortable_time_s" and "Unable to walk: reason" in p.allowed


def test_missing_time_says_a_reason_would_do():
    with pytest.raises(ValidationError) as info:
        score_instrument(TEN, {"device": "none"})
    (p,) = info.value.problems
    assert p.field == "comfortable_time_s" and "Unable to walk: reason" in p.allowed


def test_reason_must_be_one_of_the_listed():
    with pytest.raises(ValidationError) as info:
        score_instrument(TEN, {"unable_reason": "tired of it"})
    assert "unable_reason" in info.value.fields


def test_the_form_is_complete_with_only_a_reason():
    entry = InstrumentEntry("10MWT")
    entry.set("unable_reason", "unsafe to attempt")
    assert entry.complete and entry.final_scores() == {"comfortable_speed": None, "fast_speed": None}


def test_six_minute_walk_allows_it_too():
    result = score_instrument(load_instrument("6MWT"), {"unable_reason": "fatigue"})
    assert all(v is None for v in result.scores.values())
