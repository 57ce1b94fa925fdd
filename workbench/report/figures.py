"""Plotly figures shared by the reports and the dashboard.

Every figure has a fixed width (at most 720 px, the printable width of an A4
page at 96 dpi with margins) and height, so the PDF never cuts or rescales it.
"""

from __future__ import annotations

import html
import textwrap

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go

WIDTH = 720
HEIGHT = 320
#: Colours of the visit states, from good to bad (colour-blind safe, Okabe-Ito).
STATE_COLOURS = {"done in window": "#009E73", "done out of window": "#E69F00", "missed": "#999999",
                 "due now": "#56B4E9", "overdue": "#D55E00", "upcoming": "#CCCCCC"}


def _layout(fig: go.Figure, title: str, *, height: int = HEIGHT, **kw) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.01}, width=WIDTH, height=height, template="plotly_white",
                      margin={"l": 60, "r": 20, "t": 50, "b": 50}, legend={"orientation": "h", "y": -0.2}, **kw)
    return fig


def empty_figure(title: str, message: str, *, height: int = 160) -> go.Figure:
    """A figure that says why there is nothing to draw (instead of a blank area)."""
    fig = go.Figure()
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font={"size": 14, "color": "#555"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, height=height)


#: Characters of a line of the note under a title that fit the figure's WIDTH; plotly does not wrap
#: text, and a study report's 10MWT subtitle ran off the page's right edge at about 100.
SUBTITLE_CHARS = 90
SUBTITLE_LINE_PX = 17  # a line of the 12 px note
SUBTITLE_MAX_LINES = 4


def subtitle_lines(items: list[str], *, width: int = SUBTITLE_CHARS, max_lines: int = SUBTITLE_MAX_LINES
                   ) -> list[str]:
    """Statements as subtitle lines: each on lines of its own, wrapped at ``width`` characters, at most
    ``max_lines`` in all; what does not fit is counted on the last line (tables list every one)."""
    lines, shown = [], 0
    for item in items:
        wrapped = textwrap.wrap(item, width)
        if len(lines) + len(wrapped) > max_lines - (shown + 1 < len(items)):
            break
        lines += wrapped
        shown += 1
    if shown < len(items):
        lines.append(f"and {len(items) - shown} more (listed in the table of tests recorded as not possible)")
    return [html.escape(line, quote=False) for line in lines]


def enrolment_figure(table: pd.DataFrame, title: str = "Enrolment by site and arm") -> go.Figure:
    """Participants per site, one bar per column: each arm (``summaries.enrolment_by_site_arm``),
    or one bar of all participants (``summaries.enrolment_by_site``, for those blind to the arm)."""
    body = table.drop(index="total", columns="total", errors="ignore")
    if body.to_numpy().sum() == 0:
        return empty_figure(title, "No participant enrolled yet")
    fig = go.Figure([go.Bar(name=arm, x=list(body.index), y=body[arm].tolist(), text=body[arm].tolist())
                     for arm in body.columns])
    fig.update_yaxes(title="participants", dtick=1)
    return _layout(fig, title, barmode="group", showlegend=len(body.columns) > 1)


def visit_states_figure(counts: pd.DataFrame) -> go.Figure:
    """Visits per schedule entry stacked by state (``summaries.visit_state_counts``)."""
    if counts.to_numpy().sum() == 0:
        return empty_figure("Visits by window", "No visit planned yet")
    fig = go.Figure([go.Bar(name=state, x=list(counts.index), y=counts[state].tolist(),
                            marker_color=STATE_COLOURS[state]) for state in counts.columns if counts[state].sum()])
    fig.update_yaxes(title="visits", dtick=1)
    return _layout(fig, "Visits done, due and overdue by their windows", barmode="stack")


