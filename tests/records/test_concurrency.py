"""Two real processes writing at once: nothing lost, the later writer told of the conflict."""

from __future__ import annotations

import dataclasses
import multiprocessing as mp

import pytest

from tests.records import _writers
from tests.records import factories as f
from tests.records.accounts import as_user
from workbench.records import OutcomeAssessment, Participant

TIMEOUT_S = 90


def _run(target, args_list):
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(args_list))
    results = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, barrier, results)) for args in args_list]
    for p in procs:
        p.start()
    try:
        out = [results.get(timeout=TIMEOUT_S) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=TIMEOUT_S)
            if p.is_alive():
                p.kill()
    return out


@pytest.mark.slow
def test_two_processes_updating_one_record(store):
    f.seeded(store)
    for field in ("age_years", "sex"):
        as_user(store, f"writer-{field}", "investigator").close()
    out = _run(_writers.update_after_barrier,
               [(store.url, "SCI-001", "age_years", 41), (store.url, "SCI-001", "sex", "M")])
    outcomes = sorted(o[1] for o in out)
    assert outcomes == ["conflict", "ok"], out
    (winner,) = [o[0] for o in out if o[1] == "ok"]
    (loser,) = [o for o in out if o[1] == "conflict"]
    assert "changed by someone else" in loser[2]
    stored = store.get(Participant, "SCI-001")
    assert stored.version == 2
    assert (stored.age_years == 41) == (winner == "age_years") and (stored.sex == "M") == (winner == "sex")
    # The loser re-reads and re-applies: both changes are kept.
    value = {"age_years": 41, "sex": "M"}[loser[0]]
    store.update(dataclasses.replace(stored, **{loser[0]: value}), reason="re-applied after conflict")
    final = store.get(Participant, "SCI-001")
    assert (final.age_years, final.sex, final.version) == (41, "M", 3)
    assert store.verify_audit().ok


@pytest.mark.slow
def test_two_processes_appending_keep_one_chain(store):
    f.seeded(store)
    for tag in "AB":
        as_user(store, f"assessor-{tag}", "assessor", "ZH").close()
    n = 15
    out = _run(_writers.add_assessments, [(store.url, "SCI-001", n, "A"), (store.url, "SCI-001", n, "B")])
    assert sorted(out) == [("A", "ok", ""), ("B", "ok", "")], out
    saved = store.find(OutcomeAssessment)
    assert sorted(o.assessor for o in saved) == ["assessor-A"] * n + ["assessor-B"] * n
    report = store.verify_audit()
    assert report.ok, report.summary()
    users = store.audit_trail().user_name
    assert {"assessor-A", "assessor-B"} <= set(users)


