"""A closed-loop run's trials, metrics and safety events, scored from the loop's log and saved as records.

Times here are seconds on the run's clock (sample 0 of the signal = 0), the
clock of the paradigm's cues. Writes go through a :class:`~workbench.records.Store`
passed in (already authenticated); nothing here builds a user or a store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np

from .closed_loop import LoopLog
from .gate import DECIDED, rule_words


@dataclass(frozen=True)
class OnlineTrial:
    number: int
    cue: str
    onset_s: float
    decoded: str | None
    correct: bool | None
    latency_s: float | None
    decoder_version: str | None
    command: str | None
    command_latency_ms: float | None
    gate_decision: str


@dataclass(frozen=True)
class RunSummary:
    n_trials: int
    n_classes: int
    accuracy: float | None
    chance_level: float
    kappa: float | None
    itr_bits_per_min: float | None
    trial_duration_s: float
    latency_ms: tuple | None  # p50, p95, p99, max of command latencies
    output_latency_ms: tuple | None  # p50, p95, p99, max of decoder output latencies
    n_passed: int
    n_blocked: int
    n_safe_states: int
    safe_state_rules: dict
    time_to_safe_ms_max: float | None
    safe_fraction: float | None = None  # share of the block in the safe state after the gate first armed
    shares: dict | None = None  # latency_shares(log)
    n_gaps: int = 0  # signal gaps (lost connection, reader overrun, bad stream) the loop saw
    samples_lost: int = 0  # samples lost to reader overruns


SHARE_KEYS = ("amplifier_p50_ms", "amplifier_p99_ms", "workbench_p50_ms", "workbench_p99_ms",
              "end_to_end_p50_ms", "end_to_end_p99_ms", "end_to_end_max_ms", "n_timed")


def latency_shares(log: LoopLog, *, commands_only: bool = False) -> dict:
    """The latency of every decoder output split in two, from ``log.output_shares``.

    One (sample, arrival, done) per output, every output timed, so the percentiles are exact: the
    amplifier's share (sample time stamp -> chunk arrival at the inlet) is the device, its driver and
    the network; the workbench's (arrival -> the gate has decided and any command it passed is pushed)
    is reading the buffer, decoding and the gate (the loop pulls the chunk itself, so its wake-up is in the
    amplifier's share; with an inlet thread storing for the loop it is in this one). ``commands_only``: the
    outputs that pushed a command (``log.shares``), as the benchmark's command latency. Milliseconds
    (``n_timed`` the count); every value None when nothing was timed.
    """
    source = getattr(log, "shares" if commands_only else "output_shares", ())
    rows = np.asarray(source, dtype=np.float64).reshape(-1, 3)
    rows = rows[np.isfinite(rows).all(axis=1)]
    if not len(rows):
        return {**dict.fromkeys(SHARE_KEYS), "n_timed": 0}
    amp = (rows[:, 1] - rows[:, 0]) * 1e3
    wb = (rows[:, 2] - rows[:, 1]) * 1e3
    e2e = (rows[:, 2] - rows[:, 0]) * 1e3
    a50, a99 = np.percentile(amp, [50, 99])
    w50, w99 = np.percentile(wb, [50, 99])
    e50, e99 = np.percentile(e2e, [50, 99])
    return {**dict(zip(SHARE_KEYS, map(float, (a50, a99, w50, w99, e50, e99, e2e.max())))), "n_timed": len(rows)}


def amplifier_share_parts(stamps, arrivals, pushes, sfreq: float) -> tuple[np.ndarray, np.ndarray]:
    """The amplifier's share of each output split in two, with the simulated amplifier's push times.

    ``stamps``, ``arrivals``: each output's newest sample time stamp and its chunk's arrival at the inlet
    (``log.output_shares`` columns 0 and 1); ``pushes``: ``LiveRun.amplifier_pushes`` (each chunk's last
    stamp and when its push returned); ``sfreq``: the stream's rate. Returns ``(own_ms, delivery_ms)``:
    stamp -> pushed (the amplifier's wake-up in its grid and handing the chunk to liblsl) and pushed -> arrival
    (liblsl's threads in both processes, the pulling thread's wake-up and the interpreter's lock); NaN for an
    output no push accounts for.

    An output's sample went out in the first chunk whose last stamp is not earlier: found by search, with a
    quarter of a sample period as tolerance (the inlet's clock correction on one host is microseconds).
    """
    stamps, arrivals = np.asarray(stamps, dtype=float), np.asarray(arrivals, dtype=float)
    own = np.full(stamps.shape, np.nan)
    delivery = np.full(stamps.shape, np.nan)
    p = np.asarray(pushes, dtype=float).reshape(-1, 2) if pushes is not None else np.empty((0, 2))
    if not len(p) or not len(stamps):
        return own, delivery
    k = np.searchsorted(p[:, 0], stamps - 0.25 / sfreq, side="left")
    ok = k < len(p)
    own[ok] = (p[k[ok], 1] - stamps[ok]) * 1e3
    delivery[ok] = (arrivals[ok] - p[k[ok], 1]) * 1e3
    return own, delivery


#: Seconds after a cue before a closed-loop output counts for its trial (the first second mixes both states).
ONLINE_SETTLE_S = 1.0


def score_online_trials(log: LoopLog, trials, t0: float, *, settle_s: float = ONLINE_SETTLE_S) -> list[OnlineTrial]:
    """One record per complete cue: majority of its valid settled outputs, the command and the gate's word."""
    outs = log.outputs
    # By column: a block's log holds 10-250 outputs a second, each trial looks at its own stretch.
    out_t = outs.column("sample_time") - t0
    valid = outs.column("valid")
    intents = outs.column("intent")
    versions_all = outs.column("decoder_version")
    decisions = [(d.t - t0, d) for d in log.decisions]
    result = []
    for number, cue, onset, end in trials:
        inside = valid & (out_t >= onset + settle_s) & (out_t < end)
        decoded = correct = None
        if inside.any():
            names, counts = np.unique(intents[inside].astype(str), return_counts=True)
            decoded = str(names[counts.argmax()])
            correct = decoded == cue
        hits = out_t[valid & (out_t >= onset) & (out_t < end) & (intents == cue)]
        during = [d for t, d in decisions if onset <= t < end]
        # The decoded command that passed (not the ramp steps that follow it, nor amplitude updates).
        passed = [d for d in during if d.decision == "passed" and d.rule == "all_limits" and d.command != "amplitude"]
        command = passed[-1].command if passed else None
        cmd_lat = None
        if passed:
            sent = [c for c in log.commands if c[0] == passed[-1].t and c[1] == passed[-1].wire()]
            cmd_lat = (sent[-1][0] - sent[-1][2]) * 1e3 if sent else None
        kinds = {d.decision for d in during}
        gate = ("safe_state" if "safe_state" in kinds else "passed" if passed
                else "blocked" if "blocked" in kinds else "held")
        versions = versions_all[inside] if inside.any() else versions_all
        version = versions[-1] if len(versions) else None
        result.append(OnlineTrial(number, cue, onset, decoded, correct,
                                  max(0.0, float(hits[0]) - onset) if len(hits) else None, version or None, command,
                                  None if cmd_lat is None else max(0.0, cmd_lat), gate))
    return result


def _pcts(values):
    if not len(values):
        return None
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return float(p50), float(p95), float(p99), float(np.max(values))


def summarize_run(log: LoopLog, trials: list[OnlineTrial], classes, trial_duration_s: float) -> RunSummary:
    """Accuracy, kappa and Wolpaw ITR (workbench.outcomes.bci_metrics), latency percentiles, gate counts."""
    from ..outcomes.bci_metrics import accuracy, cohen_kappa, wolpaw_itr

    scored = [t for t in trials if t.decoded is not None]
    acc = kappa = itr = None
    if scored:
        y, p = [t.cue for t in scored], [t.decoded for t in scored]
        acc = accuracy(y, p)
        k = cohen_kappa(y, p)
        kappa = None if not np.isfinite(k) else float(k)
        itr = wolpaw_itr(len(classes), acc, trial_duration_s)
    # "off" answers a fault and a ramp step the clock, not a sample: neither is a command latency.
    ramp = {(d.t, d.wire()) for d in log.decisions if d.rule == "ramp"}
    cmd_lat = [(c[0] - c[2]) * 1e3 for c in log.commands if c[1] != "off" and (c[0], c[1]) not in ramp]
    out_lat = log.outputs.column("latency_s")[log.outputs.column("valid")] * 1e3
    safe = [d for d in log.decisions if d.decision == "safe_state"]
    tts = [d.time_to_safe_s for d in safe if d.time_to_safe_s is not None]
    rules: dict = {}
    for d in safe:
        rules[d.rule] = rules.get(d.rule, 0) + 1
    return RunSummary(len(scored), len(classes), acc, 1.0 / len(classes), kappa, itr, trial_duration_s,
                      _pcts(np.maximum(cmd_lat, 0)) if cmd_lat else None, _pcts(np.maximum(out_lat, 0)),
                      sum(d.decision == "passed" for d in log.decisions),
                      sum(d.decision == "blocked" and d.rule != "safe_state" for d in log.decisions),
                      len(safe), rules, 1e3 * max(tts) if tts else None, _safe_fraction(log.decisions),
                      latency_shares(log), int(getattr(log, "n_gaps", 0)),
                      int(getattr(log, "samples_lost", 0)))


def _safe_fraction(decisions) -> float | None:
    """Time in the safe state / time since the gate first armed (first resumption to the last decision)."""
    first = next((i for i, d in enumerate(decisions) if d.decision == "resumed"), None)
    if first is None:
        return None
    t_start, t_end = decisions[first].t, decisions[-1].t
    if t_end <= t_start:
        return None
    safe_t, since = 0.0, None
    for d in decisions[first:]:
        if d.decision == "safe_state" and since is None:
            since = d.t
        elif d.decision == "resumed" and since is not None:
            safe_t, since = safe_t + d.t - since, None
    if since is not None:
        safe_t += t_end - since
    return safe_t / (t_end - t_start)


def safety_event_records(log: LoopLog, session_id: str, run_id: str, t0: float, started_at: datetime):
    """One SafetyEvent per gate decision in ``log`` (held, passed, blocked, safe state, resumed, ramp steps).

    For a run saved after the fact; a live run writes the same records while it runs
    (:class:`~workbench.session.safety_log.SafetyEventWriter`).
    """
    from .safety_log import safety_event

    return [safety_event(d, session_id=session_id, run_id=run_id,
                         occurred_at=started_at + timedelta(seconds=max(0.0, d.t - t0))) for d in log.decisions]


def start_run(store, *, session_id: str, number: int, task: str, started_at: datetime | None = None,
              notes: str | None = None):
    """Save the Run before its block starts, so its safety events can be written while it runs."""
    from ..records import Run

    run = Run(session_id=session_id, number=number, task=task, started_at=started_at or datetime.now(timezone.utc),
              notes=notes)
    store.add(run)
    return run


def save_run(store, *, session_id: str, number: int, task: str, log: LoopLog, trials: list[OnlineTrial],
             summary: RunSummary | None, t0: float, started_at: datetime | None = None, notes: str | None = None,
             run=None):
    """Trials, run metrics (and the Run and its safety events) in one transaction; returns the Run.

    With ``run`` (saved by :func:`start_run` before the block, its safety events written during it
    by a SafetyEventWriter) only the trials and metrics are added; without, the Run and one
    SafetyEvent per gate decision in ``log`` are added too.
    """
    from ..records import Run, RunMetrics, Trial

    started_at = started_at or (run.started_at if run is not None else None) or datetime.now(timezone.utc)
    new_run = run is None
    if new_run:
        run = Run(session_id=session_id, number=number, task=task, started_at=started_at, notes=notes)
    rows = [Trial(run_id=run.id, number=t.number, cue=t.cue, onset_s=max(0.0, t.onset_s), decoded=t.decoded,
                  correct=t.correct, latency_s=t.latency_s, decoder_version=t.decoder_version, command=t.command,
                  command_latency_ms=t.command_latency_ms, gate_decision=t.gate_decision) for t in trials]
    if summary is not None:
        lat = summary.latency_ms or (None, None, None, None)
        versions = [t.decoder_version for t in trials if t.decoder_version]
        rows.append(RunMetrics(run_id=run.id, decoder_version=versions[-1] if versions else None,
                               n_trials=summary.n_trials, n_classes=summary.n_classes, accuracy=summary.accuracy,
                               chance_level=summary.chance_level, kappa=summary.kappa,
                               itr_bits_per_min=summary.itr_bits_per_min,
                               trial_duration_s=summary.trial_duration_s, latency_p50_ms=lat[0],
                               latency_p95_ms=lat[1], latency_p99_ms=lat[2], latency_max_ms=lat[3],
                               n_blocked=summary.n_blocked, n_safe_states=summary.n_safe_states,
                               samples_lost=log.samples_lost, n_gaps=log.n_gaps, loop_rt_priority=log.rt_priority,
                               cpu_latency_us=log.cpu_latency_us, **_share_fields(summary.shares)))
    if new_run:
        rows = [run, *rows, *safety_event_records(log, session_id, run.id, t0, started_at)]
    if rows:
        store.add(*rows)
    return run


def _share_fields(shares: dict | None) -> dict:
    """RunMetrics' share fields; a share below 0 (clocks a few µs apart) is stored as 0."""
    shares = shares or {}
    pick = {"amplifier_share_p50_ms": "amplifier_p50_ms", "amplifier_share_p99_ms": "amplifier_p99_ms",
            "workbench_share_p50_ms": "workbench_p50_ms", "workbench_share_p99_ms": "workbench_p99_ms"}
    return {f: None if shares.get(k) is None else max(0.0, shares[k]) for f, k in pick.items()}


def format_shares(shares: dict | None) -> str:
    """One line for an end-of-run summary."""
    if not shares or shares.get("workbench_p50_ms") is None:
        return "latency shares: no decoder output timed"
    return (f"latency shares p50/p99: amplifier {shares['amplifier_p50_ms']:.1f}/{shares['amplifier_p99_ms']:.1f} ms"
            f" (sample -> inlet), workbench {shares['workbench_p50_ms']:.2f}/{shares['workbench_p99_ms']:.2f} ms"
            f" (inlet -> gate decided, command pushed), over all {shares['n_timed']} decoder outputs")


def summary_lines(summary: RunSummary, *, decoder_version: str | None = None, unexplained=(),
                  max_listed: int = 10) -> list[str]:
    """A run's end-of-run summary as ``workbench session run`` and the notebooks print it.

    Numbers are rounded for reading, the gate's rules said in words (``gate.rule_words``).
    ``unexplained``: :func:`unexplained_safe_states`, listed under the gate's line (the first
    ``max_listed``; every one is in the run's safety events).
    """
    s, num = summary, _number
    version = f", decoder {decoder_version}" if decoder_version else ""
    lines = [f"trials     {s.n_trials}, accuracy {num(s.accuracy, '.2f')} (chance {s.chance_level:.2f}), "
             f"kappa {num(s.kappa, '.2f')}, ITR {num(s.itr_bits_per_min, '.1f')} bit/min{version}"]
    rules = safe_states_in_words(s.safe_state_rules)
    to_safe = "" if s.time_to_safe_ms_max is None else f"; longest time to safe {s.time_to_safe_ms_max:.0f} ms"
    lines.append(f"gate       {s.n_passed} passed, {s.n_blocked} blocked, {s.n_safe_states} safe states"
                 + (f": {rules}" if rules else "") + to_safe)
    for t, rule, detail in list(unexplained)[:max_listed]:
        lines.append(f"           safe state at {t:.1f} s: {rule_words(rule)}: {detail}")
    if len(unexplained) > max_listed:
        lines.append(f"           ... and {len(unexplained) - max_listed} more (all in the run's safety events)")
    lines.append(f"gaps       {s.n_gaps} in the signal, {s.samples_lost} samples lost to overruns")
    lat = s.latency_ms or (None,) * 4
    lines.append(f"command    latency (last sample -> command pushed) p50 {num(lat[0], '.1f')} ms, "
                 f"p99 {num(lat[2], '.1f')} ms, max {num(lat[3], '.1f')} ms")
    lines.append(f"latency    {format_shares(s.shares).removeprefix('latency ')}")
    return lines


def safe_states_in_words(rules: dict) -> str:
    """``{rule: count}`` of a run's safe states as a sentence part: faults first, then what was decided
    (the operator's stop, the end of the run), each rule in words ("1\u00d7 signal lost (no samples)")."""
    order = sorted(rules.items(), key=lambda rn: (rn[0] in DECIDED, rn[0]))
    return ", ".join(f"{n}\u00d7 {rule_words(r)}" for r, n in order)


def _number(x, fmt: str) -> str:
    return "n/a" if x is None else format(x, fmt)


def unexplained_safe_states(log: LoopLog, start: float, windows=()) -> list[tuple[float, str, str]]:
    """Safe states neither the operator nor an injected fault explains: (seconds after ``start``, rule, detail).

    ``windows``: ``(from, to, rules)`` on the run's clock for each fault injected on purpose; a safe
    state by one of its rules inside it is explained. The end-of-run summaries list the rest with the
    gate's own detail, so an operator sees what the gate saw (a silence, a bad input) and when.
    """
    return [(d.t - start, d.rule, d.detail) for d in log.decisions
            if d.decision == "safe_state" and d.rule not in DECIDED
            and not any(lo <= d.t <= hi and d.rule in rules for lo, hi, rules in windows)]


def intent_in_force(log: LoopLog) -> list[tuple[float, str]]:
    """(time, command) each time the gate put a decoded intent in force (passed it) or went safe."""
    return [(d.t, d.command) for d in log.decisions if d.decision == "safe_state"
            or (d.decision == "passed" and d.rule == "all_limits" and d.command != "amplitude")]


def envelope_while(log: LoopLog, command: str, settle_s: float = 1.0) -> float | None:
    """Median EMG envelope (µV) while ``command`` has been in force for at least ``settle_s`` (None: never)."""
    changes = intent_in_force(log)
    values, k, since, current = [], 0, None, None
    for t, env, _ in log.envelopes:
        while k < len(changes) and changes[k][0] <= t:
            since, current = changes[k]
            k += 1
        if current == command and t - since >= settle_s:
            values.append(env)
    return float(np.median(values)) if values else None
