"""The clinicians' dashboard as a model: what each view shows, without any widget.

The views in :mod:`workbench.ui.dashboard.views` only draw what this model
hands them and pass the user's choices back. Tables and figures are the
reports' own (:mod:`workbench.report.summaries`, :mod:`workbench.report.figures`),
so the dashboard and a printed report never disagree.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import plotly.graph_objects as go

from ...config import get_workspace
from ...errors import Problem, ValidationError
from ...outcomes.entry import Listeners
from ...records import OutcomeAssessment, ProtocolDeviation
from ...records.blinding import BLINDED_ROLES
from ...report import figures as F
from ...report import summaries as S
from ...report.trial_data import EmptyStudyError, TrialData, load_trial
from .session_model import SessionView, session_view


class DashboardModel:
    """State of one dashboard: the study read from ``store``, the chosen participant and session.

    Parameters
    ----------
    store : workbench.records.Store
        An authenticated store; its user's role decides whether outcomes can be entered.
    workspace : path-like | None
        Where recordings are found (default: the resolved workspace).
    today : date | None
        The day visits are judged due or overdue (default: today).
    """

    def __init__(self, store, workspace=None, *, today: date | None = None) -> None:
        self.store = store
        self.workspace = get_workspace(workspace)
        self.today = today
        self.listeners = Listeners()
        self.data: TrialData | None = None
        self.message: str | None = None
        self.participant: str | None = None
        self.session_id: str | None = None
        self.reload()

    # -- state -------------------------------------------------------------------
    def reload(self) -> None:
        """Read the study again (after an outcome was saved, say), keeping the choices that still exist."""
        try:
            self.data = load_trial(self.store, today=self.today)
            self.message = None if len(self.data.participants) else "The study has no participant enrolled yet."
        except EmptyStudyError as err:
            self.data, self.message = None, f"Nothing to show yet: {err}."
        ids = self.data.participant_ids if self.data is not None else ()
        if self.participant not in ids:
            self.participant = ids[0] if ids else None
        self._pick_session()
        self.listeners.notify()

    def _pick_session(self) -> None:
        ids = [sid for _, sid in self.session_choices]
        if self.session_id not in ids:
            self.session_id = ids[0] if ids else None

    @property
    def can_enter_outcomes(self) -> bool:
        """Monitors and sponsors look at everything and change nothing."""
        return self.store.user.role in OutcomeAssessment.WRITERS

    @property
    def can_close_deviations(self) -> bool:
        return self.store.user.role in ProtocolDeviation.WRITERS

    @property
    def blinded(self) -> bool:
        """An outcome assessor never learns the arm (ICH E9 2.3.1): no view names or counts by arm."""
        return self.store.user.role in BLINDED_ROLES

    @property
    def user_label(self) -> str:
        return f"{self.store.user.name} ({self.store.user.role})"

    @property
    def participant_choices(self) -> list[tuple[str, str]]:
        """(label, pseudonym) for each participant: pseudonym, arm (unless blinded) and site, never a name."""
        if self.data is None:
            return []
        p = self.data.participants
        return [(f"{pid}" + ("" if self.blinded else f" · {arm}") + f" · site {site}"
                 + (" · withdrawn" if w is not None and w == w else ""), pid)
                for pid, arm, site, w in zip(p["id"], p["arm"], p["site_id"], p["withdrawal_date"])]

    def select_participant(self, participant_id: str) -> None:
        if self.data is None:
            raise ValidationError([Problem("participant", participant_id, "a study to choose from")],
                                  what="dashboard")
        self.participant = self.data.check_participant(participant_id)
        self.session_id = None
        self._pick_session()
        self.listeners.notify()

    @property
    def session_choices(self) -> list[tuple[str, str]]:
        if self.data is None or self.participant is None:
            return []
        return [(f"{s.started_at:%Y-%m-%d %H:%M} · {s.device}", s.id)
                for s in sorted(self.data.sessions, key=lambda s: s.started_at) if s.participant_id == self.participant]

    def select_session(self, session_id: str) -> None:
        ids = [sid for _, sid in self.session_choices]
        if session_id not in ids:
            raise ValidationError([Problem("session", session_id, "a session of " + str(self.participant) + ": "
                                           + (", ".join(ids) or "none recorded"))], what="dashboard")
        self.session_id = session_id
        self.listeners.notify()

    # -- what the views draw ---------------------------------------------------------
    def overview_tables(self) -> dict:
        d = self.data
        enrolment = ({"Enrolment by site": self._own_sites(S.enrolment_by_site(d))} if self.blinded
                     else {"Enrolment by site and arm": self._own_sites(S.enrolment_by_site_arm(d))})
        return {**enrolment,
                "Visits by state": S.visit_state_counts(d),
                "Overdue visits": S.overdue_visits(d),
                "Adverse events by seriousness and relatedness": S.adverse_event_counts(d),
                f"Reporting deadlines of reportable events ({S.n_reporting_overdue(d)} overdue)":
                    S.reporting_deadlines(d),
                f"Open deviations ({len(S.open_deviations(d))})": S.open_deviations(d),
                # Conversion per arm would unblind an assessor: shown to the roles that may see arms only.
                **({} if self.blinded else {"AIS conversion per arm (baseline against last examination)":
                                            S.ais_conversion_by_arm(d)})}

    def _own_sites(self, table):
        """Only the user's own site for a site-bound account: other sites' rows would read as empty."""
        site = self.store.user.site_id
        return table if site is None or site not in table.index else table.loc[[site, "total"]]

    def overview_figures(self) -> dict[str, go.Figure]:
        d = self.data
        enrolment = (F.enrolment_figure(self._own_sites(S.enrolment_by_site(d)), "Enrolment by site")
                     if self.blinded else F.enrolment_figure(self._own_sites(S.enrolment_by_site_arm(d))))
        return {"enrolment": enrolment,
                "visits": F.visit_states_figure(S.visit_state_counts(d)),
                "adverse events": F.adverse_events_figure(S.adverse_event_counts(d))}

    def _mine(self) -> TrialData:
        return self.data.for_participant(self.participant)

    def participant_tables(self) -> dict:
        mine = self._mine()
        return {"ISNCSCI across visits": S.isncsci_across_visits(mine).drop(columns="participant"),
                "Change from baseline": S.outcome_changes(mine).drop(columns="participant"),
                "UEMS and LEMS change (baseline to last examination)":
                    S.motor_score_change(mine).drop(columns=["participant", "arm"]),
                "BCI performance": S.bci_performance(mine).drop(columns="participant"),
                "Visits": S.visit_states(mine).drop(columns="participant")}

    def participant_figures(self) -> dict[str, go.Figure]:
        """ISNCSCI motor scores, each instrument's scores against its threshold, BCI performance."""
        mine = self._mine()
        pid = self.participant
        figs = {"isncsci": F.isncsci_figure(S.isncsci_across_visits(mine))}
        figs["isncsci"].update_layout(title_text=f"{pid}: ISNCSCI UEMS and LEMS across visits")
        thresholds = S.score_thresholds(mine)
        o = mine.outcomes[mine.outcomes["instrument"] != "ISNCSCI"]
        for (inst, score), _ in o.groupby(["instrument", "score"]):
            figs[f"{inst} {score}"] = F.score_trajectory_figure(
                mine.outcomes, inst, score, threshold=thresholds.get((inst, score)),
                title=f"{pid} · {S.score_label(inst, score)}")
        if len(figs) == 1:
            figs["outcomes"] = F.empty_figure(f"{pid}: outcomes", "No outcome assessment recorded yet")
        figs["bci"] = F.bci_figure(S.bci_performance(mine))
        figs["bci"].update_layout(title_text=f"{pid}: BCI accuracy across sessions")
        return figs

    def close_deviation(self, deviation_id: str, *, closed_on, resolution: str) -> ProtocolDeviation:
        """Close an open deviation with the date and how it was resolved; audited like every change.

        Every problem is named by the label the user sees ("date closed",
        "resolution"), and nothing is saved unless all are fixed.
        """
        problems = []
        known = {d.id: d for d in self.store.find(ProtocolDeviation)}
        dev = known.get(deviation_id)
        if dev is None:
            problems.append(Problem("deviation", deviation_id, "an open deviation: " + (
                ", ".join(i for i, d in known.items() if d.status == "open") or "none is open")))
        elif dev.status != "open":
            problems.append(Problem("deviation", deviation_id, f"an open deviation (closed on {dev.closed_on})"))
        if closed_on is None or not isinstance(closed_on, date):
            problems.append(Problem("date closed", closed_on, "the date the deviation was closed"))
        if not isinstance(resolution, str) or not resolution.strip():
            problems.append(Problem("resolution", resolution, "how the deviation was resolved (needed to close it)"))
        if problems:
            raise ValidationError(problems, what="closing a protocol deviation")
        try:
            closed = dataclasses.replace(dev, status="closed", closed_on=closed_on, resolution=resolution.strip())
        except ValidationError as err:  # e.g. closed before it happened; say it with the labels shown
            raise ValidationError([dataclasses.replace(p, field=_label(p.field)) for p in err.problems],
                                  what="closing a protocol deviation") from None
        saved = self.store.update(closed, reason="deviation closed")
        self.reload()
        return saved

    def session(self) -> SessionView | None:
        if self.session_id is None:
            return None
        session = next(s for s in self.data.sessions if s.id == self.session_id)
        return session_view(session, self.data, self.workspace.root)


def _label(field: str) -> str:
    try:
        return ProtocolDeviation.spec_of(field).label
    except KeyError:
        return field


__all__ = ["DashboardModel"]
