"""Views close what they replace: widgets stay level in the kernel however often a view is redrawn."""

from __future__ import annotations

import ipywidgets as widgets
import pytest

from tests.outcomes.store_helpers import make_store
from workbench.ui.closing import close_tree, replace_children
from workbench.ui.forms import FormChooser
from workbench.ui.forms.chooser import instrument_options

LIVE = widgets.widget._instances  # every open widget of this process, by model id


def _tree(n: int = 3) -> widgets.VBox:
    return widgets.VBox([widgets.HBox([widgets.HTML(f"{k}"), widgets.Text(style={"description_width": "9px"})])
                         for k in range(n)], layout=widgets.Layout(width="100px"))


def _ids(w: widgets.Widget) -> set[str]:
    """The model ids of ``w``, everything inside it, and their layouts and styles."""
    out = {w.model_id}
    for part in ("layout", "style"):
        if isinstance(getattr(w, part, None), widgets.Widget):
            out.add(getattr(w, part).model_id)
    for c in getattr(w, "children", ()):
        out |= _ids(c)
    return out


def test_close_tree_closes_every_widget_inside_with_its_layout_and_style():
    tree = _tree()
    ids = _ids(tree)
    assert len(ids) > 10 and ids <= set(LIVE)
    close_tree(tree)
    assert not ids & set(LIVE)
    close_tree(tree)  # closing twice is harmless


def test_replace_children_closes_only_what_is_no_longer_shown():
    kept, gone = _tree(1), _tree(2)
    box = widgets.VBox([kept, gone])
    new, gone_ids = _tree(1), _ids(gone)
    replace_children(box, (kept, new))
    assert box.children == (kept, new)
    assert _ids(kept) | _ids(new) <= set(LIVE) and not gone_ids & set(LIVE)


@pytest.mark.slow
def test_switching_forms_leaves_no_widget_behind_and_the_shown_form_works(tmp_path):
    store = make_store(tmp_path)
    try:
        _switch_forms(FormChooser(store, participant_id="SCI-001"))
    finally:
        store.close()


def _switch_forms(chooser: FormChooser) -> None:
    choices = [value for _, value in instrument_options()]
    for instrument in choices:  # every form once: module-level widgets and caches are made here
        chooser.instrument.value = instrument
    chooser.instrument.value = None
    level = len(LIVE)
    first = None
    for _ in range(2):
        for instrument in choices:
            chooser.instrument.value = instrument
            first = first or _ids(chooser.form.widget)
    chooser.instrument.value = None
    assert len(LIVE) == level, f"{len(LIVE) - level} widgets left open after {2 * len(choices)} forms"
    assert not first & set(LIVE)
    chooser.instrument.value = choices[0]  # the ISNCSCI worksheet, shown again after its own were closed
    sheet = chooser.form
    assert _ids(sheet.widget) <= set(LIVE)
    cell = sheet.inputs["right.motor.C5"]
    cell.value = "4"
    assert sheet.entry.value("right.motor.C5") == "4" and cell.layout.width == "72px"
