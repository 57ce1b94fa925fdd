"""Property tests over every record constructor, driven by the field specifications.

For each record type: values valid field by field construct a record (or fail
only on a cross-field rule), the record survives a round trip through its
plain form, and breaking any one field gets that field named in the error.
"""

from __future__ import annotations

import re

from datetime import date, datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.errors import ValidationError
from workbench.records import RECORD_TYPES, OutcomeAssessment, RecordingFile, VisitDefinition
from workbench.records.types.fields import storable

from ..factories import STORABLE_CHARS
from tests.budget import examples

ALL_TYPES = RECORD_TYPES + (VisitDefinition, RecordingFile)
#: Fields that take part in a cross-field rule, per type (dates in order, status vs date...).
CROSS = {"Participant": {"enrolment_date", "withdrawal_date"}, "Consent": {"withdrawn_date"},
         "Visit": {"actual_date"}, "AdverseEvent": {"resolution_date", "serious", "seriousness_criteria", "anticipated", "usade",
                          "imminent_risk", "awareness_date", "reported_on", "follow_up"},
         "DeviceDeficiency": {"awareness_date", "reported_on", "imminent_risk"},
         "ProtocolDeviation": {"corrective_action", "date closed", "resolution"}, "Signature": {"signed"},
         "Lock": {"unlocked_at", "unlocked_by/unlocked_at/unlock_reason"},
         "Study": {"visit_schedule"}, "Trial": {"correct"}, "UserAccount": {"site_id"},
         "Reanalysis": {"error"}, "ReanalysisTrial": {"correct"},
         "StoredIdentifierPolicy": {"patterns"}}  # the patterns must be code kinds and regular expressions


def _text(sp):
    return _any_text(sp).filter(storable)  # no NUL, no lone surrogate: no database stores them (refused)


def _any_text(sp):
    if sp.choices:
        return st.sampled_from(sp.choices)
    if sp.code:  # a code follows the study's pattern and holds no date, phone number or e-mail shape
        from workbench.records.types.identifiers import active_policy, identifier_shape
        return (st.from_regex(active_policy().pattern(sp.code), fullmatch=True)
                .filter(lambda s: s.strip() and (sp.pattern is None or re.fullmatch(sp.pattern, s)))
                .filter(lambda s: identifier_shape(s) is None))
    if sp.pattern:
        return st.from_regex(sp.pattern, fullmatch=True).filter(lambda s: s.strip())
    return st.text(min_size=1, max_size=40).filter(lambda s: s.strip())


def valid_value(sp):
    kind = sp.kind
    if kind == "str":
        s = _text(sp)
    elif kind == "strs":
        s = st.lists(_text(sp), min_size=1, max_size=4, unique=True).map(tuple)
    elif kind == "int":
        s = st.integers(int(sp.min if sp.min is not None else -10**6), int(sp.max if sp.max is not None else 10**6))
    elif kind == "float":
        s = st.floats(sp.min if sp.min is not None else -1e6, sp.max if sp.max is not None else 1e6)
    elif kind == "bool":
        s = st.booleans()
    elif kind == "date":
        s = st.dates(date(1950, 1, 1), date(2100, 1, 1))
    elif kind == "datetime":
        s = st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(timezone.utc))
    elif kind == "json":
        text = STORABLE_CHARS
        s = st.dictionaries(st.text(text, min_size=1, max_size=6),
                            st.one_of(st.none(), st.booleans(), st.integers(), st.text(text, max_size=6)), max_size=4)
    else:  # nested
        s = st.lists(record_values(sp.item).map(lambda kw: sp.item(**kw)), max_size=3,
                     unique_by=lambda r: getattr(r, "name", id(r))).map(tuple)
    return st.one_of(st.none(), s) if not sp.required else s


def invalid_value(sp):
    kind = sp.kind
    bad = {
        "str": st.one_of(st.integers(), st.just("") , st.just("   "), st.just("A\x00"), st.just("A\ud800")),
        "strs": st.one_of(st.just("text"), st.just(()), st.just(("a", "a")), st.just(("A\x00",)),
                          st.just(("A\udfff",))),
        "int": st.one_of(st.floats(allow_nan=True), st.booleans(), st.just("7")),
        "float": st.one_of(st.just(float("nan")), st.just(float("inf")), st.just("1.5"), st.booleans()),
        "bool": st.one_of(st.integers(0, 1), st.just("yes")),
        "date": st.one_of(st.just("2026-13-40"), st.datetimes(), st.integers()),
        "datetime": st.one_of(st.datetimes(timezones=st.none()), st.just("yesterday")),
        "json": st.one_of(st.lists(st.integers(), max_size=2), st.just({"k": [1]}), st.just({"": 1}),
                          st.just({"k": "\x00"})),
        "nested": st.one_of(st.just("x"), st.just([{"nonsense": 1}])),
    }[kind]
    if kind == "str" and sp.choices:
        bad = st.one_of(bad, st.text(max_size=5).filter(lambda s: s not in sp.choices))
    if kind in ("int", "float") and sp.max is not None:
        bad = st.one_of(bad, st.just(int(sp.max) + 1))
    if sp.required:
        bad = st.one_of(bad, st.none())
    return bad


def record_values(rt):
    return st.fixed_dictionaries({name: valid_value(sp) for name, sp in rt.specs()})


@pytest.mark.parametrize("rt", ALL_TYPES, ids=lambda t: t.__name__)
@settings(max_examples=examples(25), deadline=None)
@given(data=st.data())
def test_valid_fields_construct_and_round_trip(rt, data):
    values = data.draw(record_values(rt))
    try:
        record = rt(**values)
    except ValidationError as err:
        # An assessment is checked against its instrument: problems carry the form's labels.
        assert rt is OutcomeAssessment or set(err.fields) <= CROSS.get(rt.__name__, set()), err
        return
    again = rt.from_mapping({k: v for k, v in record.to_plain().items()})
    assert again.to_plain() == record.to_plain()


@pytest.mark.parametrize("rt", ALL_TYPES, ids=lambda t: t.__name__)
@settings(max_examples=examples(25), deadline=None)
@given(data=st.data())
def test_one_broken_field_is_named(rt, data):
    values = data.draw(record_values(rt))
    specs = dict(rt.specs())
    field = data.draw(st.sampled_from(sorted(specs)))
    values[field] = data.draw(invalid_value(specs[field]), label=f"bad {field}")
    with pytest.raises(ValidationError) as err:
        rt(**values)
    assert any(f == field or f.startswith(field + "[") for f in err.value.fields), err.value
