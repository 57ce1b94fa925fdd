"""Assessor, date and the save button shared by every outcome form."""

from __future__ import annotations

import html
from datetime import date
from typing import Any, Callable

import ipywidgets as widgets

from ...errors import ValidationError, WorkbenchError
from ...outcomes.entry import SaveDetails
from ._style import problems_html


class SavePanel:
    """Collects who/when and saves an ``OutcomeAssessment``.

    Parameters
    ----------
    build : callable
        ``build(details) -> (instrument, version, item_values, scores, notes)``;
        raises ValidationError when the form is not complete.
    store : workbench.records.Store | None
        Where to save; the assessment goes through ``store.add``.
    save : callable | None
        Alternative to ``store``: ``save(assessment) -> None``.
    """

    def __init__(self, build: Callable[[SaveDetails], tuple], *, store=None, save=None,
                 participant_id: str | None = None, visit_id: str | None = None) -> None:
        if store is None and save is None:
            raise TypeError("give a records store or a save(assessment) callable")
        self._build = build
        self._save = save if save is not None else (lambda a: store.add(a))
        self.participant = widgets.Text(value=participant_id or "", description="Participant")
        self.visit = widgets.Text(value=visit_id or "", description="Visit id")
        self.assessor = widgets.Text(description="Assessor")
        self.assessed_on = widgets.DatePicker(description="Date", value=date.today())
        self.button = widgets.Button(description="Save", button_style="primary", icon="save")
        self.status = widgets.HTML()
        self.saved: list[Any] = []
        self.button.on_click(lambda _: self.submit())
        self.widget = widgets.VBox([widgets.HBox([self.participant, self.visit]),
                                    widgets.HBox([self.assessor, self.assessed_on]),
                                    widgets.HBox([self.button]), self.status])

    def details(self) -> SaveDetails:
        return SaveDetails(self.participant.value.strip() or None, self.visit.value.strip() or None,
                           self.assessor.value.strip() or None, self.assessed_on.value)

    def submit(self) -> Any | None:
        """Validate, build the record and save it; show the outcome. Returns the record or None."""
        from ...records import OutcomeAssessment

        details = self.details()
        try:
            problems = details.problems()
            if problems:
                raise ValidationError(problems, what="assessment details")
            instrument, version, items, scores, notes = self._build(details)
            assessment = OutcomeAssessment(
                participant_id=details.participant_id, visit_id=details.visit_id, instrument=instrument,
                instrument_version=version, assessor=details.assessor, assessed_on=details.assessed_on,
                item_values=items, scores=scores, notes=notes or None)
            result = self._save(assessment)
        except ValidationError as err:
            self.status.value = problems_html(err.problems)
            return None
        except WorkbenchError as err:
            self.status.value = f"<div style='color:#c62828'>Not saved: {html.escape(str(err))}</div>"
            return None
        saved = result[0] if isinstance(result, (list, tuple)) and result else assessment
        self.saved.append(saved)
        self.status.value = (f"<div style='color:#2e7d32'>Saved {html.escape(instrument)} for "
                             f"{html.escape(details.participant_id)} on {details.assessed_on.isoformat()}"
                             f" by {html.escape(details.assessor)}.</div>")
        return saved
