"""Closed-loop benchmark: the session path people run, beside a minimal loop and the bare LSL round trip.

Usage::

    .venv/bin/python benchmarks/closed_loop.py [--seconds 5] [--session-seconds 30] [--session-only]
        [--session-chunks-ms 1,4,10] [--json]

**Session path** (``run_block``, what ``workbench demo``, ``workbench session run`` and notebook 03 run):
the simulated participant (workbench/session/participant.py) at 256 ch / 2 kHz (COUNTER, 254 EEG, EMG)
streamed through the real Player in amplifier chunks of 1, 4 and 10 ms (``chunk_ms``) from the simulated
rig's process, the event-driven loop, a decoder (filter bank + band power + LDA) over all 254 EEG channels,
the safety gate, the simulated glove, LabRecorder recording the block to XDF and every gate decision saved as a
SafetyEvent (SafetyEventWriter, temporary SQLite store). The loop's own log gives, for every command pushed, the
newest sample's time stamp, its arrival at the inlet and the push (``LoopLog.shares``,
``results.latency_shares``): the amplifier's share (stamp -> arrival), the workbench's (arrival -> push)
and end to end (stamp -> push), all on the LSL clock of one machine. The gate pushes an intent command only
when the decoded intent changes; to time hundreds of commands in seconds the decoder reads two glove
intents 50 times a second and the gate's intent pacing (dwell, refractory period, rate) is opened; every
timing rule (signal, heartbeat, latency watchdogs) is as in a session. Goals printed beside the figures:
workbench share p99 <= 1 ms (Falcon, a C++ framework, reports < 0.5 ms), end to end p99 <= chunk + 2 ms.

Which path each key times:

- ``session_latency_p99_ms_256ch``, ``workbench_share_p99_ms_256ch``, and ``latency_p50_ms_256ch``,
  ``latency_p99_ms_256ch``, ``latency_max_ms_256ch``, ``n_commands_256ch``: the session path at 4 ms
  chunks, end to end (sample stamp -> command push); per chunk size
  ``session_{amplifier,workbench,end_to_end}_{p50,p99}_ms_{1,4,10}ms_256ch`` with the commands timed,
  decisions made and saved, samples lost (sample counter) and unforced safe states of each block;
  ``session_loop_priority_*``: the scheduling the loop's threads got (``utils/realtime.py``: ``SCHED_FIFO``
  where permitted, else why not), as the demo and ``workbench session run`` print it;
  ``session_amplifier_{own,lsl_delivery}_p99_ms_*``: the amplifier's share split where the rig's Player
  says its push returned (``results.amplifier_share_parts``): the simulated amplifier's own part (the
  sample's place in the 2 kHz grid and the push; the chunk is made half a period ahead, ``datasets/player.py``)
  and LSL's delivery (liblsl's threads in both processes, the loop's wake-up in its pull); None for the
  external amplifier, which does not say.
- ``session_*_ms_{1,4,10}ms_256ch_external_amp``: the same blocks with the simulated participant's Player
  in a process of its own and ``run_block(stream=NAME)``, as ``workbench session run --stream`` meets a
  real amplifier (its SDK or LSL app is never in the workbench's process), the glove in the rig. The keys
  above run as ``--simulated`` and the demo do: participant and glove together in the simulated rig's
  process (workbench/session/rig.py), following the session's cues; before 2026-11-26 they were threads of
  the session's own process and shared its interpreter.
- ``minimal_loop_latency_*_256ch`` and ``latency_*_64ch``: the **minimal loop**, three processes on
  loopback LSL so that no stage pays for another's GIL: an amplifier pushing 1 ms chunks stamped with
  their push time, this process's own loop (``Stream`` without dejittering, the online decoder, the
  adaptive controller and the gate, one step per millisecond, a command per step) and an effector process
  measuring ``local_clock() - stamp`` at arrival: push at the amplifier to arrival at the effector.
- ``lsl_roundtrip_p99_ms`` (256 ch) and ``lsl_roundtrip_*_{64,256}ch``: the **bare LSL round trip** in the
  same run and topology: the amplifier's chunks relayed by a bare pylsl process (pull, push at once) to the
  same kind of receiver. Minimal loop minus bare round trip is what the workbench's loop costs.
- ``latency_*_256ch_recording_events``, ``safety_events_*``, ``latency_p99_ratio_recording_events``: the
  minimal 256 ch loop once more with every gate decision saved by the writer thread (SQLite, one
  transaction a second), against the same loop without.
- ``fault_time_to_safe_ms_*`` (max over ``signal_gap``, ``nan_burst``, ``heartbeat_lost``): the
  **watchdog** in a live 64 ch minimal loop: a signal gap (the amplifier stops 0.3 s), a NaN burst and a
  lost effector heartbeat (0.3 s) injected, time from the fault (the last sample or heartbeat before it,
  or the first NaN sample) to the gate's safe state on the LSL clock.
- ``commands_over_limit``, ``fuzzed_commands``: a **fuzzed run** of the gate alone, 200,000 random events
  (outputs, amplitudes, faults, stops, arbitrary timings), commands over any limit counted.
- ``unforced_safe_states_*``: safe states with no fault injected (real silences on this machine), by rule.
- ``session_machine_{wakeup_p99_ms,stall_max_ms,steal_percent}_*`` and ``machine_wakeup_p99_ms_256ch``
  (4 ms chunks): **the machine's own tail** during each session block (``benchmarks/machine_latency.py``:
  one pinned probe per CPU sleeping 1 ms, as ``cyclictest``), the floor under any latency measured here;
  ``session_machine_stall_overlap_{tail,all}_*``: how often a probe's stall (woke over 2 ms late) overlaps
  a command's workbench share, among the slowest 1 % and among all (chance);
  ``session_unforced_safe_states_in_machine_stalls_*``: unforced safe states whose silence overlaps a stall
  of 20 ms or more.

Nothing is asserted: this script reports (the goals are printed with pass/FAIL, to stderr with --json).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine_latency import MachineLatency, cpu_latency_arg  # noqa: E402
from workbench.acquisition.lsl_config import use_loopback  # noqa: E402
from workbench.utils.realtime import LIVE_CPU_LATENCY_US  # noqa: E402

use_loopback(force=True)

import numpy as np  # noqa: E402
import pylsl  # noqa: E402

CONFIGS = {"64ch": (64, 1000.0), "256ch": (256, 2000.0)}


# ------------------------------------------------------------------ processes
def amplifier(name, n_ch, sfreq, seconds, stall_at, nan_at, ready, go=None):
    """Push 1 ms chunks stamped with their push time; optional silence (stall) and NaN burst (s after ``go``)."""
    use_loopback(force=True)
    info = pylsl.StreamInfo(name, "EEG", n_ch, sfreq, pylsl.cf_float32, f"{name}-src")
    outlet = pylsl.StreamOutlet(info, chunk_size=0)
    rng = np.random.default_rng(0)
    block = rng.standard_normal((int(sfreq), n_ch)).astype(np.float32) * 10
    ready.set()
    t0 = pylsl.local_clock()
    sent, stalled, t_go = 0, False, None
    while (now := pylsl.local_clock()) - t0 < seconds:
        if t_go is None and go is not None and go.is_set():
            t_go = now
        since_go = -1.0 if t_go is None else now - t_go
        if stall_at is not None and not stalled and since_go >= stall_at:
            stalled = True
            time.sleep(0.3)
            t0 += 0.3  # the silence is lost time, not a backlog: the stream resumes at its rate
            sent = int((pylsl.local_clock() - t0) * sfreq)
            continue
        due = int((now - t0) * sfreq)
        if due > sent:
            idx = np.arange(sent, due) % len(block)
            chunk = block[idx].copy()
            if nan_at is not None and nan_at <= since_go < nan_at + 0.2:
                chunk[:, 1:] = np.nan
            outlet.push_chunk(chunk, now)
            sent = due
        time.sleep(0.0005)


def receiver(command_stream, seconds, queue, heartbeat_name, silence_at, go=None, stop=None):
    """The effector: arrival time minus the command's source stamp; heartbeat every 10 ms (except a silence)."""
    use_loopback(force=True)
    found = pylsl.resolve_byprop("name", command_stream, 1, 10.0)
    inlet = pylsl.StreamInlet(found[0], processing_flags=pylsl.proc_clocksync)
    inlet.open_stream(5.0)
    # A clock-synced inlet holds its first samples until the first offset estimate: get it now.
    inlet.time_correction(5.0)
    beat = None
    if heartbeat_name:
        beat = pylsl.StreamOutlet(pylsl.StreamInfo(heartbeat_name, "Heartbeat", 1, pylsl.IRREGULAR_RATE,
                                                   pylsl.cf_string, f"{heartbeat_name}-src"))
    lat, t_start, next_beat, beats, t_go = [], pylsl.local_clock(), 0.0, [], None
    while (now := pylsl.local_clock()) - t_start < seconds and not (stop is not None and stop.is_set()):
        samples, _ = inlet.pull_chunk(timeout=0.0)
        now = pylsl.local_clock()
        if t_go is None and (go is None or go.is_set()):
            t_go = now
        for (text,) in samples or ():
            src = float(text.split("src=")[1]) if "src=" in text else float(text.split(";")[0])
            lat.append((now, now - src))
        since_go = -1.0 if t_go is None else now - t_go
        if beat is not None and now >= next_beat:
            if not (silence_at is not None and silence_at <= since_go < silence_at + 0.3):
                beat.push_sample(["ok"], now)
                beats.append(now)
            next_beat = now + 0.01
        time.sleep(0.0002)
    queue.put((lat, beats))


