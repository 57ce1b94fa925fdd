"""The study's identifier policy lives in the study database and governs every write (issue 24, item 7).

On SQLite and PostgreSQL: stored through the keyed trail (who, when, why) by a
study-wide investigator only, read by every role, applied to every write of
every store of the study; a process whose own policy differs is refused; a
stricter policy that stored records do not meet is refused with the records
named; a database made before migration 0014 keeps the defaults.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO
from tests.records import factories as f
from tests.records.accounts import as_user, login, password_of
from workbench.errors import PermissionDeniedError, ValidationError
from workbench.records import Participant, Session, Site
from workbench.records.storage.engine import create_engine
from workbench.records.storage.migrate import current_revision, head_revision, upgrade_database
from workbench.records.types.identifiers import POLICY_VAR, IdentifierPolicy, active_policy, use_policy
from workbench.records.types.policy import StoredIdentifierPolicy
from tests.budget import examples

#: The study numbers its participants P0001...; the default PREFIX-NNN would refuse them.
OWN = IdentifierPolicy(patterns={"pseudonym": r"(SCI-[0-9]{3}|P[0-9]{4})"})
STRICT = IdentifierPolicy(patterns={"pseudonym": r"P[0-9]{4}"})


@pytest.fixture(autouse=True)
def _no_process_policy(monkeypatch):
    monkeypatch.delenv(POLICY_VAR, raising=False)


def _policy_entries(store):
    trail = store.audit_trail()
    return trail[trail.entity == StoredIdentifierPolicy.TABLE]


def test_a_study_without_a_stored_policy_keeps_the_defaults(store):
    f.seeded(store)
    assert store.identifier_policy is None and active_policy() == IdentifierPolicy()
    with pytest.raises(ValidationError, match="pseudonym"):
        f.participant("P0001")


def test_the_stored_policy_is_applied_to_every_write_of_every_store(store):
    f.seeded(store)
    store.set_identifier_policy(OWN, reason="the sites number participants P0001...")
    assert store.identifier_policy == OWN and active_policy() == OWN
    store.add(f.participant("P0001"), f.consent("P0001"))
    # Another login to the same study (a second user) works under the same stored policy.
    other = as_user(store, "dr.two", "investigator")
    try:
        assert other.identifier_policy == OWN
        other.add(f.participant("P0002"), f.consent("P0002"))
        # A record made under some other policy in this process still meets the study's at the write.
        with use_policy(IdentifierPolicy(patterns={"pseudonym": r"[A-Z]+[0-9]+"})):
            stray = f.participant("XY12")
        with pytest.raises(ValidationError) as err:
            other.add(stray)
        (problem,) = err.value.problems
        assert (problem.field, problem.value) == ("id", "XY12") and OWN.pattern("pseudonym") in problem.allowed
        # An update is checked on the codes it changes.
        session = Session(participant_id="P0002", started_at=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), operator="dr.two", device="g.USBamp",
                          montage="C3-C4")
        (session,) = other.add(session)
        with use_policy(IdentifierPolicy(patterns={"staff": r".+"})):
            renamed = dataclasses.replace(session, operator="jane doe")
        with pytest.raises(ValidationError) as err:
            other.update(renamed, reason="test")
        assert [(p.field, p.value) for p in err.value.problems] == [("operator", "jane doe")]
    finally:
        other.close()
    assert {p.id for p in store.find(Participant)} == {"SCI-001", "P0001", "P0002"}


def test_a_policy_changed_by_someone_else_applies_to_the_next_write(store):
    f.seeded(store)
    other = as_user(store, "dr.two", "investigator")
    try:
        made_before = f.participant("SCI-002")  # under the defaults other logged in with
        store.set_identifier_policy(IdentifierPolicy(patterns={"pseudonym": r"SCI-001|P[0-9]{4}"}),
                                    reason="new participants get P numbers")
        # other's next write reads the stored policy inside its own transaction.
        with pytest.raises(ValidationError) as err:
            other.add(made_before, f.consent("SCI-002"))
        assert [(p.field, p.value) for p in err.value.problems] == [("Participant[0].id", "SCI-002")]
        other.add(f.participant("P0003"), f.consent("P0003"))  # made under the policy other now has
    finally:
        other.close()


def test_the_change_is_in_the_trail_and_the_trail_verifies(store):
    f.seeded(store)
    store.set_identifier_policy(OWN, reason="P numbers from the screening log")
    changed = IdentifierPolicy(patterns=OWN.patterns, shown_labels=frozenset({"studies.title"}))
    store.set_identifier_policy(changed, reason="the title carries no names")
    assert store.set_identifier_policy(changed, reason="again") == changed  # the same policy: nothing written
    entries = _policy_entries(store)
    assert list(entries.action) == ["create", "create", "update"]
    assert set(entries.user_name) == {"dr.inv"} and set(entries.role) == {"investigator"}
    assert list(entries.reason) == ["P numbers from the screening log"] * 2 + ["the title carries no names"]
    assert json.loads(entries.new_value.iloc[-1]) == ["studies.title"]
    report = store.verify_audit()
    assert report.ok, report.summary()


def test_every_role_reads_the_policy_and_only_a_study_wide_investigator_changes_it(store):
    f.seeded(store)
    store.set_identifier_policy(OWN, reason="P numbers")
    before = len(store.audit_trail())
    for name, role, site in (("mon", "monitor", None), ("dm", "data_manager", None), ("eng", "engineer", "ZH"),
                             ("ass", "assessor", "ZH"), ("spo", "sponsor", None), ("alloc", "allocator", None),
                             ("dr.site", "investigator", "ZH")):
        other = as_user(store, name, role, site)
        before = len(store.audit_trail())
        try:
            assert other.identifier_policy == OWN
            with pytest.raises(PermissionDeniedError, match="identifier policy|StoredIdentifierPolicy"):
                other.set_identifier_policy(IdentifierPolicy(), reason="try")
        finally:
            other.close()
        assert len(store.audit_trail()) == before
    assert store.identifier_policy == OWN
    # The row itself is not written past the check of the stored records.
    (row,) = store.find(StoredIdentifierPolicy)
    for write in (lambda: store.update(dataclasses.replace(row, patterns={}), reason="x"),
                  lambda: store.delete(row, reason="x"),
                  lambda: store.add(StoredIdentifierPolicy.of(IdentifierPolicy()))):
        with pytest.raises(ValidationError, match="set_identifier_policy"):
            write()


def test_a_policy_the_stored_records_do_not_meet_is_refused_and_names_them(store):
    f.seeded(store, n_participants=3)
    before = len(store.audit_trail())
    with pytest.raises(ValidationError) as err:
        store.set_identifier_policy(STRICT, reason="tighten")
    found = [(p.field, p.value) for p in err.value.problems]
    assert found == [(f"Participant[SCI-00{i}].id", f"SCI-00{i}") for i in (1, 2, 3)]
    assert all(STRICT.pattern("pseudonym") in p.allowed for p in err.value.problems)
    assert "nothing changed" in str(err.value)
    assert store.identifier_policy is None and len(store.audit_trail()) == before
    # A site code pattern: the site record is named by its own type.
    with pytest.raises(ValidationError) as err:
        store.set_identifier_policy(IdentifierPolicy(patterns={"site": r"S[0-9]{2}"}), reason="numbered sites")
    assert ("Site[ZH].id", "ZH") in [(p.field, p.value) for p in err.value.problems]
    assert store.find(Site)[0].id == "ZH"


def test_concealed_allocation_sequences_are_checked_without_being_read(store):
    """The investigator may not read the sequences (allocation concealment), yet a policy their ids would
    fail is refused: the ids follow from the sites and AIS grades, generated or still to be."""
    from workbench.records.types.participant import AIS_GRADES
    from workbench.records.types.randomization import AllocationSequence, generate_sequences

    f.seeded(store, n_participants=0)
    no_sequence_ids = IdentifierPolicy(patterns={"record_id": r"(?!AS-)[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}"})
    assert not store.may_read(AllocationSequence)
    for generated in (False, True):
        if generated:
            with as_user(store, "al.loc", "allocator") as allocator:
                made = generate_sequences(allocator, "BCI-SCI-01", seed=3, n_per_stratum=2)
            assert {s.id for s in made} == {f"AS-BCI-SCI-01-ZH-{g}" for g in AIS_GRADES}
        with pytest.raises(ValidationError) as err:
            store.set_identifier_policy(no_sequence_ids, reason="no AS- prefix")
        found = [(p.field.split(" ")[0], p.value) for p in err.value.problems]
        assert found == [(f"AllocationSequence[AS-BCI-SCI-01-ZH-{g}].id", f"AS-BCI-SCI-01-ZH-{g}")
                         for g in AIS_GRADES], generated
        assert "concealed" in err.value.problems[0].field and store.identifier_policy is None
    store.set_identifier_policy(IdentifierPolicy(patterns={"record_id": r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,40}"}),
                                reason="shorter codes")  # one the sequences meet is taken


def test_a_process_with_another_policy_is_refused_at_login(store, tmp_path, monkeypatch):
    f.seeded(store)
    store.set_identifier_policy(OWN, reason="P numbers")
    other = tmp_path / "policy.json"
    other.write_text(json.dumps({"patterns": {"pseudonym": "[A-Z]+"}}))
    monkeypatch.setenv(POLICY_VAR, str(other))
    with pytest.raises(ValidationError) as err:
        login(store.url, "dr.inv")
    (problem,) = err.value.problems
    assert problem.field == f"{other}: patterns.pseudonym" and problem.value == "[A-Z]+"
    assert OWN.pattern("pseudonym") in problem.allowed and POLICY_VAR in problem.allowed
    # The same policy in the file is no conflict.
    other.write_text(json.dumps({"patterns": dict(OWN.patterns)}))
    login(store.url, "dr.inv").close()


_SECOND_PROCESS = """
import sys
from workbench.errors import ValidationError
from workbench.records import Store
try:
    Store(sys.argv[1], user="dr.inv", password=sys.argv[2]).close()
