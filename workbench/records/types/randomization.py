"""Randomization: permuted blocks of random sizes, stratified by site and AIS grade, concealed until used.

The allocation sequence is generated before enrolment (ICH E9 2.3.1, 2.3.2:
blocks of varying length, stratified randomization; CONSORT 2010 items 8-10:
sequence generation, allocation concealment, implementation), one sequence per
stratum (site x baseline AIS grade), each from a seeded generator so the
whole sequence can be regenerated and checked from the seed.

Two steps, two roles (CONSORT 2010 items 9-10; ICH E9 2.3.1: who enrols must
not be able to foresee the next assignment): an investigator *enrols*
(:func:`enrol`: the participant, with the arm :data:`PENDING_ARM`, and their
consent); the allocation role (``allocator``, a separate account and, on
PostgreSQL, a separate database role) *randomizes* an enrolled participant
whose consent is in force (:func:`randomize`). Only the allocator reads the
sequences and holds the seed; investigators, assessors, engineers, monitors,
sponsors and data managers are refused the sequence by the store and, on
PostgreSQL, by the database.

Concealment: the database keeps, per slot, only an HMAC-SHA-256 seal of the
arm keyed by the seed, never the arm itself; the seed is held by the
allocator outside the database (like the audit key), and also kept as a
SHA-256 commitment so a seed shown later can be checked. The arm of a slot is
revealed only by :func:`randomize`, which needs the seed, checks the seal and
writes the :class:`Allocation` (a record in the audit trail); in the same
transaction the store sets the participant's arm from it on the allocator's
behalf (:meth:`~workbench.records.store.Store.allocate`: the one field the
allocator may change on a participant), so everything that reads the arm
(analysis, reports, the dashboard) keeps reading the participant, and a
participant's arm in a randomized study can only be the allocated one
(storage/rules.py; on PostgreSQL also a trigger, migration 0009). Assessors are
blind: the store never reads the arm for them (it shows
:data:`~workbench.records.storage.blinded_reads.MASK`), PostgreSQL refuses them the
column, and :func:`blinded` drops the arm column from frames shown to them
(ICH E9 2.3.1).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from datetime import datetime, timezone
from typing import ClassVar, Sequence

import numpy as np

from ...errors import PermissionDeniedError, Problem, ValidationError
from .base import ALLOCATION_ROLES, BLINDED_ROLES, Record, TableRecord
from .fields import CODE, LABEL, id_field, spec
from .participant import AIS_GRADES, Participant

#: The role that randomizes (and so sees the arm at allocation): the allocation role only, never
#: an enrolling one (access/blinding.py). It reads sequences and writes sequences and allocations.
RANDOMIZERS = ALLOCATION_ROLES
#: The arm of an enrolled participant until the allocator randomizes them (the column stays
#: NOT NULL: a placeholder, refused as an arm by every analysis that groups by the study's arms).
PENDING_ARM = "not randomized"
#: Block sizes are multiples of the number of arms; the multiple is drawn at random per block.
DEFAULT_BLOCK_MULTIPLES = (1, 2)
ALGORITHM = "permuted blocks of random size; numpy PCG64 seeded with (seed, sha256(stratum)); v1"


@dataclasses.dataclass(frozen=True, kw_only=True)
class SealedSlot(Record):
    """One position of a sequence: its block, and a seal of its arm (the arm is not stored)."""

    position: int = spec("int", label="position in the stratum's sequence", min=1)
    block: int = spec("int", label="block number", min=1)
    block_size: int = spec("int", label="size of its block", min=1)
    seal: str = spec("str", label="HMAC-SHA-256 of the arm, keyed by the seed", pattern=r"[0-9a-f]{64}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class AllocationSequence(TableRecord):
    """The concealed allocation sequence of one stratum (site x AIS grade), generated before enrolment."""

    TABLE: ClassVar[str] = "allocation_sequences"
    WRITERS: ClassVar[frozenset[str]] = RANDOMIZERS
    UNIQUE: ClassVar[tuple[tuple[str, ...], ...]] = (("study_id", "site_id", "ais_grade"),)

    id: str = id_field()
    study_id: str = spec("str", label="protocol identifier", ref="studies")
    site_id: str = spec("str", label="stratum: site", ref="sites")
    ais_grade: str = spec("str", label="stratum: AIS grade at baseline", choices=AIS_GRADES)
    arms: tuple = spec("strs", label="arms, in the order the seals use", pattern=CODE)
    block_multiples: tuple = spec("strs", label="allowed block sizes, as multiples of the number of arms",
                                  pattern=r"[1-9][0-9]?")
    algorithm: str = spec("str", label="generator and its version", pattern=LABEL)
    seed_sha256: str = spec("str", label="SHA-256 commitment to the seed", pattern=r"[0-9a-f]{64}")
    generated_at: object = spec("datetime", label="generated at (UTC)")
    generated_by: str = spec("str", label="generated by (user name)", pattern=LABEL)
    slots: tuple = spec("nested", label="sealed slots", item=SealedSlot)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Allocation(TableRecord):
    """A participant's randomized arm: the slot used, when and by whom."""

    TABLE: ClassVar[str] = "allocations"
    WRITERS: ClassVar[frozenset[str]] = RANDOMIZERS
    UNIQUE: ClassVar[tuple[tuple[str, ...], ...]] = (("sequence_id", "position"), ("participant_id",))

    id: str = id_field()
    participant_id: str = spec("str", label="pseudonym", ref="participants")
    sequence_id: str = spec("str", label="allocation sequence (stratum)", ref="allocation_sequences")
    position: int = spec("int", label="slot used", min=1)
    arm: str = spec("str", label="arm allocated", pattern=CODE)
    randomized_at: object = spec("datetime", label="randomized at (UTC)")
    randomized_by: str = spec("str", label="randomized by (user name)", pattern=LABEL)