def relay(name, out_name, seconds):
    """Bare pylsl: pull the amplifier's chunks and push each newest stamp on at once."""
    use_loopback(force=True)
    found = pylsl.resolve_byprop("name", name, 1, 10.0)
    inlet = pylsl.StreamInlet(found[0], processing_flags=pylsl.proc_clocksync)
    inlet.open_stream(5.0)
    inlet.time_correction(5.0)
    outlet = pylsl.StreamOutlet(pylsl.StreamInfo(out_name, "Commands", 1, pylsl.IRREGULAR_RATE, pylsl.cf_string,
                                                 f"{out_name}-src"))
    t_start = pylsl.local_clock()
    while pylsl.local_clock() - t_start < seconds:
        data, ts = inlet.pull_chunk(timeout=0.0)
        if ts:
            outlet.push_sample([f"{ts[-1]:.6f}"])
        time.sleep(0.0005)


# ---------------------------------------------------------------------- loop
def bench_decoder(names, sfreq, classes=("rest", "grasp"), outputs_per_s=10, window_s=0.5):
    """Filter bank (mu, beta) + log band power + LDA over ``names``, fitted on noise.

    ``window_s``: the band-power window; as long as the step, consecutive outputs share no sample, so the
    decoded intent of noise changes at about every other output (a 0.5 s window overlapping 96 % keeps it
    for tens of outputs).
    """
    from sklearn.pipeline import make_pipeline

    from workbench.decoding import LDA, BandPower, Decoder, FilterBank

    rng = np.random.default_rng(1)
    x = rng.standard_normal((int(4 * sfreq), len(names)))
    window, step = int(sfreq * window_s), int(sfreq / outputs_per_s)
    ends = np.arange(window - 1, len(x), step)
    y = np.asarray(classes)[np.arange(len(ends)) % len(classes)]
    return Decoder([FilterBank(((8.0, 12.0), (18.0, 26.0)), sfreq=sfreq)], make_pipeline(BandPower(log=True), LDA()),
                   sfreq=sfreq, ch_names=names, window=window, step=step).fit([x], [ends], y)


