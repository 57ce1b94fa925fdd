"""What the dashboard notebook shows: sign in, then the dashboard of the signed-in user."""

from __future__ import annotations

import html

import ipywidgets as widgets

from ...config import get_workspace
from ...errors import WorkbenchError
from ..closing import replace_children
from .views import Dashboard


def _message(text: str) -> widgets.HTML:
    return widgets.HTML(f"<div class='wb-dash-message' style='font-size:15px;padding:12px;border-left:4px solid "
                        f"#E69F00;background:#fff8e1'>{html.escape(text)}</div>")


def dashboard_app(workspace=None, *, today=None) -> widgets.VBox:
    """The clinicians' dashboard behind the sign-in panel (``workbench.ui.login.LoginPanel``).

    The dashboard is built for the store the panel hands over once the user
    and password are accepted, so what is shown and what can be changed
    follow the account's role. Errors (an empty study, an unreadable
    database) become a sentence on the page, never a traceback.
    """
    ws = get_workspace(workspace)
    box = widgets.VBox()
    box.add_class("wb-dashboard-app")

    def show(store) -> None:
        # The sign-in panel is closed with what it held (the fields, their comms in the kernel
        # and the page): nothing is left that could take a password once someone is signed in.
        try:
            replace_children(box, (Dashboard(store, ws.root, today=today, background=True).widget,))
        except WorkbenchError as err:
            replace_children(box, (_message(f"The dashboard cannot open: {err}"),))

    from ..login import LoginPanel

    panel = LoginPanel(workspace=ws.root)
    panel.on_login(lambda *_: show(panel.store))
    box.children = (panel.widget,)
    _warm_plotly()
    return box


def _warm_plotly() -> None:
    """Load plotly's validators and template now, while the sign-in panel waits (Voila's pre-run
    kernel does this before anyone opens the page): the first figure after sign-in then costs
    10 ms instead of ~200 ms (more under load)."""
    import pandas as pd

    from ...report.figures import enrolment_figure

    enrolment_figure(pd.DataFrame({"participants": [1]}, index=["site"])).to_json()
