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
from ...records import BLINDED_ROLES, OutcomeAssessment, ProtocolDeviation, Visit
from ...records.types.identifiers import WITHHELD_ID
from ...report import figures as F
from ...report import summaries as S
from ...report.trial_data import EmptyStudyError, TrialData, load_trial
from .blinding import EVERYTHING, BlindedView
from .session_model import SessionView, session_view, sessions_with_figures


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
    blinding : BlindedView | None
        What a blinded assessor may see (default: the study's ``blinding.json``
        in the workspace, else nothing that reveals the arm). Unblinded roles
        see everything.
    """

    def __init__(self, store, workspace=None, *, today: date | None = None,
                 blinding: BlindedView | None = None) -> None:
        self.store = store
        self.workspace = get_workspace(workspace)
        self.today = today
        #: What this user is shown (all of it unless blinded).
        self.shows: BlindedView = EVERYTHING if not self.blinded else (
            blinding if blinding is not None else BlindedView.load(self.workspace.root))
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
        """Keep the chosen session while it exists; else the newest with something to show, else the newest.

        The Session tab draws a session's recording, decoded trials and gate decisions: a participant's
        first sessions are often seeded visits with none of these, and opening on one shows three "none"
        lines while the closed-loop session everyone is asking about sits last in the list.
        """
        ids = [sid for _, sid in self.session_choices]
        if self.session_id in ids:
            return
        if not ids:
            self.session_id = None
            return
        drawn = sessions_with_figures(self.data)
        self.session_id = next((sid for sid in reversed(ids) if sid in drawn), ids[-1])

    @property
    def can_enter_outcomes(self) -> bool:
        """Monitors and sponsors look at everything and change nothing."""
        return self.store.user.role in OutcomeAssessment.WRITERS

    @property
    def can_mark_visits(self) -> bool:
        return self.store.user.role in Visit.WRITERS

    @property
    def can_close_deviations(self) -> bool:
        return self.store.user.role in ProtocolDeviation.WRITERS

    @property
    def blinded(self) -> bool:
        """An outcome assessor never learns the arm (ICH E9 2.3.1): no view names or counts by arm."""
        return self.store.user.role in BLINDED_ROLES

    @property
    def hidden_note(self) -> str | None:
        """What this user is not shown and why (None when everything is shown)."""
        hidden = [what for what, shown in (("BCI sessions", self.shows.bci_sessions),
                                           ("BCI performance", self.shows.bci_metrics),
                                           ("adverse events' relatedness to the device and the procedure",
                                            self.shows.device_relatedness)) if not shown]
        if not hidden:
            return None
        # Worded without "blinded": that is the store's mask for the arm, which no page shows.
        return ("Not shown to outcome assessors (the study's blinding settings): " + ", ".join(hidden)
                + "; in this design they would reveal the arm.")

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
        if self.data is None or self.participant is None or not self.shows.bci_sessions:
            return []
        # The device label is withheld when it could hold a name (a label with spaces, unless the study's
        # policy shows it): the choice then reads by date and number, not "[withheld: ...]".
        return [(name + ("" if s.device == WITHHELD_ID else f" · {s.device}"), s.id)
                for s, name in self._session_names()]

    def _session_names(self) -> list[tuple]:
        """The participant's sessions in order, each with its name on every page (the reports' too)."""
        names = S.session_names(self.data)
        mine = sorted((s for s in self.data.sessions if s.participant_id == self.participant),
                      key=lambda s: s.started_at)
        return [(s, names[s.id]) for s in mine]

    def _sessions_named(self, table):
        """A table's sessions named as the Session tab offers them and the reports print them, in order."""
        return S.with_session_names(table, self.data).drop(columns="participant")

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
                # Withdrawals name no arm: every role sees them (ICH E9 2.3.1 allows the assessor this much).
                f"Participants enrolled and withdrawn ({int(d.participants['withdrawal_date'].notna().sum())} "
                f"withdrawn)": self._own_sites(S.participant_status(d)),
                **({} if self.blinded else {"Flow (CONSORT 2010): allocated from the randomization records":
                                            S.consort_flow(d)}),
                "Visits by state": S.visit_state_counts(d),
                "Overdue visits": S.overdue_visits(d),
                **self._adverse_event_tables(),
                f"Open deviations ({len(S.open_deviations(d))})": S.open_deviations(d),
                # Conversion per arm would unblind an assessor: shown to the roles that may see arms only.
                **({} if self.blinded else {"AIS conversion per arm (baseline against last examination)":
                                            S.ais_conversion_by_arm(d)})}

    def _adverse_event_tables(self) -> dict:
        d = self.data
        if not self.shows.device_relatedness:
            # Which events are reportable is decided by their relatedness: that list would reveal it too.
            return {"Adverse events by seriousness": self._ae_by_seriousness()}
        # Both assessments (MDCG 2020-10/1 Rev 1 s. 9): an event caused by the implantation is "not related"
        # to the device, and a device-only table would show it as unrelated (issue 22).
        return {"Adverse events by seriousness and relatedness to the device": S.adverse_event_counts(d, "device"),
                "Adverse events by seriousness and relatedness to the procedure":
                    S.adverse_event_counts(d, "procedure"),
                f"Reporting deadlines of reportable events ({S.n_reporting_overdue(d)} overdue)":
                    S.reporting_deadlines(d)}

    def _ae_by_seriousness(self):
        counts = S.adverse_event_counts(self.data).sum(axis=1).to_frame("events")
        return counts

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
                "adverse events": self._ae_figure()}

    def _ae_figure(self) -> go.Figure:
        if self.shows.device_relatedness:
            return F.adverse_events_relatedness_figure(self.data.adverse_events)
        fig = F.adverse_events_figure(self._ae_by_seriousness())
        if fig.data:
            fig.update_xaxes(title="all adverse events")
            fig.update_layout(title_text="Adverse events by seriousness")
        return fig

    def _mine(self) -> TrialData:
        return self.data.for_participant(self.participant)

    def participant_tables(self) -> dict:
        mine = self._mine()
        unable = self.unable_assessments()
        return {"ISNCSCI across visits": S.isncsci_across_visits(mine).drop(columns="participant"),
                "Change from baseline": self._labelled_changes(mine),
                **({"Recorded as unable to do the test": unable} if len(unable) else {}),
                "UEMS and LEMS change (baseline to last examination)":
                    S.motor_score_change(mine).drop(columns=["participant", "arm"]),
                **({"BCI performance": self._sessions_named(S.bci_performance(mine))}
                   if self.shows.bci_metrics else {}),
                **self._timing_table(mine),
                "Visits": S.visit_states(mine).drop(columns="participant")}  # in schedule order

    def _timing_table(self, mine) -> dict:
        """Each closed-loop run's command latency, its two shares and the signal it lost, as the reports show.

        Only where BCI metrics are shown (a closed-loop run tells the arm) and only for a participant with
        closed-loop runs: an empty table would say "none recorded yet" of something the arm never does.
        """
        if not self.shows.bci_metrics:
            return {}
        timing = S.closed_loop_timing(mine)
        return {"Closed-loop timing per run": self._sessions_named(timing)} if len(timing) else {}

    def _labelled_changes(self, mine):
        """Change from baseline named as the forms name things, by schedule order, out-of-window marked."""
        table = S.outcome_changes(mine).drop(columns="participant")
        if table.empty:
            return table
        order = {name: i for i, name in enumerate(self.visit_order())}
        table = table.assign(_order=table["visit"].map(order).fillna(len(order)))
        table = table.sort_values(["instrument", "score", "_order"], kind="stable").drop(columns="_order")
        table["score"] = [S.score_label(i, sc).split(": ", 1)[-1] for i, sc in zip(table["instrument"],
                                                                                   table["score"])]
        table["instrument"] = [_instrument_name(i) for i in table["instrument"]]
        outside = self._outside_window_visits()
        if outside:
            table["visit"] = [f"{v} (outside window)" if (inst, v) in outside else v
                              for inst, v in zip(table["instrument"], table["visit"])]
        return table.reset_index(drop=True)

    def visit_order(self) -> list[str]:
        """The study's visit names in schedule order (target day)."""
        if self.data is None:
            return []
        return [d.name for d in sorted(self.data.study.visit_schedule, key=lambda d: d.target_day)]

    def _assessments(self) -> list[OutcomeAssessment]:
        return [] if self.participant is None else self.store.find(OutcomeAssessment,
                                                                   participant_id=self.participant)

    def _outside_window_visits(self) -> set[tuple[str, str]]:
        """(instrument name, visit name) of the participant's assessments dated outside their visit's window."""
        visits = {v.id: v for v in self.store.find(Visit, participant_id=self.participant)}
        out = set()
        for a in self._assessments():
            v = visits.get(a.visit_id)
            if v is not None and not (v.window[0] <= a.assessed_on <= v.window[1]):
                out.add((_instrument_name(a.instrument), v.name))
        return out

    def unable_assessments(self):
        """Assessments recorded as "unable" (e.g. unable to walk for the 10MWT), with the reason given."""
        import pandas as pd

        from ...outcomes.instruments import list_instruments, load_instrument

        names = {v.id: v.name for v in self.store.find(Visit, participant_id=self.participant)} \
            if self.participant is not None else {}
        rows = []
        known = set(list_instruments())
        for a in sorted(self._assessments(), key=lambda a: a.assessed_on):
            if a.instrument not in known:
                continue
            inst = load_instrument(a.instrument)
            for rule in inst.rules:
                reason = a.item_values.get(rule.item) if rule.kind == "unable" else None
                if reason not in (None, ""):
                    rows.append({"instrument": inst.name, "visit": names.get(a.visit_id, "no visit"),
                                 "assessed on": a.assessed_on.isoformat(), "recorded": "unable to do the test",
                                 "reason": str(reason)})
        return pd.DataFrame(rows, columns=["instrument", "visit", "assessed on", "recorded", "reason"])

    def visits(self) -> list[Visit]:
        """The chosen participant's visits in schedule order."""
        if self.participant is None:
            return []
        return sorted(self.store.find(Visit, participant_id=self.participant), key=lambda v: v.scheduled_date)

    def mark_visit_done(self, visit_id: str, *, actual_date) -> Visit:
        """Record that a planned visit took place on ``actual_date``; audited like every change.

        Through the store, so its rules hold: a date outside the visit's
        window needs a protocol deviation, and consent must be in force.
        Problems are named by the labels the user sees ("visit", "date done").
        """
        visits = {v.id: v for v in self.visits()}
        problems = []
        visit = visits.get(visit_id)
        if visit is None:
            problems.append(Problem("visit", visit_id, "a visit of " + str(self.participant) + ": "
                                    + (", ".join(visits) or "none scheduled")))
        elif visit.status != "planned":
            problems.append(Problem("visit", visit_id, f"a planned visit (this one is {visit.status})"))
        if not isinstance(actual_date, date):
            problems.append(Problem("date done", actual_date, "the date the visit took place, as YYYY-MM-DD"))
        if problems:
            raise ValidationError(problems, what="marking a visit done")
        try:
            saved = self.store.update(dataclasses.replace(visit, status="done", actual_date=actual_date),
                                      reason="visit done (dashboard)")
        except ValidationError as err:  # e.g. outside its window without a deviation: the store's own words
            raise ValidationError([dataclasses.replace(p, field=_visit_label(p.field)) for p in err.problems],
                                  what="marking a visit done") from None
        self.reload()
        return saved

    def participant_figures(self) -> dict[str, go.Figure]:
        """ISNCSCI motor scores, each instrument's scores against its threshold, BCI performance."""
        mine = self._mine()
        pid = self.participant
        figs = {"isncsci": F.isncsci_figure(S.isncsci_across_visits(mine))}
        figs["isncsci"].update_layout(title_text=f"{pid}: ISNCSCI UEMS and LEMS across visits")
        thresholds = S.score_thresholds(mine)
        o = mine.outcomes[mine.outcomes["instrument"] != "ISNCSCI"]
        unable = self.unable_assessments()
        for (inst, score), _ in o.groupby(["instrument", "score"]):
            title = f"{pid} · {S.score_label(inst, score)}"
            # the axis named as the form names the score, within the score's own range (WISCI II 0-20)
            y_title, y_range = S.score_axis(inst, score)
            fig = F.score_trajectory_figure(mine.outcomes, inst, score, threshold=thresholds.get((inst, score)),
                                            title=title, y_title=y_title, y_range=y_range)
            mine_unable = unable[unable["instrument"] == _instrument_name(inst)]
            if not fig.data and len(mine_unable):
                # What the assessor found, not "No ... recorded" (issue 22).
                fig = F.empty_figure(title, "; ".join(f"{v}: unable to do the test ({r})" for v, r in
                                                      zip(mine_unable["visit"], mine_unable["reason"])))
            figs[f"{inst} {score}"] = fig
        if len(figs) == 1:
            figs["outcomes"] = F.empty_figure(f"{pid}: outcomes", "No outcome assessment recorded yet")
        if self.shows.bci_metrics:
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
            problems.append(Problem("date closed", closed_on, "the date the deviation was closed, as YYYY-MM-DD"))
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
        if self.session_id is None or not self.shows.bci_sessions:
            return None
        session = next(s for s in self.data.sessions if s.id == self.session_id)
        return session_view(session, self.data, self.workspace.root)


def _instrument_name(instrument: str) -> str:
    """The registry's name of an instrument ("Box and Block Test"), the id when it is not in the registry."""
    from ...outcomes.instruments import list_instruments, load_instrument

    return load_instrument(instrument).name if instrument in list_instruments() else instrument


def _visit_label(field: str) -> str:
    return {"actual_date": "date done", "status": "visit status"}.get(field, field)


def _label(field: str) -> str:
    try:
        return ProtocolDeviation.spec_of(field).label
    except KeyError:
        return field


__all__ = ["DashboardModel"]
