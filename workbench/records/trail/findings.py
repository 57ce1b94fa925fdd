"""What ``audit verify`` reports: one finding per inconsistency, and the report of a whole run.

Apart from the verifier (``audit.verify_trail``) so that its checks in other
modules (``pg_crosscheck``) can make findings without importing the verifier
that calls them.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class AuditFinding:
    """One inconsistency: the entry it concerns (if any) and what is wrong."""

    seq: int | None
    message: str

    def __str__(self) -> str:
        return (f"entry #{self.seq}: " if self.seq is not None else "") + self.message


@dataclasses.dataclass(frozen=True)
class AuditReport:
    """Result of :func:`verify_trail`."""

    n_entries: int
    n_rows: int
    findings: tuple[AuditFinding, ...]
    #: Tables whose rows this user may not read (the allocation sequence, for all but the
    #: allocation roles on PostgreSQL): their trail entries are checked, their rows not replayed.
    unread: tuple[str, ...] = ()
    #: Entries written before migration 0011 (no personal signatures then): chain-checked only.
    n_legacy: int = 0
    #: Access-log events checked by their chain: keyed on SQLite (``access_chain``), the server's on
    #: PostgreSQL from migration 0018 (``pg_access_chain``).
    n_access_events: int = 0
    #: PostgreSQL: this role may not read the access log (the allocator), so it was not checked.
    access_unread: bool = False

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first_broken(self) -> AuditFinding | None:
        """The finding with the lowest entry number (rows without any entry come last)."""
        if not self.findings:
            return None
        return min(self.findings, key=lambda f: (f.seq is None, f.seq or 0))

    def summary(self) -> str:
        if self.ok:
            note = f" ({', '.join(self.unread)} not replayed: not readable by this role)" if self.unread else ""
            if self.n_legacy:
                note += (f"; entries #1-#{self.n_legacy} predate personal signatures (unsigned legacy, "
                         "checked by the keyed chain only)")
            if self.n_access_events:
                note += f"; access log intact: {self.n_access_events} events chained"
            if self.access_unread:
                note += "; access log not checked: not readable by this role"
            return f"audit trail intact: {self.n_entries} entries, {self.n_rows} rows match the trail{note}"
        lines = [f"audit trail BROKEN: {len(self.findings)} problem(s); first broken: {self.first_broken}"]
        lines += [f"  - {f}" for f in self.findings[:50]]
        if len(self.findings) > 50:
            lines.append(f"  ... and {len(self.findings) - 50} more")
        return "\n".join(lines)