def adverse_events_figure(counts: pd.DataFrame) -> go.Figure:
    """Adverse events by relatedness to the device, serious ones in red."""
    if counts.to_numpy().sum() == 0:
        return empty_figure("Adverse events", "No adverse event recorded")
    colours = {"serious": "#D55E00", "non-serious": "#0072B2"}
    fig = go.Figure([go.Bar(name=row, x=list(counts.columns), y=counts.loc[row].tolist(), marker_color=colours[row])
                     for row in counts.index])
    fig.update_xaxes(title="relatedness to the device (MDCG 2020-10/1)")
    fig.update_yaxes(title="events", dtick=1)
    return _layout(fig, "Adverse events by seriousness and relatedness", barmode="stack")


def adverse_events_relatedness_figure(adverse_events: pd.DataFrame) -> go.Figure:
    """Adverse events by relatedness to the device and, beside it, to the procedure; serious ones in red.

    MDCG 2020-10/1 Rev 1 section 9 asks for both: an event possibly caused by
    the implantation is "not related" to the device, and a figure of device
    relatedness alone would show it as unrelated.
    """
    from plotly.subplots import make_subplots

    from ..records.types.safety import RELATEDNESS

    ae = adverse_events
    if ae.empty:
        return empty_figure("Adverse events", "No adverse event recorded")
    colours = {"serious": "#D55E00", "non-serious": "#0072B2"}
    serious = ae["serious"].map({True: "serious", False: "non-serious"})
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.06,
                        subplot_titles=("related to the device", "related to the procedure"))
    for k, column in enumerate(("related_device", "related_procedure"), start=1):
        counts = pd.crosstab(serious, ae[column]).reindex(index=list(colours), columns=list(RELATEDNESS),
                                                          fill_value=0)
        for row in counts.index:
            fig.add_trace(go.Bar(name=row, x=list(counts.columns), y=counts.loc[row].tolist(),
                                 marker_color=colours[row], legendgroup=row, showlegend=k == 1), row=1, col=k)
    fig.update_yaxes(title="events", dtick=1, row=1, col=1)
    return _layout(fig, "Adverse events by seriousness and relatedness (MDCG 2020-10/1)", barmode="stack")


def participant_colours(*participant_ids) -> dict[str, str]:
    """A colour per participant, by their place among all of ``participant_ids`` (sorted; lists, None skipped).

    Given every participant the figures of one report or notebook show, a
    participant keeps their colour in all of them, whoever else has a value
    for a score: by the order of each figure's own traces, the one participant
    with a 10MWT took the first colour, another's in the WISCI II figure above.
    """
    palette = plotly.colors.qualitative.Plotly
    everyone = sorted({str(pid) for ids in participant_ids if ids is not None for pid in ids})
    return {pid: palette[k % len(palette)] for k, pid in enumerate(everyone)}


def _unable_lines(unable: pd.DataFrame | None, participant_ids) -> list[str]:
    """'week6: unable to do the test (reason)', the participant first when there are several.

    Several: among ``participant_ids`` (the figure's) and ``unable``'s own, so that one participant's
    visits are never read as another's, whose line the figure draws.
    """
    if unable is None or unable.empty:
        return []
    visits = unable["visit"].astype(str)
    if "participant_id" in unable and len(set(participant_ids) | set(unable["participant_id"])) > 1:
        visits = unable["participant_id"].astype(str) + " " + visits
    return [f"{v}: unable to do the test ({r})" for v, r in zip(visits, unable["reason"])]


