"""Participant, visit, assessor, date and the save button shared by every outcome form.

Saving is idempotent and attributable (issue 22): after a save the panel edits
the saved record (a change is a correction, saved with a reason); saving again
for an instrument, participant and visit that already hold an assessment asks
whether it is a correction or a repeat; and the assessor is chosen from the
accounts allowed to assess, never typed.
"""

from __future__ import annotations

import dataclasses
import html
from datetime import date
from typing import Any, Callable, Sequence

import ipywidgets as widgets

from ...errors import Problem, ValidationError, WorkbenchError
from ...outcomes.entry import SaveDetails
from ..date_field import DateField
from ...records.types.change_reasons import REASONS_FOR_CHANGE
from ._style import problems_html

#: How the details' problems are named on the panel.
LABELS = {"participant_id": "Participant", "visit_id": "Visit", "assessor": "Assessor", "assessed_on": "Date",
          "reason": "Reason for the correction"}
_NO_VISIT = ("— choose the visit —", None)


class SavePanel:
    """Chooses who, which visit and which assessor, takes the date, and saves an ``OutcomeAssessment``.

    Parameters
    ----------
    build : callable
        ``build(details) -> (instrument, version, item_values, scores, notes)``;
        raises ValidationError when the form is not complete.
    store : workbench.records.Store | None
        Where to save (``store.add``, corrections ``store.update``); the
        participants, their visits and the assessors are chosen from it and
        the assessor defaults to the signed-in user.
    save : callable | None
        Alternative to ``store``: ``save(assessment) -> None`` (no corrections).
    participant_id, visit_id : str | None
        Preselected choices.
    participants : sequence of str | None
        Choices when there is no store (default: ``participant_id`` alone).
    visits : callable | None
        ``visits(participant_id) -> [(label, visit_id), ...]`` when there is no store.
    assessors : sequence of str | None
        Who may be named as assessor when there is no store.
    on_saved : callable | None
        Called with the saved assessment (the dashboard reloads its views there).
    labels : dict | None
        Field id -> label, to name a form's errors as the form shows them.
    """

    def __init__(self, build: Callable[[SaveDetails], tuple], *, store=None, save=None,
                 participant_id: str | None = None, visit_id: str | None = None,
                 participants: Sequence[str] | None = None, visits: Callable | None = None,
                 assessors: Sequence[str] | None = None,
                 on_saved: Callable[[Any], None] | None = None, labels: dict[str, str] | None = None) -> None:
        if store is None and save is None:
            raise TypeError("give a records store or a save(assessment) callable")
        self._build = build
        self._store = store
        self._save = save if save is not None else (lambda a: store.add(a))
        self._visits = visits
        self._visit_records: dict[str, Any] = {}
        self._visit_dates: dict[str, date | None] = {}
        self._on_saved = on_saved
        self.labels = {**(labels or {}), **LABELS}
        #: The record this form now edits (after a save, or after choosing "correction").
        self.record = None
        #: Stored assessments of the same instrument, participant and visit, while the panel asks what a
        #: new save is (a correction of one of them, or a repeat).
        self.pending: list[Any] = []
        wide = {"description_width": "80px"}
        self.participant = widgets.Dropdown(options=self._participant_options(participants, participant_id),
                                            description="Participant", style=wide)
        self.visit = widgets.Dropdown(options=[_NO_VISIT], description="Visit", style=wide,
                                      layout=widgets.Layout(width="420px"))
        self.assessor = widgets.Dropdown(options=self._assessor_options(assessors), description="Assessor",
                                         style=wide, layout=widgets.Layout(width="420px"))
        if store is not None and store.user.name in [v for _, v in self.assessor.options]:
            self.assessor.value = store.user.name
        self.assessed_on = DateField("Date", value=date.today(), style=wide)
        self.window_note = widgets.HTML()
        self.button = widgets.Button(description="Save", button_style="primary", icon="save")
        # The coded reasons first (exports carry them; any other text is withheld as free text).
        self.reason = widgets.Combobox(description="Reason", style=wide, options=list(REASONS_FOR_CHANGE),
                                       ensure_option=False, placeholder="choose a coded reason, or type why",
                                       layout=widgets.Layout(width="560px", display="none"))
        self.new_button = widgets.Button(description="New assessment", icon="plus",
                                         layout=widgets.Layout(display="none"))
        self.correct_button = widgets.Button(description="A correction of the stored record", icon="pencil",
                                             layout=widgets.Layout(width="300px"))
        self.repeat_button = widgets.Button(description="A repeat (a new assessment)", icon="plus",
                                            layout=widgets.Layout(width="300px"))
        self.question = widgets.VBox([widgets.HTML(), widgets.HBox([self.correct_button, self.repeat_button])],
                                     layout=widgets.Layout(display="none"))
        self.status = widgets.HTML()
        self.saved: list[Any] = []
        self.participant.observe(lambda change: self._details_changed(load=True), names="value")
        self.visit.observe(self._visit_chosen, names="value")
        self.assessed_on.observe(lambda change: self._show_window(), names="value")
        self.button.on_click(lambda _: self.submit())
        self.new_button.on_click(lambda _: self.start_new())
        self.correct_button.on_click(lambda _: self.answer("correction"))
        self.repeat_button.on_click(lambda _: self.answer("repeat"))
        if participant_id is not None and participant_id in [v for _, v in self.participant.options]:
            self.participant.value = participant_id
        self._load_visits()
        if visit_id is not None and visit_id in self._visit_dates:
            self.visit.value = visit_id
        self.widget = widgets.VBox([widgets.HBox([self.participant, self.visit]),
                                    widgets.HBox([self.assessor, self.assessed_on]), self.window_note,
                                    self.reason, widgets.HBox([self.button, self.new_button]), self.question,
                                    self.status])

    # -- choices ---------------------------------------------------------------------
    def _participant_options(self, participants, participant_id) -> list[tuple[str, str | None]]:
        if self._store is not None:
            from ...records import Participant

            ids = [p.id for p in self._store.find(Participant)]
        else:
            ids = list(participants or ([participant_id] if participant_id else []))
        return [("— choose the participant —", None)] + [(pid, pid) for pid in ids]

    def _assessor_options(self, assessors) -> list[tuple[str, str | None]]:
        """Active accounts whose role may record outcomes (issue 22: a typed name could be anyone's)."""
        if self._store is not None:
            from ...records import OutcomeAssessment, UserAccount

            accounts = [a for a in self._store.find(UserAccount)
                        if a.active and a.role in OutcomeAssessment.WRITERS]
            options = [(f"{a.id} ({a.role})", a.id) for a in accounts]
            if self._store.user.name not in [a.id for a in accounts] \
                    and self._store.user.role in OutcomeAssessment.WRITERS:
                options.insert(0, (f"{self._store.user.name} ({self._store.user.role})", self._store.user.name))
        else:
            options = [(name, name) for name in (assessors or ())]
        return [("— choose the assessor —", None)] + options

    def _load_visits(self) -> None:
        pid = self.participant.value
        options = []
        self._visit_dates, self._visit_records = {}, {}
        if pid is not None and self._store is not None:
            from ...records import Visit

            # Schedule order (the study's visit days), never the visit names' alphabetical order.
            for v in sorted(self._store.find(Visit, participant_id=pid), key=lambda v: v.scheduled_date):
                when = f"done {v.actual_date}" if v.actual_date else f"{v.status}, scheduled {v.scheduled_date}"
                options.append((f"{v.name} ({when})", v.id))
                self._visit_dates[v.id] = v.actual_date
                self._visit_records[v.id] = v
        elif pid is not None and self._visits is not None:
            options = list(self._visits(pid))
            self._visit_dates = {vid: None for _, vid in options}
        self.visit.options = [_NO_VISIT] + options
        self.visit.value = None

    def _details_changed(self, load: bool = False) -> None:
        if load:
            self._load_visits()
        self._ask(None)

    def _visit_chosen(self, change) -> None:
        done_on = self._visit_dates.get(change["new"])
        if done_on is not None:
            self.assessed_on.value = done_on  # the visit's own date; the assessor may still change it
        self._ask(None)
        self._show_window()

    def window_problem(self) -> str | None:
        """Why the date lies outside the chosen visit's window, or None (also None without a store)."""
        visit = self._visit_records.get(self.visit.value)
        when = self.assessed_on.value
        if visit is None or not isinstance(when, date):
            return None
        first, last = visit.window
        if first <= when <= last:
            return None
        return (f"{when.isoformat()} is outside the {visit.name} window ({first.isoformat()} to "
                f"{last.isoformat()}); the assessment is saved with this marked in its notes")

    def _show_window(self) -> None:
        problem = self.window_problem()
        self.window_note.value = "" if problem is None else (
            f"<div class='wb-form-errors'>Warning: {html.escape(problem)}.</div>")

    def details(self) -> SaveDetails:
        return SaveDetails(self.participant.value, self.visit.value, self.assessor.value, self.assessed_on.value)

    # -- saving ----------------------------------------------------------------------
    def _ask(self, stored: list | None) -> None:
        """Show (stored records given) or hide the question "correction or repeat?"."""
        self.pending = list(stored or [])
        if not self.pending:
            self.question.layout.display = "none"
            return
        latest = self.pending[-1]
        self.question.children[0].value = (
            f"<div class='wb-form-errors'>{html.escape(latest.instrument)} of {html.escape(latest.participant_id)} "
            f"at this visit is stored already ({len(self.pending)} record(s); the last assessed on "
            f"{latest.assessed_on.isoformat()} by {html.escape(latest.assessor)}). Is this save a correction of "
            "the stored record (it then needs a reason) or a repeat of the test?</div>")
        self.question.layout.display = None

    def _edit(self, record) -> None:
        """Switch to editing ``record``: a save now changes it, with a reason."""
        self.record = record
        editing = record is not None
        self.button.description = "Save correction" if editing else "Save"
        self.reason.layout.display = None if editing else "none"
        self.reason.value = ""
        self.new_button.layout.display = None if editing else "none"
        for box in (self.participant, self.visit):
            box.disabled = editing  # a correction keeps who and which visit; a new assessment starts anew

    def start_new(self) -> None:
        """Leave the saved record alone; the next save is a new assessment (asked about if one is stored)."""
        self._edit(None)
        self._ask(None)
        self.status.value = ""

    def answer(self, what: str) -> Any | None:
        """Answer the question: ``"correction"`` edits the last stored record, ``"repeat"`` saves a new one."""
        if what not in ("correction", "repeat"):
            raise ValueError(f"answer must be 'correction' or 'repeat', got {what!r}")
        stored = self.pending
        self._ask(None)
        if not stored:
            return None
        if what == "repeat":
            return self.submit(repeat=True)
        self._edit(stored[-1])
        self.status.value = ("<div>Now correcting the stored record: give the reason for the correction and "
                             "press Save correction.</div>")
        return None

    def _stored_same(self, instrument: str, details: SaveDetails) -> list:
        if self._store is None:
            return [a for a in self.saved if (a.instrument, a.participant_id, a.visit_id)
                    == (instrument, details.participant_id, details.visit_id)]
        from ...records import OutcomeAssessment

        found = self._store.find(OutcomeAssessment, participant_id=details.participant_id,
                                 visit_id=details.visit_id, instrument=instrument)
        return sorted(found, key=lambda a: (a.assessed_on, a.version))

    def submit(self, *, repeat: bool = False) -> Any | None:
        """Validate, build the record and save it (or its correction); show the outcome.

        Returns the saved record, or None when nothing was saved (a problem, a
        question to answer, or nothing changed since the last save).
        """
        from ...records import OutcomeAssessment

        details = self.details()
        try:
            problems = details.problems()
            if details.visit_id is None:
                # An assessment outside any visit cannot be placed on the schedule (ICH E6(R2) 6.4.3).
                problems.append(Problem("visit_id", None, "the visit this assessment belongs to (choose one)"))
            reason = self.reason.value.strip()
            if self.record is not None and not reason:
                problems.append(Problem("reason", None, "why the stored record changes (a correction is "
                                                        "audited with its reason)"))
            if problems:
                if self.record is not None and not reason and self._unchanged(details):
                    # A second click on Save (a double click): the record is stored as it stands.
                    self.status.value = (f"<div>Already saved as {html.escape(self.record.id)}; nothing changed, "
                                         "nothing written. Change a value to correct it, or start a new "
                                         "assessment.</div>")
                    return None
                raise ValidationError(problems, what="assessment details")
            instrument, version, items, scores, notes = self._build(details)
            window = self.window_problem()
            if window is not None:
                mark = f"Outside the visit window: {window.split('; ')[0]}."
                notes = mark if not notes else (notes if mark in notes else f"{notes}\n{mark}")
            fields = dict(participant_id=details.participant_id, visit_id=details.visit_id, instrument=instrument,
                          instrument_version=version, assessor=details.assessor, assessed_on=details.assessed_on,
                          item_values=items, scores=scores, notes=notes or None)
            if self.record is not None:
                saved = self._correct(fields, reason)
                if saved is None:
                    return None
                verb = "Corrected"
            else:
                if not repeat:
                    stored = self._stored_same(instrument, details)
                    if stored:
                        self._ask(stored)
                        self.status.value = ""
                        return None
                assessment = OutcomeAssessment(**fields)
                result = self._save(assessment)
                saved = result[0] if isinstance(result, (list, tuple)) and result else assessment
                verb = "Saved"
        except ValidationError as err:
            self.status.value = problems_html(err.problems, self.labels)
            return None
        except WorkbenchError as err:
            self.status.value = f"<div class='wb-form-errors'>Not saved: {html.escape(str(err))}</div>"
            return None
        self.saved.append(saved)
        self._edit(saved)
        warn = "" if window is None else f" Marked: {html.escape(window.split('; ')[0])}."
        self.status.value = (f"<div style='color:#2e7d32'>{verb} {html.escape(instrument)} for "
                             f"{html.escape(details.participant_id)} on {details.assessed_on.isoformat()}"
                             f" by {html.escape(details.assessor)}.{warn} The form now edits this record: a change "
                             "is saved as a correction with its reason; New assessment starts another.</div>")
        if self._on_saved is not None:
            self._on_saved(saved)
        return saved

    def _unchanged(self, details: SaveDetails) -> bool:
        try:
            instrument, version, items, scores, notes = self._build(details)
        except ValidationError:
            return False
        r = self.record
        return (r.instrument, r.participant_id, r.visit_id, r.item_values, r.assessor, r.assessed_on) == \
            (instrument, details.participant_id, details.visit_id, items, details.assessor, details.assessed_on)

    def _correct(self, fields: dict, reason: str):
        if self._store is None:
            raise WorkbenchError("a correction changes the stored record: open the form with the records store")
        current = self._store.get(type(self.record), self.record.id)
        changed = dataclasses.replace(current, **fields)
        if changed.to_plain() == current.to_plain():
            self.status.value = f"<div>Nothing changed in {html.escape(current.id)}; nothing written.</div>"
            return None
        return self._store.update(changed, reason=reason)
