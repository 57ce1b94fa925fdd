"""Code fields follow the study's patterns; names, birth dates and phone numbers are screened on the way out."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.records import factories as f
from workbench.errors import ValidationError, WorkbenchError
from workbench.records import Consent, Participant, Session, Site, Study
from workbench.records.export import data_dictionary, export_study
from workbench.records.types import identifiers
from workbench.records.types.identifiers import (
    POLICY_VAR, WITHHELD_ID, IdentifierPolicy, active_policy, identifier_shape, install_staff_key, policy_from_file,
    policy_from_mapping, release_study_policy, screen_frame, staff_code, use_policy,
)


@pytest.mark.parametrize("pid", ["JANEDOE-196104", "Jane Doe", "1961-04-12", "SCI-1", "sci-001"])
def test_default_pseudonym_pattern_refuses_what_is_not_a_study_code(pid):
    with pytest.raises(ValidationError) as err:
        f.participant(pid)
    (problem,) = err.value.problems
    assert problem.field == "id" and "pseudonym" in problem.allowed and "[A-Z]{2,5}-[0-9]{3,4}" in problem.allowed


def test_a_study_sets_its_own_pseudonym_pattern():
    with use_policy(IdentifierPolicy(patterns={"pseudonym": r"P[0-9]{4}"})):
        assert f.participant("P0042").id == "P0042"
        with pytest.raises(ValidationError, match="P\\[0-9\\]\\{4\\}"):
            f.participant("SCI-001")
    assert f.participant("SCI-001").id == "SCI-001"  # the block ends, the default is back


def test_even_a_loose_pattern_never_takes_a_birth_date_or_phone_number():
    with use_policy(IdentifierPolicy(patterns={"site": r".{1,40}"})):
        for bad in ("1961-04-12", "+44 20 7946 0958", "jane@example.org"):
            with pytest.raises(ValidationError) as err:
                Site(id=bad, study_id="BCI-SCI-01", name="x", country="CH")
            assert [p.field for p in err.value.problems] == ["id"]


@pytest.mark.parametrize("field,value", [("form_version", "Jane Doe"), ("form_version", "1961-04-12"),
                                         ("id", "C-1961-04-12")])
def test_consent_codes_refuse_identifiers(field, value):
    with pytest.raises(ValidationError) as err:
        dataclasses.replace(f.consent(), **{field: value})
    assert [p.field for p in err.value.problems] == [field]


@pytest.mark.parametrize("operator", ["Jane Doe", "+44 20 7946 0958", "jane.1961-04-12"])
def test_staff_fields_take_user_names_only(operator):
    values = dict(participant_id="SCI-001", started_at="2026-03-30T09:00:00+00:00", device="amp", montage="C3")
    assert Session(**values, operator="eng.b").operator == "eng.b"
    with pytest.raises(ValidationError) as err:
        Session(**values, operator=operator)
    assert [p.field for p in err.value.problems] == ["operator"]


def test_stored_rows_still_read_after_a_pattern_is_tightened(store, tmp_path):
    with use_policy(IdentifierPolicy(patterns={"pseudonym": r"[A-Z]{2,10}-[0-9]{2,6}"})):
        f.seeded(store, 0)
        store.add(f.participant("SCIENCE-12"))
    # Under the default pattern the same row can no longer be entered, but it reads, lists and exports.
    with pytest.raises(ValidationError):
        f.participant("SCIENCE-12")
    assert store.get(Participant, "SCIENCE-12").id == "SCIENCE-12"
    assert [p.id for p in store.find(Participant)] == ["SCIENCE-12"]
    out = export_study(store, tmp_path / "csv", "csv")
    assert pd.read_csv(out / "participants.csv").id.tolist() == ["SCIENCE-12"]


@pytest.mark.parametrize("text,shape", [
    ("born 1961-04-12", "a date"), ("12.04.1961", "a date"), ("04/12/1961", "a date"),
    ("+44 20 7946 0958", "a phone number"), ("call 020 7946 0958", "a phone number"), ("07700900123", "a phone number"),
    ("jane.doe@example.org", "an e-mail address"),
])
def test_identifier_shapes_are_found(text, shape):
    assert identifier_shape(text) == shape


@pytest.mark.parametrize("text", ["16 ch 10-20 (C3, C4, Cz ...)", "OpenBCI Cyton+Daisy", "ICF v2.1", "ecog-8",
                                  "10037844x", "v1.2.3", "SCI-001", "sub-SCI001/ses-1/eeg/run-1.xdf"])
def test_labels_and_codes_are_not_mistaken_for_identifiers(text):
    assert identifier_shape(text) is None


@given(st.binary(min_size=32, max_size=32).map(lambda b: b.hex()))
def test_hashes_are_never_mistaken_for_phone_numbers(hexdigest):
    # A SHA-256 often holds 7 digits in a row; inside a word they are not a phone number.
    if not hexdigest.isdigit():
        assert identifier_shape(hexdigest) is None


#: Two studies' staff code keys (32 bytes, what migration 0015 stores).
KEY_A, KEY_B = bytes(range(32)), bytes(range(1, 33))


def test_staff_codes_are_keyed_stable_distinct_and_say_nothing():
    a, b = staff_code("jane.doe", KEY_A), staff_code("john.roe", KEY_A)
    assert a == staff_code("jane.doe", KEY_A) and a != b
    assert re.fullmatch(r"staff-[0-9a-f]{10}", a) and "jane" not in a
    assert staff_code(a, KEY_A) == a == staff_code(a, KEY_B)  # screening twice changes nothing
    assert staff_code(None, KEY_A) is None
    # Keyed: another study's key gives another code, and a list of user names alone no longer reproduces it
    # (the unkeyed formula every code was before migration 0015).
    assert staff_code("jane.doe", KEY_B) != a
    assert a != "staff-" + hashlib.sha256(b"workbench staff:jane.doe").hexdigest()[:10]
    assert a == "staff-" + hmac.new(KEY_A, b"workbench staff:jane.doe", hashlib.sha256).hexdigest()[:10]


def test_no_staff_code_without_the_study_key(monkeypatch):
    monkeypatch.setattr(identifiers, "_staff_keys", {})  # no store logged in
    with pytest.raises(WorkbenchError, match="staff code key"):
        staff_code("jane.doe")
    frame = pd.DataFrame({"id": ["s1"], "operator": ["jane.doe"]})
    with pytest.raises(WorkbenchError, match="staff code key"):  # a screen refuses too, never an unkeyed code
        screen_frame(frame, Session)
    with pytest.raises(ValidationError, match="staff code key") as err:
        staff_code("jane.doe", KEY_A[:8])
    assert err.value.problems[0].value == "8 bytes"  # the error never shows the key
    # A logged-in store installs its study's key beside the policy, and takes it away when it closes.
    owner = object()
    install_staff_key(KEY_A, owner)
    assert staff_code("jane.doe") == staff_code("jane.doe", KEY_A)
    assert screen_frame(frame, Session).operator.tolist() == [staff_code("jane.doe", KEY_A)]
    assert screen_frame(frame, Session, staff_key=KEY_B).operator.tolist() == [staff_code("jane.doe", KEY_B)]
    release_study_policy(owner)
    with pytest.raises(WorkbenchError, match="staff code key"):
        staff_code("jane.doe")


def test_labels_leave_only_as_tokens_unless_the_study_shows_them():
    frame = pd.DataFrame({"id": ["BCI-X"], "title": ["Jane Doe"], "arms": [("a", "b")], "visit_schedule": [()]})
    assert screen_frame(frame, Study).title.tolist() == [WITHHELD_ID]
    shown = IdentifierPolicy(shown_labels=frozenset({"studies.title"}))
    assert screen_frame(frame, Study, shown).title.tolist() == ["Jane Doe"]
    # A shown label still never carries a date or phone number.
    dated = frame.assign(title=["trial of 1961-04-12"])
    assert screen_frame(dated, Study, shown).title.tolist() == [WITHHELD_ID]


def test_data_dictionary_says_how_each_field_leaves():
    dd = data_dictionary().set_index(["table", "field"])
    assert dd.loc[("sessions", "operator"), "exported"].startswith("as a staff code")
    assert WITHHELD_ID in dd.loc[("sessions", "device"), "exported"]
    assert dd.loc[("adverse_events", "meddra_code"), "exported"] == "yes"
    assert dd.loc[("visits", "notes"), "exported"].startswith("no")


def test_policy_file_is_read_and_checked(tmp_path, monkeypatch):
    good = tmp_path / "policy.json"
    good.write_text(json.dumps({"patterns": {"pseudonym": "P[0-9]{4}"}, "shown_labels": ["sites.name"]}))
    monkeypatch.setenv(POLICY_VAR, str(good))
    policy = active_policy()
    assert policy.pattern("pseudonym") == "P[0-9]{4}" and "sites.name" in policy.shown_labels
    assert f.participant("P0001").id == "P0001"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"patterns": {"pseudonym": "([", "nickname": "x"}}))
    with pytest.raises(ValidationError) as err:
        policy_from_file(bad)
    assert {p.field for p in err.value.problems} == {"patterns.pseudonym", "patterns.nickname"}
    with pytest.raises(ValidationError) as err:
        policy_from_file(tmp_path / "missing.json")
    assert err.value.problems[0].field == POLICY_VAR
    with pytest.raises(ValidationError) as err:
        policy_from_mapping({"pattern": {}})
    assert err.value.problems[0].field == "pattern"


def test_consent_form_versions_of_the_demo_still_pass():
    assert Consent(participant_id="SCI-001", form_version="ICF v2.1", consent_date="2026-01-09",
                   data_sharing=True).form_version == "ICF v2.1"
