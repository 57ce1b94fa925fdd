"""Anchors: the trail's head written outside the database, for the trial master file.

A keyed chain stops anyone without the key from rewriting history, but not
from putting back a whole older copy of the database (its chain is valid, just
short). An anchor (sequence number, hash, time) filed away from the database
catches it: the restored trail is shorter than the anchor, or holds another
entry at the anchor's number. File one after each monitoring visit or data lock.

An anchor also holds the access log's head (``access_seq``, ``access_hash``;
``access_chain.py``, ``pg_access_chain.py``): on PostgreSQL the server's
chain of the log has no key, so an owner who edits the log and recomputes the
chain is caught only by an anchor filed before the edit. Anchors written
before the access log was chained have no such head (``access_seq`` 0).
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from ...errors import Problem, ValidationError

FORMAT = "workbench-audit-anchor/1"


@dataclasses.dataclass(frozen=True)
class Anchor:
    """The head of the trail at one moment: entry number, its hash, when, and which database."""

    seq: int
    hash: str
    time: str
    database: str = ""
    source: str = ""  # the file it was read from, for messages
    access_seq: int = 0  # the access log's chained head then (0: none, or an anchor from before)
    access_hash: str = ""

    def disagreement(self, entries) -> str | None:
        """Why ``entries`` (the trail, in order) contradict this anchor, or None if they agree."""
        where = f" (anchor {self.source})" if self.source else ""
        if self.seq == 0:
            return None
        last = entries[-1].seq if entries else 0
        if last < self.seq:
            return (f"the trail ends at entry #{last} but an anchor of {self.time} saw entry #{self.seq}{where}: "
                    "entries were removed or an older copy of the database was restored")
        entry = next((e for e in entries if e.seq == self.seq), None)
        if entry is None or not hmac.compare_digest(entry.hash, self.hash):
            return (f"entry #{self.seq} differs from the anchor of {self.time}{where}: "
                    "the trail was rewritten after the anchor was taken")
        return None

    def access_disagreement(self, event_hashes: dict[int, str | None]) -> str | None:
        """Why the access log (event id -> its chain hash) contradicts this anchor, or None."""
        if self.access_seq == 0:
            return None
        where = f" (anchor {self.source})" if self.source else ""
        have = event_hashes.get(self.access_seq)
        if have is None:
            return (f"access log event #{self.access_seq}, seen by the anchor of {self.time}{where}, is gone: "
                    "events were deleted or an older copy of the database was restored")
        if not hmac.compare_digest(have, self.access_hash):
            return (f"access log event #{self.access_seq} differs from the anchor of {self.time}{where}: "
                    "the access log was rewritten, or an older copy of the database restored, after the anchor "
                    "was taken")
        return None


def make_anchor(seq: int, hash: str, database: str, access_seq: int = 0, access_hash: str = "") -> Anchor:
    return Anchor(seq=seq, hash=hash, time=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  database=database, access_seq=access_seq, access_hash=access_hash if access_seq else "")


def write_anchor(anchor: Anchor, fname: str | os.PathLike) -> Path:
    """Write ``anchor`` as JSON to a new file (an existing anchor is never overwritten)."""
    path = Path(fname)
    data = {"format": FORMAT, "seq": anchor.seq, "hash": anchor.hash, "time": anchor.time,
            "database": anchor.database}
    if anchor.access_seq:
        data.update(access_seq=anchor.access_seq, access_hash=anchor.access_hash)
    try:
        with open(path, "x", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
            fh.write("\n")
    except FileExistsError:
        raise ValidationError([Problem("out", str(path), "a new file (an anchor is never overwritten)")],
                              what="audit anchor") from None
    return path


def read_anchor(fname: str | os.PathLike) -> Anchor:
    """The anchor in a file written by :func:`write_anchor`; ValidationError naming every problem."""
    path = Path(fname)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValidationError([Problem("anchor", str(path), f"a readable anchor JSON file ({err})")],
                              what="audit anchor") from None
    problems = []
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError([Problem("format", data.get("format") if isinstance(data, dict) else data,
                                       FORMAT)], what=f"audit anchor {path.name}")
    if not isinstance(data.get("seq"), int) or data["seq"] < 0:
        problems.append(Problem("seq", data.get("seq"), "an entry number >= 0"))
    h = data.get("hash")
    if not _is_hash(h):
        problems.append(Problem("hash", h, "64 lowercase hexadecimal digits"))
    if not isinstance(data.get("time"), str):
        problems.append(Problem("time", data.get("time"), "an ISO 8601 time"))
    access_seq, access_hash = data.get("access_seq", 0), data.get("access_hash", "")
    if "access_seq" in data or "access_hash" in data:  # optional: anchors from before the log was chained
        if not isinstance(access_seq, int) or isinstance(access_seq, bool) or access_seq < 1:
            problems.append(Problem("access_seq", access_seq, "an access log event number >= 1"))
        if not _is_hash(access_hash):
            problems.append(Problem("access_hash", access_hash, "64 lowercase hexadecimal digits"))
    if problems:
        raise ValidationError(problems, what=f"audit anchor {path.name}")
    return Anchor(seq=data["seq"], hash=h, time=data["time"], database=str(data.get("database", "")),
                  source=str(path), access_seq=access_seq, access_hash=access_hash)


def _is_hash(h) -> bool:
    return isinstance(h, str) and len(h) == 64 and all(c in "0123456789abcdef" for c in h)
