"""Electronic signatures: the password again, a meaning, exactly the versions signed, broken when they change."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.records import factories as f
from workbench.errors import PermissionDeniedError, ValidationError
from workbench.records import OutcomeAssessment, Signature, SignedVersion
from workbench.records.trail.signatures import sign_visit, signature_status, visit_signature_state, visit_signatures
from workbench.records.types.signature import content_hash, signed_version
from tests.budget import examples

PASSWORD = "signing-test-password"
_HASHER = PasswordHasher()
_HASH = _HASHER.hash(PASSWORD)


def verify(name: str, password: str) -> bool:
    """A real argon2 check of the signer's password (raises VerifyMismatchError when wrong)."""
    return _HASHER.verify(_HASH, password)


def _visit_with_assessments(store):
    f.seeded(store)
    visit = f.visit()
    scim_free = [f.assessment(visit_id=visit.id, total=12),
                 f.assessment(visit_id=visit.id, total=14, assessed_on=visit.actual_date)]
    store.add(visit, *scim_free)
    return visit, store.find(OutcomeAssessment, visit_id=visit.id)


def _count(store, table):
    with store.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def test_signature_links_exactly_the_versions_and_content_signed(store):
    visit, assessments = _visit_with_assessments(store)
    sig = sign_visit(store, visit.id, meaning="approved", password=PASSWORD, verify_password=verify)
    assert sig.signer == store.user.name and sig.meaning == "approved" and sig.version == 1
    assert {(s.table, s.record_id, s.version, s.sha256) for s in sig.signed} == {
        ("outcome_assessments", a.id, 1, content_hash(a)) for a in assessments}
    assert signature_status(store, sig).state == "valid"
    assert visit_signature_state(store, visit.id) == "signed"
    entries = store.audit_trail(sig)
    assert set(entries.field.dropna()) >= {"signed", "meaning", "signer"}  # the signature is in the trail


def test_wrong_password_or_meaning_writes_nothing(store):
    visit, _ = _visit_with_assessments(store)
    n_audit = _count(store, "audit_log")
    with pytest.raises(PermissionDeniedError, match="signature refused"):
        sign_visit(store, visit.id, meaning="reviewed", password="not-the-password", verify_password=verify)
    with pytest.raises(ValidationError) as info:
        sign_visit(store, visit.id, meaning="liked", password="", verify_password=verify)
    assert set(info.value.fields) == {"meaning", "password"}
    assert _count(store, "signatures") == 0 and _count(store, "audit_log") == n_audit


def test_a_change_breaks_the_signature_and_needs_a_reason_to_sign_again(store):
    visit, (first, second) = _visit_with_assessments(store)
    old = sign_visit(store, visit.id, meaning="authored", password=PASSWORD, verify_password=verify)
    changed = dataclasses.replace(first, item_values={"level": 13}, scores={"total": 13})
    store.update(changed, reason="level misread on the form")
    status = signature_status(store, old)
    assert status.state == "broken"
    assert status.changed == (f"outcome_assessments/{first.id}: version 1 signed, 2 stored",)
    assert visit_signature_state(store, visit.id) == "signature broken"
    with pytest.raises(ValidationError) as info:
        sign_visit(store, visit.id, meaning="authored", password=PASSWORD, verify_password=verify)
    assert info.value.fields == ("reason",)
    new = sign_visit(store, visit.id, meaning="authored", password=PASSWORD, verify_password=verify,
                     reason="re-signed after correcting the WISCI level")
    assert [s.state for s in visit_signatures(store, visit.id)] == ["broken", "valid"]
    assert {(s.record_id, s.version) for s in new.signed} == {(first.id, 2), (second.id, 1)}
    assert visit_signature_state(store, visit.id) == "signed"


def test_deleting_or_adding_an_assessment_shows_on_the_visit(store):
    visit, (first, _) = _visit_with_assessments(store)
    sig = sign_visit(store, visit.id, meaning="reviewed", password=PASSWORD, verify_password=verify)
    store.add(f.assessment(visit_id=visit.id, total=3))
    assert visit_signature_state(store, visit.id) == "partly signed"
    store.delete(first, reason="entered for the wrong visit")
    assert signature_status(store, sig).changed == (f"outcome_assessments/{first.id}: deleted after signing",)
    assert visit_signature_state(store, visit.id) == "signature broken"


def test_a_signature_over_versions_not_stored_is_refused(store):
    visit, (first, second) = _visit_with_assessments(store)
    forged = Signature(visit_id=visit.id, signer=store.user.name, meaning="approved",
                       signed_at="2026-04-01T10:00:00+00:00",
                       signed=(signed_version(first), SignedVersion(table="outcome_assessments", record_id=second.id,
                                                                    version=1, sha256="0" * 64)))
    with pytest.raises(ValidationError) as info:
        store.add(forged)
    assert info.value.fields == ("signed[1]",)
    other = f.visit(name="baseline")
    store.add(other)
    with pytest.raises(ValidationError) as info:
        store.add(dataclasses.replace(forged, visit_id=other.id, signed=(signed_version(first),)))
    assert "a record of visit" in info.value.problems[0].allowed
    assert _count(store, "signatures") == 0


def test_a_visit_without_assessments_cannot_be_signed(store):
    f.seeded(store)
    visit = f.visit()
    store.add(visit)
    with pytest.raises(ValidationError) as info:
        sign_visit(store, visit.id, meaning="approved", password=PASSWORD, verify_password=verify)
    assert info.value.fields == ("visit_id",)


@settings(max_examples=examples(100), deadline=None)
@given(a=st.integers(0, 20), b=st.integers(0, 20),
       notes=st.one_of(st.none(), st.text(f.STORABLE_CHARS, min_size=1, max_size=20)))
def test_content_hash_changes_exactly_when_the_content_does(a, b, notes):
    x = f.assessment(total=a)
    y = dataclasses.replace(x, item_values={"level": b}, scores={"total": b},
                            notes=notes if notes and notes.strip() else None)
    assert (content_hash(x) == content_hash(y)) == (x.to_plain() == y.to_plain())


def test_by_default_the_password_is_checked_against_the_signers_account(store):
    from tests.records.accounts import password_of

    visit, _ = _visit_with_assessments(store)
    with pytest.raises(PermissionDeniedError):
        sign_visit(store, visit.id, meaning="approved", password="wrong-password-123")
    assert _count(store, "signatures") == 0
    if store.engine.dialect.name == "sqlite":  # PostgreSQL logs refused logins in its server log
        with store.engine.connect() as conn:
            refused = conn.execute(sa.text("SELECT user_name FROM auth_events WHERE event = 'login_refused'")).all()
        assert [r[0] for r in refused] == [store.user.name]
    sig = sign_visit(store, visit.id, meaning="approved", password=password_of(store.user.name))
    assert signature_status(store, sig).state == "valid"


def test_only_an_investigator_signs(store):
    from tests.records.accounts import as_user, password_of

    visit, _ = _visit_with_assessments(store)
    assessor = as_user(store, "a.ssessor", "assessor", "ZH")
    try:
        with pytest.raises(PermissionDeniedError):
            sign_visit(assessor, visit.id, meaning="authored", password=password_of("a.ssessor"))
    finally:
        assessor.close()
    assert _count(store, "signatures") == 0
