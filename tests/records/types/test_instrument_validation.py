"""OutcomeAssessment records are checked against the instrument registry when made."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.records import factories as f
from workbench.errors import ValidationError
from workbench.outcomes.instruments import load_instrument, score_instrument
from workbench.records import OutcomeAssessment
from workbench.records.demo import read_study_json
from tests.budget import examples

SCIM = load_instrument("SCIM-III")


def _scim(values: dict, scores: dict | None = None) -> OutcomeAssessment:
    scores = dict(score_instrument(SCIM, values).scores) if scores is None else scores
    return OutcomeAssessment(participant_id="SCI-001", instrument="SCIM-III", instrument_version=SCIM.version,
                             assessor="a.assessor", assessed_on=date(2026, 3, 2), item_values=values, scores=scores)


scim_values = st.fixed_dictionaries({i.id: st.sampled_from(i.values) for i in SCIM.items})


@settings(max_examples=examples(60), deadline=None)
@given(scim_values)
def test_any_in_range_items_validate_and_store_the_recomputed_total(values):
    record = _scim(values)
    assert record.scores["total"] == sum(values.values())
    assert record.scores == dict(score_instrument(SCIM, record.item_values).scores)


@settings(max_examples=examples(60), deadline=None)
@given(scim_values, st.integers(-100, 100).filter(bool))
def test_any_changed_total_is_refused(values, delta):
    scores = dict(score_instrument(SCIM, values).scores)
    with pytest.raises(ValidationError) as info:
        _scim(values, dict(scores, total=scores["total"] + delta))
    (p,) = info.value.problems
    assert p.field == SCIM.label_of("total")
    assert p.value == scores["total"] + delta and str(scores["total"]) in p.allowed


def test_the_docstring_case_wisci_12_with_total_13_is_refused():
    with pytest.raises(ValidationError) as info:
        f.assessment(total=12, scores={"total": 13})
    (p,) = info.value.problems
    assert (p.field, p.value) == ("WISCI II level", 13) and p.allowed.startswith("12,")


def test_every_problem_is_listed_with_the_form_labels():
    with pytest.raises(ValidationError) as info:
        OutcomeAssessment(participant_id="SCI-001", instrument="BBT", instrument_version="Mathiowetz 1985",
                          assessor="a", assessed_on=date(2026, 1, 1),
                          item_values={"right.blocks": 151, "left.blocks": 3}, scores={})
    fields = set(info.value.fields)
    assert fields == {"Blocks moved in 60 s (right)"}  # scores are not compared before the items are valid


def test_unknown_instrument_or_version_is_refused():
    with pytest.raises(ValidationError) as info:
        f.assessment(instrument_version="2001")
    assert info.value.fields == ("Instrument version",)
    with pytest.raises(ValidationError) as info:
        f.assessment(instrument="INSTR-1")
    assert info.value.fields == ("Instrument",)


def test_ten_metre_walk_unable_to_walk_is_a_valid_record():
    record = OutcomeAssessment(participant_id="SCI-002", instrument="10MWT", instrument_version="flying start 14 m",
                               assessor="a", assessed_on=date(2026, 1, 20),
                               item_values={"unable_reason": "cannot stand or step, even with assistance"},
                               scores={"comfortable_speed": None, "fast_speed": None})
    assert record.scores["comfortable_speed"] is None


def test_store_refuses_a_wrong_score_and_writes_nothing(store):
    (p,) = f.seeded(store)
    (saved,) = store.add(f.assessment(p.id))
    with pytest.raises(ValidationError):
        store.update(dataclasses.replace(saved, scores={"total": 13}), reason="typo")
    assert store.get(OutcomeAssessment, saved.id).scores == {"total": 12}
    fixed = store.update(dataclasses.replace(saved, item_values={"level": 13}, scores={"total": 13}),
                         reason="level misread")
    assert store.get(OutcomeAssessment, saved.id).version == fixed.version == 2


def test_demo_study_assessments_all_check_against_the_registry():
    records = [r for r in read_study_json() if isinstance(r, OutcomeAssessment)]
    assert {(r.instrument, r.instrument_version) for r in records} == {
        ("WISCI-II", "II"), ("BBT", "Mathiowetz 1985"), ("10MWT", "flying start 14 m")}
    unable = [r for r in records if r.item_values.get("unable_reason")]
    assert unable and all(r.scores["comfortable_speed"] is None for r in unable)