# -- generation (pure) ----------------------------------------------------------------------
def _rng(seed: int, stratum: tuple[str, str]) -> np.random.Generator:
    digest = hashlib.sha256("\x1f".join(stratum).encode("utf-8")).digest()
    return np.random.default_rng([int(seed), *np.frombuffer(digest, dtype=np.uint32).tolist()])


def permuted_blocks(seed: int, stratum: tuple[str, str], n: int, arms: Sequence[str],
                    block_multiples: Sequence[int] = DEFAULT_BLOCK_MULTIPLES) -> list[tuple[int, int, str]]:
    """``(block, block_size, arm)`` for positions 1..n (the last block may be cut short).

    Each block holds every arm equally often, in random order; its size is
    ``len(arms) * m`` with ``m`` drawn from ``block_multiples``, so the next
    allocation cannot be guessed from the end of a block.
    """
    rng = _rng(seed, stratum)
    out: list[tuple[int, int, str]] = []
    block = 0
    while len(out) < n:
        block += 1
        m = int(rng.choice(np.asarray(block_multiples)))
        order = rng.permutation(np.repeat(np.arange(len(arms)), m))
        out += [(block, len(order), arms[k]) for k in order]
    return out[:n]


def _key(seed: int) -> bytes:
    return hashlib.sha256(f"workbench allocation seed {int(seed)}".encode()).digest()


def seal(seed: int, sequence_id: str, position: int, arm: str) -> str:
    """HMAC-SHA-256 of one slot's arm keyed by the seed: reveals nothing without it."""
    return hmac.new(_key(seed), f"{sequence_id}\x1f{position}\x1f{arm}".encode(), hashlib.sha256).hexdigest()


def seed_commitment(seed: int) -> str:
    return hashlib.sha256(_key(seed)).hexdigest()


def _check_seed(seed) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2 ** 63:
        raise ValidationError([Problem("seed", "<withheld>", "an integer in [0, 2**63) kept by the allocation "
                                                             "role outside the database")], what="randomization")


# -- the store side ---------------------------------------------------------------------------
def _when(value, field: str) -> datetime:
    """``value`` (a timezone-aware time, not in the future), or now (UTC) when None.

    Only the demo study's seeding passes a time (records/demo.py: its participants were enrolled months
    before the workspace is made, and allocation belongs on their enrolment day); `workbench randomize`
    never does, so a real trial's sequence and allocations are dated when they happen. The audit
    trail dates every write by the clock either way, so a back-dated record shows as such.
    """
    now = datetime.now(timezone.utc)
    if value is None:
        return now
    if not isinstance(value, datetime) or value.tzinfo is None or value > now:
        raise ValidationError([Problem(field, value, "a timezone-aware time not in the future (or None: now)")],
                              what="randomization")
    return value