def run_loop(name, n_ch, sfreq, seconds, *, stall_at=None, nan_at=None, silence_at=None, writer=None):
    """One live loop; returns (arrival latencies s, loop log, fault marks).

    ``writer``: a SafetyEventWriter recording every gate decision from its own thread, as a live run does.
    """
    from workbench.acquisition import MarkerStream, Stream
    from workbench.session.adaptive import AdaptiveController, ControllerSpec
    from workbench.session.closed_loop import ClosedLoop
    from workbench.session.effectors import CommandOutlet
    from workbench.session.gate import GateLimits, SafetyGate

    ctx = multiprocessing.get_context("spawn")
    ready, go, stop, queue = ctx.Event(), ctx.Event(), ctx.Event(), ctx.Queue()
    amp = ctx.Process(target=amplifier, args=(name, n_ch, sfreq, seconds + 30, stall_at, nan_at, ready, go))
    amp.start()
    ready.wait(20)
    commands = CommandOutlet(name)
    heart_name = f"{name}-heartbeat"
    rx = ctx.Process(target=receiver, args=(commands.name, seconds + 30, queue, heart_name, silence_at, go, stop))
    rx.start()
    with Stream(name, dejitter=False, bufsize=5.0) as sig, MarkerStream(heart_name) as heart:
        names = sig.ch_names
        decoder = bench_decoder(names, sfreq)
        loop = ClosedLoop(decoder.online(), np.arange(n_ch), SafetyGate(GateLimits(), pylsl.local_clock()),
                          {"rest": None, "grasp": None}, commands.push,
                          record=writer.put if writer is not None else None,
                          controller=AdaptiveController(ControllerSpec(max_step_ma_per_s=1000.0)), emg_col=0,
                          sfreq=sfreq, control_period_s=0.0)
        decoder.online().update(np.zeros((decoder.window, n_ch)))  # compiled kernels loaded before timing
        while not heart.read_new():  # the effector is up and its heartbeat arrives
            time.sleep(0.01)
        reader, n_events, first_nan = sig.reader(), 0, None
        if writer is not None:
            writer.start()
        gc.freeze()  # as run_block does: no full collection walks the objects made before the block
        t_start = pylsl.local_clock()
        go.set()
        while (now := pylsl.local_clock()) - t_start < seconds:
            data, ts = reader.read()
            events = sig.events[n_events:]
            n_events += len(events)
            if first_nan is None and len(data) and np.isnan(data).any():
                first_nan = float(ts[np.flatnonzero(np.isnan(data).any(axis=1))[0]])
            loop.step(now, data, ts, events=events, heartbeats=[m.timestamp for m in heart.read_new()])
            time.sleep(0.001)
    gc.unfreeze()
    if writer is not None:
        writer.close()  # the final flush, as at the end of a run
    stop.set()  # the loop decides how long a measurement lasts
    lat, beats = queue.get(timeout=60)
    rx.join(10)
    amp.terminate()
    amp.join(10)
    # from 0.5 s after the start: connections and the decoder's first window settle first
    loop.log.first_nan_stamp = first_nan
    loop.log.t_start = t_start
    return np.asarray([x for t, x in lat if t >= t_start + 0.5]), loop.log, beats


