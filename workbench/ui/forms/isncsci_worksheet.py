"""The ISNCSCI 2019 worksheet as widgets: a thin view over IsncsciEntry."""

from __future__ import annotations

import html

import ipywidgets as widgets

from ...outcomes.entry import IsncsciEntry, SaveDetails
from ...outcomes.entry.isncsci import INSTRUMENT, NON_KEY, VERSION
from ...outcomes.isncsci import DERMATOMES, KEY_MUSCLES, NON_KEY_MUSCLE_LEVELS, SIDES, rule_for
from ._style import label, mark, problems_html, style
from .meanings import ISNCSCI_MOTOR, ISNCSCI_SENSORY
from .save_panel import SavePanel

#: A score cell's width (one Layout per worksheet: a closed worksheet closes its own only).
CELL_WIDTH = "72px"
#: ISNCSCI 2019 key muscles (Rupp et al. 2021), named as on the worksheet.
KEY_MUSCLE_NAMES = {"C5": "elbow flexors", "C6": "wrist extensors", "C7": "elbow extensors",
                    "C8": "finger flexors", "T1": "finger abductors", "L2": "hip flexors", "L3": "knee extensors",
                    "L4": "ankle dorsiflexors", "L5": "long toe extensors", "S1": "ankle plantar flexors"}
_KIND = {"motor": "motor", "light_touch": "light touch", "pin_prick": "pin prick"}


def field_label(field: str) -> str:
    """The worksheet's name of a field: ``right.motor.C6`` -> ``Right motor C6 (wrist extensors)``."""
    if field == "vac":
        return "Voluntary anal contraction (VAC)"
    if field == "dap":
        return "Deep anal pressure (DAP)"
    side, _, rest = field.partition(".")
    if rest == NON_KEY:
        return f"{side.capitalize()}: lowest non-key muscle with motor function"
    kind, _, level = rest.partition(".")
    name = f"{side.capitalize()} {_KIND.get(kind, kind)} {level.replace('_', '-')}"
    return f"{name} ({KEY_MUSCLE_NAMES[level]})" if kind == "motor" and level in KEY_MUSCLE_NAMES else name