def score_trajectory_figure(outcomes: pd.DataFrame, instrument: str, score: str, *, threshold: float | None = None,
                            title: str | None = None, y_title: str | None = None,
                            y_range: tuple[float, float] | None = None, unable: pd.DataFrame | None = None,
                            participants=None) -> go.Figure:
    """One line per participant: a score against days from enrolment.

    With ``threshold`` (a confirmed minimal important change), the band
    baseline +/- threshold is shaded for a single participant, under the
    line: points outside it changed importantly. ``y_title`` names the axis
    (the score's id otherwise); ``y_range`` is the score's own range (the
    registry's), which neither the axis nor the band leaves: a baseline of 0
    on WISCI II (0-20) has no band below 0. ``unable`` (visit, reason): tests
    recorded as not possible, said in the figure instead of "nothing recorded"
    (with ``participant_id``, named when the figure is not one participant's
    alone). Each participant's colour is theirs among ``participants`` (every
    participant of the report) and ``outcomes``'s.
    """
    o = outcomes[(outcomes["instrument"] == instrument) & (outcomes["score"] == score)].copy()
    o["value"] = pd.to_numeric(o["value"], errors="coerce")
    o = o.dropna(subset=["value"]).sort_values(["participant_id", "day"])
    title = title or f"{instrument} {score}"
    said = subtitle_lines(_unable_lines(unable, outcomes["participant_id"]))
    if o.empty:
        return empty_figure(title, "<br>".join(said) or f"No {y_title or f'{instrument} {score}'} recorded",
                            height=160 + SUBTITLE_LINE_PX * max(0, len(said) - 1))
    fig = go.Figure()
    colour = participant_colours(outcomes["participant_id"], participants)
    for pid, g in o.groupby("participant_id"):
        fig.add_trace(go.Scatter(x=g["day"].tolist(), y=g["value"].tolist(), mode="lines+markers", name=pid,
                                 marker_color=colour[pid], line_color=colour[pid], text=g["visit"].tolist(),
                                 hovertemplate="%{text}: %{y}<extra>" + pid + "</extra>"))
    lo, hi = y_range if y_range is not None else (-np.inf, np.inf)
    top = float(o["value"].max())  # of the scores, and of the band when it is drawn
    if threshold is not None and o["participant_id"].nunique() == 1:
        base = float(o["value"].iloc[0])
        fig.add_hrect(y0=max(lo, base - threshold), y1=min(hi, base + threshold), fillcolor="#999", opacity=0.15,
                      line_width=0, layer="below", annotation_text=f"baseline ± {threshold:g} (important change)",
                      annotation_position="top left")
        top = max(top, min(hi, base + threshold))
    fig.update_xaxes(title="days from enrolment")
    # plotly hides the legend of a single line: in a figure of several participants it names whose it is
    fig.update_layout(showlegend=len(colour) > 1)
    fig.update_yaxes(title=y_title or score)
    if y_range is not None:
        shown = _score_axis_top(lo, hi, top)
        pad = 0.03 * (shown - lo)  # markers on the range's ends stay whole
        fig.update_yaxes(range=[lo - pad, shown + pad])
        if shown - lo <= 10 and (o["value"] % 1 == 0).all():
            fig.update_yaxes(dtick=1)  # whole-number scores (WISCI II levels) on a cut axis: no 0.5 ticks
    if not said:
        return _layout(fig, title)
    # The statements go in a note just above the plot, the title staying one line at the top: plotly
    # centres a title's first line in the margin, so lines under it ran into the plot.
    height = HEIGHT + SUBTITLE_LINE_PX * len(said)
    fig = _layout(fig, title, height=height)
    fig.add_annotation(text="<br>".join(said), xref="paper", yref="paper", x=0, y=1, xanchor="left",
                       yanchor="bottom", xshift=-53, yshift=4, align="left", showarrow=False,
                       font={"size": 12, "color": "#444"})
    return fig.update_layout(title={"yref": "container", "y": 1 - 20 / height, "yanchor": "middle"},
                             margin={"t": 50 + SUBTITLE_LINE_PX * len(said)})


#: Scores that use less than this share of their scale are drawn on an axis cut above them.
SCALE_SHARE_SHOWN_WHOLE = 0.5


def _score_axis_top(lo: float, hi: float, top: float) -> float:
    """Where a trajectory's axis ends: the scale's top, unless the scores use little of the scale.

    The axis always starts at the scale's floor, so a change is never drawn larger than its share of
    the scale from there; but on the Box and Block Test's 0-150 the demo's participants, at 2 to 30
    blocks per minute, were flat lines at the bottom. Below ``SCALE_SHARE_SHOWN_WHOLE`` of the scale,
    the axis ends at 1.25 times the highest score, and at a quarter of the scale at least, so that a
    small change is not drawn as a steep one either (WISCI II 0 to 1 fills a 0-5 axis, not a 0-1.25 one).
    """
    if top - lo >= SCALE_SHARE_SHOWN_WHOLE * (hi - lo):
        return hi
    return lo + max(1.25 * (top - lo), 0.25 * (hi - lo))


