"""Across sessions: decoder performance from the run metrics in the store, and from simulated sessions."""

from __future__ import annotations

import pandas as pd

from ..errors import Problem, ValidationError


def closed_loop_performance(store) -> pd.DataFrame:
    """One row per closed-loop run with metrics: participant, session start, run, decoder, accuracy, ITR, latency."""
    from ..records import Run, RunMetrics, Session

    metrics = store.find(RunMetrics)
    if not metrics:
        return pd.DataFrame(columns=["participant_id", "session_started", "run", "task", "decoder_version",
                                     "n_trials", "accuracy", "chance_level", "kappa", "itr_bits_per_min",
                                     "latency_p50_ms", "latency_p99_ms", "n_safe_states"])
    runs = {r.id: r for r in store.find(Run)}
    sessions = {s.id: s for s in store.find(Session)}
    rows = []
    for m in metrics:
        run = runs[m.run_id]
        s = sessions[run.session_id]
        rows.append(dict(participant_id=s.participant_id, session_started=s.started_at, run=run.number,
                         task=run.task, decoder_version=m.decoder_version, n_trials=m.n_trials,
                         accuracy=m.accuracy, chance_level=m.chance_level, kappa=m.kappa,
                         itr_bits_per_min=m.itr_bits_per_min, latency_p50_ms=m.latency_p50_ms,
                         latency_p99_ms=m.latency_p99_ms, n_safe_states=m.n_safe_states))
    return pd.DataFrame(rows).sort_values(["participant_id", "session_started", "run"]).reset_index(drop=True)


def simulated_sessions(n_sessions: int, spec, *, seed: int = 0) -> pd.DataFrame:
    """One decoder trained and cross-validated per simulated session (a new participant seed each)."""
    from .participant import simulate_recording
    from .training import train_decoder, windows_from_raw

    if isinstance(n_sessions, bool) or not isinstance(n_sessions, int) or not 1 <= n_sessions <= 50:
        raise ValidationError([Problem("n_sessions", n_sessions, "1-50")], what="simulated sessions")
    rows = []
    for k in range(n_sessions):
        res = train_decoder(windows_from_raw(simulate_recording(spec, seed=seed + k), spec.classes, cue_s=spec.cue_s))
        rows.append(dict(session=k + 1, trial_accuracy=res.trial_accuracy, window_accuracy=res.window_accuracy,
                         chance_level=res.chance_level, chance_upper_95=res.chance_upper_95, n_trials=res.n_trials))
    return pd.DataFrame(rows)