class IsncsciWorksheet:
    """Dermatome grid (right and left, light touch and pin prick), key muscles,
    VAC/DAP, lowest non-key muscle and comments; classifies as values change.

    Parameters
    ----------
    entry : IsncsciEntry | None
        The model (a new empty one by default).
    store, save, participant_id, visit_id, **choices
        Passed to :class:`SavePanel` (``participants``, ``visits``, ``on_saved``).
    """

    def __init__(self, entry: IsncsciEntry | None = None, *, store=None, save=None,
                 participant_id: str | None = None, visit_id: str | None = None, **choices) -> None:
        self.entry = entry if entry is not None else IsncsciEntry()
        self._syncing = False  # True while the view copies the model into the widgets
        self.inputs: dict[str, widgets.Combobox] = {}
        self._cell_layout = widgets.Layout(width=CELL_WIDTH)  # shared by this worksheet's cells only
        for field, allowed in IsncsciEntry.FIELDS.items():
            self.inputs[field] = self._cell(field, allowed)
        for side in SIDES:
            self.inputs[f"{side}.{NON_KEY}"] = self._cell(f"{side}.{NON_KEY}", NON_KEY_MUSCLE_LEVELS)
        self.comments = widgets.Textarea(placeholder="Comments (e.g. reason for NT or a non-SCI condition)")
        self.comments.observe(self._on_comments, names="value")
        self.fill_normal_button = widgets.Button(description="Empty fields normal",
                                                 layout=widgets.Layout(width="auto"))  # the label in full
        self.fill_normal_button.on_click(lambda _: self.entry.fill_normal())
        self.results = widgets.HTML()
        # Naming the inputs that made a result variable means classifying every
        # reading of the uncertain values: cheap for most exams, seconds for one
        # full of NT. So the search runs only while this toggle is on; the rule
        # and its citation are always shown.
        self.explain_toggle = widgets.ToggleButton(
            value=False, description="Name the inputs behind starred or listed results",
            layout=widgets.Layout(width="auto"))
        self.explain_toggle.observe(lambda _: self.refresh(), names="value")
        self.errors = widgets.HTML()
        self.labels = {f: field_label(f) for f in self.inputs}
        self.save_panel = SavePanel(self._record_fields, store=store, save=save, participant_id=participant_id,
                                    visit_id=visit_id, labels=self.labels, **choices)
        legend = widgets.HTML(f"<small><b>Motor</b>: {html.escape(ISNCSCI_MOTOR)}<br><b>Sensory</b>: "
                              f"{html.escape(ISNCSCI_SENSORY)}</small>")
        self.widget = widgets.VBox([style(), legend, self._grid(), self._anal_row(), self.comments,
                                    self.fill_normal_button,
                                    self.errors, self.explain_toggle, self.results, self.save_panel.widget])
        self.entry.listeners.add(self.refresh)
        self.refresh()

    def _cell(self, field: str, options) -> widgets.Combobox:
        # Free text with suggestions: fast typing, and a wrong value stays
        # visible and marked instead of being silently refused.
        box = widgets.Combobox(options=tuple(options), ensure_option=False, value=self.entry.value(field) or "",
                               layout=self._cell_layout, placeholder="")
        box.add_class(f"wb-cell-{field.replace('.', '-')}")
        box.observe(lambda change, f=field: self._on_edit(f, change["new"]), names="value")
        return box

    def _on_edit(self, field: str, value: str) -> None:
        if not self._syncing:
            self.entry.set(field, value)

    def _on_comments(self, change) -> None:
        self.entry.comments = change["new"]

    def _grid(self) -> widgets.GridBox:
        header = ["", "R motor", "R LT", "R PP", "L LT", "L PP", "L motor"]
        cells = [widgets.HTML(f"<b>{h}</b>") for h in header]
        for d in DERMATOMES:
            motor = d in KEY_MUSCLES
            cells.append(widgets.HTML(f"<b>{d.replace('_', '-')}</b>"))
            cells.append(self.inputs[f"right.motor.{d}"] if motor else widgets.HTML(""))
            cells += [self.inputs[f"right.light_touch.{d}"], self.inputs[f"right.pin_prick.{d}"],
                      self.inputs[f"left.light_touch.{d}"], self.inputs[f"left.pin_prick.{d}"]]
            cells.append(self.inputs[f"left.motor.{d}"] if motor else widgets.HTML(""))
        return widgets.GridBox(cells, layout=widgets.Layout(grid_template_columns="60px repeat(6, 80px)"))

    def _anal_row(self) -> widgets.VBox:
        return widgets.VBox([widgets.HBox([label(self.labels[f], "360px"), self.inputs[f]])
                             for f in ("vac", "dap", f"right.{NON_KEY}", f"left.{NON_KEY}")])

    def refresh(self) -> None:
        """Redraw from the model: values, error markers, results."""
        problems = self.entry.problems
        self._syncing = True
        try:
            for field, box in self.inputs.items():
                value = self.entry.value(field) or ""
                if box.value != value:
                    box.value = value
        finally:
            self._syncing = False
        for field, box in self.inputs.items():
            problem = problems.get(field)
            mark(box, None if problem is None else f"allowed: {problem.allowed}")
        self.errors.value = problems_html(problems.values(), self.labels)
        self.results.value = self._results_html()

    def _results_html(self) -> str:
        result = self.entry.result
        if result is None:
            missing, wrong = len(self.entry.missing), len(self.entry.problems)
            if wrong:
                return (f"<i>Classification appears when the {wrong} cell{'s' * (wrong > 1)} marked red "
                        f"{'are' if wrong > 1 else 'is'} corrected{f' and {missing} empty filled' if missing else ''}.</i>")
            return f"<i>Classification appears when every field is filled ({missing} empty).</i>"
        t, z = result["totals"], result["zpp"]
        t, z = result["totals"], result["zpp"]
        rows = [
            ("Sensory level (R / L)", f"{result['sensory_level']['right']} / {result['sensory_level']['left']}",
             ("sensory_level.right", "sensory_level.left")),
            ("Motor level (R / L)", f"{result['motor_level']['right']} / {result['motor_level']['left']}",
             ("motor_level.right", "motor_level.left")),
            ("Neurological level of injury", result["nli"], ("nli",)),
            ("Complete / incomplete", result["injury_complete"], ("injury_complete",)),
            ("AIS", result["ais"], ("ais",)),
            ("Sensory ZPP (R / L)", f"{z['sensory']['right']} / {z['sensory']['left']}",
             ("zpp.sensory.right", "zpp.sensory.left")),
            ("Motor ZPP (R / L)", f"{z['motor']['right']} / {z['motor']['left']}",
             ("zpp.motor.right", "zpp.motor.left")),
            ("UEMS (R + L)", f"{t['right']['uems']} + {t['left']['uems']} = {t['uems']}", ("totals.uems",)),
            ("LEMS (R + L)", f"{t['right']['lems']} + {t['left']['lems']} = {t['lems']}", ("totals.lems",)),
            ("Light touch (R + L)", f"{t['right']['light_touch']} + {t['left']['light_touch']} = {t['light_touch']}",
             ("totals.light_touch",)),
            ("Pin prick (R + L)", f"{t['right']['pin_prick']} + {t['left']['pin_prick']} = {t['pin_prick']}",
             ("totals.pin_prick",)),
        ]
        flat = self.entry.scores()
        body = "".join(f"<tr><td>{html.escape(k)}</td><td><b>{html.escape(v)}</b></td>"
                       f"<td>{self._why_html(fields, flat)}</td></tr>" for k, v, fields in rows)
        return f"<table class='wb-isncsci-result'>{body}</table>"

    def _why_html(self, fields: tuple[str, ...], flat: dict) -> str:
        """The rule behind a result, its citation, and (toggle on) the inputs that made it variable."""
        parts = []
        for field in fields:
            if self.explain_toggle.value:
                why = self.entry.explain(field)
                rule, citation, inputs = why.rule, why.citation, why.variable_inputs
            else:
                (rule, citation), inputs = rule_for(field, str(flat.get(field) or "")), ()
            side = f"{field.rsplit('.', 1)[1].capitalize()}: " if field.endswith((".right", ".left")) else ""
            variable = ("" if not inputs else "<br><b>Variable because of:</b> "
                        + html.escape(", ".join(self.labels.get(f, f) for f in inputs)))
            parts.append(f"<details><summary>{side}rule</summary><small>{html.escape(rule)}<br>"
                         f"<i>{html.escape(citation)}</i>{variable}</small></details>")
        return "".join(parts)

    def _record_fields(self, details: SaveDetails) -> tuple:
        return INSTRUMENT, VERSION, self.entry.item_values(), self.entry.scores(), self.entry.comments

    def _ipython_display_(self):  # pragma: no cover - notebook display only
        from IPython.display import display

        display(self.widget)