def generate_sequences(store, study_id: str, *, seed: int, n_per_stratum: int,
                       block_multiples: Sequence[int] = DEFAULT_BLOCK_MULTIPLES,
                       generated_at: datetime | None = None) -> list[AllocationSequence]:
    """Generate and store one sealed sequence per stratum (every site x AIS grade) of a study.

    Only the allocator may (it holds the seed). Refused once any participant
    of the study has an arm: the sequence must exist before allocation
    (enrolled, not yet randomized participants are fine). Returns the stored sequences.
    """
    from .study import Site, Study

    _check_seed(seed)
    problems = []
    if isinstance(n_per_stratum, bool) or not isinstance(n_per_stratum, int) or not 1 <= n_per_stratum <= 10_000:
        problems.append(Problem("n_per_stratum", n_per_stratum, "an integer from 1 to 10000"))
    if not block_multiples or not all(isinstance(m, int) and 1 <= m <= 20 for m in block_multiples):
        problems.append(Problem("block_multiples", list(block_multiples), "integers from 1 to 20"))
    if problems:
        raise ValidationError(problems, what="randomization")
    study = store.get(Study, study_id)
    sites = store.find(Site, study_id=study_id)
    if _allocated_in(store, study_id) or any(p.arm != PENDING_ARM
                                              for p in store.find(Participant, study_id=study_id)):
        raise ValidationError([Problem("study_id", study_id, "a study nobody is allocated in yet (the sequence "
                                                             "is generated before enrolment)")], what="randomization")
    now = _when(generated_at, "generated_at")
    sequences = []
    for site in sites:
        for grade in AIS_GRADES:
            seq_id = sequence_id(study_id, site.id, grade)
            plan = permuted_blocks(seed, (site.id, grade), n_per_stratum, study.arms, block_multiples)
            slots = tuple(SealedSlot(position=i, block=b, block_size=size, seal=seal(seed, seq_id, i, arm))
                          for i, (b, size, arm) in enumerate(plan, start=1))
            sequences.append(AllocationSequence(
                id=seq_id, study_id=study_id, site_id=site.id, ais_grade=grade, arms=study.arms,
                block_multiples=tuple(str(m) for m in block_multiples), algorithm=ALGORITHM,
                seed_sha256=seed_commitment(seed), generated_at=now, generated_by=store.user.name, slots=slots))
    return list(store.add(*sequences))


def sequence_id(study_id: str, site_id: str, grade: str) -> str:
    """The id of one stratum's sequence (site x AIS grade).

    Made from records every role reads, so a role the sequences are concealed
    from can still check their ids against a new identifier policy
    (``storage/policy.py``) without reading the table.
    """
    return f"AS-{study_id}-{site_id}-{grade}"


def _allocated_in(store, study_id: str) -> bool:
    ours = {s.id for s in store.find(AllocationSequence, study_id=study_id)}
    return any(a.sequence_id in ours for a in store.find(Allocation))


def enrol(store, participant: Participant, consent=None) -> Participant:
    """Enrol a participant (investigator's step): saved with consent, arm :data:`PENDING_ARM`.

    The arm the caller gave is replaced: in a randomized study only :func:`randomize`
    (the allocator) sets it. Participant and consent are written in one transaction.
    """
    saved = store.add(dataclasses.replace(participant, arm=PENDING_ARM),
                      *((consent,) if consent is not None else ()))
    return saved[0]


