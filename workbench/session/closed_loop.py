"""The closed loop: samples -> online decoder -> safety gate -> effector command.

:class:`ClosedLoop` is the loop's logic with its inputs and outputs passed in
(no LSL, no clock of its own), so tests drive it with arrays and times;
:func:`workbench.session.live.run_closed_loop` wires it to real streams.
Each call to :meth:`ClosedLoop.step` takes the samples that arrived, the
stream events and heartbeats seen, and the current time, and returns nothing:
what happened is in :attr:`ClosedLoop.log` and went out through ``send``
(commands) and ``mark`` (gate markers, decoder outputs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .adaptive import AdaptiveController
from .effectors import STIMULATE
from .gate import GateDecision, SafetyGate
from .row_log import RowLog, output_log, timing_log

#: Stream events that put the loop in the safe state, and the gate rule each becomes.
FAULT_EVENTS = {"gap": "signal_gap", "disconnected": "signal_lost", "reconnected": "signal_gap",
                "nonfinite": "nonfinite_input", "time_reversed": "timestamps_backwards",
                "layout_changed": "stream_layout_changed", "source_changed": "stream_source_changed"}
#: Events after which the decoder's filters describe a signal that no longer continues.
GAP_EVENTS = ("gap", "disconnected", "reconnected", "time_reversed", "layout_changed", "source_changed")


@dataclass
class LoopLog:
    """Everything the loop did, for trials, metrics, safety events and the benchmark."""

    #: One row per decoder output: (now, sample_time, intent, p, valid, latency_s, decoder_version).
    outputs: RowLog = field(default_factory=output_log)
    decisions: list = field(default_factory=list)  # GateDecision
    commands: list = field(default_factory=list)  # (push time, command, source sample time)
    faults: list = field(default_factory=list)  # (time, rule, detail)
    envelopes: list = field(default_factory=list)  # (time, EMG envelope µV, amplitude asked mA)
    #: One per command pushed for a decoded sample: (sample_time, arrival_time, push_time), all on the
    #: LSL local_clock. arrival - sample is the amplifier's share, push - arrival the workbench's.
    shares: list = field(default_factory=list)
    #: One per decoder output, every one timed (not a sample of them): (sample_time, arrival_time,
    #: done_time), done when the gate has decided on it and any command it passed is pushed.
    output_shares: RowLog = field(default_factory=timing_log)
    samples_lost: int = 0  # samples the loop's reader lost to overruns (each also a gap fault)
    #: Samples not given to the decoder so that its outputs fall on the amplifier's chunk ends
    #: (:meth:`ClosedLoop.align_decoder`: fewer than one output step at the start and after an overrun).
    samples_withheld: int = 0
    n_gaps: int = 0  # the stream's gap events (samples missing: lost connection, stall, overrun)
    #: What the loop ran under, set by run_block (utils/realtime.py) and stored with the run's metrics: its
    #: thread's SCHED_FIFO priority (0: ordinary) and the CPUs' wake-up latency held in µs (None: not held).
    rt_priority: int | None = None
    cpu_latency_us: int | None = None


class ClosedLoop:
    """Decoder, gate and (for adaptive stimulation) controller, stepped by the caller.

    Parameters
    ----------
    online : OnlineDecoder
        Over a classifier; its input columns are ``picks`` of the stream.
    picks : array of int
        Stream columns the decoder reads.
    gate : SafetyGate
    commands : dict
        Decoded class -> effector command (None: no command for it).
    send : callable(command, source_time)
        Pushes a command to the effector.
    mark : callable(text, time) | None
        Pushes a gate marker for the recording.
    mark_output : callable(values, valid, sample_time) | None
        Pushes a decoder output for the recording.
    record : callable(GateDecision) | None
        Hands every decision to the records (``SafetyEventWriter.put``: a queue append,
        the database write happens on the writer's thread).
    controller : AdaptiveController | None
        Adaptive stimulation: amplitude from the EMG envelope of column ``emg_col``. When ``commands``
        map intents to ``stimulate``/``rest`` (``intent_commands(..., follow_intent=True)``), the
        controller's amplitude is asked for only while the gate has passed ``stimulate``; otherwise
        0 mA is asked, which the gate's ramp limit brings down gradually.
    decoder_version : str
    """

    def __init__(self, online, picks, gate: SafetyGate, commands: dict, send: Callable, *, mark=None, mark_output=None,
                 record=None, controller: AdaptiveController | None = None, emg_col: int | None = None,
                 sfreq: float = 500.0,
                 decoder_version: str = "", control_period_s: float = 0.02, clock: Callable | None = None) -> None:
        self.online = online
        self.picks = np.asarray(picks)
        self.gate = gate
        self.commands = dict(commands)
        self.classes = [str(c) for c in online.decoder.model.classes_]
        self.send = send
        self.mark = mark or (lambda text, t: None)
        self.mark_output = mark_output or (lambda values, valid, t: None)
        self.record = record or (lambda decision: None)
        self.controller = controller
        self.emg_col = emg_col
        self.sfreq = float(sfreq)
        self.decoder_version = decoder_version
        self.control_period_s = control_period_s
        self.clock = clock  # LSL local_clock in a live run: the push time of each command (None: ``now``)
        self.log = LoopLog()
        self._arrivals = None
        self._pushes: list = []  # (source time, push time) of the commands of the current decision
        self._follows_intent = STIMULATE in self.commands.values()
        self._emg = np.zeros(max(1, int(round(0.1 * sfreq))))  # 100 ms envelope window
        self._emg_pos = 0
        self._next_control = -math.inf
        self._withhold = 0  # samples still to keep from the decoder (align_decoder)

    def replace_decoder(self, online, version: str) -> None:
        """Swap in a recalibrated decoder between blocks (its first outputs wait for a full window)."""
        self.online, self.decoder_version = online, version
        self.classes = [str(c) for c in online.decoder.model.classes_]

    def align_decoder(self, n_samples: int) -> None:
        """Move the decoder's outputs ``n_samples`` later by keeping samples from it (modulo its step).

        The decoder outputs every ``step`` samples counted from its first, so withholding ``k`` samples
        moves all its outputs ``k`` samples later: how the live loop makes them fall on the last sample
        of an amplifier chunk (``acquisition.chunk_phase``), where the decision waits least. After
        ``n`` samples were lost, ``-n`` puts them back where they were. Offsets add up modulo the step,
        so the decoder never waits a whole step; the gate and the controller still get every sample.
        """
        self._withhold = (self._withhold + int(n_samples)) % int(self.online.decoder.step)

    def operator_stop(self, now: float) -> None:
        self._apply(self.gate.operator_stop(now), now)

    def end_of_run(self, now: float) -> None:
        """The run is over: every output off, recorded as the end of the run (not an operator stop)."""
        self._apply(self.gate.end_of_run(now), now)

    def operator_release(self, now: float) -> None:
        """The operator releases a stop; the gate resumes once its inputs are healthy again."""
        self._apply(self.gate.operator_resume(now), now)

    def step(self, now: float, data: np.ndarray, timestamps: np.ndarray, events=(), heartbeats=(),
             arrivals: np.ndarray | None = None) -> None:
        """Process what arrived since the previous step (``data``: (n_times, n_channels) of the stream).

        ``arrivals`` (n_times,): when each sample reached the inlet (LSL clock), for the latency shares.
        """
        gate = self.gate
        self._arrivals = arrivals
        # Samples and heartbeats first, each judged on its own time stamps, then the faults the stream
        # reported: a step that comes late finds them waiting, which is not a silence (SafetyGate.receive).
        first, last = (float(timestamps[0]), float(timestamps[-1])) if len(data) else (None, None)
        self._apply(gate.receive(now, first, last, heartbeats), now)
        for ev in events:
            rule = FAULT_EVENTS.get(ev.kind)
            if rule is None:
                continue
            self.log.faults.append((now, rule, ev.detail))
            self.log.n_gaps += ev.kind == "gap"
            self._apply(gate.fault(now, rule, ev.detail), now)
            if ev.kind in GAP_EVENTS and hasattr(self.online, "mark_gap"):
                self.online.mark_gap(f"{ev.kind}: {ev.detail}")
        if len(data):
            k = min(self._withhold, len(data))  # align_decoder: samples the decoder does not get
            if k:
                self._withhold -= k
                self.log.samples_withheld += k
                self._arrivals = None if arrivals is None else arrivals[k:]
            if len(data) > k:
                self._decode(now, data[k:], timestamps[k:])
            if self.controller is not None and self.emg_col is not None:
                self._control(now, data[:, self.emg_col], float(timestamps[-1]))
        self._apply(gate.tick(now), now)

    # ---------------------------------------------------------------- internals
    def _decode(self, now, data, timestamps) -> None:
        n_before = self.online.n_samples_seen
        out = self.online.update(np.ascontiguousarray(data[:, self.picks], dtype=np.float64))
        for pop in (getattr(self.online, "pop_faults", None),):
            for fault in (pop() if pop else ()):
                self.log.faults.append((now, fault.kind, getattr(fault, "detail", "")))
                self._apply(self.gate.fault(now, "nonfinite_input" if fault.kind != "gap" else "signal_gap",
                                            getattr(fault, "detail", "")), now)
        for idx, values, valid in zip(out.sample_index, out.values, out.valid):
            t_sample = float(timestamps[int(idx) - n_before])
            latency = now - t_sample
            k = int(np.argmax(values)) if np.all(np.isfinite(values)) else 0
            intent, p = self.classes[k], float(values[k])
            self.log.outputs.append((now, t_sample, intent, p, bool(valid), latency, self.decoder_version))
            self.mark_output(values, bool(valid), t_sample)
            command = self.commands.get(intent)
            decisions = self.gate.propose(now, intent, p if valid else math.nan, command, valid=bool(valid),
                                          latency_s=latency)
            self._pushes.clear()
            self._apply(decisions, now, t_sample)
            if self._arrivals is not None:
                arrival = float(self._arrivals[int(idx) - n_before])
                self.log.shares += [(t_sample, arrival, push_t) for src, push_t in self._pushes if src == t_sample]
                self.log.output_shares.append((t_sample, arrival, now if self.clock is None else self.clock()))

    def _control(self, now, emg, newest_t) -> None:
        n = len(emg)
        w = self._emg
        if n >= len(w):
            w[:] = np.abs(emg[-len(w):])
            self._emg_pos = 0
        else:
            idx = (self._emg_pos + np.arange(n)) % len(w)
            w[idx] = np.abs(emg)
            self._emg_pos = int((self._emg_pos + n) % len(w))
        if now < self._next_control:
            return
        self._next_control = now + self.control_period_s
        envelope = float(np.nanmean(w))
        asked = self.controller.update(now, envelope)
        if self._follows_intent and self.gate.command != STIMULATE:
            asked = 0.0  # rest (or nothing passed yet): ramp down; the controller tracks what is applied
        self.log.envelopes.append((now, envelope, asked))
        self._apply(self.gate.request_amplitude(now, asked), now, newest_t)
        # Anti-windup by tracking: the controller continues from what was really applied (0 while safe).
        self.controller.amplitude_ma = min(max(self.gate.amplitude_ma, self.controller.spec.min_ma),
                                           self.controller.spec.max_ma)

    def _apply(self, decisions: list[GateDecision], now: float, source_time: float | None = None) -> None:
        for d in decisions:
            self.log.decisions.append(d)
            self.mark(d.marker(), now)
            self.record(d)
            text = d.wire()
            if text is not None:
                # A ramp step answers the clock, not a sample: its source is its own push time.
                self._push(text, now, None if d.rule == "ramp" else source_time)

    def _push(self, text, now, source_time) -> None:
        src = now if source_time is None else source_time
        self.send(text, src)
        self.log.commands.append((now, text, src))
        self._pushes.append((src, now if self.clock is None else self.clock()))