def isncsci_figure(table: pd.DataFrame, participants=None) -> go.Figure:
    """UEMS and LEMS across visits, one colour per participant; the AIS grade written where it is new.

    ``participants``: every participant of the report, whose colours the trajectories share
    (:func:`participant_colours`), with the table's own.
    """
    if table.empty:
        return empty_figure("ISNCSCI motor scores", "No ISNCSCI examination recorded")
    fig = go.Figure()
    colour = participant_colours(table["participant"], participants)
    for score, dash in (("UEMS", "solid"), ("LEMS", "dot")):
        for k, (pid, g) in enumerate(table.groupby("participant")):
            grades = [f"AIS {a}" for a in g["AIS"]]
            # The grade is the exam's, not a score's: written over UEMS only (on both lines the labels
            # overlapped whenever the scores were close), and only where it is new (the first exam, a
            # conversion), so that several participants' labels do not pile up; every hover names it.
            labels = [a if score == "UEMS" and (i == 0 or a != grades[i - 1]) else "" for i, a in enumerate(grades)]
            values = pd.to_numeric(g[score], errors="coerce").tolist()
            # neighbours' labels on opposite sides of their lines, never under the axis
            where = ["bottom center" if k % 2 and v >= 8 else "top center" for v in values]
            fig.add_trace(go.Scatter(x=g["visit"].tolist(), y=values, mode="lines+markers+text", name=f"{pid} {score}",
                                     line={"dash": dash, "color": colour[pid]},
                                     text=labels, customdata=grades, textfont={"color": colour[pid]},
                                     textposition=where, cliponaxis=False,
                                     hovertemplate=f"%{{x}}: {score} %{{y}}, %{{customdata}}<extra>{pid}</extra>"))
    fig.update_yaxes(title="motor score (0-50)", range=[0, 52])
    return _layout(fig, "ISNCSCI: UEMS and LEMS across visits")


def bci_figure(perf: pd.DataFrame) -> go.Figure:
    """Accuracy per run over sessions, with the chance level of each run."""
    if perf.empty:
        return empty_figure("BCI performance", "No scored BCI run yet")
    fig = go.Figure()
    for pid, g in perf.groupby("participant"):
        fig.add_trace(go.Scatter(x=[str(d) for d in g["date"]], y=g["accuracy"].tolist(), mode="lines+markers",
                                 name=pid, customdata=np.c_[g["trials"], g["ITR (bit/min)"].astype(float)],
                                 hovertemplate="accuracy %{y:.2f}, %{customdata[0]} trials, "
                                               "ITR %{customdata[1]:.1f} bit/min"))
    chance = 1 / perf["classes"].astype(float).max()
    fig.add_hline(y=chance, line_dash="dash", line_color="#999", annotation_text=f"chance {chance:.2f}")
    fig.update_yaxes(title="accuracy", range=[0, 1.05])
    fig.update_xaxes(title="session date", type="category")
    return _layout(fig, "BCI accuracy across sessions")


def confusion_figure(matrix: np.ndarray, labels) -> go.Figure:
    """Counts, rows the cued class and columns the decoded class."""
    labels = [str(x) for x in labels]
    fig = go.Figure(go.Heatmap(z=np.asarray(matrix).tolist(), x=labels, y=labels, colorscale="Blues",
                               text=np.asarray(matrix).tolist(), texttemplate="%{text}", showscale=False))
    fig.update_xaxes(title="decoded")
    fig.update_yaxes(title="cued", autorange="reversed")
    fig = _layout(fig, "Confusion matrix (trials)", height=320)
    fig.update_layout(width=420)
    return fig


