"""The dashboard's widgets: thin views over :class:`DashboardModel`."""

from __future__ import annotations

import html
import json
import time

import ipywidgets as widgets
import plotly.graph_objects as go

from ...report.html_parts import table as html_table
from ..closing import replace_children
from .deviations import DeviationClosePanel
from .entry import OutcomeEntryPanel
from .model import DashboardModel
from .visits import VisitDonePanel
from .session_model import SessionModel

_STYLE = """<style>
.wb-dash table { border-collapse: collapse; font-size: 13px; margin: 4px 0 12px 0; }
.wb-dash th, .wb-dash td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; }
.wb-dash th { background: #eef3f8; }
.wb-dash .empty { color: #555; font-style: italic; }
.wb-dash-note { color: #555; font-style: italic; }
.wb-dash-message { font-size: 15px; padding: 12px; border-left: 4px solid #E69F00; background: #fff8e1; }
.wb-figure { position: relative; }
.wb-figure-drawing { position: absolute; top: 0; left: 0; z-index: 0; }
.wb-figure-plot { position: relative; z-index: 1; width: 100%; }
.wb-figure-plot .js-plotly-plot { background: white; }
</style>"""


def _plot_outputs(fig: go.Figure) -> tuple:
    """A figure as the outputs of an Output widget: drawn by JupyterLab's and Voila's plotly renderer."""
    bundle = {"application/vnd.plotly.v1+json": {**json.loads(fig.to_json()),
                                                 "config": {"displayModeBar": False, "responsive": False}},
              "text/plain": f"<figure: {fig.layout.title.text}>"}
    return ({"output_type": "display_data", "data": bundle, "metadata": {}},)


def _figure(fig: go.Figure, name: str, *, plot: bool = True) -> widgets.Widget:
    """A figure's area: a plotly output (drawn by JupyterLab's and Voila's plotly renderer).

    An Output holding the figure's JSON costs ~15 ms to build; a FigureWidget
    ~1.2 s (it validates and syncs every property), which made choosing a
    participant take seconds. Setting ``outputs`` directly works with or
    without a kernel (tests build views in plain Python). ``plot=False``: the
    area only, its plot sent later (``_plot_outputs``).
    """
    w = widgets.Output()
    if plot:
        w.outputs = _plot_outputs(fig)
    w.add_class("wb-figure-plot")
    # The browser draws a figure a while after its data arrives (seconds for a long signal snippet):
    # until then the area says what is coming, under the plot, which covers it once drawn.
    label = (fig.layout.title.text or name).split("<br>")[0]  # the title's first line, without plotly's markup
    drawing = widgets.HTML(f"<p class='wb-dash-note'>Drawing {html.escape(label)} ...</p>")
    drawing.add_class("wb-figure-drawing")
    box = widgets.Box([drawing, w], layout=widgets.Layout(width=f"{fig.layout.width or 720}px",
                                                          min_height=f"{fig.layout.height or 450}px"))
    box.add_class("wb-figure")
    if not fig.data:
        box.add_class("wb-figure-empty")  # a sentence says why there is nothing to draw
    box.add_class(f"wb-figure-{name.replace(' ', '-').lower()}")
    return box


def _tables(tables: dict) -> widgets.HTML:
    parts = [f"<h4>{html.escape(title)}</h4>" + html_table(frame, empty=f"{title}: none recorded yet.",
                                                          index=frame.index.name is not None)
             for title, frame in tables.items()]
    return widgets.HTML("<div class='wb-dash'>" + "".join(parts) + "</div>")