def bare_roundtrip(n_ch, sfreq, seconds):
    ctx = multiprocessing.get_context("spawn")
    name = f"bench-bare-{n_ch}-{int(time.time() * 1000) % 100000}"
    ready, queue = ctx.Event(), ctx.Queue()
    amp = ctx.Process(target=amplifier, args=(name, n_ch, sfreq, seconds + 3, None, None, ready))
    amp.start()
    ready.wait(20)
    rel = ctx.Process(target=relay, args=(name, f"{name}-relay", seconds + 2))
    rel.start()
    rx = ctx.Process(target=receiver, args=(f"{name}-relay", seconds, queue, None, None))
    rx.start()
    lat, _ = queue.get(timeout=60)
    for p in (rx, rel, amp):
        p.join(10)
    first = lat[0][0] if lat else 0.0
    return np.asarray([x for t, x in lat if t >= first + 0.5])


def pcts(lat_s):
    lat = np.asarray(lat_s) * 1e3
    if not len(lat):
        return dict(n=0, p50=None, p99=None, max=None)
    return dict(n=int(len(lat)), p50=float(np.percentile(lat, 50)), p99=float(np.percentile(lat, 99)),
                max=float(lat.max()))


def unforced_safe_decisions(log) -> list:
    """Safe states in a run without injected faults (after the gate first armed): real silences."""
    from workbench.session.gate import DECIDED

    armed = next((d.t for d in log.decisions if d.decision == "resumed"), None)
    # run_block ends every block with every output off (end_of_run): not a silence
    return [d for d in log.decisions if armed is not None and d.t > armed and d.decision == "safe_state"
            and d.rule not in DECIDED]


def unforced_safe_states(log) -> dict:
    """:func:`unforced_safe_decisions` counted by rule."""
    out: dict = {}
    for d in unforced_safe_decisions(log):
        out[d.rule] = out.get(d.rule, 0) + 1
    return out


def stall_overlap(machine, log) -> dict:
    """Shares of the commands timed whose workbench share (arrival -> push) overlaps a stall of the machine
    (a probe woke more than 2 ms late).

    ``tail``: among the slowest 1 % (at or above the p99); ``all``: among every command timed, the chance
    level. A tail that overlaps stalls far more often than chance is the machine's, not the code's.
    """
    rows = [(t_a, t_d) for _, t_a, t_d in log.shares if math.isfinite(t_a) and math.isfinite(t_d)]
    if not rows:
        return {"tail": None, "all": None}
    p99 = float(np.percentile([t_d - t_a for t_a, t_d in rows], 99))
    tail = [(t_a, t_d) for t_a, t_d in rows if t_d - t_a >= p99]

    def share(part):
        return sum(bool(machine.stalls_between(t_a, t_d)) for t_a, t_d in part) / len(part)

    return {"tail": share(tail), "all": share(rows)}


def records_writer(workspace):
    """A SafetyEventWriter on a fresh SQLite demo study (session and run saved first, as a live run does)."""
    from datetime import datetime, timezone

    from workbench.records import Session
    from workbench.records.demo import open_demo_store
    from workbench.session.results import start_run
    from workbench.session.safety_log import SafetyEventWriter

    store = open_demo_store(workspace, role="engineer")
    session, = store.add(Session(participant_id="SCI-001", started_at=datetime.now(timezone.utc), device="bench",
                                 montage="bench", operator=store.user.name))
    run = start_run(store, session_id=session.id, number=1, task="bench")
    return store, SafetyEventWriter(store, session_id=session.id, run_id=run.id)


# -------------------------------------------------------------- session path
SESSION_CHUNKS_MS = (1.0, 4.0, 10.0)
SESSION_CLASSES = ("rest", "grasp", "open")


def _session_limits():
    from workbench.session.gate import GateLimits

    # Every timing limit (signal, heartbeat, latency, ramp) as a session has it; only the pacing of intent
    # commands is opened, so that a few seconds give hundreds of timed commands.
    return GateLimits(threshold=0.5, dwell_s=0.0, refractory_s=0.0, max_rate_per_s=1000.0)


def session_participant(n_ch=256, sfreq=2000.0, seed=3):
    """The simulated participant at ``n_ch`` channels in all.

    They are COUNTER, the 8 sensorimotor EEG channels, extra EEG, EMG.
    """
    from workbench.session.participant import EEG_CHANNELS, CueTimeline, SimulatedParticipant

    return SimulatedParticipant(CueTimeline(), sfreq=sfreq, n_extra=n_ch - len(EEG_CHANNELS) - 2, seed=seed)