def signal_figure(times: np.ndarray, data: np.ndarray, ch_names, *, title: str = "Signal snippet") -> go.Figure:
    """Channels stacked with a fixed offset; ``data`` is (n_channels, n_times) in volts or raw units."""
    data = np.asarray(data, dtype=float)
    data = data - np.nanmedian(data, axis=1, keepdims=True)
    spread = float(np.nanpercentile(np.abs(data), 99)) or 1.0
    # SVG lines, not WebGL: at most 8 channels of ~2,000 display points, and a WebGL context alone took
    # a browser without a GPU 2 s. Arrays, not lists: plotly validates a list item by item (0.5 s here)
    # and sends an array as typed binary.
    times = np.asarray(times, dtype=float)
    fig = go.Figure([go.Scatter(x=times, y=row / spread - 2 * k, mode="lines", name=str(name), line={"width": 1})
                     for k, (name, row) in enumerate(zip(ch_names, data))])
    fig.update_yaxes(tickvals=[-2 * k for k in range(len(ch_names))], ticktext=[str(c) for c in ch_names],
                     showgrid=False, zeroline=False)
    fig.update_xaxes(title="time (s)")
    return _layout(fig, title, height=max(240, 28 * len(ch_names) + 100), showlegend=False)


def erd_figure(erd: np.ndarray, ch_names, freqs, classes=("task",)) -> go.Figure:
    """ERD/ERS in percent, channels by frequency, one panel per class (Pfurtscheller & Lopes da Silva 1999).

    ``erd`` is (n_classes, n_channels, n_freqs), or (n_channels, n_freqs) for
    one class. One colour scale for every panel, centred on 0 (blue: ERD).
    """
    from plotly.subplots import make_subplots

    erd = np.asarray(erd, dtype=float)
    if erd.ndim == 2:
        erd = erd[None]
    classes = [str(c) for c in classes]
    fig = make_subplots(rows=1, cols=len(classes), shared_yaxes=True, subplot_titles=classes,
                        horizontal_spacing=0.04)
    finite = erd[np.isfinite(erd)]
    span = float(np.percentile(np.abs(finite), 98)) if finite.size else 1.0
    for k, c in enumerate(classes):
        z = [[None if not np.isfinite(v) else float(v) for v in row] for row in erd[k]]
        fig.add_trace(go.Heatmap(z=z, x=[float(f) for f in freqs], y=[str(ch) for ch in ch_names], name=c,
                                 coloraxis="coloraxis", hovertemplate=c + " %{y} %{x} Hz: %{z:.0f} %<extra></extra>"),
                      row=1, col=k + 1)
        fig.update_xaxes(title="frequency (Hz)", row=1, col=k + 1)
    fig.update_layout(coloraxis={"colorscale": "RdBu", "cmin": -max(span, 1.0), "cmax": max(span, 1.0),
                                 "colorbar": {"title": "%"}})
    return _layout(fig, "ERD map: band power during each cue vs rest", height=max(260, 14 * len(ch_names) + 100))


#: The shortest time span the gate figure shows, in seconds.
GATE_MIN_SPAN_S = 60.0
#: Marks per decision the gate figure draws at most: a long closed-loop session makes ~10 decisions a
#: second (9,440 in 16 minutes took the browser 6 s to draw as SVG); beyond this, one mark per time bin.
GATE_MAX_MARKS = 400


#: The gate's decisions as the figure's rows name them, bottom to top: what it held back, then what it let
#: through, then the safe states and the re-armings out of them.
GATE_ROWS = {"blocked": "blocked", "held": "held", "passed": "passed", "safe_state": "safe state",
             "resumed": "re-armed"}


