"""Stored administrations checked against the registry: id, version, items, recomputed scores."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.outcomes.instruments import (
    check_assessment, known_instruments, list_instruments, load_instrument, score_instrument,
)
from tests.budget import examples


def _values(inst, draw):
    out = {}
    for item in inst.items:
        if item.kind in ("ordinal", "choice"):
            if item.id.endswith("unable_reason"):
                continue  # the test was done: no reason for not doing it
            out[item.id] = draw(st.sampled_from(item.values))
        elif item.kind == "count":
            out[item.id] = draw(st.integers(int(item.min), int(item.max)))
        else:
            out[item.id] = draw(st.floats(item.min, item.max, allow_nan=False).map(lambda x: round(x, 2)))
    for rule in inst.rules:  # make the ARAT subtests obey Lyle's hierarchy
        if rule.kind == "hierarchical":
            first, second, *rest = rule.items
            if out[first] == rule.top:
                out.update({name: rule.top for name in (second, *rest)})
            elif out[second] == 0:
                out.update({name: 0 for name in rest})
    return out


def test_registry_knows_every_packaged_instrument_and_isncsci():
    known = known_instruments()
    assert set(list_instruments()) | {"ISNCSCI"} == set(known)
    assert known["WISCI-II"] == "II" and known["ISNCSCI"] == "2019"


@settings(max_examples=examples(80), deadline=None)
@given(st.data())
def test_any_in_range_items_with_their_scores_check_clean(data):
    inst = load_instrument(data.draw(st.sampled_from(list_instruments())))
    values = _values(inst, data.draw)
    scores = dict(score_instrument(inst, values).scores)
    assert check_assessment(inst.id, inst.version, values, scores) == []


@settings(max_examples=examples(80), deadline=None)
@given(st.data())
def test_any_changed_score_is_refused_under_its_form_label(data):
    inst = load_instrument(data.draw(st.sampled_from(list_instruments())))
    values = _values(inst, data.draw)
    scores = dict(score_instrument(inst, values).scores)
    name = data.draw(st.sampled_from(sorted(k for k, v in scores.items() if v is not None)))
    delta = data.draw(st.sampled_from([-2, -1, 1, 3]) if isinstance(scores[name], int) else
                      st.sampled_from([-0.01, 0.001, 0.5]))
    changed = dict(scores, **{name: scores[name] + delta})
    problems = check_assessment(inst.id, inst.version, values, changed)
    assert [p.field for p in problems] == [inst.label_of(name)]
    assert problems[0].value == changed[name] and repr(scores[name]) in problems[0].allowed


def test_unknown_instrument_and_version_are_named():
    (p,) = check_assessment("WISCI", "II", {"level": 1}, {"total": 1})
    assert (p.field, p.value) == ("Instrument", "WISCI") and "WISCI-II" in p.allowed
    (p,) = check_assessment("WISCI-II", "2001", {"level": 1}, {"total": 1})
    assert (p.field, p.value) == ("Instrument version", "2001") and "'II'" in p.allowed


def test_items_out_of_range_unknown_and_missing_use_form_labels():
    problems = check_assessment("BBT", "Mathiowetz 1985", {"right": 4, "left.blocks": 151}, {})
    by_field = {p.field: p for p in problems}
    assert set(by_field) == {"right", "Blocks moved in 60 s (left)", "Blocks moved in 60 s (right)"}
    assert "right.blocks" in by_field["right"].allowed
    assert by_field["Blocks moved in 60 s (left)"].value == 151
    assert by_field["Blocks moved in 60 s (right)"].value == "<missing>"


def test_missing_and_extra_scores_are_refused():
    problems = check_assessment("WISCI-II", "II", {"level": 12}, {"level": 12})
    assert {p.field for p in problems} == {"WISCI II level", "level"}


def test_isncsci_is_reclassified_and_a_wrong_level_refused():
    from workbench.outcomes.entry.isncsci import IsncsciEntry

    entry = IsncsciEntry()
    entry.fill_normal()
    values, scores = entry.item_values(), entry.scores()
    assert check_assessment("ISNCSCI", "2019", values, scores) == []
    key = next(k for k, v in scores.items() if isinstance(v, int))
    wrong = dict(scores, **{key: scores[key] - 1})
    (p,) = check_assessment("ISNCSCI", "2019", values, wrong)
    assert p.field == key
    (p,) = check_assessment("ISNCSCI", "2019", {**values, "right.motor.X9": "5"}, scores)
    assert p.field == "right.motor.X9"
