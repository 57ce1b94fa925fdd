"""Locking and unlocking visits and studies, as the store's user (the Lock record: ``types/lock.py``).

A lock is written through the store like any record, so who locked, when and
why (and who unlocked, when and why) are in the audit trail; the store refuses
every write a lock in force covers (``storage/rules.py``).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from ...errors import Problem, ValidationError
from ..types.lock import Lock
from ..types.participant import Participant
from ..types.study import Study
from ..types.visit import Visit


def lock_visit(store, visit_id: str, *, reason: str) -> Lock:
    """Lock one visit (and everything recorded for it) as the store's user."""
    visit = store.get(Visit, visit_id)
    study_id = store.get(Participant, visit.participant_id).study_id
    return _lock(store, study_id, visit_id, reason)


def lock_study(store, study_id: str, *, reason: str) -> Lock:
    """Lock a whole study (database lock)."""
    store.get(Study, study_id)
    return _lock(store, study_id, None, reason)


def _lock(store, study_id: str, visit_id: str | None, reason: str) -> Lock:
    (saved,) = store.add(Lock(study_id=study_id, visit_id=visit_id, locked_by=store.user.name,
                              locked_at=datetime.now(timezone.utc), reason=reason))
    return saved


def unlock(store, lock: Lock, *, reason: str) -> Lock:
    """End a lock (who, when and why are kept in the Lock record and its audit trail)."""
    if not lock.in_force:
        raise ValidationError([Problem("unlocked_at", lock.unlocked_at.isoformat(), "a lock still in force")],
                              what="unlock")
    changed = dataclasses.replace(lock, unlocked_by=store.user.name, unlocked_at=datetime.now(timezone.utc),
                                  unlock_reason=reason)
    return store.update(changed, reason=reason)


def locks_in_force(store) -> list[Lock]:
    return [lk for lk in store.find(Lock) if lk.in_force]
