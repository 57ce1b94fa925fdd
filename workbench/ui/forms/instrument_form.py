"""A form for any data-defined instrument: a thin view over InstrumentEntry."""

from __future__ import annotations

import html

import ipywidgets as widgets

from ...outcomes.entry import InstrumentEntry, SaveDetails
from ...outcomes.instruments import Instrument
from ._style import label, mark, problems_html, style
from .meanings import value_label
from .save_panel import SavePanel


def _show(value) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


class InstrumentForm:
    """One input per item (drop-down for value sets, text box for numbers),
    live subscale and total scores, validation in place and saving.

    Parameters
    ----------
    instrument : Instrument | str | InstrumentEntry
        What to show (an id like ``"SCIM-III"`` builds a new entry).
    store, save, participant_id, visit_id, **choices
        Passed to :class:`SavePanel` (``participants``, ``visits``, ``on_saved``).
    """

    def __init__(self, instrument: Instrument | str | InstrumentEntry, *, store=None, save=None,
                 participant_id: str | None = None, visit_id: str | None = None, **choices) -> None:
        self.entry = instrument if isinstance(instrument, InstrumentEntry) else InstrumentEntry(instrument)
        inst = self.entry.instrument
        self.inputs: dict[str, widgets.Widget] = {}
        self._syncing = False  # True while the view copies the model into the widgets
        rows = []
        for item in inst.items:
            if item.kind in ("ordinal", "choice"):
                box = widgets.Dropdown(options=[("", None)] + [(value_label(inst, item, v), v) for v in item.values],
                                       value=None, layout=widgets.Layout(width="420px"))
            else:
                box = widgets.Text(placeholder=f"{item.min:g}-{item.max:g} {item.unit or ''}".strip())
            box.observe(lambda change, f=item.id: self._on_edit(f, change["new"]), names="value")
            self.inputs[item.id] = box
            rows.append(widgets.HBox([label(item.label), box]))
        self.notes = widgets.Textarea(placeholder="Notes")
        self.notes.observe(lambda change: setattr(self.entry, "notes", change["new"]), names="value")
        self.scores = widgets.HTML()
        self.errors = widgets.HTML()
        # The version only when the name does not already end with it ("... Injury II (II)").
        shown = inst.name if inst.name.rstrip().endswith(inst.version) else f"{inst.name} ({inst.version})"
        title = widgets.HTML(f"<h3>{html.escape(shown)}</h3>"
                             f"<small>{html.escape(inst.citation)}</small>")
        self.labels = {item.id: item.label for item in inst.items}
        self.save_panel = SavePanel(self._record_fields, store=store, save=save, participant_id=participant_id,
                                    visit_id=visit_id, labels=self.labels, **choices)
        self.widget = widgets.VBox([style(), title, *rows, self.notes, self.errors, self.scores, self.save_panel.widget])
        self.entry.listeners.add(self.refresh)
        self.refresh()

    def _on_edit(self, item: str, value) -> None:
        if not self._syncing:
            self.entry.set(item, value)

    def refresh(self) -> None:
        """Redraw values, error markers, rule-filled items and scores from the model."""
        problems = self.entry.problems
        implied = set(self.entry.implied)
        self._syncing = True
        try:
            for item, box in self.inputs.items():
                value = self.entry.value(item)
                if isinstance(box, widgets.Dropdown):
                    if value in box.options or value in [v for _, v in box.options]:
                        box.value = value
                elif box.value != ("" if value is None else str(value)):
                    box.value = "" if value is None else str(value)
        finally:
            self._syncing = False
        for item, box in self.inputs.items():
            problem = problems.get(item)
            mark(box, None if problem is None else f"allowed: {problem.allowed}")
            box.disabled = item in implied
        self.errors.value = problems_html(problems.values(), self.labels)
        inst = self.entry.instrument
        labels = {s.id: s.label for s in inst.subscales + inst.totals}
        labels.update({d.id: f"{d.label} ({d.unit})" if d.unit else d.label for d in inst.derived})
        rows = "".join(
            f"<tr><td>{html.escape(labels.get(name, name))}</td><td><b>{_show(v)}</b></td></tr>"
            for name, v in self.entry.scores.items())
        note = (f"<small>Scored by rule: {html.escape(', '.join(sorted(implied)))}</small>" if implied else "")
        self.scores.value = f"<table class='wb-instrument-scores'>{rows}</table>{note}"

    def _record_fields(self, details: SaveDetails) -> tuple:
        inst = self.entry.instrument
        return inst.id, inst.version, self.entry.item_values(), self.entry.final_scores(), self.entry.notes

    def _ipython_display_(self):  # pragma: no cover - notebook display only
        from IPython.display import display

        display(self.widget)
