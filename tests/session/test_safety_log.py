"""Every gate decision becomes a SafetyEvent row, batched off the loop's thread, none lost silently."""

from datetime import datetime, timezone

import pytest

from workbench.errors import ValidationError
from workbench.records import SafetyEvent, Session
from workbench.records.demo import open_demo_store
from workbench.session.gate import GateDecision
from workbench.session.results import start_run
from workbench.session.safety_log import SafetyEventWriter


@pytest.fixture
def store_and_run(workspace):
    store = open_demo_store(workspace.root)
    session, = store.add(Session(participant_id="SCI-001", started_at=datetime.now(timezone.utc), device="sim",
                                 montage="sim", operator=store.user.name))
    run = start_run(store, session_id=session.id, number=1, task="gate")
    yield store, session, run
    store.close()


def decisions(n):
    kinds = [("held", "dwell", "close", None), ("passed", "all_limits", "program:walk", 0.4),
             ("blocked", "safe_state", "amplitude", 2.0), ("safe_state", "signal_lost", "off", 0.0),
             ("resumed", "signal_lost", "off", 0.0)]
    return [GateDecision(100.0 + 0.01 * i, *kinds[i % len(kinds)][:3], amplitude_ma=kinds[i % len(kinds)][3],
                         time_to_safe_s=0.08 if kinds[i % len(kinds)][0] == "safe_state" else None,
                         via="program:stand" if i % 10 == 1 else None) for i in range(n)]


def test_every_decision_handed_over_is_saved_in_few_transactions(store_and_run):
    store, session, run = store_and_run
    writer = SafetyEventWriter(store, session_id=session.id, run_id=run.id, period_s=0.05)
    with writer:
        for d in decisions(300):
            writer.put(d)
    rows = store.find(SafetyEvent, run_id=run.id)
    assert len(rows) == writer.n_put == writer.n_written == 300
    assert 1 <= writer.n_transactions < 300
    assert sorted(r.lsl_time for r in rows) == [d.t for d in decisions(300)]
    walk = next(r for r in rows if r.command == "program:walk" and r.lsl_time == pytest.approx(100.01))
    assert walk.decision == "passed" and "via program:stand" in walk.detail and "0.400 mA" in walk.detail
    assert {r.decision for r in rows} == {"held", "passed", "blocked", "safe_state", "resumed"}
    assert store.verify_audit().ok


def test_a_refused_write_is_kept_and_reported_never_dropped_silently(store_and_run):
    store, session, _ = store_and_run
    writer = SafetyEventWriter(store, session_id=session.id, run_id="no-such-run", period_s=0.05)
    writer.start()
    for d in decisions(20):
        writer.put(d)
    with pytest.raises(ValidationError) as err:
        writer.close()
    assert err.value.problems[0].value == 20 and writer.n_written == 0
    assert store.find(SafetyEvent, session_id=session.id) == []


def test_a_flush_over_its_budget_leaves_the_rest_for_the_next_and_close_saves_all(store_and_run):
    # The writer thread's periodic flush works only busy_fraction of its period, so a burst of
    # decisions cannot hold the interpreter away from the loop; close() saves everything.
    store, session, run = store_and_run
    writer = SafetyEventWriter(store, session_id=session.id, run_id=run.id, period_s=3600.0, max_rows=5)
    for d in decisions(60):
        writer.put(d)
    first = writer.flush(budget_s=0.0)  # one transaction is always started, then the budget is spent
    assert first == 5 and writer.n_written == 5
    assert len(store.find(SafetyEvent, run_id=run.id)) == 5
    writer.close()
    assert writer.n_put == writer.n_written == 60
    assert len(store.find(SafetyEvent, run_id=run.id)) == 60


def test_a_writer_left_behind_works_its_catch_up_share_until_the_backlog_is_gone(store_and_run):
    # On a slow machine 10 % of a second holds fewer rows than 1,000 decisions a second: the
    # backlog must shrink at the catch-up share, not grow until close() (issue 20).
    store, session, run = store_and_run
    writer = SafetyEventWriter(store, session_id=session.id, run_id=run.id, period_s=1.0, busy_fraction=0.1,
                               catch_up_fraction=0.4)
    for d in decisions(50):
        writer.put(d)
    assert writer.period_budget_s(arrived=50) == pytest.approx(0.1)  # all of it came in this period
    assert writer.period_budget_s(arrived=20) == pytest.approx(0.4)  # 30 are left from before
    assert writer.n_catch_up == 1
    writer.flush()
    assert writer.period_budget_s(arrived=0) == pytest.approx(0.1)  # nothing queued: ordinary share
    assert writer.n_written == 50
    # a catch-up share below the ordinary one would slow a writer that is behind: the larger is used
    assert SafetyEventWriter(store, session_id=session.id, run_id=run.id, busy_fraction=0.2,
                             catch_up_fraction=0.05).catch_up_fraction == 0.2


def test_a_steady_rate_gets_the_share_it_needs_at_the_measured_cost_of_a_row(store_and_run):
    # 1,000 decisions a second at 0.2 ms a row need 0.25 s of each second: the writer keeps up every period
    # instead of falling behind at 10 % and catching up at 40 % in turns (issue 20).
    store, session, run = store_and_run
    writer = SafetyEventWriter(store, session_id=session.id, run_id=run.id, period_s=1.0, busy_fraction=0.1,
                               catch_up_fraction=0.4)
    assert writer.s_per_row == 0.0  # nothing saved yet: the ordinary share
    assert writer.period_budget_s(arrived=1000) == pytest.approx(0.1)
    for d in decisions(20):
        writer.put(d)
    writer.flush()
    assert writer.s_per_row > 0.0  # measured on the rows just saved
    writer.s_per_row = 0.0002
    assert writer.period_budget_s(arrived=1000) == pytest.approx(0.25)
    assert writer.period_budget_s(arrived=100) == pytest.approx(0.1)  # never under the ordinary share
    assert writer.period_budget_s(arrived=5000) == pytest.approx(0.4)  # never over the catch-up share
    assert writer.n_catch_up == 0
    writer.close()


def test_a_writer_started_from_a_real_time_loop_writes_at_ordinary_priority(store_and_run):
    import os
    import threading
    import time

    from workbench.utils.realtime import lower_current_thread, raise_current_thread, thread_priority

    store, session, run = store_and_run
    seen = {}

    def loop_thread():  # as run_block's thread: real-time where permitted, and the writer started from it
        seen["loop"] = raise_current_thread()
        writer = SafetyEventWriter(store, session_id=session.id, run_id=run.id, period_s=0.05)
        writer.start()
        writer.put(decisions(1)[0])
        deadline = time.monotonic() + 10
        while writer.n_written < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        seen["writer"] = thread_priority(writer._thread.native_id)
        writer.close()
        lower_current_thread()

    t = threading.Thread(target=loop_thread)
    t.start()
    t.join(30)
    if not seen["loop"].granted:
        pytest.skip(f"real-time scheduling not permitted here: {seen['loop']}")
    assert hasattr(os, "SCHED_FIFO") and seen["writer"] == "SCHED_OTHER"
    assert len(store.find(SafetyEvent, run_id=run.id)) == 1
