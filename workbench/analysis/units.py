"""Work units: the recordings of a study's sessions, chosen by site, participant, visit or date.

A unit is one recording read where it lies: a path in the workspace, any
fsspec URL (``s3://``, ``gcs://``, ``file://``...), or a run of a BIDS
dataset. Its ``identity`` names it independently of where the workspace is
mounted, so a rerun from another machine finds the same finished units.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath

from ..errors import Problem, ValidationError


@dataclass(frozen=True)
class WorkUnit:
    """One recording to (re-)analyse.

    Attributes
    ----------
    identity : str
        Stable name of the recording (session id + path in the workspace, or
        the run's path in a BIDS dataset).
    source : str
        Where to read it: a local path or an fsspec URL.
    session_id, participant_id : str | None
        The records it belongs to (None for a BIDS run the study does not know).
    expected_sha256 : str | None
        The hash the session recorded; a file that no longer has it is refused.
    label : str
        Short description for progress and error messages.
    events : str | None
        A BIDS ``events.tsv`` whose ``trial_type`` column holds the cues (BIDS
        data files keep only numeric marker codes).
    source_sha256 : str | None
        For a BIDS run exported by the workbench: the SHA-256 of the recording
        it was exported from. The run links to ``session_id`` only if that
        session holds a file with this hash (a stale or copied ``scans.tsv``
        cannot attach results to the wrong session).
    """

    identity: str
    source: str
    session_id: str | None = None
    participant_id: str | None = None
    expected_sha256: str | None = None
    label: str = ""
    events: str | None = None
    source_sha256: str | None = None


@dataclass(frozen=True)
class Selection:
    """Which sessions to take: every given criterion must hold (empty = all)."""

    sites: tuple[str, ...] = ()
    participants: tuple[str, ...] = ()
    visits: tuple[str, ...] = ()  # visit names (``baseline``) or visit ids
    date_from: date | None = None
    date_to: date | None = None

    def account_problems(self, user) -> list[Problem]:
        """Sites a site-restricted account asks for beyond its own (it sees only its site's sessions).

        ICH E6(R2) 4.1-4.2 and GDPR art. 5(1)(c), as the store applies them
        (``workbench.records.access.sites``): a site's staff work on their own site's
        participants only. Asking for another site is refused, not answered
        with an empty selection that would read as "no sessions there".
        """
        mine = getattr(user, "site_id", None)
        if mine is None:
            return []
        return [Problem("site", s, f"{mine} only: user {user.name!r} works at site {mine!r} and sees only "
                                   "its sessions (a study-wide account re-analyses other sites)")
                for s in self.sites if s != mine]

    def check_account(self, user) -> None:
        """Raise the :meth:`account_problems` of ``user`` (a ``Store.user``)."""
        problems = self.account_problems(user)
        if problems:
            raise ValidationError(problems, what="session selection")

    def check(self, store) -> None:
        """Refuse criteria naming nothing in the study (a typo would silently select nothing),
        and other sites asked for by a site-restricted account."""
        from ..records import Participant, Site, Visit

        problems = []
        known_sites = {s.id for s in store.find(Site)}
        known_people = {p.id for p in store.find(Participant)}
        visits = store.find(Visit)
        known_visits = {v.id for v in visits} | {v.name for v in visits}
        problems += [Problem("site", s, "a site of the study: " + ", ".join(sorted(known_sites)))
                     for s in self.sites if s not in known_sites]
        problems += [p for p in self.account_problems(store.user) if p.value in known_sites]
        problems += [Problem("participant", p, "a pseudonym of the study") for p in self.participants
                     if p not in known_people]
        problems += [Problem("visit", v, "a visit name or id: " + ", ".join(sorted({x.name for x in visits})))
                     for v in self.visits if v not in known_visits]
        if self.date_from and self.date_to and self.date_to < self.date_from:
            problems.append(Problem("to", self.date_to.isoformat(), f"a date on or after {self.date_from}"))
        if problems:
            raise ValidationError(problems, what="session selection")


def select_sessions(store, selection: Selection = Selection()) -> list:
    """The stored sessions matching ``selection``, by start time."""
    from ..records import Participant, Session, Visit

    selection.check(store)
    site_of = {p.id: p.site_id for p in store.find(Participant)}
    visit_name = {v.id: v.name for v in store.find(Visit)}
    chosen = []
    for s in store.find(Session):
        day = s.started_at.date()
        if selection.sites and site_of.get(s.participant_id) not in selection.sites:
            continue
        if selection.participants and s.participant_id not in selection.participants:
            continue
        if selection.visits and not ({s.visit_id, visit_name.get(s.visit_id)} & set(selection.visits)):
            continue
        if (selection.date_from and day < selection.date_from) or (selection.date_to and day > selection.date_to):
            continue
        chosen.append(s)
    return sorted(chosen, key=lambda s: (s.started_at, s.id))


def workspace_units(store, workspace=None, selection: Selection = Selection(), *,
                    root: str | None = None) -> list[WorkUnit]:
    """One unit per recording file of every selected session.

    ``root`` is where the workspace's files are read from: by default the local
    workspace folder; any fsspec URL of the same tree (a bucket the workspace
    was synced to) works too.
    """
    from ..config import get_workspace

    base = root if root is not None else str(get_workspace(workspace).root)
    units = []
    for s in select_sessions(store, selection):
        for f in s.recording_files:
            units.append(WorkUnit(
                identity=f"session:{s.id}:{f.path}", source=_join(base, f.path), session_id=s.id,
                participant_id=s.participant_id, expected_sha256=f.sha256,
                label=f"{s.participant_id} {s.started_at:%Y-%m-%d} {PurePosixPath(f.path).name}",
            ))
    return units


def link_units(store, units: list[WorkUnit]) -> list[WorkUnit]:
    """Units linked to the records this store holds and shows.

    A session link stands when the session is there and, for a BIDS run the
    workbench exported, holds the recording the run came from (its hash); the
    unit then takes the session's participant, so results land on that
    session. Other links are dropped: a foreign dataset's results are kept
    under their BIDS path, without a link the database would refuse.
    """
    from ..records import Participant, Session

    sessions = {s.id: s for s in store.find(Session)}
    people = {p.id for p in store.find(Participant)}
    out = []
    for u in units:
        session = sessions.get(u.session_id)
        if session is not None and u.source_sha256 is not None \
                and u.source_sha256 not in {f.sha256 for f in session.recording_files}:
            session = None
        participant = session.participant_id if session is not None else u.participant_id
        out.append(dataclasses.replace(u, session_id=None if session is None else session.id,
                                       participant_id=participant if participant in people else None))
    return out


def site_units(store, units: list[WorkUnit]) -> tuple[list[WorkUnit], list[WorkUnit]]:
    """(units linked to sessions the store's account sees, the others) after :func:`link_units`.

    For a site-restricted account the first are its site's recordings; a
    study-wide account sees every session, so only foreign runs are "others".
    """
    linked = link_units(store, units)
    return [u for u in linked if u.session_id], [u for u in linked if not u.session_id]


def _join(base: str, rel: str) -> str:
    return base.rstrip("/") + "/" + rel.lstrip("/")