def randomize(store, participant_id: str, *, seed: int,
              randomized_at: datetime | None = None) -> tuple[Participant, Allocation]:
    """Randomize an enrolled participant (allocator's step); return (participant, allocation).

    Needs the allocation role and the seed; the participant must be enrolled
    and not yet randomized, with consent in force on the day (storage/rules.py): today,
    or ``randomized_at`` (only the demo's seeding back-dates: see :func:`_when`). The next
    free slot of their stratum (site x baseline AIS grade) is opened, and the
    Allocation and the participant's arm are written in one transaction.
    """
    if store.user.role not in RANDOMIZERS:
        raise PermissionDeniedError(f"user {store.user.name!r} with role {store.user.role!r} may not randomize; "
                                    f"allowed roles: {', '.join(sorted(RANDOMIZERS))}")
    _check_seed(seed)
    when = _when(randomized_at, "randomized_at")
    found = store.find(Participant, id=participant_id)
    if not found or found[0].arm != PENDING_ARM:
        raise ValidationError([Problem("participant_id", participant_id, "an enrolled participant not yet randomized "
                                       f"(arm {PENDING_ARM!r})")], what="randomization")
    (participant,) = found
    found = store.find(AllocationSequence, study_id=participant.study_id, site_id=participant.site_id,
                       ais_grade=participant.baseline_ais)
    if not found:
        raise ValidationError([Problem("site_id/baseline_ais", (participant.site_id, participant.baseline_ais),
                                       "a stratum with a generated allocation sequence")], what="randomization")
    (sequence,) = found
    if not hmac.compare_digest(sequence.seed_sha256, seed_commitment(seed)):
        raise PermissionDeniedError("randomization refused: the seed does not match the sequence's commitment")
    used = {a.position for a in store.find(Allocation, sequence_id=sequence.id)}
    position = next((s.position for s in sequence.slots if s.position not in used), None)
    if position is None:
        raise ValidationError([Problem("sequence", sequence.id, "a sequence with a free slot (all used: generate "
                                                                "more before enrolling)")], what="randomization")
    arm = reveal(sequence, position, seed)
    allocation = Allocation(participant_id=participant.id, sequence_id=sequence.id, position=position, arm=arm,
                            randomized_at=when, randomized_by=store.user.name)
    return store.allocate(allocation)


def reveal(sequence: AllocationSequence, position: int, seed: int) -> str:
    """The arm sealed at ``position`` (needs the seed); a seal matching no arm is an error."""
    slot = next(s for s in sequence.slots if s.position == position)
    arms = [a for a in sequence.arms if hmac.compare_digest(slot.seal, seal(seed, sequence.id, position, a))]
    if len(arms) != 1:
        raise PermissionDeniedError(f"slot {position} of {sequence.id} does not open with this seed")
    return arms[0]


def verify_sequence(sequence: AllocationSequence, seed: int, allocations: Sequence[Allocation] = ()) -> list[str]:
    """Regenerate the stratum's sequence from the seed; what disagrees with the stored seals and allocations."""
    plan = permuted_blocks(seed, (sequence.site_id, sequence.ais_grade), len(sequence.slots), sequence.arms,
                           [int(m) for m in sequence.block_multiples])
    findings = []
    for slot, (block, size, arm) in zip(sequence.slots, plan):
        if (slot.block, slot.block_size) != (block, size) or slot.seal != seal(seed, sequence.id, slot.position, arm):
            findings.append(f"slot {slot.position}: does not match the sequence regenerated from the seed")
    for a in allocations:
        if a.sequence_id == sequence.id and plan[a.position - 1][2] != a.arm:
            findings.append(f"{a.participant_id}: allocated {a.arm!r}, the sequence says {plan[a.position - 1][2]!r}")
    return findings


def blinded(frame, role: str):
    """``frame`` without its ``arm`` column (and any ``*.arm``/``arm_*``) when ``role`` is blinded."""
    if role not in BLINDED_ROLES:
        return frame
    return frame.drop(columns=[c for c in frame.columns if c == "arm" or c.startswith("arm_") or c.endswith(".arm")])


def blinded_view(store, what: str = "outcomes"):
    """The store's ``outcomes`` (long) or ``participants`` frame, without the arm for blinded users."""
    from .participant import Participant as P

    if what not in ("outcomes", "participants"):
        raise ValidationError([Problem("what", what, "'outcomes' or 'participants'")], what="query")
    frame = store.outcomes("long") if what == "outcomes" else store.frame(P)
    return blinded(frame, store.user.role)
