"""Figures of a session's results (plotly): confusion matrix, ERD/ERS map, metrics across sessions."""

from __future__ import annotations


def confusion_figure(result, width: int = 420, height: int = 380):
    """Trials per (cued, decoded) class from a :class:`~workbench.session.training.TrainingResult`.

    The dashboard's and the reports' matrix (``report.figures.confusion_figure``), titled with the
    cross-validated accuracy and its chance level.
    """
    from ...report import figures

    fig = figures.confusion_figure(result.confusion, result.classes)
    # two lines: in one, the 420 px figure cut the title at "chance 0"
    return fig.update_layout(title_text=f"Cross-validated trials<br><sup>accuracy {result.trial_accuracy:.2f}, "
                                        f"chance {result.chance_level:.2f}</sup>", width=width, height=height)


def erd_figure(maps: dict, picks=("C3", "C4"), width: int = 720, height: int = 420):
    """ERD/ERS (% power change from baseline) per class and channel (from ``training.erd_map``)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    classes = list(maps)
    fig = make_subplots(rows=len(picks), cols=len(classes), shared_xaxes=True, shared_yaxes=True,
                        subplot_titles=[f"{c} - {p}" for p in picks for c in classes])
    for j, c in enumerate(classes):
        times, freqs, data = maps[c]
        for i in range(min(len(picks), data.shape[0])):
            fig.add_trace(go.Heatmap(z=data[i], x=times, y=freqs, zmin=-100, zmax=100, colorscale="RdBu_r",
                                     showscale=(i == 0 and j == 0), colorbar=dict(title="%")), i + 1, j + 1)
    fig.update_layout(title="ERD/ERS (negative: desynchronization)", width=width, height=height)
    fig.update_xaxes(title_text="s from cue", row=len(picks))
    fig.update_yaxes(title_text="Hz", col=1)
    return fig


def stimulation_figure(log, t0: float, *, target_uv: float | None = None, width: int = 720, height: int = 360):
    """An adaptive stimulation block: the EMG envelope, and the amplitude the controller asked for and the gate
    applied, on the block's clock (``t0``: its start), with the gate's safe states shaded.

    The applied amplitude is what went out (the gate's ``amplitude`` commands, 0 in the safe state), so a
    reader sees the gate's ramp and cut-offs beside what the controller wanted.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from ...session.gate import rule_words

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    env = log.envelopes
    fig.add_trace(go.Scatter(x=[e[0] - t0 for e in env], y=[e[1] for e in env], name="EMG envelope (µV)",
                             line=dict(color="#1f77b4", width=1)))
    fig.add_trace(go.Scatter(x=[e[0] - t0 for e in env], y=[e[2] for e in env], name="amplitude asked (mA)",
                             line=dict(color="#d62728", dash="dot", width=1)), secondary_y=True)
    steps = [(d.t - t0, d.amplitude_ma if d.command == "amplitude" else 0.0) for d in log.decisions
             if (d.command == "amplitude" and d.sends) or d.decision == "safe_state"]
    if steps and env and env[-1][0] - t0 > steps[-1][0]:
        steps.append((env[-1][0] - t0, steps[-1][1]))  # held until the block's last control step
    fig.add_trace(go.Scatter(x=[t for t, _ in steps], y=[a for _, a in steps], name="amplitude applied (mA)",
                             mode="lines", line=dict(color="#d62728", shape="hv", width=2)), secondary_y=True)
    if target_uv is not None:
        fig.add_hline(y=target_uv, line=dict(color="#1f77b4", dash="dash", width=1),
                      annotation_text=f"target {target_uv:g} µV", annotation_position="top left")
    spans, safe_from = [], None
    for d in log.decisions:  # from each safe state to the gate's re-arming (or the block's end)
        if d.decision == "safe_state" and safe_from is None:
            safe_from = d
        elif d.decision == "resumed" and safe_from is not None:
            spans.append((safe_from, d.t))
            safe_from = None
    if safe_from is not None and safe_from.rule != "end_of_run" and env:
        spans.append((safe_from, env[-1][0]))
    for d, end in spans:
        fig.add_vrect(x0=d.t - t0, x1=end - t0, fillcolor="#999", opacity=0.25, line_width=0,
                      annotation_text=rule_words(d.rule), annotation_position="top left", annotation_font_size=10)
    top = max([e[2] for e in env] + [a for _, a in steps] + [1.0])
    fig.update_layout(title="Adaptive stimulation (grey: gate in the safe state, every output off)", width=width,
                      height=height, legend=dict(orientation="h", y=-0.25))
    fig.update_xaxes(title_text="time in the block (s)")
    fig.update_yaxes(title_text="EMG envelope (µV)", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="amplitude (mA)", range=[0, 1.1 * top], tickmode="auto", showgrid=False,
                     secondary_y=True)  # whole-number ticks, not the left axis's grid divided (1.19, 2.39 mA)
    return fig


def run_labels(frame) -> list[str]:
    """Each run as the table beside the figure names it: its number, its session's start, whose if several."""
    several = frame["participant_id"].nunique() > 1
    return [f"{f'{pid} ' if several else ''}run {run}<br>{started:%Y-%m-%d %H:%M}"
            for pid, run, started in zip(frame["participant_id"], frame["run"], frame["session_started"])]


def run_metrics_figure(frame, width: int = 720, height: int = 360):
    """Accuracy and ITR per run over time, from a table of RunMetrics joined to their run start."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if len(frame):
        x = run_labels(frame)
        fig.add_trace(go.Scatter(x=x, y=frame["accuracy"], mode="lines+markers", name="accuracy"))
        fig.add_trace(go.Scatter(x=x, y=frame["chance_level"], mode="lines", name="chance",
                                 line=dict(dash="dot")))
        fig.add_trace(go.Bar(x=x, y=frame["itr_bits_per_min"], name="ITR (bit/min)", opacity=0.4),
                      secondary_y=True)
    fig.update_layout(title="Closed-loop runs", xaxis=dict(title="run", type="category"), width=width,
                      height=height)
    fig.update_yaxes(title_text="accuracy", range=[0, 1], secondary_y=False)
    fig.update_yaxes(title_text="bit/min", secondary_y=True)
    return fig


def sessions_figure(frame, width: int = 720, height: int = 340):
    """Cross-validated accuracy per session beside chance and its 95 % bound (from ``simulated_sessions``)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.add_trace(go.Scatter(x=frame["session"], y=frame["trial_accuracy"], mode="lines+markers", name="trials"))
    fig.add_trace(go.Scatter(x=frame["session"], y=frame["window_accuracy"], mode="lines+markers", name="windows"))
    fig.add_trace(go.Scatter(x=frame["session"], y=frame["chance_upper_95"], mode="lines", name="chance 95 %",
                             line=dict(dash="dot")))
    # sessions and runs are counted: whole-number ticks, never "session 1.5"
    fig.update_layout(title="Decoder accuracy across sessions (grouped CV)", xaxis=dict(title="session", dtick=1),
                      yaxis=dict(title="accuracy", range=[0, 1]), width=width, height=height)
    return fig


def outcomes_figure(outcomes, instrument: str, score: str, *, unable=None, threshold: float | None = None):
    """One line per participant: ``score`` of ``instrument`` against days from enrolment.

    The figure the dashboard and the reports draw (``report.figures.score_trajectory_figure``): the score
    named as its form names it, with its unit and within its own range, each participant in their colour
    among all of ``outcomes`` (``Store.outcomes('long')``). ``unable``: tests recorded as not possible
    (``report.trial_data.unable_assessments``), said in the figure; ``threshold``: a confirmed minimal
    important change, shaded around a single participant's baseline.
    """
    from ...report import figures, summaries

    y_title, y_range = summaries.score_axis(instrument, score)
    if unable is not None:
        unable = unable[unable["instrument"] == instrument]
    return figures.score_trajectory_figure(outcomes, instrument, score, threshold=threshold, y_range=y_range,
                                           title=summaries.score_label(instrument, score), y_title=y_title,
                                           unable=unable)
