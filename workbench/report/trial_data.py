"""One read of the study store that every report and dashboard view draws from.

Free-text fields (notes, verbatim terms, narratives) are dropped as the tables
are read: they are typed freely and may hold a participant's name, so nothing
shown or shared downstream can ever contain them (the same rule the exports
follow, ``Spec.free_text``). Every other value passes the exports' identifier
screen (``workbench.records.types.identifiers``): staff names become staff codes,
labels that could hold a name (study title, site name, device, task...) are
shown only as single tokens without dates or phone numbers, unless the study
lists them in its ``shown_labels``.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd

from ..errors import Problem, ValidationError, WorkbenchError
from ..records import (
    Allocation, AdverseEvent, DeviceDeficiency, OutcomeAssessment, Participant, ProtocolDeviation, Run, RunMetrics,
    SafetyEvent, Session, Site, Study, Trial, Visit,
)
from ..records.types.identifiers import screen_frame, screen_record
from ..records.types.safety import reporting_overview


class EmptyStudyError(WorkbenchError):
    """The store holds no study to report on."""


def shareable_frame(store, rt) -> pd.DataFrame:
    """All records of one type without their free-text columns, screened for identifiers."""
    frame = store.frame(rt)
    free = [name for name, sp in rt.specs() if sp.free_text]
    return screen_frame(frame.drop(columns=[c for c in free if c in frame.columns]), rt,
                        staff_key=store.staff_key)


@dataclasses.dataclass(frozen=True)
class TrialData:
    """The study's records as tables, free text removed, read at one moment.

    ``today`` decides which visits are due or overdue.
    """

    study: Study
    sites: tuple[Site, ...]
    participants: pd.DataFrame
    visits: pd.DataFrame
    outcomes: pd.DataFrame
    sessions: tuple[Session, ...]
    runs: pd.DataFrame
    trials: pd.DataFrame
    run_metrics: pd.DataFrame
    safety_events: pd.DataFrame
    adverse_events: pd.DataFrame
    device_deficiencies: pd.DataFrame
    deviations: pd.DataFrame
    today: date
    #: Reportable AEs and device deficiencies with their deadlines on ``today``
    #: (``workbench.records.types.safety.reporting_overview``: MDCG 2020-10/1 s. 10).
    reporting: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    #: The randomization records (``workbench randomize``) of the study's participants: who was allocated
    #: to which arm, when. The CONSORT flow counts allocation from these, never from the participant's
    #: arm field (which an unrandomized study's investigator sets). The arm reads "blinded" for assessors.
    allocations: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(
        columns=["participant_id", "arm", "randomized_at"]))
    #: Tests recorded as not possible (e.g. unable to walk for the 10MWT) with the coded reason: what the
    #: assessor found, where the scores are empty (``unable_assessments``).
    unable: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=UNABLE_COLUMNS))

    @property
    def participant_ids(self) -> tuple[str, ...]:
        return tuple(self.participants["id"])

    def check_participant(self, participant_id: str) -> str:
        """The id if the study has this participant; else a ValidationError naming the choices."""
        if participant_id not in self.participant_ids:
            known = ", ".join(self.participant_ids) or "none enrolled yet"
            raise ValidationError([Problem("participant", participant_id, f"a participant of study "
                                           f"{self.study.id}: {known}")], what="report request")
        return participant_id

    def for_participant(self, participant_id: str) -> "TrialData":
        """The same tables restricted to one participant (sessions, runs and trials included)."""
        self.check_participant(participant_id)

        def own(frame, column="participant_id"):
            return frame[frame[column] == participant_id].reset_index(drop=True)

        sessions = tuple(s for s in self.sessions if s.participant_id == participant_id)
        session_ids = {s.id for s in sessions}
        runs = self.runs[self.runs["session_id"].isin(session_ids)].reset_index(drop=True)
        run_ids = set(runs["id"])
        return dataclasses.replace(
            self, participants=own(self.participants, "id"), visits=own(self.visits), outcomes=own(self.outcomes),
            sessions=sessions, runs=runs,
            trials=self.trials[self.trials["run_id"].isin(run_ids)].reset_index(drop=True),
            run_metrics=self.run_metrics[self.run_metrics["run_id"].isin(run_ids)].reset_index(drop=True),
            safety_events=self.safety_events[self.safety_events["session_id"].isin(session_ids)].reset_index(
                drop=True),
            adverse_events=own(self.adverse_events), device_deficiencies=own(self.device_deficiencies),
            deviations=own(self.deviations), reporting=own(self.reporting), allocations=own(self.allocations),
            unable=own(self.unable))


def load_trial(store, study_id: str | None = None, *, today: date | None = None) -> TrialData:
    """Read the study ``study_id`` (the only study when None) from ``store``.

    Raises EmptyStudyError when the store has no study, ValidationError when
    ``study_id`` is unknown or several studies leave the choice open.
    """
    studies = store.find(Study)
    if not studies:
        raise EmptyStudyError("the study database holds no study yet: seed one (`workbench db seed-demo`, "
                              "or `make demo`) or add the protocol first")
    ids = [s.id for s in studies]
    if study_id is None and len(studies) > 1:
        raise ValidationError([Problem("study", None, "one of " + ", ".join(ids))], what="report request")
    if study_id is not None and study_id not in ids:
        raise ValidationError([Problem("study", study_id, "one of " + ", ".join(ids))], what="report request")
    study = screen_record(next(s for s in studies if study_id in (None, s.id)), staff_key=store.staff_key)
    participants = shareable_frame(store, Participant)
    participants = participants[participants["study_id"] == study.id].reset_index(drop=True)
    pids = set(participants["id"])

    def own(frame):
        return frame[frame["participant_id"].isin(pids)].reset_index(drop=True)

    sessions = tuple(screen_record(s, staff_key=store.staff_key) for s in store.find(Session)
                     if s.participant_id in pids)
    session_ids = {s.id for s in sessions}
    runs = shareable_frame(store, Run)
    runs = runs[runs["session_id"].isin(session_ids)].reset_index(drop=True)
    run_ids = set(runs["id"])
    trials = shareable_frame(store, Trial)
    outcomes = screen_frame(store.outcomes("long"), OutcomeAssessment, staff_key=store.staff_key)
    deficiencies = shareable_frame(store, DeviceDeficiency)
    deficiencies = deficiencies[deficiencies["participant_id"].isin(pids)
                                | deficiencies["session_id"].isin(session_ids)].reset_index(drop=True)
    adverse_events = own(shareable_frame(store, AdverseEvent))
    today = today or date.today()
    reporting = reporting_overview(store, on=today)
    reporting = reporting[reporting["id"].isin(set(adverse_events["id"]) | set(deficiencies["id"]))]
    return TrialData(
        study=study, sites=tuple(screen_record(s, staff_key=store.staff_key) for s in store.find(Site)
                                    if s.study_id == study.id),
        participants=participants, visits=own(shareable_frame(store, Visit)),
        outcomes=outcomes[outcomes["participant_id"].isin(pids)].reset_index(drop=True),
        sessions=sessions, runs=runs, trials=trials[trials["run_id"].isin(run_ids)].reset_index(drop=True),
        run_metrics=_in(shareable_frame(store, RunMetrics), "run_id", run_ids),
        safety_events=_in(shareable_frame(store, SafetyEvent), "session_id", session_ids),
        adverse_events=adverse_events, device_deficiencies=deficiencies,
        deviations=own(shareable_frame(store, ProtocolDeviation)),
        today=today, reporting=reporting.reset_index(drop=True),
        allocations=own(shareable_frame(store, Allocation)), unable=unable_assessments(store, pids))


UNABLE_COLUMNS = ["participant_id", "instrument", "visit", "assessed_on", "reason"]


def unable_assessments(store, participant_ids) -> pd.DataFrame:
    """Assessments recorded as "unable" by their instrument's rule, with the reason when it is coded.

    The reason item of such a rule is a choice (10MWT: "cannot stand or step, even with assistance",
    "pain", ...): a coded value leaves the store like any other; anything else is withheld as free text.
    """
    from ..outcomes.instruments import list_instruments, load_instrument
    from ..records.types.identifiers import WITHHELD_ID

    known = set(list_instruments())
    names = {v.id: v.name for v in store.find(Visit)}
    rows = []
    for a in sorted(store.find(OutcomeAssessment), key=lambda a: (a.participant_id, a.assessed_on)):
        if a.participant_id not in participant_ids or a.instrument not in known:
            continue
        inst = load_instrument(a.instrument)
        items = {i.id: i for i in inst.items}
        for rule in inst.rules:
            reason = a.item_values.get(rule.item) if rule.kind == "unable" else None
            if reason in (None, ""):
                continue
            coded = reason in (getattr(items.get(rule.item), "values", None) or ())
            rows.append({"participant_id": a.participant_id, "instrument": a.instrument,
                         "visit": names.get(a.visit_id, "no visit"), "assessed_on": a.assessed_on,
                         "reason": str(reason) if coded else WITHHELD_ID})
    return pd.DataFrame(rows, columns=UNABLE_COLUMNS)


def _in(frame: pd.DataFrame, column: str, ids: set) -> pd.DataFrame:
    return frame[frame[column].isin(ids)].reset_index(drop=True)


__all__ = ["EmptyStudyError", "TrialData", "load_trial", "shareable_frame"]
