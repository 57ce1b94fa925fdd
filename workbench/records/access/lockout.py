"""Wrong passwords slow down, then stop, a guesser: growing delays and a lockout, read from the access log.

Nothing new is stored: an account's state is the ``auth_events`` rows since its
last login or its last unlock (failures counted, the last one's time), and a
source's (the operating-system user and host a login comes from) the rows
tagged with it since its last login. So no migration, and the same rules hold
for every process that opens the store: a guesser cannot reset the delay by
starting a new one.

- After ``backoff_after`` wrong passwords the next attempt waits
  ``base_delay * 2**k`` seconds after the last one (k = failures beyond the
  free ones), at most ``max_delay``: an attempt made sooner is refused without
  the password being checked, and does not count as a failure. NIST SP 800-63B
  5.2.2 asks for such rate limiting, at most 100 failures per account.
- After ``lockout_after`` wrong passwords the account is locked: even the right
  password is refused until an investigator unlocks it (``workbench user unlock
  NAME``), which is logged.

A source is throttled too (its failures across every account name), so trying
one password against many names slows down as well; it is never locked, which
would let one person lock a shared workstation out.
"""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import sqlalchemy as sa

from ...errors import Problem, ValidationError
from ..storage.tables import auth_events

#: Environment variable with the number of wrong passwords that locks an account.
LOCKOUT_VAR = "WORKBENCH_LOCKOUT_AFTER"
#: Access-log ``detail`` prefixes of a wrong guess (they count towards the delay and the lockout).
FAILURES = ("wrong password", "unknown user name")

Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class LoginPolicy:
    """How many wrong passwords lock an account, and how the delay grows before that."""

    lockout_after: int = 10
    backoff_after: int = 3
    base_delay: float = 1.0
    max_delay: float = 60.0
    #: A source's failures (across every name) before its attempts are delayed.
    source_backoff_after: int = 10

    def __post_init__(self) -> None:
        problems = []
        for name in ("lockout_after", "backoff_after", "source_backoff_after"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                problems.append(Problem(name, value, "an integer >= 1"))
        if not 0 <= self.base_delay <= self.max_delay:
            problems.append(Problem("base_delay", self.base_delay, f"0 to max_delay ({self.max_delay}) seconds"))
        if problems:
            raise ValidationError(problems, what="login policy")

    @classmethod
    def from_env(cls) -> "LoginPolicy":
        """The workspace's policy: ``$WORKBENCH_LOCKOUT_AFTER`` wrong passwords lock (default 10)."""
        raw = os.environ.get(LOCKOUT_VAR)
        if raw is None or raw == "":
            return cls()
        try:
            n = int(raw)
        except ValueError:
            n = None
        if n is None or not 1 <= n <= 100:  # 800-63B: no more than 100 consecutive failures
            raise ValidationError([Problem(LOCKOUT_VAR, raw, "an integer from 1 to 100")], what="login policy")
        return cls(lockout_after=n, backoff_after=min(cls.backoff_after, n))

    def delay(self, failures: int, free: int | None = None) -> float:
        """Seconds the next attempt waits after the last of ``failures`` consecutive failures."""
        free = self.backoff_after if free is None else free
        if failures < free:
            return 0.0
        return float(min(self.base_delay * 2.0 ** min(failures - free, 60), self.max_delay))


def default_source() -> str:
    """Where a login comes from on this machine: the operating-system user and the host."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        who = f"uid{os.getuid()}"
    return f"{who}@{socket.gethostname()}"[:120]


def source_tag(source: str) -> str:
    return f" [from {source}]"


@dataclass(frozen=True)
class Attempts:
    """Consecutive failures (of an account name or of a source) and when the last one was."""

    failures: int
    last: datetime | None


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts)


def _count(rows) -> Attempts:
    failures, last = 0, None
    for row in rows:
        if row.event == "login_refused" and (row.detail or "").startswith(FAILURES):
            failures, last = failures + 1, _parse(row.ts)
    return Attempts(failures, last)


def account_attempts(conn: sa.Connection, name: str) -> Attempts:
    """Wrong passwords for ``name`` since its last login or unlock."""
    reset = sa.select(sa.func.max(auth_events.c.id)).where(sa.or_(
        (auth_events.c.user_name == name) & (auth_events.c.event == "login"),
        (auth_events.c.event == "account_unlocked") & auth_events.c.detail.startswith(f"{name}: ", autoescape=True),
    )).scalar_subquery()
    rows = conn.execute(sa.select(auth_events.c.ts, auth_events.c.event, auth_events.c.detail)
                        .where(auth_events.c.user_name == name, auth_events.c.id > sa.func.coalesce(reset, 0))
                        .order_by(auth_events.c.id)).all()
    return _count(rows)


def source_attempts(conn: sa.Connection, source: str) -> Attempts:
    """Wrong passwords from ``source`` (any account name) since its last login."""
    tagged = auth_events.c.detail.endswith(source_tag(source), autoescape=True)
    reset = sa.select(sa.func.max(auth_events.c.id)).where(tagged, auth_events.c.event == "login").scalar_subquery()
    rows = conn.execute(sa.select(auth_events.c.ts, auth_events.c.event, auth_events.c.detail)
                        .where(tagged, auth_events.c.id > sa.func.coalesce(reset, 0))
                        .order_by(auth_events.c.id)).all()
    return _count(rows)


@dataclass(frozen=True)
class Verdict:
    """Whether a login attempt may check its password now."""

    locked: bool
    wait: float  # seconds until an attempt is allowed (0: now)
    failures: int


def judge(conn: sa.Connection, name: str, source: str, policy: LoginPolicy, now: datetime) -> Verdict:
    mine, theirs = account_attempts(conn, name), source_attempts(conn, source)
    if mine.failures >= policy.lockout_after:
        return Verdict(True, 0.0, mine.failures)
    wait = 0.0
    for attempts, free in ((mine, policy.backoff_after), (theirs, policy.source_backoff_after)):
        if attempts.last is not None:
            due = attempts.last.timestamp() + policy.delay(attempts.failures, free)
            wait = max(wait, due - now.timestamp())
    return Verdict(False, wait, mine.failures)