def session_block(recordings, chunk_ms, seconds, writer, *, n_ch=256, sfreq=2000.0, tag="bench",
                  cpu_latency_us=LIVE_CPU_LATENCY_US):
    """One closed-loop ``run_block`` as ``workbench session run --simulated`` runs it; returns (LiveRun, shares).

    The participant streams through the real Player in ``chunk_ms`` amplifier chunks, LabRecorder records
    the block, the glove is the simulated effector and ``writer`` saves every gate decision. The decoder
    (filter bank + band power + LDA) reads every EEG channel of the stream: the heaviest case.
    """
    from workbench.recording.runs import RunEntities
    from workbench.session.live import run_block
    from workbench.session.paradigm import ParadigmSpec
    from workbench.session.results import latency_shares

    participant = session_participant(n_ch, sfreq)
    names = [c for c in participant.ch_names if c not in ("COUNTER", "EMG")]
    # Two glove intents decoded 50 times a second from noise: the intent changes at about every other
    # output, and the gate's dwell, refractory period and rate limit are opened (SESSION_LIMITS) so that
    # each change is pushed: ~25 commands a second through the same code, instead of 2 at most.
    decoder = bench_decoder(names, sfreq, ("grasp", "open"), outputs_per_s=50, window_s=0.02)
    # cue 1 s + rest 0.5 s per trial, three classes a repetition
    spec = ParadigmSpec(SESSION_CLASSES, cue_s=1.0, rest_s=0.5, repetitions=max(1, round(seconds / 4.5)), seed=0,
                        jitter_s=0.0)
    live = run_block(recordings, spec, participant=participant, decoder=decoder, effector="glove",
                     chunk_ms=chunk_ms, progress=False, safety_events=writer, lead_in_s=1.0, limits=_session_limits(),
                     cpu_latency_us=cpu_latency_us,
                     name=f"{tag}-{int(chunk_ms)}ms-{int(time.time() * 1000) % 100000}",
                     entities=RunEntities(subject="bench", task=f"chunk{int(chunk_ms)}ms"))
    return live, latency_shares(live.log, commands_only=True)  # the keys' meaning: sample -> command push


def participant_amplifier(name, chunk_ms, seconds, ready, n_ch=256, sfreq=2000.0):
    """The simulated participant streamed by the real Player from a process of its own, as an amplifier is."""
    use_loopback(force=True)
    from workbench.datasets import Player
    from workbench.utils.memory import settle_heap

    settle_heap()  # as the rig and `workbench simulate` do: no full garbage collection stops the stream
    with Player(session_participant(n_ch, sfreq), name=name, chunk_ms=chunk_ms, duration=seconds):
        ready.set()
        time.sleep(seconds)


def session_block_external(recordings, chunk_ms, seconds, writer, *, n_ch=256, sfreq=2000.0, tag="bench-amp",
                           cpu_latency_us=LIVE_CPU_LATENCY_US):
    """``run_block`` against an amplifier in another process (``workbench session run --stream NAME``).

    The same participant, Player, decoder, gate, glove, recorder and writer as :func:`session_block`; only
    the amplifier is outside the workbench's process, as a real one is (its SDK or LSL app), so it does not
    share this process's interpreter or its threads. The participant there does not see the cues: timing
    only, which the decoder's outputs do not depend on.
    """
    from workbench.recording.runs import RunEntities
    from workbench.session.live import run_block
    from workbench.session.paradigm import ParadigmSpec
    from workbench.session.results import latency_shares

    participant = session_participant(n_ch, sfreq)  # here only for its channel names
    names = [c for c in participant.ch_names if c not in ("COUNTER", "EMG")]
    decoder = bench_decoder(names, sfreq, ("grasp", "open"), outputs_per_s=50, window_s=0.02)
    spec = ParadigmSpec(SESSION_CLASSES, cue_s=1.0, rest_s=0.5, repetitions=max(1, round(seconds / 4.5)), seed=0,
                        jitter_s=0.0)
    name = f"{tag}-{int(chunk_ms)}ms-{int(time.time() * 1000) % 100000}"
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    amp = ctx.Process(target=participant_amplifier, args=(name, chunk_ms, seconds + 60, ready, n_ch, sfreq))
    amp.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("the amplifier process did not start")
        live = run_block(recordings, spec, stream=name, decoder=decoder, effector="glove", chunk_ms=chunk_ms,
                         progress=False, safety_events=writer, lead_in_s=1.0, limits=_session_limits(),
                         simulate_effector=True, name=f"{name}-loop", cpu_latency_us=cpu_latency_us,
                         entities=RunEntities(subject="bench", task=f"amp{int(chunk_ms)}ms"))
    finally:
        amp.terminate()
        amp.join(10)
    return live, latency_shares(live.log, commands_only=True)


def amplifier_split(live, sfreq, suffix) -> dict:
    """The amplifier's share of the commands' latency split at the simulated amplifier's push (the rig's
    ``LiveRun.amplifier_pushes``; None with the amplifier outside the rig): its own part, LSL's delivery."""
    from workbench.session.results import amplifier_share_parts

    rows = np.asarray(live.log.shares, dtype=float).reshape(-1, 3)
    own, delivery = amplifier_share_parts(rows[:, 0], rows[:, 1], live.amplifier_pushes, sfreq)
    return {f"session_amplifier_{part}_p99_ms_{suffix}": None if np.isnan(v).all()
            else float(np.nanpercentile(v, 99)) for part, v in (("own", own), ("lsl_delivery", delivery))}


