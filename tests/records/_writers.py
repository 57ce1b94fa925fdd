"""Code run in child processes by the concurrency tests (spawned, so importable)."""

from __future__ import annotations

import dataclasses


def update_after_barrier(url, pid, field, value, barrier, results):
    """Read a participant, wait until the other process has read it too, then update it."""
    from workbench.errors import ConflictError
    from tests.records.accounts import login
    from workbench.records import Participant

    with login(url, f"writer-{field}") as store:
        record = store.get(Participant, pid)
        barrier.wait(timeout=60)
        try:
            store.update(dataclasses.replace(record, **{field: value}), reason=f"set {field}")
            results.put((field, "ok", ""))
        except ConflictError as err:
            results.put((field, "conflict", str(err)))
        except Exception as err:  # reported to the parent, which fails the test
            results.put((field, "error", repr(err)))


def add_assessments(url, pid, n, tag, barrier, results):
    """Add ``n`` assessments one transaction each, racing the other process."""
    from tests.records import factories as f
    from tests.records.accounts import login

    try:
        with login(url, f"assessor-{tag}") as store:
            barrier.wait(timeout=60)
            for i in range(n):
                store.add(f.assessment(pid, total=i % 20, assessor=f"assessor-{tag}"))  # their own account
        results.put((tag, "ok", ""))
    except Exception as err:
        results.put((tag, "error", repr(err)))
