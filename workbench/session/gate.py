"""The safety gate between decoder and effector, with its watchdog.

A pure state machine: every call carries its own time stamp (LSL clock, s) and
nothing reads a clock, so what the gate does is a function of its inputs only.
The property tests drive it with arbitrary outputs, timings, gaps and faults
and check the two promises below on simulated time; the live loop drives it
with ``pylsl.local_clock()``.

Promises (ISO 14971 risk controls, verified by tests/session/test_gate.py):

1. No command ever exceeds a limit: amplitude, ramp rate (up and down between
   commands that are not the safe state), command rate, refractory period;
   nothing but the safe command leaves the gate in the safe state.
2. The safe state comes within ``SAFE_WITHIN_S`` (100 ms) of a fault. Faults
   that arrive as events (signal gap or disconnection, non-finite or invalid
   output, decoder latency overrun, operator stop) are handled on the call that
   reports them (0 ms on the gate's clock). Faults seen as silence (no signal
   sample, no effector heartbeat) are checked on *every* call, so they are
   caught after at most ``timeout + tick_s``, which the limits must keep within
   100 ms: the loop calls :meth:`SafetyGate.tick` at least every ``tick_s``.

The 100 ms promise holds while the loop calls the gate every ``tick_s``: the
gate cannot act while its thread is not scheduled. On a machine loaded far
beyond its cores the loop thread has been seen to stall 65-110 ms (measured
with the demo at load average 6-7 on 2 cores), and then the safe state came
late (up to 115 ms). A device must therefore also turn itself off when the
loop's commands or keep-alives stop (its own watchdog); the gate's limit is
never raised to hide such stalls. A stall of the loop alone is not a silence
of its inputs: what waited in the buffer meanwhile is judged on its own time
stamps (:meth:`SafetyGate.receive`); a stale decoder output from it is still
refused (``latency_overrun``).

Re-arming after a (not latched) safe state is explicit and recorded as a
``resumed`` decision: valid decoder outputs (after a gap or reconnection the
decoder flags its outputs invalid until a full window of new data has
arrived), fresh signal and a live heartbeat, uninterrupted for
``resume_after_s``. Stimulation then starts again from 0 mA at the ramp rate,
and a discrete command only after it has passed threshold and dwell anew.

Ramp limit: between two consecutive commands that are not the safe state, the
amplitude changes by at most ``max_ramp_ma_per_s * min(dt, ramp_step_s)``, up
*and* down: a sudden step in either direction is felt (discomfort, a spasm, a
knee that gives way when extensor stimulation drops), so a controller's
amplitude and a switch between stimulation programs are stepped by
intermediate commands every ``ramp_step_s``. A switch from program A to
program B goes through amplitudes both programs were checked for: when A is
stronger, A is ramped down to B's amplitude first (each step on the wire says
``via`` A), then B takes over and is ramped to its own amplitude. Only the
safe state is immediate: everything off is the one step that must never wait.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, fields

from ..errors import Problem, ValidationError

#: The command every effector understands as "all outputs off" (stimulation 0 mA, glove motors unpowered).
SAFE_COMMAND = "off"
#: The watchdog's promise: the safe state within this long after a fault.
SAFE_WITHIN_S = 0.100
#: What each rule of a gate decision means, in the words of a monitor's report (``rule_words``).
RULE_WORDS = {
    "start": "not armed yet (start of the run)",
    "all_limits": "within every limit",
    "threshold": "below the confidence threshold",
    "dwell": "intent not held for the dwell time",
    "unchanged": "same command as the one in force",
    "refractory": "refractory period after the last command",
    "max_rate": "command rate limit",
    "safe_state": "gate in the safe state",
    "amplitude_min": "below the lowest amplitude",
    "amplitude_limit": "amplitude limit",
    "ramp_limit": "ramp rate limit",
    "ramp": "ramp step",
    "invalid_output": "decoder output invalid",
    "latency_overrun": "decoder output too late",
    "signal_lost": "signal lost (no samples)",
    "signal_gap": "gap in the signal",
    "heartbeat_lost": "effector heartbeat lost",
    "nonfinite_input": "NaN or infinite samples",
    "timestamps_backwards": "time stamps went backwards",
    "stream_layout_changed": "stream returned with another layout",
    "stream_source_changed": "another device under the stream's name",
    "operator_stop": "operator stop",
    "end_of_run": "end of the run (every output off)",
}


def rule_words(rule: str) -> str:
    """A gate rule as a report names it (an unknown rule by its id, spaced)."""
    return RULE_WORDS.get(rule, str(rule).replace("_", " "))


#: The rules under which the gate holds back an output of a healthy loop; a ``held`` decision under
#: any other rule is a fault reported while the gate was already safe (:meth:`SafetyGate.fault`).
HOLD_RULES = frozenset({"threshold", "dwell", "unchanged"})

#: Faults that keep the gate safe until the operator resumes (a person decided to stop, or the run ended).
LATCHED = frozenset({"operator_stop", "end_of_run"})

#: Safe states that were decided, not faults: the operator's stop and the end of a run. Summaries and
#: benchmarks that look for the loop's own faults leave these out.
DECIDED = frozenset({"operator_stop", "end_of_run"})


@dataclass(frozen=True)
class GateLimits:
    """Limits of the gate (seconds, mA). Checked when made: every problem is listed.

    Attributes
    ----------
    threshold : float
        Minimum probability of the decoded class for a command (0.5-1].
    dwell_s : float
        The same intent must stay above threshold this long before it is sent.
    refractory_s : float
        Minimum time between two commands.
    max_rate_per_s : float
        Most commands in any 1 s window.
    max_amplitude_ma : float
        Highest stimulation amplitude the gate lets through.
    max_ramp_ma_per_s : float
        Fastest amplitude change, up or down, outside the safe state.
    ramp_step_s : float
        Interval of the intermediate commands of a ramp (each moves at most
        ``max_ramp_ma_per_s * ramp_step_s``).
    max_latency_s : float
        Decoder latency (last sample time stamp to output) beyond which the output is stale: safe state.
    signal_timeout_s, heartbeat_timeout_s : float
        Silence of the signal or of the effector's heartbeat that counts as lost.
    tick_s : float
        Longest interval between two watchdog checks in the loop.
    resume_after_s : float
        Valid outputs, fresh signal and heartbeat needed this long before the
        gate leaves a (non-latched) safe state by itself.
    """

    threshold: float = 0.6
    dwell_s: float = 0.2
    refractory_s: float = 0.5
    max_rate_per_s: float = 2.0
    max_amplitude_ma: float = 8.0
    max_ramp_ma_per_s: float = 4.0
    ramp_step_s: float = 0.05
    max_latency_s: float = 0.08
    signal_timeout_s: float = 0.08
    heartbeat_timeout_s: float = 0.08
    tick_s: float = 0.02
    resume_after_s: float = 0.5

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValidationError(problems, what="safety gate limits")

    def problems(self) -> list[Problem]:
        out = []
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                out.append(Problem(f.name, v, "a finite number >= 0"))
        if out:
            return out
        if not 0.5 <= self.threshold <= 1:
            out.append(Problem("threshold", self.threshold, "a probability between 0.5 and 1"))
        for name in ("max_rate_per_s", "max_amplitude_ma", "tick_s", "ramp_step_s", "signal_timeout_s",
                     "heartbeat_timeout_s",
                     "max_latency_s"):
            if getattr(self, name) <= 0:
                out.append(Problem(name, getattr(self, name), "a number > 0"))
        for name in ("signal_timeout_s", "heartbeat_timeout_s"):
            total = getattr(self, name) + self.tick_s
            if total > SAFE_WITHIN_S + 1e-12:
                out.append(Problem(name, getattr(self, name),
                                   f"<= {SAFE_WITHIN_S - self.tick_s:.3f} s: with tick_s {self.tick_s} s the "
                                   f"safe state must come within {SAFE_WITHIN_S * 1e3:.0f} ms"))
        return out


@dataclass(frozen=True)
class GateDecision:
    """One decision of the gate.

    ``decision`` is one of passed, held, blocked, safe_state, resumed (the
    values of :data:`workbench.records.types.session.GATE_DECISIONS`); ``rule`` says
    which rule decided; ``command`` is what was (or would have been) sent;
    ``time_to_safe_s`` is set on safe_state: fault to safe, on the gate's clock.
    ``via`` is set on a step of a program switch that still runs the previous
    program (ramped down to the new program's amplitude before the switch).
    """

    t: float
    decision: str
    rule: str
    command: str | None = None
    amplitude_ma: float | None = None
    time_to_safe_s: float | None = None
    detail: str = ""
    via: str | None = None

    def wire(self) -> str | None:
        """What goes to the effector for this decision (None: nothing is sent).

        The safe command; a passed command (``program:NAME@mA`` when it carries an
        amplitude); an amplitude, also when clamped by a limit (what the limits allow).
        """
        if self.decision == "safe_state":
            return SAFE_COMMAND
        if self.command == "amplitude":
            if self.amplitude_ma is None or self.rule == "safe_state" or self.decision not in ("passed", "blocked"):
                return None
            return f"amplitude:{self.amplitude_ma:.3f}"
        if self.decision != "passed":
            return None
        command = self.via or self.command
        return command if self.amplitude_ma is None else f"{command}@{self.amplitude_ma:.3f}"

    @property
    def sends(self) -> bool:
        """True when a command leaves the gate."""
        return self.wire() is not None

    def marker(self) -> str:
        """The LSL marker string recorded for this decision."""
        parts = [f"gate:{self.decision}", self.rule]
        if self.command is not None:
            parts.append(self.command)
        if self.amplitude_ma is not None:
            parts.append(f"{self.amplitude_ma:.3f}mA")
        if self.via is not None:
            parts.append(f"via={self.via}")
        return "|".join(parts)


class SafetyGate:
    """Decides, for each decoder output or amplitude request, what reaches the effector.

    Call order in the loop: :meth:`signal` when samples arrive, :meth:`heartbeat`
    when the effector reports (the live loop passes both at once to
    :meth:`receive`, which judges each on its own time stamps before the
    watchdog looks at the present), :meth:`propose` per decoder output (discrete
    intents) or :meth:`request_amplitude` (continuous stimulation),
    :meth:`fault` on stream events, :meth:`operator_stop` on the stop button,
    and :meth:`tick` at least every ``limits.tick_s``. Every call returns the
    decisions it made (often none); the gate starts in the safe state and
    leaves it once signal and heartbeat are fresh and outputs valid.

    ``levels`` maps the commands that carry a stimulation amplitude (programs:
    ``program:NAME`` -> its checked amplitude, mA) so that switching between
    them is ramped; other commands (glove) carry none.
    """

    def __init__(self, limits: GateLimits, t0: float, levels: dict | None = None) -> None:
        self.limits = limits
        self.levels = {str(k): float(v) for k, v in (levels or {}).items()}
        over = {k: v for k, v in self.levels.items() if not (math.isfinite(v) and 0 <= v <= limits.max_amplitude_ma)}
        if over:
            raise ValidationError([Problem(f"levels[{k!r}]", v, f"0-{limits.max_amplitude_ma} mA (the gate's limit)")
                                   for k, v in over.items()], what="safety gate")
        self.command = SAFE_COMMAND  # the command in force (a program switch: the one being ramped to)
        self.on_air = SAFE_COMMAND  # the program the effector runs now (differs while ramping down the old one)
        self.amplitude_ma = 0.0
        self._target_ma = 0.0
        self.safe = True
        self.safe_rule = "start"
        self._latched = False
        self._last_signal = t0
        self._last_heartbeat = t0
        self._healthy_since = t0
        self._fault_rule: str | None = None  # the latest fault's rule: its repeats before a valid output are it
        self._t_amp = t0
        self._sent: deque[float] = deque()
        self._last_command_t = -math.inf
        self._candidate: str | None = None
        self._candidate_since = t0
        self._t = t0

    # ----------------------------------------------------------------- inputs
    def signal(self, t: float, last_sample_t: float | None = None,
               first_sample_t: float | None = None) -> list[GateDecision]:
        """New samples arrived (``first_sample_t``, ``last_sample_t``: their oldest and newest time stamps,
        default ``t``)."""
        out = self._note_signal(t, first_sample_t, last_sample_t)
        return out + self._check(t)

    def heartbeat(self, t: float) -> list[GateDecision]:
        """The effector reported at ``t``."""
        out = self._note_heartbeat(t)
        return out + self._check(t)

    def receive(self, t: float, first_sample_t: float | None, last_sample_t: float | None,
                heartbeats=()) -> list[GateDecision]:
        """Everything that arrived since the previous call, checked once at ``t`` (the live loop's call).

        ``first_sample_t``/``last_sample_t``: time stamps of the oldest and newest new samples (None: no
        sample); ``heartbeats``: the effector's report times. Each input's silence is judged on its own
        time stamps first, then the watchdog looks at ``t``: a loop that wakes late to find samples and
        heartbeats waiting is late itself (the decoder latency rule sees that), but no input was silent.
        Judged in the order of the calls instead (the check at ``t`` before the waiting samples were
        counted), a loop held off the CPU for 80 ms read its own delay as signal loss: 33 signal_lost and
        13 heartbeat_lost safe states in the one-hour soak on a loaded machine, with the signal intact.
        """
        out = []
        if last_sample_t is not None:
            out += self._note_signal(t, first_sample_t, last_sample_t)
        for beat in heartbeats:
            out += self._note_heartbeat(min(t, beat))
        return out + self._check(t)

    def tick(self, t: float) -> list[GateDecision]:
        """The watchdog's periodic check (silence of signal or heartbeat)."""
        return self._check(t)

    def fault(self, t: float, rule: str, detail: str = "", fault_t: float | None = None) -> list[GateDecision]:
        """A fault reported as an event (gap, disconnection, non-finite input...): safe state now.

        Reported while the gate is already safe, the fault is still a decision of
        its own: ``held`` (the safe state holds; nothing is sent) under the
        fault's rule, so the session's record names every fault and not only
        the first of a run of them. Re-arming then waits for healthy inputs
        from this fault on, as after the first. The same fault reported again
        before any valid output came between (a NaN burst spans several
        chunks) is the same fault: it delays re-arming but is not decided again.
        """
        continuing = self.safe and rule == self._fault_rule and self._healthy_since == math.inf
        out = self._check(t)
        entered = self._enter_safe(t, rule, detail, t if fault_t is None else fault_t)
        if entered:
            return out + entered
        if continuing:
            return out
        return out + [GateDecision(max(t, self._t), "held", rule, detail=f"{detail} (already safe: the safe state "
                                                                          "holds)".lstrip())]

    def operator_stop(self, t: float) -> list[GateDecision]:
        """The stop button: safe state now, held until :meth:`operator_resume`.

        Pressed while already safe, the stop is still a decision of its own: the
        off command goes out again and the record shows that the operator stopped.
        """
        out = self._check(t)
        if self.safe:
            self._latched = True
            self.safe_rule = "operator_stop"
            return out + [GateDecision(max(t, self._t), "safe_state", "operator_stop", SAFE_COMMAND, 0.0, 0.0,
                                       "stop pressed while already safe: off sent again")]
        out += self._enter_safe(t, "operator_stop", "stop pressed by the operator", t)
        return out

    def end_of_run(self, t: float) -> list[GateDecision]:
        """The run is over: safe state, every output off, held (nothing re-arms it).

        Recorded under its own rule, so that the records do not say an operator
        pressed stop at the end of every run.
        """
        return self._check(t) + self._enter_safe(t, "end_of_run", "the run ended: every output off", t)

    def operator_resume(self, t: float) -> list[GateDecision]:
        """The operator releases a stop; the gate still waits for healthy inputs before resuming."""
        out = self._check(t)
        self._latched = False
        self._healthy_since = t
        return out

    def propose(self, t: float, intent: str, probability: float, command: str | None, *, valid: bool = True,
                latency_s: float = 0.0) -> list[GateDecision]:
        """A decoder output: ``intent`` with ``probability`` would send ``command`` (None: no command for it)."""
        out = self._check(t)
        bad = self._output_fault(valid, probability, latency_s)
        if bad:
            return out + self._refuse(t, command, None, *bad)
        out += self._maybe_resume(t)
        if self.safe:
            return out + [GateDecision(t, "blocked", "safe_state", command, detail=f"safe since {self.safe_rule}")]
        if probability < self.limits.threshold or command is None:
            self._candidate = None
            why = "no command for this intent" if command is None else f"p={probability:.2f}"
            return out + [GateDecision(t, "held", "threshold", command, detail=why)]
        if command != self._candidate:
            self._candidate, self._candidate_since = command, t
        if t - self._candidate_since < self.limits.dwell_s:
            return out + [GateDecision(t, "held", "dwell", command)]
        if command == self.command:
            return out + [GateDecision(t, "held", "unchanged", command)]
        rule = self._rate_rule(t)
        if rule:
            return out + [GateDecision(t, "blocked", rule, command)]
        self._send(t, command)
        why = f"{intent} p={probability:.2f}"
        if command not in self.levels:
            self.on_air = command
            return out + [GateDecision(t, "passed", "all_limits", command, detail=why)]
        self._target_ma = self.levels[command]
        air, amp = self._ramp_step(t)
        return out + [GateDecision(t, "passed", "all_limits", command, amp, detail=why,
                                   via=air if air != command else None)]

    def request_amplitude(self, t: float, amplitude_ma: float, *, valid: bool = True,
                          latency_s: float = 0.0) -> list[GateDecision]:
        """A controller asks for a stimulation amplitude; the gate sends what the limits allow."""
        out = self._check(t)
        finite = isinstance(amplitude_ma, (int, float)) and math.isfinite(amplitude_ma)
        bad = self._output_fault(valid and finite, 1.0, latency_s)
        if bad:
            return out + self._refuse(t, "amplitude", None, *bad)
        out += self._maybe_resume(t)
        if self.safe:
            self._t_amp = t
            return out + [GateDecision(t, "blocked", "safe_state", "amplitude", amplitude_ma)]
        lim = self.limits
        allowed, rule = float(amplitude_ma), "all_limits"
        if allowed < 0:
            allowed, rule = 0.0, "amplitude_min"
        if allowed > lim.max_amplitude_ma:
            allowed, rule = lim.max_amplitude_ma, "amplitude_limit"
        step = self._max_step(t)
        if allowed > self.amplitude_ma + step:
            allowed, rule = self.amplitude_ma + step, "ramp_limit"
        elif allowed < self.amplitude_ma - step:
            allowed, rule = self.amplitude_ma - step, "ramp_limit"
        # The amplitude is on the wire; ``command`` keeps the decoded intent in force (adaptive stimulation
        # follows it: workbench.session.closed_loop).
        self.amplitude_ma, self._t_amp = allowed, t
        self.on_air = "amplitude"
        self._target_ma = allowed
        decision = "passed" if rule == "all_limits" else "blocked"
        return out + [GateDecision(t, decision, rule, "amplitude", allowed,
                                   detail=f"asked {amplitude_ma:.3f} mA" if decision == "blocked" else "")]

    # -------------------------------------------------------------- internals
    def _output_fault(self, valid, probability, latency_s):
        if not valid or not (isinstance(probability, (int, float)) and math.isfinite(probability)):
            return ("invalid_output", "decoder output invalid or not finite")
        if not (isinstance(latency_s, (int, float)) and math.isfinite(latency_s)) \
                or latency_s > self.limits.max_latency_s:
            return ("latency_overrun", f"decoder latency {latency_s * 1e3:.1f} ms")
        return None

    def _refuse(self, t: float, command, amplitude, rule: str, detail: str) -> list[GateDecision]:
        """A bad output: the safe state, or (already safe) a refusal of its own, so every output has its record."""
        entered = self._enter_safe(t, rule, detail, t)
        if entered:
            return entered
        return [GateDecision(max(t, self._t), "blocked", rule, command, amplitude, detail=f"{detail} (already safe)")]

    def _rate_rule(self, t: float) -> str | None:
        if t - self._last_command_t < self.limits.refractory_s:
            return "refractory"
        while self._sent and self._sent[0] <= t - 1.0:
            self._sent.popleft()
        # One more command must still keep every 1 s window within the rate.
        if len(self._sent) + 1 > self.limits.max_rate_per_s:
            return "max_rate"
        return None

    def _max_step(self, t: float) -> float:
        """Largest amplitude change allowed now (mA) since the last amplitude command."""
        return self.limits.max_ramp_ma_per_s * min(max(0.0, t - self._t_amp), self.limits.ramp_step_s)

    def _ramping(self) -> bool:
        return self.command in self.levels and (self.on_air != self.command or self.amplitude_ma != self._target_ma)

    def _ramp_step(self, t: float) -> tuple[str, float]:
        """Move one step toward the command in force: (program on the wire, amplitude)."""
        step = self._max_step(t)
        target, air, amp = self._target_ma, self.on_air, self.amplitude_ma
        if air != self.command and air in self.levels and amp > target:
            # The old program comes down to the new one's amplitude first; it switches once there.
            amp = max(target, amp - step)
            if amp <= target:
                air = self.command
        else:
            # At the present amplitude the new program is within what it was checked for (<= its own).
            air = self.command
            amp = amp + max(-step, min(step, target - amp))
        self.on_air, self.amplitude_ma, self._t_amp = air, amp, t
        return air, amp

    def _send(self, t: float, command: str) -> None:
        self.command = command
        self._sent.append(t)
        self._last_command_t = t

    def _note_signal(self, t: float, first_sample_t: float | None, last_sample_t: float | None):
        """Count new samples as fresh; a gap in their time stamps longer than the timeout is a loss of its own.

        The gap is a silence of the signal even when the loop slept through all of it and only sees the
        samples that came after (a lost signal that came back before the next check)."""
        newest = t if last_sample_t is None else min(t, last_sample_t)
        oldest = newest if first_sample_t is None else min(newest, first_sample_t)
        out = []
        if oldest - self._last_signal > self.limits.signal_timeout_s:
            out = self._enter_safe(t, "signal_lost", f"samples stopped for {1e3 * (oldest - self._last_signal):.0f} "
                                   "ms (a gap in their time stamps)", self._last_signal)
        self._last_signal = max(self._last_signal, newest)
        return out

    def _note_heartbeat(self, t_beat: float):
        """As :meth:`_note_signal` for the effector's heartbeat, on the times it reported."""
        out = []
        if t_beat - self._last_heartbeat > self.limits.heartbeat_timeout_s:
            out = self._enter_safe(t_beat, "heartbeat_lost", f"effector heartbeat stopped for "
                                   f"{1e3 * (t_beat - self._last_heartbeat):.0f} ms", self._last_heartbeat)
        self._last_heartbeat = max(self._last_heartbeat, t_beat)
        return out

    def _check(self, t: float) -> list[GateDecision]:
        if t < self._t:  # time never runs backwards in the gate (a late event is handled now)
            t = self._t
        # How long the gate was not called: a silence seen only after a late call is told apart by it.
        since_check = t - self._t
        self._t = t
        lim = self.limits
        if t - self._last_signal > lim.signal_timeout_s:
            return self._enter_safe(t, "signal_lost", f"no new samples for {1e3 * (t - self._last_signal):.0f} ms "
                                    f"(previous check {1e3 * since_check:.0f} ms before)", self._last_signal)
        if t - self._last_heartbeat > lim.heartbeat_timeout_s:
            return self._enter_safe(t, "heartbeat_lost", f"effector heartbeat missing for "
                                    f"{1e3 * (t - self._last_heartbeat):.0f} ms (previous check "
                                    f"{1e3 * since_check:.0f} ms before)", self._last_heartbeat)
        if not self.safe and self._ramping() and t - self._t_amp >= lim.ramp_step_s - 1e-9:
            air, amp = self._ramp_step(t)
            return [GateDecision(t, "passed", "ramp", self.command, amp, via=air if air != self.command else None,
                                 detail=f"toward {self._target_ma:.3f} mA")]
        return []

    def _enter_safe(self, t: float, rule: str, detail: str, fault_t: float) -> list[GateDecision]:
        t = max(t, self._t)
        self._healthy_since = math.inf  # health is counted again from the next valid output
        self._fault_rule = rule
        self._candidate = None
        if rule in LATCHED:
            self._latched = True
        if self.safe:
            return []
        self.safe, self.safe_rule = True, rule
        self.command = self.on_air = SAFE_COMMAND
        self.amplitude_ma, self._target_ma, self._t_amp = 0.0, 0.0, t
        return [GateDecision(t, "safe_state", rule, SAFE_COMMAND, 0.0, max(0.0, t - fault_t), detail)]

    def _maybe_resume(self, t: float) -> list[GateDecision]:
        if not self.safe:
            return []
        if self._healthy_since == math.inf:
            self._healthy_since = t
        if self._latched or t - self._healthy_since < self.limits.resume_after_s:
            return []
        self.safe = False
        self._candidate = None
        self._t_amp = t
        # Re-armed explicitly, and recorded as such: valid outputs (after a gap the decoder's are invalid
        # until a full window of new data has arrived), fresh signal and a live heartbeat, all for
        # resume_after_s without interruption. Stimulation then starts again from 0 mA at the ramp rate.
        return [GateDecision(t, "resumed", self.safe_rule, SAFE_COMMAND, 0.0,
                             detail=f"re-armed: valid outputs, signal ({1e3 * (t - self._last_signal):.0f} ms old) "
                                    f"and heartbeat ({1e3 * (t - self._last_heartbeat):.0f} ms old) healthy for "
                                    f"{self.limits.resume_after_s:g} s")]