def session_path(seconds, cpu_latency_us=LIVE_CPU_LATENCY_US, chunks_ms=SESSION_CHUNKS_MS):
    """``run_block`` at 256 ch / 2 kHz for 1, 4 and 10 ms amplifier chunks, every decision saved (SQLite)."""
    out = {}
    # In this process (the Player of --simulated and the demo), then with the amplifier in its own.
    runs = [(session_block, "", "chunk", "rec"), (session_block_external, "_external_amp", "amp", "amprec")]
    with tempfile.TemporaryDirectory(prefix="wb-bench-session-") as tmp:
        for block, suffix, db, rec in runs:
            for chunk_ms in chunks_ms:
                store, writer = records_writer(Path(tmp) / f"{db}{int(chunk_ms)}")
                try:
                    with MachineLatency() as machine:  # the tail this machine itself imposes, meanwhile
                        live, sh = block(Path(tmp) / f"{rec}{int(chunk_ms)}", chunk_ms, seconds, writer,
                                         cpu_latency_us=cpu_latency_us)
                finally:
                    store.close()
                k = f"{int(chunk_ms)}ms_256ch{suffix}"
                m = machine.summary()
                out.update({f"session_machine_{name}_{k}": m[name]
                            for name in ("wakeup_p99_ms", "stall_max_ms", "steal_percent")})
                out[f"session_unforced_safe_states_in_machine_stalls_{k}"] = sum(
                    bool(machine.stalls_in_silence(d)) for d in unforced_safe_decisions(live.log))
                out.update({f"session_machine_stall_overlap_{part}_{k}": v
                            for part, v in stall_overlap(machine, live.log).items()})
                out.update({f"session_{name}_{k}": v for name, v in sh.items()})
                out.update(amplifier_split(live, sfreq=2000.0, suffix=k))
                out[f"session_commands_{k}"] = len(live.log.shares)
                out[f"session_decisions_{k}"] = len(live.log.decisions)
                out[f"session_decisions_saved_{k}"] = writer.n_written
                out[f"session_samples_lost_{k}"] = live.samples_lost + (live.lost_or_repeated or 0)
                out[f"session_recording_{k}"] = live.manifest.status
                out[f"session_unforced_safe_states_{k}"] = unforced_safe_states(live.log)
                out[f"session_goal_end_to_end_p99_ms_{k}"] = chunk_ms + 2.0
                out[f"session_loop_priority_{k}"] = live.priority
                out[f"session_cpu_latency_{k}"] = live.cpu_latency
    return out


# ------------------------------------------------------------------- faults
def fault_times(seconds):
    """Time to safe (ms) for each injected fault, on the LSL clock of a live 64 ch loop."""
    name = f"bench-faults-{int(time.time() * 1000) % 100000}"
    stall_at, nan_at, silence_at = 2.0, 4.0, 6.0
    lat, log, _ = run_loop(name, 64, 1000.0, max(seconds, 8.0), stall_at=stall_at, nan_at=nan_at,
                           silence_at=silence_at)
    out = {}
    for rule, key in (("signal_lost", "signal_gap"), ("nonfinite_input", "nan_burst"),
                      ("heartbeat_lost", "heartbeat_lost")):
        safe = [d for d in log.decisions if d.decision == "safe_state" and d.rule == rule]
        if key == "nan_burst" and safe and log.first_nan_stamp is not None:
            # from the push of the first NaN sample (its stamp) to the gate's safe state
            out[key] = max(0.0, (safe[0].t - log.first_nan_stamp) * 1e3)
        else:
            out[key] = safe[0].time_to_safe_s * 1e3 if safe else None
    return out


