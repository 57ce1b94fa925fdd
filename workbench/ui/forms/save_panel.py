"""Participant, visit, assessor, date and the save button shared by every outcome form."""

from __future__ import annotations

import html
from datetime import date
from typing import Any, Callable, Sequence

import ipywidgets as widgets

from ...errors import Problem, ValidationError, WorkbenchError
from ...outcomes.entry import SaveDetails
from ._style import problems_html

#: How the details' problems are named on the panel.
LABELS = {"participant_id": "Participant", "visit_id": "Visit", "assessor": "Assessor", "assessed_on": "Date"}
_NO_VISIT = ("— choose the visit —", None)


class SavePanel:
    """Chooses who and which visit, takes assessor and date, and saves an ``OutcomeAssessment``.

    Parameters
    ----------
    build : callable
        ``build(details) -> (instrument, version, item_values, scores, notes)``;
        raises ValidationError when the form is not complete.
    store : workbench.records.Store | None
        Where to save (``store.add``); the participants and their visits are
        chosen from it and the assessor defaults to the signed-in user.
    save : callable | None
        Alternative to ``store``: ``save(assessment) -> None``.
    participant_id, visit_id : str | None
        Preselected choices.
    participants : sequence of str | None
        Choices when there is no store (default: ``participant_id`` alone).
    visits : callable | None
        ``visits(participant_id) -> [(label, visit_id), ...]`` when there is no store.
    on_saved : callable | None
        Called with the saved assessment (the dashboard reloads its views there).
    labels : dict | None
        Field id -> label, to name a form's errors as the form shows them.
    """

    def __init__(self, build: Callable[[SaveDetails], tuple], *, store=None, save=None,
                 participant_id: str | None = None, visit_id: str | None = None,
                 participants: Sequence[str] | None = None, visits: Callable | None = None,
                 on_saved: Callable[[Any], None] | None = None, labels: dict[str, str] | None = None) -> None:
        if store is None and save is None:
            raise TypeError("give a records store or a save(assessment) callable")
        self._build = build
        self._store = store
        self._save = save if save is not None else (lambda a: store.add(a))
        self._visits = visits
        self._visit_dates: dict[str, date | None] = {}
        self._on_saved = on_saved
        self.labels = {**(labels or {}), **LABELS}
        wide = {"description_width": "80px"}
        self.participant = widgets.Dropdown(options=self._participant_options(participants, participant_id),
                                            description="Participant", style=wide)
        self.visit = widgets.Dropdown(options=[_NO_VISIT], description="Visit", style=wide,
                                      layout=widgets.Layout(width="420px"))
        self.assessor = widgets.Text(description="Assessor", style=wide,
                                     value=store.user.name if store is not None else "")
        self.assessed_on = widgets.DatePicker(description="Date", value=date.today(), style=wide)
        self.button = widgets.Button(description="Save", button_style="primary", icon="save")
        self.status = widgets.HTML()
        self.saved: list[Any] = []
        self.participant.observe(lambda change: self._load_visits(), names="value")
        self.visit.observe(self._visit_chosen, names="value")
        self.button.on_click(lambda _: self.submit())
        if participant_id is not None and participant_id in [v for _, v in self.participant.options]:
            self.participant.value = participant_id
        self._load_visits()
        if visit_id is not None and visit_id in self._visit_dates:
            self.visit.value = visit_id
        self.widget = widgets.VBox([widgets.HBox([self.participant, self.visit]),
                                    widgets.HBox([self.assessor, self.assessed_on]),
                                    widgets.HBox([self.button]), self.status])

    def _participant_options(self, participants, participant_id) -> list[tuple[str, str | None]]:
        if self._store is not None:
            from ...records import Participant

            ids = [p.id for p in self._store.find(Participant)]
        else:
            ids = list(participants or ([participant_id] if participant_id else []))
        return [("— choose the participant —", None)] + [(pid, pid) for pid in ids]

    def _load_visits(self) -> None:
        pid = self.participant.value
        options = []
        self._visit_dates = {}
        if pid is not None and self._store is not None:
            from ...records import Visit

            for v in sorted(self._store.find(Visit, participant_id=pid), key=lambda v: v.scheduled_date):
                when = f"done {v.actual_date}" if v.actual_date else f"{v.status}, scheduled {v.scheduled_date}"
                options.append((f"{v.name} ({when})", v.id))
                self._visit_dates[v.id] = v.actual_date
        elif pid is not None and self._visits is not None:
            options = list(self._visits(pid))
            self._visit_dates = {vid: None for _, vid in options}
        self.visit.options = [_NO_VISIT] + options
        self.visit.value = None

    def _visit_chosen(self, change) -> None:
        done_on = self._visit_dates.get(change["new"])
        if done_on is not None:
            self.assessed_on.value = done_on  # the visit's own date; the assessor may still change it

    def details(self) -> SaveDetails:
        return SaveDetails(self.participant.value, self.visit.value, self.assessor.value.strip() or None,
                           self.assessed_on.value)

    def submit(self) -> Any | None:
        """Validate, build the record and save it; show the outcome. Returns the record or None."""
        from ...records import OutcomeAssessment

        details = self.details()
        try:
            problems = details.problems()
            if details.visit_id is None:
                # An assessment outside any visit cannot be placed on the schedule (ICH E6(R2) 6.4.3).
                problems.append(Problem("visit_id", None, "the visit this assessment belongs to (choose one)"))
            if problems:
                raise ValidationError(problems, what="assessment details")
            instrument, version, items, scores, notes = self._build(details)
            assessment = OutcomeAssessment(
                participant_id=details.participant_id, visit_id=details.visit_id, instrument=instrument,
                instrument_version=version, assessor=details.assessor, assessed_on=details.assessed_on,
                item_values=items, scores=scores, notes=notes or None)
            result = self._save(assessment)
        except ValidationError as err:
            self.status.value = problems_html(err.problems, self.labels)
            return None
        except WorkbenchError as err:
            self.status.value = f"<div class='wb-form-errors'>Not saved: {html.escape(str(err))}</div>"
            return None
        saved = result[0] if isinstance(result, (list, tuple)) and result else assessment
        self.saved.append(saved)
        self.status.value = (f"<div style='color:#2e7d32'>Saved {html.escape(instrument)} for "
                             f"{html.escape(details.participant_id)} on {details.assessed_on.isoformat()}"
                             f" by {html.escape(details.assessor)}.</div>")
        if self._on_saved is not None:
            self._on_saved(saved)
        return saved