def gate_events_figure(events: pd.DataFrame) -> go.Figure:
    """Safety-gate decisions over the session's time, each decision on its own row with its count.

    A decision made more than ``GATE_MAX_MARKS`` times (the passed commands of
    a long session) is drawn as one mark per time bin, the first decision of
    the bin, its hover saying how many the bin holds; rarer decisions (blocked,
    safe states, re-arms) are every one drawn with its rule.
    """
    from ..session.gate import rule_words

    if events.empty:
        return empty_figure("Safety gate", "No safety-gate event in this session")
    fig = go.Figure()
    times = pd.to_datetime(events["occurred_at"])
    start, span = times.min(), times.max() - times.min()
    grouped = dict(list(events.assign(_t=times).sort_values("_t").groupby("decision")))
    # rows in the gate's order, bottom to top, named as the reports' tables name them
    for decision in sorted(grouped, key=lambda d: (list(GATE_ROWS).index(d) if d in GATE_ROWS else -1, d)):
        g, row = grouped[decision], GATE_ROWS.get(decision, str(decision).replace("_", " "))
        if len(g) <= GATE_MAX_MARKS:
            shown, text = g, [rule_words(r) for r in g["rule"]]
        else:
            bin_s = max(span.total_seconds() / GATE_MAX_MARKS, 1e-6)
            bins = ((g["_t"] - start).dt.total_seconds() // bin_s).clip(upper=GATE_MAX_MARKS - 1).astype(int)
            shown = g.groupby(bins).head(1)
            text = [f"{n} {row} in {bin_s:.1f} s" for n in bins.value_counts().sort_index().to_numpy()]
        fig.add_trace(go.Scatter(x=[str(t) for t in shown["occurred_at"]], y=[row] * len(shown), mode="markers",
                                 name=f"{row} ({len(g):,})", text=text, hovertemplate="%{text}<extra></extra>"))
    if span < pd.Timedelta(GATE_MIN_SPAN_S, "s"):
        # A few decisions close together: plotly would zoom to their milliseconds (ticks such as
        # 09:32:59.9995); a minute around them reads as clock time.
        mid, half = start + span / 2, pd.Timedelta(GATE_MIN_SPAN_S / 2, "s")
        fig.update_xaxes(range=[str(mid - half), str(mid + half)])
    days = sorted({t.strftime("%Y-%m-%d") for t in (start, times.max())})
    fig.update_xaxes(tickformat="%H:%M:%S", title=f"time of day ({' to '.join(days)})")
    fig = _layout(fig, "Safety-gate decisions", height=280)
    return fig.update_layout(legend={"orientation": "h", "y": -0.45}, margin={"b": 90})  # below the axis title


def decoder_output_figure(sample_index, values, classes, onsets, labels, sfreq: float, *,
                          cue_s: float = 4.0, title: str = "Decoder output over time against the cues") -> go.Figure:
    """The decoder's score for ``classes[1]`` over time, each cue's period shaded by its class.

    ``values`` is (n_outputs, n_classes) as the online decoder emits it; the
    trace is ``values[:, 1] - values[:, 0]`` (above 0: the decoder leans to
    ``classes[1]``).
    """
    values = np.asarray(values, dtype=float)
    t = np.asarray(sample_index, dtype=float) / sfreq
    score = values[:, 1] - values[:, 0] if values.ndim == 2 and values.shape[1] > 1 else values.ravel()
    fig = go.Figure(go.Scatter(x=t.tolist(), y=score.tolist(), mode="lines", name=f"{classes[1]} − {classes[0]}",
                               line={"color": "#333", "width": 1}))
    colours = {str(classes[0]): "#0072B2", str(classes[1]): "#E69F00"}
    for onset, label in zip(np.asarray(onsets) / sfreq, labels):
        fig.add_vrect(x0=float(onset), x1=float(onset) + cue_s, fillcolor=colours.get(str(label), "#999"),
                      opacity=0.25, line_width=0)
    for label, colour in colours.items():  # legend entries for the shaded cues
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=f"cue: {label}",
                                 marker={"color": colour, "size": 10, "symbol": "square"}))
    fig.add_hline(y=0, line_color="#999", line_dash="dot")
    fig.update_xaxes(title="time in the run (s)")
    fig.update_yaxes(title="decoder score")
    return _layout(fig, title)
