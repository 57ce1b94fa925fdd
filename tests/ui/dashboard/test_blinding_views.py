"""Blinding by design (issue 22): every dashboard tab, for every role, shows a blinded assessor nothing that
reveals the arm (no BCI session, no BCI metric, no device relatedness), unless the study allows it."""

from __future__ import annotations

import json
from datetime import date

import ipywidgets as widgets
import pytest

from workbench.config import get_workspace
from workbench.errors import ValidationError
from workbench.records import ROLES
from workbench.records.demo import open_demo_store
from workbench.records.types.safety import RELATEDNESS
from workbench.ui.dashboard import Dashboard, DashboardModel
from workbench.ui.dashboard.blinding import BlindedView

from ...report.trial_helpers import add_bci, add_isncsci

TODAY = date(2026, 11, 22)
#: What BCI data and device relatedness look like on a page (the arms' names are checked apart).
REVEALING = ("accuracy", "command latency", "S-SCI-", "confusion", *RELATEDNESS)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    ws = get_workspace(tmp_path_factory.mktemp("blind") / "workspace")
    store = open_demo_store(ws.root, role="investigator")
    add_isncsci(store, "SCI-001")
    add_bci(store, ws)
    store.close()
    return ws


def _model_text(model: DashboardModel) -> list[str]:
    """Every table and figure of every tab, for every participant the user may choose."""
    shown = [t.to_csv() for t in model.overview_tables().values()]
    shown += [f.to_json() for f in model.overview_figures().values()]
    for _, pid in model.participant_choices:
        model.select_participant(pid)
        shown += [t.to_csv() for t in model.participant_tables().values()]
        shown += [f.to_json() for f in model.participant_figures().values()]
        shown += [label for label, _ in model.session_choices]
        for _, sid in model.session_choices:
            model.select_session(sid)
            view = model.session()
            shown += [*view.notes, *(f.to_json() for f in view.figures.values())]
    return shown


def _widget_text(widget) -> list[str]:
    """The text of a widget tree: HTML values, option labels and figure outputs."""
    out = []
    if isinstance(widget, (widgets.HTML, widgets.Label)):
        out.append(widget.value)
    if isinstance(widget, widgets.Dropdown):
        out += [label for label, _ in widget.options]
    if isinstance(widget, widgets.Output):
        out += [json.dumps(o.get("data", {})) for o in widget.outputs]
    for child in getattr(widget, "children", ()):
        out += _widget_text(child)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("role", [r for r in ROLES if r != "allocator"])
def test_every_tab_of_every_role_shows_bci_data_only_to_the_unblinded(ws, role):
    store = open_demo_store(ws.root, role=role)
    try:
        model = DashboardModel(store, ws.root, today=TODAY)
        shown = _model_text(model)
        dash = Dashboard(store, ws.root, today=TODAY)
        for tab in (1, 2, 3):
            dash._view(tab)
        page = _widget_text(dash.widget)
    finally:
        store.close()
    found = {word for word in REVEALING for text in shown + page if word in text}
    if role == "assessor":
        assert not found, f"the blinded assessor is shown {sorted(found)}"
        assert "Not shown to outcome assessors" in " ".join(page)
        for arm in ("control", "blinded"):  # the demo's arms ("BCI" is the device's name too), the store's mask
            assert not [s for s in shown + page if arm in s], arm
    else:
        # The same walk finds them for everyone else: the check above can fail.
        assert {"accuracy", "command latency", "S-SCI-", "not related"} <= found, (role, found)


def test_the_study_may_show_sessions_to_assessors_when_they_reveal_nothing(ws):
    store = open_demo_store(ws.root, role="assessor")
    try:
        default = DashboardModel(store, ws.root, today=TODAY)
        assert default.session_choices == [] and default.session() is None
        sham = DashboardModel(store, ws.root, today=TODAY, blinding=BlindedView(bci_sessions=True))
        assert sham.session_choices and sham.session() is not None
        assert "BCI performance" not in sham.participant_tables()  # metrics still hidden
        (ws.root / "blinding.json").write_text('{"bci_metrics": true}', encoding="utf-8")
        try:
            configured = DashboardModel(store, ws.root, today=TODAY)
            assert "BCI performance" in configured.participant_tables() and configured.session_choices == []
            (ws.root / "blinding.json").write_text('{"bci_metric": "yes"}', encoding="utf-8")
            with pytest.raises(ValidationError, match="bci_metric.*one of bci_sessions, bci_metrics"):
                DashboardModel(store, ws.root, today=TODAY)
        finally:
            (ws.root / "blinding.json").unlink()
    finally:
        store.close()
