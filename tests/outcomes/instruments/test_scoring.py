"""The one scoring engine: totals, subscales, derived speeds, ARAT hierarchy, errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.errors import ValidationError
from workbench.outcomes.instruments import load_instrument, read_instrument, score_instrument
from tests.budget import examples

SCIM = load_instrument("SCIM-III")
ARAT = load_instrument("ARAT")


def _scim(**over):
    values = {i.id: max(i.values) for i in SCIM.items}
    values.update(over)
    return values


def test_scim_subscales_and_total():
    result = score_instrument(SCIM, _scim(feeding=1, bladder=11, stairs=0))
    assert result.scores == {"self_care": 18, "respiration_sphincter": 36, "mobility": 37, "total": 91}


def test_scim_value_outside_item_set_names_field_and_allowed_values():
    with pytest.raises(ValidationError) as info:
        score_instrument(SCIM, _scim(bladder=4, respiration=1, unknown_item=2))
    problems = {p.field: p for p in info.value.problems}
    assert set(problems) == {"bladder", "respiration", "unknown_item"}
    assert problems["bladder"].allowed == "one of 0, 3, 6, 9, 11, 13, 15"
    assert problems["bladder"].value == 4


def test_missing_items_are_errors_unless_partial():
    values = _scim()
    del values["grooming"]
    with pytest.raises(ValidationError) as info:
        score_instrument(SCIM, values)
    assert info.value.fields == ("grooming",)
    partial = score_instrument(SCIM, values, partial=True)
    assert partial.scores["self_care"] is None and partial.scores["total"] is None
    assert partial.scores["mobility"] == 40 and partial.missing == ("grooming",)


@settings(max_examples=examples(60), deadline=None)
@given(st.data())
def test_raising_one_item_never_lowers_a_score(data):
    values = {i.id: data.draw(st.sampled_from(i.values)) for i in SCIM.items}
    item = data.draw(st.sampled_from(SCIM.items))
    raised = dict(values, **{item.id: data.draw(st.sampled_from([v for v in item.values if v >= values[item.id]]))})
    before, after = score_instrument(SCIM, values).scores, score_instrument(SCIM, raised).scores
    assert all(after[k] >= before[k] for k in before)
    assert 0 <= after["total"] <= 100


def _arat_side(side, **values):
    return {f"{side}.{k}": v for k, v in values.items()}


def test_arat_first_item_3_scores_the_subtest_full():
    result = score_instrument(ARAT, {
        **_arat_side("right", grasp_1=3, grip_1=3, pinch_1=3, gross_1=3),
        **_arat_side("left", grasp_1=3, grip_1=3, pinch_1=3, gross_1=3)})
    assert result.scores["right.total"] == 57 and result.scores["left.grasp"] == 18
    assert "right.grasp_6" in result.implied and "right.grasp_1" not in result.implied


def test_arat_second_item_0_scores_the_rest_0():
    right = _arat_side("right", grasp_1=2, grasp_2=0, grip_1=1, grip_2=0, pinch_1=0, pinch_2=0, gross_1=1,
                       gross_2=0)
    result = score_instrument(ARAT, right, partial=True)
    assert result.scores["right.grasp"] == 2 and result.scores["right.grip"] == 1
    assert result.scores["right.pinch"] == 0 and result.scores["right.total"] == 4
    assert result.item_values["right.grasp_6"] == 0


def test_arat_without_a_shortcut_needs_every_item():
    right = _arat_side("right", grasp_1=2, grasp_2=1)
    result = score_instrument(ARAT, right, partial=True)
    assert result.scores["right.grasp"] is None
    assert "right.grasp_3" in result.missing


def test_arat_entered_value_contradicting_the_rule_is_an_error():
    with pytest.raises(ValidationError) as info:
        score_instrument(ARAT, _arat_side("right", grasp_1=3, grasp_4=1), partial=True)
    (problem,) = info.value.problems
    assert problem.field == "right.grasp_4" and "Lyle" in problem.allowed


def test_walk_speeds_from_time_and_distance():
    ten = score_instrument(load_instrument("10MWT"), {"comfortable_time_s": 12.5, "fast_time_s": 8, "device": "cane"})
    assert ten.scores == {"comfortable_speed": 0.8, "fast_speed": 1.25}
    six = score_instrument(load_instrument("6MWT"), {"distance_m": 180, "device": "none"})
    assert six.scores == {"distance": 180, "speed": 0.5}
    with pytest.raises(ValidationError) as info:
        score_instrument(load_instrument("10MWT"), {"comfortable_time_s": 0, "device": "skateboard"})
    assert set(info.value.fields) == {"comfortable_time_s", "device"}


def test_box_and_block_counts_are_whole_blocks():
    bbt = load_instrument("BBT")
    assert score_instrument(bbt, {"right.blocks": 31, "left.blocks": 12}).scores == {
        "right.blocks_per_minute": 31, "left.blocks_per_minute": 12}
    with pytest.raises(ValidationError):
        score_instrument(bbt, {"right.blocks": 3.5, "left.blocks": 12})


def test_a_new_instrument_is_data_not_code(tmp_path):
    definition = {
        "id": "TOY", "name": "Toy scale", "version": "1", "citation": "Nobody 2026",
        "items": [{"id": "a", "kind": "ordinal", "values": [0, 1, 2]},
                  {"id": "b", "kind": "ordinal", "values": [0, 5]}],
        "totals": [{"id": "total", "items": ["a", "b"], "max": 7}],
        "thresholds": [{"score": "total", "label": "MCID", "change": 2, "population": "SCI",
                        "citation": "Nobody 2026", "confirmed": True}],
    }
    (tmp_path / "toy.json").write_text(json.dumps(definition))
    toy = read_instrument(tmp_path / "toy.json")
    assert score_instrument(toy, {"a": 2, "b": 5}).scores == {"total": 7}


def test_broken_definition_lists_every_problem(tmp_path):
    definition = {
        "id": "BAD", "name": "Bad", "version": "1", "citation": "x",
        "items": [{"id": "a", "kind": "slider"}, {"id": "b", "kind": "ordinal", "values": []}],
        "totals": [{"id": "total", "items": ["a", "zz"], "max": 3}],
        "thresholds": [{"score": "nope", "change": 1, "population": "SCI", "confirmed": "yes"}],
    }
    (tmp_path / "bad.json").write_text(json.dumps(definition))
    with pytest.raises(ValidationError) as info:
        read_instrument(tmp_path / "bad.json")
    assert set(info.value.fields) >= {"items[0].kind", "items[1].values", "totals[0].items", "thresholds[0].score",
                                      "thresholds[0].citation", "thresholds[0].confirmed"}
