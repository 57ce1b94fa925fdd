"""Run a cued block live: paradigm, amplifier stream, (decoder, gate, effector), one XDF per run.

Every run is recorded with LabRecorder through the recording layer: the
signal, the cue markers, and in closed loop also the decoder outputs
(``<name>-outputs``), the gate's decisions (``<name>-gate``) and the effector
commands (``<name>-commands``), in one XDF.

With ``participant`` (a :class:`SimulatedParticipant`), the run streams it
through a real :class:`~workbench.datasets.Player` and cue markers come with
its samples; against a real amplifier (``stream=NAME``) the runner pushes
cue markers on ``<name>-cues`` at each cue onset.
"""

from __future__ import annotations

import gc
import os
import time
from contextlib import ExitStack
from dataclasses import dataclass, field

from ..acquisition.chunk_phase import chunk_end_phase, samples_to_align
from ..acquisition.counter import CounterBreaks
from ..errors import Problem, ValidationError
from ..utils.memory import limit_malloc_arenas, release_free_memory
from ..utils.realtime import (LIVE_CPU_LATENCY_US, LIVE_PRIORITY, cpu_latency, cpu_latency_problems,
                              live_priority, ordinary_priority, priority_problems, switch_interval)
from .closed_loop import ClosedLoop, LoopLog
from .gate import SAFE_COMMAND, GateLimits, SafetyGate
from .paradigm import ParadigmRunner, ParadigmSpec

#: Seconds of the stream's arrivals the loop learns its chunk ends from (acquisition.chunk_phase).
PHASE_HISTORY_S = 2.0
LEAD_IN_S = 2.0  # after the recorder started: the decoder fills its window, the gate sees healthy inputs


@dataclass
class Fault:
    """A fault to inject at ``at_s`` on the run's clock: stall (signal gap), nan (NaN burst), heartbeat,
    freeze (the workbench's own loop stops reading for ``for_s``: a compile, a slow disk; with a short
    ``bufsize`` its reader falls behind and loses samples)."""

    kind: str
    at_s: float
    for_s: float


class BlockControl:
    """The operator's hold on a running block, from another thread (the operator panel's buttons).

    Requests are queued and applied by the loop at its next step, with the
    loop's clock; :meth:`snapshot` tells the panel what is happening.
    """

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._requests: list[str] = []
        self.cue = None  # CueState
        self.gate_safe = True
        self.gate_rule = "start"
        self.command = SAFE_COMMAND
        self.n_decisions = 0
        self.running = False

    def request(self, action: str) -> None:
        """``pause``, ``resume``, ``abort``, ``stop`` (operator stop: effector off now) or ``release``."""
        if action not in ("pause", "resume", "abort", "stop", "release"):
            raise ValidationError([Problem("action", action, "pause, resume, abort, stop or release")],
                                  what="operator request")
        with self._lock:
            self._requests.append(action)

    def take(self) -> list[str]:
        with self._lock:
            out, self._requests = self._requests, []
        return out

    def update(self, cue, loop) -> None:
        self.cue = cue
        if loop is not None:
            self.gate_safe, self.gate_rule, self.command = loop.gate.safe, loop.gate.safe_rule, loop.gate.command
            self.n_decisions = len(loop.log.decisions)


@dataclass
class LiveRun:
    manifest: object
    runner: ParadigmRunner
    t0: float
    log: LoopLog | None = None
    effector: object = None
    n_samples: int = 0
    lost_or_repeated: int | None = None
    faults: list = field(default_factory=list)
    stopped_by_operator: bool = False
    samples_lost: int = 0  # samples the run's reader lost to overruns (each a gap in the record)
    n_gaps: int = 0  # gap events of the signal stream (lost samples, reconnections, overruns)
    warm_s: float = 0.0  # seconds spent compiling or loading the decoder's kernels before the block
    rig_error: str | None = None  # the simulated rig's failure (its process ended early), as it reported it
    priority: str = ""  # the loop thread's scheduling, or why it could not be real-time (utils/realtime.py)
    cpu_latency: str = ""  # the CPUs' wake-up latency held for the block, or why not (utils/realtime.py)
    # The simulated amplifier's chunks, (n, 2) on the LSL clock: last sample's stamp, push returned
    # (Player.pushes); None with a real amplifier. Splits the amplifier's share (results.amplifier_share_parts).
    amplifier_pushes: object = None


