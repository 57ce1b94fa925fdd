"""One BCI session as the dashboard shows it: signal snippet, ERD map, confusion matrix, gate events."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import plotly.graph_objects as go

from ...errors import WorkbenchError
from ...outcomes.bci_metrics import confusion_matrix
from ...report import figures as F
from ...report.signals import erd_map, signal_snippet
from ...report.trial_data import TrialData


@dataclass
class SessionView:
    """Figures of one session, and one sentence per thing that could not be shown."""

    session_id: str
    figures: dict[str, go.Figure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def session_view(session, data: TrialData, root: Path) -> SessionView:
    view = SessionView(session.id)
    _recording_figures(session, root, view)
    run_ids = set(data.runs.loc[data.runs["session_id"] == session.id, "id"])
    trials = data.trials[data.trials["run_id"].isin(run_ids) & data.trials["decoded"].notna()]
    if len(trials):
        labels = sorted(set(trials["cue"]) | set(trials["decoded"]))
        cm = confusion_matrix(trials["cue"].to_numpy(), trials["decoded"].to_numpy(), labels=labels)
        fig = F.confusion_figure(cm, labels)
        fig.update_layout(title_text=f"Confusion matrix ({len(trials)} trials)")
        view.figures["confusion"] = fig
    else:
        view.notes.append("No decoded trial in this session: no confusion matrix.")
    gate = data.safety_events[data.safety_events["session_id"] == session.id]
    if len(gate):
        view.figures["gate"] = F.gate_events_figure(gate)
    else:
        view.notes.append("No safety-gate event in this session.")
    return view


def _recording_figures(session, root: Path, view: SessionView) -> None:
    from ...recording import read_recording

    if not session.recording_files:
        view.notes.append("No recording is attached to this session.")
        return
    rec = session.recording_files[0]
    problem = rec.check(root)
    if problem is not None:
        view.notes.append(f"Recording not shown: {problem}.")
        return
    try:
        raw = read_recording(Path(root) / rec.path)
    except WorkbenchError as err:
        view.notes.append(f"Recording not readable: {err}")
        return
    snip = signal_snippet(raw)
    view.figures["signal"] = F.signal_figure(snip.times, snip.data, snip.ch_names,
                                             title=f"Signal snippet ({rec.path}, {len(snip.ch_names)} channels)")
    erd = erd_map(raw)
    if erd is None:
        view.notes.append("No ERD map: the recording needs cued task and rest periods (markers).")
    else:
        fig = F.erd_figure(erd.erd_percent, erd.ch_names, erd.freqs, erd.classes)
        counts = ", ".join(f"{c} {n}" for c, n in erd.n_windows.items())
        fig.update_layout(title_text=f"ERD map vs rest: windows per class {counts}; rest {erd.n_rest}")
        view.figures["erd"] = fig


__all__ = ["SessionView", "session_view"]
