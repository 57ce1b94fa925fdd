"""Live scope widget: a plotly FigureWidget redrawn from a :class:`ScopeModel`.

Redraws run as an asyncio task on the kernel's own event loop, so the
notebook stays responsive between frames (each frame is one
``batch_update``: one message to the browser). 15 Hz at most by default,
within the 10-20 Hz a scope needs to look continuous; in Chromium on two
cores the page's round trip held it to about 7 (``benchmarks/lab_scope.py``).

Frames are paced by the browser, not only by the clock: the next frame is
sent when the page has drawn the previous one or after ``max_wait`` seconds.
Without that back-pressure a page that draws slower than the kernel sends (a
busy laptop, a remote desktop) queues frames without bound, and every other
widget's message waits behind the queue: a click on Record was not answered
within a minute while a scope ran. After drawing an edit, plotly's page code
sends the traces' deltas back, named by the edit's number: that is the
page's receipt. (Not ``on_edits_completed``: plotly 7.1's page code sends the
layout's delta under another name, ``_js2py_widget_layoutDelta``, which its
Python side never hears, so once a frame has touched the layout that callback
never comes and every frame waited the full ``max_wait``: 1 Hz, not 15.)

A page can also show the plot and never draw it: anywidget (plotly's widget
runtime) gives a model 2 s to load plotly's 5 MB module in the page and, past
that, drops every message to it, so the page keeps an empty plot while the
scope sends frames into the void (seen on a loaded CI machine; reproduced by
delaying that load). When a page shows the scope and has sent no receipt for
``stall_after`` seconds, the scope rebuilds the plot as a new widget, a few
times per stall, and says so in its status line.
"""

from __future__ import annotations

import asyncio
import html
import time

import ipywidgets as widgets
import plotly.graph_objects as go

from .scope_model import ScopeModel


