"""One BCI session as the dashboard shows it: signal snippet, ERD map, confusion matrix, gate events.

:class:`SessionModel` follows the dashboard's chosen participant and session:
the moment a session is chosen its state is "loading" (nothing of the
previous session stays on screen), the figures are built off the widget
thread, and a result is shown only while its session is still the chosen
one (a slow session B finishing after C was chosen is dropped). What is read
from a recording (a decimated snippet, the ERD map) is kept per recording
SHA-256 under ``<workspace>/cache/session-summaries``
(:mod:`workbench.report.recording_summary`), so opening a long session again
never re-reads the whole file, and a session whose summaries were built when it
was recorded (``workbench demo`` does) never reads it at all.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import plotly.graph_objects as go

from ...errors import WorkbenchError
from ...outcomes.bci_metrics import confusion_matrix
from ...outcomes.entry import Listeners
from ...report import figures as F
from ...report.recording_summary import (DISPLAY_POINTS, RecordingSummary, decimate_envelope, recording_summary,
                                         summary_path)
from ...report.trial_data import TrialData


@dataclass
class SessionView:
    """Figures of one session, and one sentence per thing that could not be shown."""

    session_id: str
    figures: dict[str, go.Figure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _decoded_trials(data: TrialData):
    return data.trials[data.trials["decoded"].notna()]


def sessions_with_figures(data: TrialData) -> set[str]:
    """The sessions :func:`session_view` draws something for: a recording, decoded trials or gate events."""
    decoded_runs = data.runs[data.runs["id"].isin(_decoded_trials(data)["run_id"])]
    return ({s.id for s in data.sessions if s.recording_files} | set(decoded_runs["session_id"])
            | set(data.safety_events["session_id"]))


def session_view(session, data: TrialData, root: Path) -> SessionView:
    view = SessionView(session.id)
    _recording_figures(session, root, view)
    run_ids = set(data.runs.loc[data.runs["session_id"] == session.id, "id"])
    trials = _decoded_trials(data)
    trials = trials[trials["run_id"].isin(run_ids)]
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
    if not session.recording_files:
        view.notes.append("No recording is attached to this session.")
        return
    rec = session.recording_files[0]
    problem = rec.check(root)
    if problem is not None:
        view.notes.append(f"Recording not shown: {problem}.")
        return
    try:
        summary = recording_summary(rec, root)
    except WorkbenchError as err:
        view.notes.append(f"Recording not readable: {err}")
        return
    snip = summary.snippet
    view.figures["signal"] = F.signal_figure(snip.times, snip.data, snip.ch_names,
                                             title=f"Signal snippet ({Path(rec.path).name}, "
                                                   f"{len(snip.ch_names)} channels)")
    erd = summary.erd
    if erd is None:
        view.notes.append("No ERD map: the recording needs cued task and rest periods (markers).")
    else:
        fig = F.erd_figure(erd.erd_percent, erd.ch_names, erd.freqs, erd.classes)
        counts = ", ".join(f"{c} {n}" for c, n in erd.n_windows.items())
        fig.update_layout(title_text=f"ERD map vs rest: windows per class {counts}; rest {erd.n_rest}")
        view.figures["erd"] = fig


@dataclass(frozen=True)
class SessionState:
    """What the Session tab shows now.

    ``status`` is "none" (the participant has no session), "loading" (the
    figures of ``session_id`` are being built; nothing else is shown),
    "ready" (``view`` holds them) or "failed" (``message`` says why).
    """

    participant: str | None
    session_id: str | None
    label: str
    status: str
    view: SessionView | None = None
    message: str = ""


class _Inline:
    """Runs a job at once, in the caller's thread (tests and plain Python have no widget thread to spare)."""

    def submit(self, fn, *args) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args))
        except BaseException as err:  # noqa: BLE001 - handed to the future's reader, as a pool would
            fut.set_exception(err)
        return fut


class SessionModel:
    """The Session tab's state, following a :class:`DashboardModel`'s participant and session.

    Parameters
    ----------
    model : DashboardModel
        The dashboard whose choices are followed (its listeners call :meth:`follow`).
    background : bool
        Build figures in a worker thread (the live dashboard: the user can
        choose another session meanwhile) rather than in the caller's.
    executor
        Anything with ``submit(fn, *args) -> Future`` (default: per ``background``).
    """

    def __init__(self, model, *, background: bool = False, executor=None) -> None:
        self.model = model
        self.listeners = Listeners()
        self._executor = executor or (ThreadPoolExecutor(1, thread_name_prefix="wb-session") if background
                                      else _Inline())
        self._lock = threading.Lock()
        self._wanted: tuple | None = None
        self._done = threading.Event()
        self.state = SessionState(None, None, "", "none")
        model.listeners.add(self.follow)
        self.follow()

    def _set(self, state: SessionState) -> None:
        self.state = state
        self.listeners.notify()

    def follow(self) -> None:
        """Show the session the dashboard names now: loading state first, then its figures."""
        m = self.model
        key = (m.participant, m.session_id, id(m.data))
        with self._lock:
            if key == self._wanted:
                return
            self._wanted = key
            self._done.clear()
        if m.session_id is None:
            who = m.participant or "this participant"
            # A user the study keeps from BCI sessions is told so, not that none was recorded.
            hidden = None if m.shows.bci_sessions else m.hidden_note
            self._set(SessionState(m.participant, None, "", "none",
                                   message=hidden or f"No BCI session recorded for {who}."))
            self._done.set()
            return
        label = dict((sid, lab) for lab, sid in m.session_choices).get(m.session_id, m.session_id)
        self._set(SessionState(m.participant, m.session_id, label, "loading",
                               message=f"Loading session {label} of {m.participant} ..."))
        session = next(s for s in m.data.sessions if s.id == m.session_id)
        fut = self._executor.submit(session_view, session, m.data, m.workspace.root)
        fut.add_done_callback(lambda f: self._finished(key, label, f))

    def _finished(self, key: tuple, label: str, fut: Future) -> None:
        with self._lock:
            if key != self._wanted:
                return  # another session was chosen meanwhile: this result is never shown
        participant, session_id, _ = key
        err = fut.exception()
        if err is None:
            state = SessionState(participant, session_id, label, "ready", fut.result())
        else:
            state = SessionState(participant, session_id, label, "failed",
                                 message=f"Session {label} cannot be shown: {err}")
        with self._lock:
            if key != self._wanted:
                return
            self.state = state
            self._done.set()
        self.listeners.notify()

    def wait(self, timeout: float = 60.0) -> SessionState:
        """The state once the chosen session is drawn or refused (a notebook or test waits here)."""
        self._done.wait(timeout)
        return self.state


__all__ = ["DISPLAY_POINTS", "RecordingSummary", "SessionModel", "SessionState", "SessionView",
           "decimate_envelope", "recording_summary", "session_view"]
