"""The stored form of the identifier policy, and the checks the store runs with it (issue 24, item 7)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.records import factories as f
from workbench.errors import ValidationError
from workbench.records.types.identifiers import (
    DEFAULT_PATTERNS, IdentifierPolicy, POLICY_VAR, active_policy, code_problems, configured_policy,
    install_study_policy, policy_conflicts, policy_from_mapping, policy_to_mapping, release_study_policy, use_policy,
)
from workbench.records.types.policy import StoredIdentifierPolicy
from tests.budget import examples

#: Pseudonym patterns a study might choose: a prefix, a separator, a number of digits.
PSEUDONYMS = st.builds(lambda prefix, sep, lo, extra: f"{prefix}{sep}[0-9]{{{lo},{lo + extra}}}",
                       st.sampled_from(["P", "SCI", "[A-Z]{2,4}", "(BCI|SCI)"]), st.sampled_from(["", "-", "_"]),
                       st.integers(1, 4), st.integers(0, 3))
POLICIES = st.builds(
    lambda pseudonym, site, labels: IdentifierPolicy(patterns={"pseudonym": pseudonym, **site},
                                                     shown_labels=frozenset(labels)),
    PSEUDONYMS, st.sampled_from([{}, {"site": r"[A-Z]{2}"}, {"site": r"S[0-9]{2}"}]),
    st.sets(st.sampled_from(["studies.title", "sites.name", "sessions.device"]), max_size=2))


@given(POLICIES)
def test_a_policy_survives_the_stored_row_and_the_json_file(policy):
    row = StoredIdentifierPolicy.of(policy)
    assert row.policy() == policy
    assert StoredIdentifierPolicy.from_mapping(row.to_plain()).policy() == policy
    assert policy_from_mapping(policy_to_mapping(policy)) == policy
    assert set(row.patterns) == set(DEFAULT_PATTERNS)  # every kind written out, defaults included


@given(POLICIES, POLICIES)
def test_conflicts_are_listed_exactly_when_two_policies_differ(a, b):
    problems = policy_conflicts(a, b, "policy.json")
    assert (problems == []) == (a == b)
    for p in problems:  # each names the file and the field, the process's value and the study's pattern
        assert p.field.startswith("policy.json: ")
        kind = p.field.split("patterns.")[-1]
        if kind in DEFAULT_PATTERNS:
            assert p.value == a.patterns[kind] and b.patterns[kind] in p.allowed


@settings(max_examples=examples(60))
@given(PSEUDONYMS, st.from_regex(r"(P|SCI|BCI|AB|XYZW)[-_]?[0-9]{1,6}", fullmatch=True))  # 7 digits: a phone shape
def test_the_store_check_agrees_with_the_policy_for_any_pattern_and_value(pattern, pid):
    policy = IdentifierPolicy(patterns={"pseudonym": pattern})
    with use_policy(IdentifierPolicy(patterns={"pseudonym": r".+"})):  # made under a lax process policy
        rec = f.participant(pid)
    problems = code_problems(rec, policy)
    assert bool(problems) != bool(re.fullmatch(pattern, pid))
    for p in problems:
        assert p.field == "id" and p.value == pid and pattern in p.allowed


def test_nested_codes_are_labelled_by_item():
    policy = IdentifierPolicy(patterns={"record_id": r"[a-z]+"})
    problems = code_problems(f.participant(), policy)
    assert [p.field for p in problems] == []  # a participant's id is a pseudonym, not a record id
    problems = code_problems(f.study(), policy)
    assert [p.field for p in problems] == ["id"] and problems[0].value == "BCI-SCI-01"


def test_a_stored_row_with_a_bad_pattern_is_refused():
    with pytest.raises(ValidationError) as err:
        StoredIdentifierPolicy(patterns={"pseudonym": "[unclosed"})
    (problem,) = err.value.problems
    assert problem.field == "patterns" and problem.allowed.startswith("patterns.pseudonym: a valid regular")
    with pytest.raises(ValidationError):
        StoredIdentifierPolicy(id="other", patterns={})


def test_the_study_policy_applies_while_its_store_is_open(monkeypatch):
    monkeypatch.delenv(POLICY_VAR, raising=False)
    study = IdentifierPolicy(patterns={"pseudonym": r"P[0-9]{4}"})
    owner, other = object(), object()
    install_study_policy(study, owner)
    try:
        assert active_policy() == study and configured_policy() is None  # the study's, not the process's
        install_study_policy(None, other)  # a study without a stored policy, opened after
        assert active_policy() == IdentifierPolicy()
        release_study_policy(other)
        assert active_policy() == study
    finally:
        release_study_policy(owner)
    assert active_policy() == IdentifierPolicy()
