"""The demo study is randomized through the records API `workbench randomize` calls, and every view counts it
from the Allocation records."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from workbench.errors import ValidationError
from workbench.records import Allocation, AllocationSequence, Participant
from workbench.records.demo import DEMO_ALLOCATION_SEED, DEMO_USERS
from workbench.records.types.randomization import randomize, verify_sequence
from workbench.report import load_trial
from workbench.report import summaries as S


@pytest.fixture(scope="module")
def data(demo):
    return load_trial(demo[1], today=date(2026, 11, 22))


def test_every_demo_participant_was_randomized_on_their_enrolment_day(demo):
    ws, store = demo
    allocations = {a.participant_id: a for a in store.find(Allocation)}
    participants = store.find(Participant, study_id="BCI-SCI-DEMO")
    assert set(allocations) == {p.id for p in participants}
    for p in participants:
        a = allocations[p.id]
        assert a.arm == p.arm and a.randomized_at.date() == p.enrolment_date
        assert a.randomized_by == DEMO_USERS["allocator"]
    # SCI-004 withdrew in June: allocated in February, while its consent was in force.
    assert allocations["SCI-004"].randomized_at.date() < date(2026, 6, 9)
    assert (ws.root / "keys" / "demo-allocation-seed").read_text().strip() == str(DEMO_ALLOCATION_SEED)


def test_the_demo_sequence_regenerates_from_its_seed(demo):
    from workbench.records.demo import open_demo_store

    ws, _ = demo
    with open_demo_store(ws.root, role="allocator") as store:
        allocations = store.find(Allocation)
        for sequence in store.find(AllocationSequence, study_id="BCI-SCI-DEMO"):
            assert sequence.generated_at < min(a.randomized_at for a in allocations)
            assert verify_sequence(sequence, DEMO_ALLOCATION_SEED, allocations) == []


def test_consort_flow_of_the_demo_counts_four_randomized(data):
    flow = S.consort_flow(data).set_index("arm")
    assert flow.loc["BCI", "allocated"] == 2 and flow.loc["control", "allocated"] == 2
    assert flow["assigned without randomization"].sum() == 0
    assert S.consort_enrolment(data) == {"enrolled": 4, "awaiting randomization": 0}


def test_randomizing_in_the_future_is_refused(demo):
    from workbench.records.demo import open_demo_store

    ws, _ = demo
    with open_demo_store(ws.root, role="allocator") as store:
        with pytest.raises(ValidationError, match="randomized_at"):
            randomize(store, "SCI-001", seed=DEMO_ALLOCATION_SEED,
                      randomized_at=datetime(2999, 1, 1, tzinfo=timezone.utc))
