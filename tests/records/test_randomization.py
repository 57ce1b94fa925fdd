"""Randomization: permuted blocks of random size per stratum, seeded, sealed until a participant is randomized."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.records import factories as f
from workbench.errors import PermissionDeniedError, ValidationError
from workbench.records import Allocation, AllocationSequence, Participant
from workbench.records.randomization import (
    blinded, blinded_view, generate_sequences, permuted_blocks, randomize, reveal, verify_sequence,
)

SEED = 20260122
seeds = st.integers(0, 2 ** 63 - 1)
arm_sets = st.sampled_from([("BCI", "control"), ("A", "B", "C")])
multiples = st.lists(st.integers(1, 4), min_size=1, max_size=3, unique=True)


@settings(max_examples=150, deadline=None)
@given(seed=seeds, n=st.integers(1, 120), arms=arm_sets, mult=multiples)
def test_every_completed_block_is_balanced_and_sized_as_allowed(seed, n, arms, mult):
    plan = permuted_blocks(seed, ("ZH", "B"), n, arms, mult)
    assert len(plan) == n
    blocks: dict[int, list] = {}
    for block, size, arm in plan:
        blocks.setdefault(block, []).append((size, arm))
    assert list(blocks) == list(range(1, len(blocks) + 1))
    for number, members in blocks.items():
        (size,) = {s for s, _ in members}
        assert size in {m * len(arms) for m in mult}
        if len(members) == size:  # completed: every arm equally often
            assert Counter(a for _, a in members) == {a: size // len(arms) for a in arms}
        else:
            assert number == len(blocks)  # only the last block may be cut short


@settings(max_examples=100, deadline=None)
@given(seed=seeds, n=st.integers(1, 60), arms=arm_sets, site=st.sampled_from(["ZH", "HD"]),
       grade=st.sampled_from("ABCDE"))
def test_every_strata_sequence_is_reproducible_from_the_seed(seed, n, arms, site, grade):
    once = permuted_blocks(seed, (site, grade), n, arms)
    assert permuted_blocks(seed, (site, grade), n, arms) == once
    # A longer sequence from the same seed starts with the same allocations (it extends, never reshuffles).
    assert permuted_blocks(seed, (site, grade), n + 10, arms)[:n] == once


def _enrol(store, pid, seed=SEED, **kw):
    return randomize(store, f.participant(pid, **kw), seed=seed, consent=f.consent(pid))


@pytest.fixture
def sequenced(store):
    store.add(f.study(), f.site())
    seqs = generate_sequences(store, "BCI-SCI-01", seed=SEED, n_per_stratum=24)
    return store, seqs


def test_sequences_are_stored_per_stratum_sealed_and_reproducible(sequenced):
    store, seqs = sequenced
    assert {(s.site_id, s.ais_grade) for s in seqs} == {("ZH", g) for g in "ABCDE"}
    for seq in seqs:
        text = " ".join(f"{slot.to_plain()}" for slot in seq.slots)
        assert "BCI" not in text and "control" not in text  # the arms are not in the stored slots
        assert verify_sequence(seq, SEED) == []
        assert verify_sequence(seq, SEED + 1) != []


@settings(max_examples=30, deadline=None)
@given(other=seeds.filter(lambda s: s != SEED), position=st.integers(1, 24))
def test_no_slot_opens_without_the_seed(other, position):
    seq = _sealed_b_sequence()
    with pytest.raises(PermissionDeniedError):
        reveal(seq, position, other)
    assert reveal(seq, position, SEED) == permuted_blocks(SEED, ("ZH", "B"), 24, ("BCI", "control"))[position - 1][2]


def _sealed_b_sequence():
    from workbench.records.randomization import SealedSlot, seal, seed_commitment

    plan = permuted_blocks(SEED, ("ZH", "B"), 24, ("BCI", "control"))
    sid = "AS-BCI-SCI-01-ZH-B"
    return AllocationSequence(id=sid, study_id="BCI-SCI-01", site_id="ZH", ais_grade="B", arms=("BCI", "control"),
                              block_multiples=("1", "2"), algorithm="test", seed_sha256=seed_commitment(SEED),
                              generated_at="2026-01-01T00:00:00+00:00", generated_by="stat",
                              slots=tuple(SealedSlot(position=i, block=b, block_size=s, seal=seal(SEED, sid, i, a))
                                          for i, (b, s, a) in enumerate(plan, start=1)))


def test_randomization_follows_the_sequence_and_is_a_record_in_the_trail(sequenced):
    store, seqs = sequenced
    plan = permuted_blocks(SEED, ("ZH", "B"), 24, ("BCI", "control"))
    got = [_enrol(store, f"SCI-{i:03d}") for i in range(1, 7)]
    assert [(a.position, a.arm) for _, a in got] == [(i, plan[i - 1][2]) for i in range(1, 7)]
    assert all(p.arm == a.arm for p, a in got)
    (seq_b,) = [s for s in seqs if s.ais_grade == "B"]
    assert verify_sequence(seq_b, SEED, store.find(Allocation)) == []
    first = got[0][1]
    assert set(store.audit_trail(first).field.dropna()) >= {"arm", "position", "sequence_id"}
    other_stratum = _enrol(store, "SCI-100", baseline_ais="C")[1]
    assert (other_stratum.position, other_stratum.sequence_id) == (1, "AS-BCI-SCI-01-ZH-C")


def test_randomization_needs_consent_the_seed_and_a_generated_sequence(sequenced):
    store, _ = sequenced
    with pytest.raises(ValidationError) as info:
        randomize(store, f.participant("SCI-001"), seed=SEED)  # no consent
    assert info.value.fields == ("Allocation[1].randomized_at",)
    with pytest.raises(PermissionDeniedError):
        _enrol(store, "SCI-001", seed=SEED + 1)
    assert store.find(Participant) == [] and store.find(Allocation) == []
    with pytest.raises(ValidationError, match="generated before enrolment"):
        _enrol(store, "SCI-001") and generate_sequences(store, "BCI-SCI-01", seed=SEED, n_per_stratum=4)


def test_the_allocated_arm_cannot_be_changed(sequenced):
    store, _ = sequenced
    participant, allocation = _enrol(store, "SCI-001")
    other = next(a for a in ("BCI", "control") if a != allocation.arm)
    with pytest.raises(ValidationError) as info:
        store.update(dataclasses.replace(participant, arm=other), reason="wrong arm typed")
    assert info.value.fields == ("arm",) and allocation.arm in info.value.problems[0].allowed


def test_assessors_do_not_see_the_arm(sequenced):
    store, _ = sequenced
    _enrol(store, "SCI-001")
    frame = pd.DataFrame({"participant_id": ["SCI-001"], "arm": ["BCI"], "value": [3]})
    assert "arm" not in blinded(frame, "assessor").columns
    assert list(blinded(frame, "investigator").columns) == ["participant_id", "arm", "value"]
    assert "arm" in blinded_view(store, "participants").columns  # the investigator randomized: not blind
    assert "arm" not in blinded(store.frame(Participant), "assessor").columns


def test_an_assessor_cannot_randomize_and_sees_no_arm(sequenced):
    from tests.records.accounts import as_user

    store, _ = sequenced
    _enrol(store, "SCI-001")
    assessor = as_user(store, "a.ssessor", "assessor", "ZH")
    try:
        with pytest.raises(PermissionDeniedError):
            _enrol(assessor, "SCI-002")
        assert "arm" not in blinded_view(assessor, "participants").columns
        assert "arm" not in blinded_view(assessor, "outcomes").columns
    finally:
        assessor.close()


def test_the_store_keeps_the_arm_from_assessors_and_the_sequence_from_all_but_the_allocation_roles(sequenced):
    """The same on SQLite (the store enforces it) and PostgreSQL (the database also does: test_pg_roles)."""
    from tests.records.accounts import as_user
    from workbench.records.blinding import MASK

    store, _ = sequenced
    participant, allocation = _enrol(store, "SCI-001")
    assert participant.arm in ("BCI", "control")
    v = f.visit()
    assessor = as_user(store, "a.ssessor", "assessor", "ZH")
    try:
        assessor.add(v, f.assessment(visit_id=v.id))  # writing reads the participant: works blind
        assert assessor.get(Participant, "SCI-001").arm == MASK
        assert [p.arm for p in assessor.find(Participant)] == [MASK]
        assert set(assessor.frame(Participant)["arm"]) == {MASK}
        assert set(assessor.outcomes("long")["arm"]) == {MASK}
        assert assessor.get(Allocation, allocation.id).arm == MASK
        assert f"arm {MASK}, site ZH" in set(assessor.timeline("SCI-001")["what"])
        trail = assessor.audit_trail()
        assert ((trail.entity == "participants") & (trail.field == "age_years")).any()
        assert ((trail.entity == "allocations") & (trail.field == "position")).any()
        assert not ((trail.entity.isin(["participants", "allocations"])) & (trail.field == "arm")).any()
        assert not (trail.entity == "allocation_sequences").any()
        assert json.dumps(participant.arm) not in set(trail.new_value.dropna()) | set(trail.old_value.dropna())
        with pytest.raises(PermissionDeniedError, match="allocation concealment"):
            assessor.find(AllocationSequence)
    finally:
        assessor.close()
    for name, role, site in [("e.ng", "engineer", "ZH"), ("m.on", "monitor", None)]:
        other = as_user(store, name, role, site)
        try:
            assert other.get(Participant, "SCI-001").arm == participant.arm  # not blinded
            with pytest.raises(PermissionDeniedError, match="allocation concealment"):
                other.get(AllocationSequence, allocation.sequence_id)
        finally:
            other.close()
    assert store.get(AllocationSequence, allocation.sequence_id).seed_sha256  # the allocation role reads it
    assert store.verify_audit().ok