class OverviewView:
    def __init__(self, model: DashboardModel) -> None:
        self.model = model
        self.body = widgets.VBox()
        self.closing = DeviationClosePanel(model) if model.can_close_deviations else None
        self.widget = widgets.VBox([self.body] + ([self.closing.widget] if self.closing else []))
        self.widget.add_class("wb-overview")
        self._shown = None  # the study data drawn (held, so its id cannot be reused by a reload)
        model.listeners.add(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        if self.model.data is None:
            replace_children(self.body, ())
            self._shown = None
            return
        if self._shown is self.model.data:
            return  # a participant or session was chosen: the study overview stays as drawn (it took 0.7 s)
        self._shown = self.model.data
        figs = [_figure(f, name) for name, f in self.model.overview_figures().items()]
        replace_children(self.body, (*figs, _tables(self.model.overview_tables())))


class ParticipantView:
    """A participant chosen from the study's list; their scores, thresholds and BCI performance."""

    def __init__(self, model: DashboardModel) -> None:
        self.model = model
        self.chooser = widgets.Dropdown(description="Participant", style={"description_width": "90px"},
                                        layout=widgets.Layout(width="420px"))
        self.chooser.observe(self._chosen, names="value")
        self.body = widgets.VBox()
        self.marking = VisitDonePanel(model) if model.can_mark_visits else None
        self.widget = widgets.VBox([self.chooser, self.body] + ([self.marking.widget] if self.marking else []))
        self.widget.add_class("wb-participant")
        self._shown = None
        model.listeners.add(self.refresh)
        self.refresh()

    def _chosen(self, change) -> None:
        if change["new"] is not None and change["new"] != self.model.participant:
            self.model.select_participant(change["new"])

    def refresh(self) -> None:
        m = self.model
        if self.chooser.options != tuple(m.participant_choices):
            self.chooser.options = m.participant_choices
        self.chooser.value = m.participant
        if m.participant is None:
            replace_children(self.body, ())
            return
        if self._shown is not None and self._shown[0] == m.participant and self._shown[1] is m.data:
            return  # a session choice changed; this view stays as drawn
        self._shown = (m.participant, m.data)  # the data held, so a reload's data cannot reuse its id
        figs = [_figure(f, name) for name, f in m.participant_figures().items()]
        replace_children(self.body, (*figs, _tables(m.participant_tables())))


#: Seconds between a session's figures reaching the browser in the live dashboard (one per message).
FIGURE_STAGGER_S = 0.15


class SessionPanel:
    """One of the participant's sessions: signal snippet, ERD map, confusion matrix, gate events.

    Draws :class:`SessionModel`'s state only: "loading" the moment a session
    is chosen (the previous figures gone), then the figures of the session
    the state names, each area saying "Drawing ..." until the browser has drawn it.
    """

    def __init__(self, model: DashboardModel, *, background: bool = False, executor=None) -> None:
        self.model = model
        self._stagger = background  # figures built in a worker thread, which may wait between them
        self.chooser = widgets.Dropdown(description="Session", style={"description_width": "90px"},
                                        layout=widgets.Layout(width="420px"))
        self.chooser.observe(self._chosen, names="value")
        self.notes = widgets.HTML()
        self.body = widgets.VBox()
        self.widget = widgets.VBox([self.chooser, self.notes, self.body])
        self.widget.add_class("wb-session")
        model.listeners.add(self._choices)
        self._choices()
        self.state = SessionModel(model, background=background, executor=executor)
        self.state.listeners.add(self.refresh)
        self.refresh()

    def _chosen(self, change) -> None:
        if change["new"] is not None and change["new"] != self.model.session_id:
            self.model.select_session(change["new"])

    def _choices(self) -> None:
        m = self.model
        if self.chooser.options != tuple(m.session_choices):
            self.chooser.options = m.session_choices
        self.chooser.value = m.session_id

    def wait(self, timeout: float = 60.0) -> None:
        """Until the chosen session is drawn (figures are built in the background in a live dashboard)."""
        self.state.wait(timeout)

    def refresh(self) -> None:
        st = self.state.state
        # The notes name the session they belong to (data-wb-session), so that a page, a test or
        # benchmarks/session_view.py can tell two sessions apart that read the same.
        shown = f"data-wb-session='{html.escape(st.session_id or '')}'"
        if st.status != "ready":
            css = "wb-dash-note wb-session-loading" if st.status == "loading" else "wb-dash-note"
            self.notes.value = f"<div {shown}><p class='{css}'>{html.escape(st.message)}</p></div>"
            replace_children(self.body, ())  # after the line that says why: never an empty panel in between
            return
        # Figures (each saying "Drawing ..." until drawn) before the notes replace the "loading" line,
        # so the browser never shows an empty panel between the two updates.
        items = list(st.view.figures.items())
        boxes = [_figure(f, name, plot=not self._stagger) for name, f in items]
        replace_children(self.body, boxes)
        self.notes.value = f"<div {shown}>" + "".join(
            f"<p class='wb-dash-note'>{html.escape(n)}</p>" for n in st.view.notes) + "</div>"
        if not self._stagger:
            return
        # The live dashboard sends the areas at once (each saying "Drawing ...") and then one plot per
        # message: sent together, the browser parsed and laid out all four in one task of 1.4-1.7 s (the
        # demo's closed-loop session), deaf to clicks meanwhile.
        for box, (_, fig) in zip(boxes, items):
            if self.state.state is not st:
                return  # another session was chosen: its loading state closed these areas, nothing more is sent
            box.children[1].outputs = _plot_outputs(fig)
            time.sleep(FIGURE_STAGGER_S)


class Dashboard:
    """The clinicians' dashboard: study overview, participant, session and outcome entry.

    Parameters
    ----------
    store : workbench.records.Store
        An authenticated store (a monitor's store gives a read-only dashboard).
    workspace, today
        Passed to :class:`DashboardModel`.
    background : bool
        Build a session's figures in a worker thread, so the page shows "loading" at once and
        another session can be chosen meanwhile (``dashboard_app`` sets it; tests need not).
    """

    def __init__(self, store, workspace=None, *, today=None, background: bool = False) -> None:
        self.model = DashboardModel(store, workspace, today=today)
        self._background = background  # session figures built off the widget thread (the live dashboard)
        m = self.model
        study = f"study {m.data.study.id} · " if m.data is not None else ""
        access = "enters outcomes" if m.can_enter_outcomes else "read-only: looks at everything, changes nothing"
        if m.blinded:
            access += "; blind to the allocation, which no view shows"
        if m.hidden_note:
            access += ". " + m.hidden_note
        self.header = widgets.HTML(
            f"{_STYLE}<div class='wb-dash-who'>{html.escape(study)}signed in as {html.escape(m.user_label)} "
            f"({html.escape(access)})</div>")
        self.message = widgets.HTML()
        self.overview = OverviewView(m)
        # The other tabs are built when first opened: the first view (the overview) then costs
        # only its own figures (the participant, session and entry views took 2 of its 3 s).
        self._slots = [widgets.VBox() for _ in range(3)]
        self._views: dict[int, object] = {}
        self.tabs = widgets.Tab(children=[self.overview.widget, *self._slots],
                                titles=("Study overview", "Participant", "Session", "Enter outcomes"))
        self.tabs.observe(lambda change: self._view(change["new"]), names="selected_index")
        self.widget = widgets.VBox([self.header, self.message, self.tabs])
        self.widget.add_class("wb-dashboard")
        m.listeners.add(self._refresh_message)
        self._refresh_message()

    def _view(self, tab: int | None):
        """The view of tab ``tab`` (1-3), built and put in its tab the first time it is asked for."""
        if tab not in (1, 2, 3):
            return None
        if tab not in self._views:
            view = (SessionPanel(self.model, background=self._background) if tab == 2
                    else {1: ParticipantView, 3: OutcomeEntryPanel}[tab](self.model))
            self._views[tab] = view
            self._slots[tab - 1].children = ((self.participant_hint(), view.widget) if tab == 2 else (view.widget,))
        return self._views[tab]

    @property
    def participant(self) -> "ParticipantView":
        return self._view(1)

    @property
    def session(self) -> "SessionPanel":
        return self._view(2)

    @property
    def entry(self) -> OutcomeEntryPanel:
        return self._view(3)

    def participant_hint(self) -> widgets.HTML:
        return widgets.HTML("<p class='wb-dash-note'>Sessions of the participant chosen in the Participant tab.</p>")

    def _refresh_message(self) -> None:
        msg = self.model.message
        self.message.value = f"<div class='wb-dash-message'>{html.escape(msg)}</div>" if msg else ""
        self.tabs.layout.display = "none" if self.model.data is None else None

    def _ipython_display_(self):  # pragma: no cover - notebook display only
        from IPython.display import display

        display(self.widget)
