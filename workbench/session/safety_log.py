"""Every gate decision as a SafetyEvent record, written off the loop's real-time thread.

The loop only appends each decision to a queue (:meth:`SafetyEventWriter.put`:
one ``deque.append``, no database, no allocation of a record); a writer
thread turns what accumulated into :class:`~workbench.records.SafetyEvent`
rows and saves them in one transaction every ``period_s`` (1 s by default),
and :meth:`SafetyEventWriter.close` saves the rest when the block ends,
however it ends (finished, aborted, operator stop, Ctrl-C).

Why a thread and one transaction per second rather than a row per decision:
a decision comes every 10-20 ms (each decoder output, each adaptive amplitude
update) and a store write with its audit entry costs milliseconds, so
writing on the loop's thread would add that to the command latency. Batching
also keeps the audit chain to one signed transaction per batch.

Why at most ``max_rows`` (200) rows per transaction and ``busy_fraction`` (10 %)
of each period: the writer shares the interpreter lock with the loop. Before
issue 20 each row cost about 0.7 ms of Python in the store (one keyed audit
entry per field); at the closed-loop benchmark's ~700 decisions a second,
100-row transactions doubled the loop's p99 latency (2.5 -> 7.4 ms at 256
channels, idle machine) and once starved the signal past the watchdog (a false
safe state; the other cause, full garbage collections, is why run_block
freezes the objects made before the block), while 20-row transactions (~14 ms
of Python each) within a 10 % share kept it at 3.1-3.3 ms. Now a SafetyEvent
is one keyed trail entry per row, saved through ``Store.add_many``
(about 0.07 ms a row and ~3 ms per transaction on SQLite, profiled), so 200
rows take the same ~14 ms a transaction as 20 did, and the 10 % share holds
about 1,000 decisions a second on a fast machine: saved as they come
rather than by :meth:`close` after the block's last "off". On a slower one
(0.28 ms a row with the record's checks, a Zen 2 VM) it holds ~350: at 1,000
a second the backlog grew to 13,600 of 20,000 decisions in 20 s and was saved
only by :meth:`close`. So a writer that is behind (decisions of an earlier
period still queued) works ``catch_up_fraction`` (40 %) of the period until
it is not, and one that is not behind works what the last period's decisions
need at the recent cost of a row, with a quarter to spare, when that is more
than 10 %: at a steady 1,000 a second a fixed 10 % fell behind every other
period (backlog up to 2,430 on a Zen 3 VM), where the share that fits the rate
keeps up in each (benchmarks/records.py, ``writer_*`` keys). Only the work
counts against the share, not the pauses between transactions.

Nothing is dropped silently: :attr:`n_put` counts what the loop handed over,
:attr:`n_written` what the store committed. A failed write keeps its rows and
is retried at the next period; if the final flush still fails,
:meth:`close` raises with the number of decisions not saved (the recording
holds them all as gate markers).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import datetime, timedelta, timezone
from typing import Callable

#: Longest ``detail`` a SafetyEvent holds (its field pattern).
DETAIL_MAX = 200


def lsl_to_utc() -> Callable[[float], datetime]:
    """A converter from the LSL clock to UTC, fixed now (both clocks run at the same rate)."""
    import pylsl

    offset = time.time() - pylsl.local_clock()
    return lambda t: datetime.fromtimestamp(t + offset, timezone.utc)


def safety_event(decision, *, session_id: str, run_id: str | None, occurred_at: datetime):
    """The SafetyEvent record of one :class:`~workbench.session.gate.GateDecision`."""
    from ..records import SafetyEvent

    detail = decision.detail or ""
    if decision.via is not None:
        detail = f"via {decision.via} (ramping it first); {detail}".rstrip("; ")
    if decision.amplitude_ma is not None and decision.command not in (None, "off"):
        detail = f"{decision.amplitude_ma:.3f} mA; {detail}".rstrip("; ")
    return SafetyEvent(session_id=session_id, run_id=run_id, occurred_at=occurred_at, lsl_time=decision.t,
                       decision=decision.decision, rule=decision.rule, command=decision.command,
                       time_to_safe_ms=None if decision.time_to_safe_s is None else 1e3 * decision.time_to_safe_s,
                       detail=detail[:DETAIL_MAX] or None)


class SafetyEventWriter:
    """Saves every gate decision of one run as a SafetyEvent, in batches, from its own thread.

    Parameters
    ----------
    store : workbench.records.Store
        Opened with an engineering account; the run's Session and Run exist in it.
    session_id, run_id : str
    to_utc : callable(float) -> datetime | None
        LSL time of a decision -> UTC (default :func:`lsl_to_utc`, fixed at construction).
    period_s : float
        How often the writer thread commits what accumulated.
    max_rows : int
        Most rows in one transaction (more wait for the next, after a pause for the loop).
    busy_fraction : float
        While the block runs, the writer works this share of each period, or what the last
        period's decisions need at the recent cost of a row (with a quarter to spare) when that
        is more, up to ``catch_up_fraction``; what is left waits for the next period, and
        :meth:`close` saves everything, whatever the share.
    catch_up_fraction : float
        The share allowed instead while the writer is behind (decisions left over from an
        earlier period are still queued), so that a backlog shrinks rather than grows.

    Use as a context manager around the block (``run_block(..., safety_events=writer)`` does it).
    """

    def __init__(self, store, *, session_id: str, run_id: str | None, to_utc=None, period_s: float = 1.0,
                 max_rows: int = 200, busy_fraction: float = 0.1, catch_up_fraction: float = 0.4) -> None:
        self.store = store
        self.session_id = session_id
        self.run_id = run_id
        self.to_utc = to_utc or lsl_to_utc()
        self.period_s = float(period_s)
        self.max_rows = int(max_rows)
        self.busy_fraction = float(busy_fraction)
        self.catch_up_fraction = max(float(catch_up_fraction), self.busy_fraction)
        self.n_catch_up = 0  # periods worked at the catch-up share
        self.s_per_row = 0.0  # seconds a saved row took lately (0: none saved yet)
        self.n_put = 0
        self.n_written = 0
        self.n_transactions = 0
        self.errors: list[str] = []
        self._queue: deque = deque()
        self._pending: list = []  # records built but not yet committed (a failed write keeps them)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one flush at a time (the thread's and the final one)
        self._thread: threading.Thread | None = None

    # -- the loop's side (real-time thread) -------------------------------------
    def put(self, decision) -> None:
        """Hand one decision over (thread-safe; ``deque.append`` is atomic)."""
        self._queue.append(decision)
        self.n_put += 1

    # -- lifecycle ----------------------------------------------------------------
    def start(self) -> "SafetyEventWriter":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="safety-events", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop the thread and save everything still queued; raises if some decisions could not be saved."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30.0)
            self._thread = None
        self.flush()
        lost = self.n_put - self.n_written
        if lost:
            from ..errors import Problem, ValidationError

            raise ValidationError([Problem("safety events", lost, "every gate decision saved; the store refused: "
                                           + "; ".join(self.errors[-3:]))], what="safety event records")

    def __enter__(self) -> "SafetyEventWriter":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def flush(self, budget_s: float | None = None) -> int:
        """Save what is queued, ``max_rows`` per transaction; returns how many rows were committed.

        With ``budget_s`` (the writer thread's periodic flush) it starts no further transaction
        once it has worked that long (the pauses between transactions, which leave the interpreter
        to the loop, do not count); the rest waits for the next period or for :meth:`close`.
        """
        written, work_s = 0, 0.0
        with self._lock:
            due = len(self._queue)  # what is queued now; later decisions wait for the next period
            while due or self._pending:
                t_start = time.perf_counter()
                while due and len(self._pending) < self.max_rows:
                    due -= 1
                    d = self._queue.popleft()
                    self._pending.append(safety_event(d, session_id=self.session_id, run_id=self.run_id,
                                                      occurred_at=self.to_utc(d.t)))
                try:
                    self.store.add_many(self._pending)  # all rows or none, one signature
                except Exception as err:  # kept and retried; close() reports what never got in
                    self.errors.append(f"{type(err).__name__}: {err}"[:300])
                    break
                took = time.perf_counter() - t_start
                work_s += took
                self._note_cost(len(self._pending), took)
                written += len(self._pending)
                self.n_written += len(self._pending)
                self.n_transactions += 1
                self._pending = []
                if budget_s is not None and work_s > budget_s:
                    break  # at least one transaction per flush, so a backlog always shrinks
                if due:
                    time.sleep(0.005)  # the loop gets the interpreter between two transactions
        return written

    def _run(self) -> None:
        from ..utils.realtime import lower_current_thread

        # Started from a live loop's thread, it would inherit its real-time priority: records can wait a
        # millisecond, the loop's next chunk cannot.
        lower_current_thread()
        put_before = self.n_put
        while not self._stop.is_set():
            self._wake.wait(self.period_s)
            if self._stop.is_set():
                break
            arrived, put_before = self.n_put - put_before, self.n_put
            self.flush(budget_s=self.period_budget_s(arrived))

    def period_budget_s(self, arrived: int) -> float:
        """Seconds the periodic flush may work, ``arrived`` decisions having come in the last period.

        The catch-up share when more is queued than that (an earlier period's decisions are still
        waiting), the ordinary share otherwise.
        """
        behind = len(self._queue) > arrived
        self.n_catch_up += behind
        if behind:
            return self.catch_up_fraction * self.period_s
        # Enough for what came in, at the cost a row took lately, with a quarter to spare: at a steady
        # rate that needs more than the ordinary share (1,000 decisions a second on a slow machine) the
        # writer keeps up every period, where a fixed share fell a period behind, caught up at the
        # catch-up share and fell behind again (backlog 2,430 on a Zen 3 VM, over the two-period goal).
        need = 1.25 * arrived * self.s_per_row
        return min(max(self.busy_fraction * self.period_s, need), self.catch_up_fraction * self.period_s)

    def _note_cost(self, rows: int, seconds: float) -> None:
        """A running mean of the seconds one row costs (record, trail entry, commit), over recent transactions."""
        if rows > 0:
            per_row = seconds / rows
            self.s_per_row = per_row if self.s_per_row == 0.0 else 0.8 * self.s_per_row + 0.2 * per_row