# -------------------------------------------------------------------- fuzz
def fuzz(n_events=200_000, seed=0):
    """Random outputs, faults and stops at random times to a programs gate and an adaptive one; count commands over
    any limit.

    Returns (commands over a limit, commands sent) summed over both gates.
    """
    over_p, n_p = fuzz_gate("programs", n_events // 2, seed)
    over_a, n_a = fuzz_gate("adaptive", n_events - n_events // 2, seed + 1)
    return over_p + over_a, n_p + n_a


def fuzz_gate(mode, n_events, seed):
    """One gate: ``programs`` (decoded intents switch ramped programs) or ``adaptive`` (amplitude requests)."""
    from workbench.session.gate import GateLimits, SafetyGate

    lim = GateLimits()
    rng = np.random.default_rng(seed)
    t = 0.0
    levels = {"program:walk": 6.0, "program:stand": 2.5, "program:step": 4.0}  # switches are ramped
    gate = SafetyGate(lim, t, levels)
    over, passed, amp, amp_t, n_sent = 0, [], 0.0, 0.0, 0
    commands = ["program:walk", "program:stand", "program:step", None]
    command = commands[0]
    for _ in range(n_events):
        t += float(rng.uniform(0, lim.tick_s))
        r = rng.random()
        out = []
        if rng.random() < 0.97:
            out += gate.signal(t)
        if rng.random() < 0.97:
            out += gate.heartbeat(t)
        if r < 0.9 and mode == "programs":
            # Intents persist (a decoder's do), so commands get past the dwell and programs really switch.
            if rng.random() < 0.02:
                command = commands[rng.integers(4)]
            # Faults rare enough that the gate spends time armed (a fault each ~0.1 s would keep it safe).
            p = float(rng.uniform(0.62, 1.0) if rng.random() > 0.02 else rng.random()) \
                if rng.random() > 0.002 else math.nan
            out += gate.propose(t, "x", p, command, valid=rng.random() > 0.002,
                                latency_s=float(rng.exponential(0.01)))
        elif r < 0.9:  # adaptive
            out += gate.request_amplitude(t, float(rng.uniform(-2, 20)), latency_s=float(rng.exponential(0.02)))
        elif r < 0.905:
            out += gate.fault(t, "signal_gap")
        elif r < 0.906:
            out += gate.operator_stop(t)
        elif r < 0.908:
            out += gate.operator_resume(t)
        else:
            out += gate.tick(t)
        for d in out:
            if d.decision == "safe_state":  # the one change allowed to be immediate
                amp, amp_t = 0.0, t
                continue
            if d.wire() is None:
                continue
            n_sent += 1
            if d.amplitude_ma is not None:
                ceiling = levels.get(d.via or d.command, lim.max_amplitude_ma)
                if not 0 <= d.amplitude_ma <= min(ceiling, lim.max_amplitude_ma) + 1e-9 \
                        or abs(d.amplitude_ma - amp) > lim.max_ramp_ma_per_s * (t - amp_t) + 1e-9:
                    over += 1
                amp, amp_t = d.amplitude_ma, t
            if d.decision == "passed" and d.rule == "all_limits" and d.command != "amplitude":
                if passed and t - passed[-1] < lim.refractory_s - 1e-9:
                    over += 1
                if sum(1 for x in passed[-10:] if x > t - 1.0) + 1 > lim.max_rate_per_s:
                    over += 1
                passed.append(t)
    return over, n_sent


def session_chunks_arg(text: str) -> tuple:
    """``--session-chunks-ms``: a comma-separated subset of SESSION_CHUNKS_MS that includes 4."""
    allowed = ", ".join(f"{c:g}" for c in SESSION_CHUNKS_MS)
    try:
        chunks = tuple(sorted({float(part) for part in text.split(",")}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}; allowed: comma-separated sizes among {allowed}") from None
    if not set(chunks) <= set(SESSION_CHUNKS_MS) or 4.0 not in chunks:
        raise argparse.ArgumentTypeError(f"got {text!r}; allowed: sizes among {allowed}, 4 included (the headline "
                                         "keys are the 4 ms blocks')")
    return chunks


def goals(result) -> str:
    """The issue's goals beside the figures: workbench share p99 <= 1 ms, end to end p99 <= chunk + 2 ms."""
    lines = ["goals (session path, 256 ch / 2 kHz; 'amp': the amplifier in a process of its own):"]
    for chunk_ms, amp in [(c, a) for a in ("", "_external_amp") for c in SESSION_CHUNKS_MS]:
        k = f"{int(chunk_ms)}ms_256ch{amp}"
        if f"session_recording_{k}" not in result:  # a chunk size left out (--session-chunks-ms)
            continue
        wb, e2e = result.get(f"session_workbench_p99_ms_{k}"), result.get(f"session_end_to_end_p99_ms_{k}")
        for what, v, goal in (("workbench share p99", wb, 1.0), ("end to end p99", e2e, chunk_ms + 2.0)):
            verdict = "n/a" if v is None else ("pass" if v <= goal else "FAIL")
            shown = "n/a" if v is None else f"{v:.2f}"
            where = "amp" if amp else "   "
            lines.append(f"  {where} {int(chunk_ms):>2} ms chunks: {what:<20} {shown:>7} ms  goal <= {goal:g} ms  "
                         f"{verdict}")
        machine = result.get(f"session_machine_wakeup_p99_ms_{k}")
        if machine is not None:  # no software on this machine gets below its own wake-up tail
            tail, every = (result.get(f"session_machine_stall_overlap_{p}_{k}") for p in ("tail", "all"))
            overlap = "" if tail is None else (f"; a stall over 2 ms during {100 * tail:.0f} % of the slowest 1 % "
                                               f"of commands, {100 * every:.0f} % of all")
            lines.append(f"  {'amp' if amp else '   '} {int(chunk_ms):>2} ms chunks: the machine's own wake-up p99 "
                         f"{machine:.2f} ms, longest stall {result[f'session_machine_stall_max_ms_{k}']:.1f} ms, "
                         f"steal {result[f'session_machine_steal_percent_{k}'] or 0:.1f} %{overlap}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per latency run (default 5)")
    parser.add_argument("--session-seconds", type=float, default=30.0,
                        help="seconds per session-path block, per chunk size (default 30: the gate pushes a "
                             "command only when the intent changes, a few a second)")
    parser.add_argument("--session-only", action="store_true",
                        help="only the session path (run_block) and its keys, not the minimal loops, faults and fuzz")
    parser.add_argument("--cpu-latency-us", type=cpu_latency_arg, default=LIVE_CPU_LATENCY_US,
                        help="the CPUs' wake-up latency the session blocks hold (microseconds, e.g. 0: idle CPUs "
                             "poll; default 'none', as run_block: idle states as the system sets them)")
    parser.add_argument("--session-chunks-ms", type=session_chunks_arg, default=SESSION_CHUNKS_MS,
                        help="the amplifier chunk sizes of the session blocks, among 1,4,10 (default all three; "
                             "4 always: the headline keys are its)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = {}
    for key, (n_ch, sfreq) in () if args.session_only else CONFIGS.items():
        lat, log, _ = run_loop(f"bench-loop-{key}-{int(time.time() * 1000) % 100000}", n_ch, sfreq, args.seconds)
        bare = bare_roundtrip(n_ch, sfreq, args.seconds)
        s, b = pcts(lat), pcts(bare)
        # 256 ch: latency_*_256ch come from the session path below; this minimal loop keeps its own names.
        pre = "minimal_loop_" if key == "256ch" else ""
        result.update({f"{pre}latency_p50_ms_{key}": s["p50"], f"{pre}latency_p99_ms_{key}": s["p99"],
                       f"{pre}latency_max_ms_{key}": s["max"], f"{pre}n_commands_{key}": s["n"],
                       f"lsl_roundtrip_p50_ms_{key}": b["p50"], f"lsl_roundtrip_p99_ms_{key}": b["p99"],
                       f"lsl_roundtrip_max_ms_{key}": b["max"]})
        result[f"unforced_safe_states_{key}"] = unforced_safe_states(log)
    if not args.session_only:
        result["lsl_roundtrip_p99_ms"] = result["lsl_roundtrip_p99_ms_256ch"]
    # The session path people run: run_block, Player, LabRecorder, every decision saved.
    result.update(session_path(args.session_seconds, args.cpu_latency_us, args.session_chunks_ms))
    for name in ("p50", "p99", "max"):
        result[f"latency_{name}_ms_256ch"] = result[f"session_end_to_end_{name}_ms_4ms_256ch"]
    result["n_commands_256ch"] = result["session_commands_4ms_256ch"]
    result["session_latency_p99_ms_256ch"] = result["session_end_to_end_p99_ms_4ms_256ch"]
    result["workbench_share_p99_ms_256ch"] = result["session_workbench_p99_ms_4ms_256ch"]
    result["machine_wakeup_p99_ms_256ch"] = result["session_machine_wakeup_p99_ms_4ms_256ch"]
    result["goal_workbench_share_p99_ms"] = 1.0
    result["goal_session_latency_p99_ms_256ch"] = 4.0 + 2.0
    if args.session_only:
        return _report(result, args.json)
    # The same 256 ch loop with every gate decision recorded as a SafetyEvent by the writer thread.
    with tempfile.TemporaryDirectory(prefix="wb-bench-records-") as tmp:
        store, writer = records_writer(tmp)
        try:
            lat, log, _ = run_loop(f"bench-loop-rec-{int(time.time() * 1000) % 100000}", 256, 2000.0, args.seconds,
                                   writer=writer)
        finally:
            store.close()
    s = pcts(lat)
    minutes = (log.decisions[-1].t - log.decisions[0].t) / 60 if len(log.decisions) > 1 else math.nan
    result.update({"latency_p50_ms_256ch_recording_events": s["p50"],
                   "latency_p99_ms_256ch_recording_events": s["p99"],
                   "latency_max_ms_256ch_recording_events": s["max"],
                   "safety_events_saved_256ch": writer.n_written, "gate_decisions_256ch": len(log.decisions),
                   "safety_events_per_min_256ch": writer.n_written / minutes,
                   "safety_event_transactions_256ch": writer.n_transactions,
                   "unforced_safe_states_256ch_recording_events": unforced_safe_states(log)})
    if s["p99"] and result["minimal_loop_latency_p99_ms_256ch"]:  # what recording every decision costs the loop
        result["latency_p99_ratio_recording_events"] = s["p99"] / result["minimal_loop_latency_p99_ms_256ch"]
    faults = fault_times(args.seconds)
    result.update({f"fault_time_to_safe_ms_{k}": v for k, v in faults.items()})
    caught = [v for v in faults.values() if v is not None]
    result["faults_not_caught"] = sum(v is None for v in faults.values())
    result["fault_time_to_safe_ms_max"] = max(caught) if caught else None
    over, n = fuzz()
    result["commands_over_limit"] = over
    result["fuzzed_commands"] = n
    return _report(result, args.json)


def _report(result, as_json) -> int:
    if as_json:
        print(json.dumps(result))
    else:
        width = max(map(len, result))
        for k, v in result.items():
            print(f"{k:<{width}}  {v if not isinstance(v, float) else round(v, 3)}")
    print(goals(result), file=sys.stderr if as_json else sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