class ScopeWidget:
    """Scrolling traces, per-channel quality and markers of one stream.

    Parameters
    ----------
    model : ScopeModel
    rate : float
        Redraws per second at most (10-20 is smooth enough).
    max_wait : float
        Seconds to wait for the page to confirm a frame before sending the
        next one anyway (a scope nobody displays redraws at this pace).
    stall_after : float
        Seconds a displayed plot may go undrawn before the scope rebuilds it;
        each further rebuild of the same stall waits twice as long.
    """

    #: Redraws may use at most this share of the kernel's time, so cells and clicks stay responsive.
    KERNEL_SHARE = 0.3
    #: The status line and the quality table change slowly; redrawing them every frame is wasted work.
    TEXT_PERIOD = 0.5
    #: Rebuilds per stall: each sends plotly's module to the page again (5 MB), so a page that stays
    #: stalled, or was closed without removing its view, is not sent one every few seconds for hours.
    MAX_REBUILDS = 3

    def __init__(self, model: ScopeModel, rate: float = 15.0, max_wait: float = 1.0,
                 stall_after: float = 5.0) -> None:  # fmt: skip
        self.model = model
        self.rate = float(rate)
        self.max_wait = float(max_wait)
        self.stall_after = float(stall_after)
        self.figure = self._new_figure()
        self.status = widgets.HTML()
        self.quality = widgets.HTML()
        # Pause frees the kernel and the browser: each frame is a plot update, and while the scope
        # runs every other widget of the notebook waits behind its frames.
        self.pause_button = widgets.Button(description="Pause", icon="pause", tooltip="Stop redrawing the scope")
        self.pause_button.on_click(lambda _: self.stop() if self.running else self.start())
        self.widget = widgets.VBox([widgets.HBox([self.pause_button, self.status]), self.figure, self.quality])
        # Pages report their views of the status line (ipywidgets counts them when the count is a number):
        # it tells a page showing the scope from a headless run, whatever becomes of the plot's own model.
        self.status._view_count = 0
        self._task: asyncio.Task | None = None
        self._drawn_future: asyncio.Future | None = None
        self._drawn_edit = 0  # the latest trace edit the page has drawn
        self._text_at = -float("inf")
        self._shown_connected: bool | None = None
        self._ticks: tuple = ()
        self.n_redraws = 0
        #: Frames the page confirmed and frames sent on after ``max_wait`` without confirmation.
        self.n_confirmed = 0
        self.n_unconfirmed = 0
        #: Plots rebuilt because a page displayed one and did not draw it.
        self.n_rebuilds = 0
        self._rebuilds_in_stall = 0
        self._drew_at = time.monotonic()  # the page's last drawing, or when there was nothing to draw

    def _new_figure(self) -> go.FigureWidget:
        m = self.model
        figure = go.FigureWidget(
            layout=go.Layout(
                height=120 + 40 * len(m.picks),
                margin=dict(l=70, r=10, t=30, b=40),
                xaxis=dict(title="time (s)", range=[-m.window, 0]),
                yaxis=dict(showticklabels=True, zeroline=False),
                showlegend=False,
                title=m.stream.name,
            )
        )
        figure.observe(self._page_drew, names="_js2py_traceDeltas")
        return figure

    def _page_drew(self, change) -> None:
        """The page's receipt: it drew the trace edit numbered in the deltas it sends back."""
        if change["new"] is None:  # plotly resets the deltas to None once handled
            return
        self._drew_at, self._rebuilds_in_stall = time.monotonic(), 0
        self._drawn_edit = max(self._drawn_edit, int(change["new"]["trace_edit_id"]))
        future = self._drawn_future
        if future is not None and not future.done() and self._drawn_edit >= self.figure._last_trace_edit_id:
            future.set_result(None)

    def show_stream(self, stream, picks=None, markers=None) -> None:
        """Draw another stream from the next redraw on (the picker's Connect calls this)."""
        m = self.model
        self.model = ScopeModel(stream, picks, window=m.window, max_points=m.max_points, markers=markers,
                                line_freq=m.line_freq)
        self.figure.layout.title = stream.name
        self.figure.layout.height = 120 + 40 * len(self.model.picks)

    def follow(self, opened) -> None:
        """Callback for a StreamPicker: show the first signal stream just connected, with its markers."""
        from ...acquisition import MarkerStream

        signal = [c for c in opened if not isinstance(c, MarkerStream)]
        markers = [c for c in opened if isinstance(c, MarkerStream)]
        if signal:
            self.show_stream(signal[0], markers=markers[0] if markers else self.model.markers)

    def refresh(self) -> None:
        """Take one frame from the model and draw it."""
        frame = self.model.update()
        y, offsets = frame.stacked()
        with self.figure.batch_update():
            if len(self.figure.data) != y.shape[1] or [t.name for t in self.figure.data] != list(frame.ch_names):
                self.figure.data = ()
                for name in frame.ch_names:
                    # SVG, not WebGL: a frame is at most max_points per channel, cheap as SVG paths, and a
                    # page without a GPU (a hospital's remote desktop, a loaded CI runner) draws WebGL in
                    # software, slowly, and can lose the context for good (a stalled scope, seen on CI).
                    self.figure.add_scatter(x=[], y=[], name=name, mode="lines", line=dict(width=1))
            for k, trace in enumerate(self.figure.data):
                trace.x, trace.y = frame.times, y[:, k]
            ticks = (tuple(offsets), tuple(frame.ch_names))
            if ticks != self._ticks:  # a layout change makes the page re-layout the whole plot
                self.figure.layout.yaxis.tickvals, self.figure.layout.yaxis.ticktext = map(list, ticks)
                self._ticks = ticks
            if frame.markers or self.figure.layout.shapes:  # markers move with the window; none: no relayout
                self.figure.layout.shapes = [
                    dict(type="line", x0=t, x1=t, yref="paper", y0=0, y1=1, line=dict(color="crimson", dash="dot"))
                    for t, _ in frame.markers
                ]
                self.figure.layout.annotations = [
                    dict(x=t, y=1, yref="paper", text=label, showarrow=False, font=dict(color="crimson"))
                    for t, label in frame.markers
                ]
        now = time.monotonic()
        # A lost or regained stream is shown at once; otherwise the text follows at TEXT_PERIOD.
        if now - self._text_at >= self.TEXT_PERIOD or frame.connected != self._shown_connected:
            state = "connected" if frame.connected else "<b style='color:crimson'>disconnected</b>"
            self.status.value = (f"{html.escape(self.model.stream.name)}: {state}, {frame.n_samples_received} samples"
                                 f"{self._drawing_note(now)}")
            self.quality.value = _quality_table(frame.quality)
            self._text_at, self._shown_connected = now, frame.connected
        self.n_redraws += 1

    def _drawing_note(self, now: float) -> str:
        """What the status line says about the page's drawing: nothing while it draws."""
        undrawn = now - self._drew_at
        if self._displayed() and undrawn >= self.stall_after:
            if self._rebuilds_in_stall >= self.MAX_REBUILDS:
                return (f" <b style='color:crimson'>· the page has not drawn the plot for {undrawn:.0f} s;"
                        " Pause, then Resume, rebuilds it</b>")
            return f" <b style='color:crimson'>· the page has not drawn the plot for {undrawn:.0f} s</b>"
        if self.n_rebuilds:
            times = "once" if self.n_rebuilds == 1 else f"{self.n_rebuilds} times"
            return f" <span style='color:gray'>· plot rebuilt {times}: the page had stopped drawing it</span>"
        return ""

    def _displayed(self) -> bool:
        """A page shows the scope (the views of its status line that pages report)."""
        return bool(self.status._view_count)

    def _watch_page(self) -> None:
        """Rebuild a plot that a page shows but has not drawn: ``stall_after`` s into a stall, then
        after twice and four times as long again (at 5, 15 and 35 s by default)."""
        now = time.monotonic()
        if not self._displayed() or self._drawn_edit >= self.figure._last_trace_edit_id:
            self._drew_at = now  # no page, or nothing left to draw (a lost stream sends no frames): no stall
        elif (self._rebuilds_in_stall < self.MAX_REBUILDS
              and now - self._drew_at >= self.stall_after * (2 ** (self._rebuilds_in_stall + 1) - 1)):  # fmt: skip
            self._rebuilds_in_stall += 1
            self.rebuild()

    def rebuild(self) -> None:
        """Replace the plot with a new widget (a new model and view in the page); frames go on."""
        old, self.figure = self.figure, self._new_figure()
        self.widget.children = tuple(self.figure if c is old else c for c in self.widget.children)
        old.unobserve(self._page_drew, names="_js2py_traceDeltas")
        old.close()
        self._ticks, self._drawn_edit = (), 0  # the new plot has no ticks, and its edits count from 0
        self.n_rebuilds += 1

    async def _drawn(self) -> None:
        """Return when the page has drawn the latest frame sent, or after ``max_wait`` seconds."""
        if self._drawn_edit >= self.figure._last_trace_edit_id:
            return  # nothing sent since the last receipt (an unchanged frame sends nothing)
        drawn = self._drawn_future = asyncio.get_running_loop().create_future()
        try:
            # asyncio.wait, not wait_for: Python 3.11's wait_for swallows a cancel that meets the receipt,
            # and the scope ran on after Pause (and asyncio.run never returned in a test).
            await asyncio.wait([drawn], timeout=self.max_wait)
        finally:
            self._drawn_future = None
        if drawn.done():
            self.n_confirmed += 1
        else:
            self.n_unconfirmed += 1  # no page, or a page far behind: go on at this pace

    async def _loop(self) -> None:
        period = 1.0 / self.rate
        while True:
            started = time.monotonic()
            self.refresh()
            busy = time.monotonic() - started
            await self._drawn()
            self._watch_page()
            waited = time.monotonic() - started
            await asyncio.sleep(max(period - waited, busy * (1 - self.KERNEL_SHARE) / self.KERNEL_SHARE))

    def start(self) -> asyncio.Task:
        """Redraw ``rate`` times a second on the running event loop (a notebook's kernel)."""
        if self._task is None or self._task.done():
            if self._rebuilds_in_stall >= self.MAX_REBUILDS:  # the user asks again for a plot that stalled
                self.rebuild()
                self._rebuilds_in_stall, self._drew_at = 0, time.monotonic()
            self._task = asyncio.get_event_loop().create_task(self._loop())
        self.pause_button.description, self.pause_button.icon = "Pause", "pause"
        return self._task

    def stop(self) -> None:
        """Stop redrawing (the stream keeps receiving); :meth:`start` or the Resume button goes on."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._drawn_future = None  # it belongs to the loop that ran the task
        self.pause_button.description, self.pause_button.icon = "Resume", "play"

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def _quality_table(quality) -> str:
    if quality is None:
        return "<i>waiting for data</i>"
    rows = []
    for name, rms, flat, clipped, lnr, n_bad in quality.rows():
        flags = [f for f, on in (("flat", flat), ("clipped", clipped), (f"{n_bad} NaN/Inf", n_bad)) if on]
        style = " style='color:crimson'" if flags else ""
        lnr_text = "-" if lnr != lnr else f"{lnr:.2f}"
        rows.append(
            f"<tr{style}><td>{html.escape(name)}</td><td>{rms:.3g}</td><td>{lnr_text}</td>"
            f"<td>{', '.join(flags) or 'ok'}</td></tr>"
        )
    head = f"<tr><th>channel</th><th>RMS</th><th>{quality.line_freq:g} Hz ratio</th><th>flags</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"