except ValidationError as err:
    print(err)
    sys.exit(3)
print("logged in")
"""


def test_a_second_process_with_a_different_env_policy_is_refused(store, tmp_path):
    f.seeded(store)
    store.set_identifier_policy(OWN, reason="P numbers")
    theirs = tmp_path / "theirs.json"
    theirs.write_text(json.dumps({"patterns": {"pseudonym": "SUBJ[0-9]+"}}))
    env = {**os.environ, POLICY_VAR: str(theirs)}
    proc = subprocess.run([sys.executable, "-c", _SECOND_PROCESS, store.url, password_of("dr.inv")], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "patterns.pseudonym" in proc.stdout and "SUBJ[0-9]+" in proc.stdout
    assert OWN.pattern("pseudonym") in proc.stdout and "Traceback" not in proc.stderr
    env.pop(POLICY_VAR)
    proc = subprocess.run([sys.executable, "-c", _SECOND_PROCESS, store.url, password_of("dr.inv")], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "logged in" in proc.stdout, proc.stdout + proc.stderr


def test_a_database_made_before_0014_opens_with_the_defaults(store):
    f.seeded(store)
    store.close()
    engine = create_engine(store.url)  # the owner's connection, as `workbench db upgrade` uses
    try:
        assert upgrade_database(engine, "0013") == "0013"
        assert "identifier_policy" not in sa.inspect(engine).get_table_names()
        assert upgrade_database(engine) == head_revision() == current_revision(engine)
    finally:
        engine.dispose()
    again = login(store.url, "dr.inv")
    try:
        assert again.identifier_policy is None and active_policy() == IdentifierPolicy()
        again.add(f.participant("SCI-002"), f.consent("SCI-002"))
        report = again.verify_audit()
        assert report.ok, report.summary()
        again.set_identifier_policy(OWN, reason="stored after the upgrade")
        assert again.verify_audit().ok
    finally:
        again.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@settings(max_examples=examples(12), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(digits=st.integers(2, 5), pid=st.from_regex(r"P[0-9]{1,6}", fullmatch=True))
def test_a_write_is_taken_exactly_when_the_stored_pattern_matches(store, digits, pid):
    policy = IdentifierPolicy(patterns={"pseudonym": f"SCI-[0-9]{{3}}|P[0-9]{{{digits}}}"})
    if not store.find(Site):
        f.seeded(store)
    store.set_identifier_policy(policy, reason="property test")  # only SCI-001 is stored between examples
    with use_policy(IdentifierPolicy(patterns={"pseudonym": r"P[0-9]+"})):  # made under a laxer policy
        rec, con = f.participant(pid), f.consent(pid)
    if len(pid) - 1 == digits:
        saved = store.add(rec, con)
        assert store.get(Participant, pid).id == pid
        for done in reversed(saved):
            store.delete(done, reason="property test: next example")
    else:
        with pytest.raises(ValidationError) as err:
            store.add(rec, con)
        assert [(p.field, p.value) for p in err.value.problems] == [("Participant[0].id", pid)]