def _marker_outlet(name: str, stype: str, n_channels: int = 1, fmt: str = "string"):
    import pylsl

    cf = pylsl.cf_string if fmt == "string" else pylsl.cf_float32
    info = pylsl.StreamInfo(name, stype, n_channels, pylsl.IRREGULAR_RATE, cf, f"{name}-{os.getpid()}")
    return pylsl.StreamOutlet(info)


def run_block(recordings, spec: ParadigmSpec, *, participant=None, stream: str | None = None, decoder=None,
              effector: str | None = None, programs: dict | None = None, controller=None,
              limits: GateLimits = GateLimits(), faults=(), entities=None, decoder_version: str = "",
              name: str | None = None, progress: bool = True, chunk_ms: float = 10.0,
              lead_in_s: float = LEAD_IN_S, control: BlockControl | None = None,
              simulate_effector: bool | None = None, safety_events=None, follow_intent: bool = False,
              bufsize: float = 30.0, priority: int | None = LIVE_PRIORITY,
              cpu_latency_us: int | None = LIVE_CPU_LATENCY_US) -> LiveRun:
    """Run one paradigm block and record it; with ``decoder`` and ``effector``, in closed loop.

    A real effector listens to ``<name>-commands`` and answers on ``<name>-heartbeat``; without it the
    block does not start (``simulate_effector=True`` puts the simulated device there, e.g. to try a decoder
    on a real amplifier with nothing attached).

    Stops cleanly on Ctrl-C (the gate enters the safe state first, then the recorder closes the file);
    the result then says ``stopped_by_operator``.

    ``follow_intent`` (adaptive stimulation): the controller stimulates only while the gate has passed an
    active intent (any class but rest); a passed rest ramps the amplitude down.

    ``safety_events`` (a :class:`~workbench.session.safety_log.SafetyEventWriter` for this run's
    Session and Run) records every gate decision as a SafetyEvent while the block runs, from its own
    thread; its final flush comes after the last "off", however the block ends.

    ``priority``: the loop thread and the threads it starts (its inlets) run at this ``SCHED_FIFO``
    priority where the system permits it, the recorder and the record writer at ordinary priority
    (``utils/realtime.py`` says why and what was measured); ``None`` leaves scheduling alone. What the
    loop got is in ``LiveRun.priority``. Whatever the priority, the interpreter's switch interval is
    0.5 ms while the block runs (the loop waits no longer than that for a thread holding the lock).

    ``cpu_latency_us``: while the block runs no CPU sleeps deeper than it can leave in this many
    microseconds (Linux PM QoS, where permitted; at 0 idle CPUs poll, at full power, for the block only);
    ``None`` (the default) leaves the idle states alone: on a VM it made the host stop a CPU for 100 ms
    (``utils/realtime.py``). What was held is in ``LiveRun.cpu_latency``.
    """
    import pylsl
    from tqdm import tqdm

    from ..acquisition import MarkerStream, Stream
    from ..recording.labrecorder import Recorder
    from ..recording.runs import RunEntities
    from .effectors import CommandOutlet, command_levels, intent_commands, simulated_heartbeat_source_id
    from .rig import SimulatedRig

    problems = []
    if (participant is None) == (stream is None):
        problems.append(Problem("source", stream, "either a simulated participant or a stream name"))
    if (decoder is None) != (effector is None):
        problems.append(Problem("effector", effector, "given together with a decoder (closed loop) or neither"))
    for f in faults:
        if f.kind not in ("stall", "nan", "heartbeat", "freeze") or not (f.at_s >= 0 and 0 < f.for_s <= 10):
            problems.append(Problem("faults", f, "kind stall/nan/heartbeat/freeze, at_s >= 0, 0 < for_s <= 10"))
        elif f.kind in ("stall", "nan") and participant is None:
            problems.append(Problem("faults", f.kind, "heartbeat or freeze only, against a real stream"))
    if safety_events is not None and decoder is None:
        problems.append(Problem("safety_events", "writer", "only for a closed-loop block (with a decoder)"))
    if effector == "programs" and not programs:
        problems.append(Problem("programs", programs, "one checked StimProgram per decoded intent"))
    for intent, prog in (programs or {}).items():
        # Programs were checked against Shannon's limit when made; the gate's amplitude limit may be lower.
        if prog.amplitude_ma > limits.max_amplitude_ma:
            problems.append(Problem(f"programs[{intent!r}].amplitude_ma", prog.amplitude_ma,
                                    f"<= {limits.max_amplitude_ma} mA (the gate's limit)"))
    problems += priority_problems(priority) + cpu_latency_problems(cpu_latency_us)
    if problems:
        raise ValidationError(problems, what="closed-loop block")
    # Hours of blocks in one process: threads made by each block share two malloc arenas, or resident memory
    # grows by tens of MB per block (utils/memory.py); before any of this block's threads start.
    limit_malloc_arenas()
    # What training or a recalibration between blocks freed stays in glibc's arenas until trimmed (the soak
    # of 2026-11-25: 480-516 MB after a recalibration against ~400 at a trimmed block end): return it before
    # this block's buffers are made, so a block starts from the same memory as the one before.
    # Garbage first: whatever is in the heap when the block starts is frozen out of collections until it ends
    # (gc.freeze below), cyclic garbage left by training or a recalibration included.
    gc.collect()
    release_free_memory()
    name = name or f"wb-loop-{os.getpid()}"
    runner = ParadigmRunner(spec, participant.timeline if participant is not None else None)
    closed = decoder is not None
    simulated_device = closed and (participant is not None if simulate_effector is None else simulate_effector)
    online, warm_s = None, 0.0
    stack = ExitStack()
    rig = None
    if participant is not None or simulated_device:
        # The simulated participant and devices run in a process of their own, as real ones do (rig.py);
        # it starts now and imports while the decoder's kernels load.
        rig = SimulatedRig(participant, name=name, chunk_ms=chunk_ms, priority=priority).begin()
        stack.callback(rig.stop)
    try:
        if closed:
            # Nothing compiles in the live loop: every kernel the decoder's update can call is compiled (or
            # loaded from the cache) on a chunk of the loop's shape before any stream opens or the gate arms.
            online = decoder.online()
            sfreq = float(getattr(decoder, "sfreq", 0) or 0)
            n_chunk = max(2, int(round(chunk_ms * 1e-3 * sfreq))) if sfreq > 0 else 64
            t_warm = time.perf_counter()
            if progress:
                print("decoder kernels: compiling or loading from the numba cache ...", end="", flush=True)
            online.warm(n_chunk)
            warm_s = time.perf_counter() - t_warm
            if progress:
                print(f" {warm_s:.1f} s")
    except BaseException:
        stack.close()  # the rig's process too
        raise
    with stack:
        if rig is not None:
            rig.ready()
        # Before any stream opens: the inlets' threads (ours and liblsl's) inherit the loop's scheduling.
        got_priority = stack.enter_context(live_priority(priority))
        stack.enter_context(switch_interval())  # the loop waits at most 0.5 ms for the interpreter
        got_cpu_latency = stack.enter_context(cpu_latency(cpu_latency_us))  # if asked: CPUs kept awake
        if participant is not None:
            signal_name, cue_stream, t0 = rig.name, rig.marker_name, rig.t0
            signal_source, cue_source = rig.source_ids[signal_name], rig.source_ids[cue_stream]
            cue_outlet = None
        else:
            signal_name, cue_stream = stream, f"{name}-cues"
            cue_outlet = _marker_outlet(cue_stream, "Markers")
            signal_source, cue_source = None, cue_outlet.get_info().source_id()
            t0 = pylsl.local_clock()
        # Stamps as sent (clock offset corrected, not dejittered): liblsl's dejitter and monotonize turn a
        # clock reset into stamps that stop advancing, where read as sent it is the named fault
        # (time_reversed -> timestamps_backwards); and the amplifier's share of the latency is then
        # measured on the amplifier's own stamps, not on a fitted line.
        # Woken by liblsl when a chunk arrives: with a 1 ms poll half of the amplifier's share was the poll.
        # The rig's stream by its source id too; a stream named by the operator by name alone (a second
        # stream of that name is refused, not guessed).
        sig = stack.enter_context(Stream(signal_name, source_id=signal_source, bufsize=bufsize, dejitter=False,
                                         wake_on_arrival=True))
        # Every stream by name and source id: the file holds the very streams this block reads and writes, and
        # each lookup ends when its stream answers (by name alone each waited 0.7 s for a second source).
        names = [(signal_name, sig.description.source_id), (cue_stream, cue_source)]
        loop = effector_dev = heart = None
        if closed:
            decoder.check_stream([c for c in sig.ch_names if c in decoder.ch_names], sig.sfreq)
            picks = [sig.ch_names.index(c) for c in decoder.ch_names]
            commands_out = CommandOutlet(name)
            gate_out = _marker_outlet(f"{name}-gate", "Markers")
            classes = [str(c) for c in decoder.model.classes_]
            outputs_out = _marker_outlet(f"{name}-outputs", "DecoderOutput", len(classes) + 1, "float")
            names += [(commands_out.name, commands_out.source_id)]
            names += [(info.name(), info.source_id()) for info in (gate_out.get_info(), outputs_out.get_info())]
            if simulated_device:
                effector_dev = rig.start_effector(effector, commands_out.name, programs=programs,
                                                  max_amplitude_ma=limits.max_amplitude_ma)
            heart_id = simulated_heartbeat_source_id(f"{name}-heartbeat") if simulated_device else None
            heart = stack.enter_context(MarkerStream(f"{name}-heartbeat", source_id=heart_id))
            emg_col = sig.ch_names.index("EMG") if "EMG" in sig.ch_names and controller is not None else None
            loop = ClosedLoop(
                online, picks, SafetyGate(limits, pylsl.local_clock(), command_levels(programs)),
                intent_commands(effector, classes, programs, follow_intent=follow_intent), commands_out.push,
                mark=lambda text, t: gate_out.push_sample([text], t),
                record=safety_events.put if safety_events is not None else None,
                mark_output=lambda v, ok, t: outputs_out.push_sample([*map(float, v), float(ok)], t),
                controller=controller, emg_col=emg_col, sfreq=sig.sfreq, decoder_version=decoder_version,
                clock=pylsl.local_clock)
        recorder = Recorder(names, recordings, entities=entities or RunEntities(subject="demo", task="loop"),
                            monitors=[sig])
        with ordinary_priority():  # LabRecorder's process and the record writer's thread: not real-time
            recorder.start()
            if safety_events is not None:
                safety_events.start()
        if control is not None:
            control.running = True
        # The paradigm starts once everything records (LabRecorder takes seconds to start on a loaded machine).
        offset = pylsl.local_clock() - t0 + lead_in_s
        runner.start(offset_s=offset)
        if participant is not None:
            for f in faults:
                if f.kind == "stall":
                    rig.inject_stall(offset + f.at_s, f.for_s)
                elif f.kind == "nan":
                    rig.inject_nan(offset + f.at_s, f.for_s)
        reader = sig.reader()
        if loop is not None:
            # The decoder's outputs on the amplifier's chunk ends, learnt from the pulls of the seconds the
            # stream has been open (the recorder's start): a decision then waits for no sample it does not use.
            step = int(decoder.step)
            history, first = reader.arrivals_before(int(PHASE_HISTORY_S * sig.sfreq))
            phase = chunk_end_phase(history, first, step)
            loop.align_decoder(samples_to_align(phase, step, reader.position, online.n_samples_seen))
        if loop is not None:
            loop.log.rt_priority, loop.log.cpu_latency_us = got_priority.level, got_cpu_latency.level
        result = LiveRun(None, runner, t0, loop.log if loop else None, effector_dev, warm_s=warm_s,
                         priority=str(got_priority), cpu_latency=str(got_cpu_latency))
        # A full garbage collection walks every object of the process (numpy, MNE, plotly, ...) while
        # holding the interpreter: measured, it starved the signal thread past the watchdog's 80 ms
        # when every gate decision was being saved. Frozen objects are not walked; unfrozen after.
        gc.freeze()
        counter, n_events, injected, shown = CounterBreaks(), 0, set(), None
        counter_col = sig.ch_names.index("COUNTER") if "COUNTER" in sig.ch_names else None
        end = runner.end_s
        try:
            fmt = "{l_bar}{bar}| {n:.0f}/{total:.0f} s {postfix}"
            with tqdm(total=round(end), unit="s", desc="closed loop" if closed else "calibration",
                      bar_format=fmt, disable=not progress, mininterval=1.0) as bar:
                while True:
                    now = pylsl.local_clock()
                    t_rel = now - t0
                    if runner.state in ("finished", "aborted"):
                        break
                    for onset, label in runner.update(t_rel):
                        if cue_outlet is not None:
                            cue_outlet.push_sample([label], t0 + onset)
                    for i, f in enumerate(faults):
                        if f.kind == "heartbeat" and i not in injected and t_rel >= offset + f.at_s:
                            injected.add(i)
                            effector_dev.silence_heartbeat(f.for_s)
                        elif f.kind == "freeze" and i not in injected and t_rel >= offset + f.at_s:
                            injected.add(i)
                            time.sleep(f.for_s)  # on purpose: the loop reads nothing meanwhile
                    for action in control.take() if control is not None else ():
                        _apply_request(action, runner, loop, t_rel, pylsl.local_clock())
                    data, ts, arrivals, n_lost = reader.read_lossy()
                    if n_lost:
                        # Fell behind (a stall of this process, a slow disk, a compile): a gap, not a crash.
                        # The stream records it as a gap event; the gate goes safe through signal_gap and
                        # the decoder waits for a full window of fresh data (mark_gap).
                        result.samples_lost += n_lost
                        if loop is not None:
                            loop.log.samples_lost += n_lost
                            loop.align_decoder(-n_lost)  # the outputs back on the chunk ends
                        sig.note_overrun(n_lost, "the closed loop" if closed else "the recording loop")
                        counter.restart()  # the counter check must not count the overrun twice
                    if loop is not None:
                        events = sig.events[n_events:]
                        n_events += len(events)
                        beats = [m.timestamp for m in heart.read_new()]
                        loop.step(now, data, ts, events=events, heartbeats=beats, arrivals=arrivals)
                    # After the step: the check is the record's, not the command's (22-25 us p50 a chunk,
                    # measured, that the workbench's share of every command's latency paid when it came first).
                    if len(data) and counter_col is not None:
                        counter.add(data[:, counter_col])
                    cue = runner.cue_state(t_rel)
                    label = cue.label
                    if control is not None:
                        control.update(cue, loop)
                    if label != shown:
                        shown = label
                        bar.set_postfix_str(label, refresh=False)
                    if min(int(t_rel), bar.total) > bar.n:
                        bar.update(min(int(t_rel), bar.total) - bar.n)
                    # Wake when samples arrive or after 4 ms, so the gate's watchdog, cues and heartbeats
                    # still run when nothing arrives. The loop pulls itself: liblsl wakes this thread, not
                    # the inlet's thread and then this one (measured: benchmarks/results/closed_loop.md).
                    sig.pull_here(0.004)
        except KeyboardInterrupt:
            result.stopped_by_operator = True
            runner.abort(pylsl.local_clock() - t0)
            if loop is not None:
                loop.operator_stop(pylsl.local_clock())
            if progress:
                print("operator stop: effector off, closing the recording ...")
        finally:
            gc.unfreeze()
            if loop is not None and not loop.gate.safe:
                loop.end_of_run(pylsl.local_clock())  # the run ends with every output off (amplitudes too)
            if control is not None:
                control.update(control.cue, loop)  # the panel shows the gate safe and the effector off, as they are
            # The rest is bookkeeping (the file's checksum, the last records: hundreds of ms of work), not
            # real-time: at ordinary priority it does not hold a core from every ordinary task meanwhile.
            with ordinary_priority():
                if loop is not None:
                    time.sleep(0.5)  # LabRecorder pulls the last gate markers and the final "off" before it closes
                result.manifest = recorder.stop()
                if control is not None:
                    control.running = False
                if safety_events is not None:
                    safety_events.close()  # the final flush: every decision up to the last "off"
        result.n_samples = sig.n_samples_received
        result.lost_or_repeated = counter.result
        result.n_gaps = sum(e.kind == "gap" for e in sig.events)
        result.faults = list(faults)
    if rig is not None:
        result.rig_error = rig.error  # set by its stop, the stack's last exit
        result.amplifier_pushes = rig.pushes
    release_free_memory()  # the block's streams, buffers and threads are gone: return their pages between blocks
    return result


def _apply_request(action: str, runner, loop, t_rel: float, now: float) -> None:
    if action == "pause":
        runner.pause(t_rel)
    elif action == "resume":
        runner.resume(t_rel)
    elif action == "abort":
        runner.abort(t_rel)
        if loop is not None:
            loop.operator_stop(now)
    elif action == "stop" and loop is not None:
        loop.operator_stop(now)
    elif action == "release" and loop is not None:
        loop.operator_release(now)
