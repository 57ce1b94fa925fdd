"""Soak: a closed-loop trial day at 256 ch / 2 kHz for ``--minutes``, as a site runs it for hours.

Usage::

    .venv/bin/python benchmarks/soak.py [--minutes 60] [--block-minutes 5] [--no-machine-probe] [--json]

What runs (every part the real one, only the participant and the glove simulated): a calibration run
(cued rest / grasp / open, LabRecorder XDF), a decoder trained from that file
(``session.training.train_from_recordings``, in a helper process as the trial day does), then closed-loop
blocks of ``--block-minutes`` with the simulated glove through ``run_block`` (the Player streams the
participant in 4 ms chunks: COUNTER, 254 EEG, EMG), each recorded by LabRecorder and each gate decision
saved as a SafetyEvent of its own Run (SQLite); between two blocks a supervised recalibration on the
calibration run and the block just recorded (``train_from_recordings`` again, in its helper process), the
next block running the new decoder, as a trial day does.
``--minutes`` is the cued time of the closed-loop blocks (whole blocks of whole repetitions, ``--minutes``
/ ``--block-minutes`` of them); calibration, recalibrations and each block's start come on top.

Keys:

- ``samples_lost``: samples the loop's reader lost to overruns plus breaks of the participant's sample
  counter channel (``COUNTER``) in what the loop read, over every block;
- ``false_safe_states``: safe states entered with no fault injected (none is), after the gate first
  armed, by any rule but the operator stop that ends each block (by rule in ``false_safe_states_by_rule``);
- ``decisions_saved_ratio``: SafetyEvents saved / gate decisions made, 1.0 when nothing is left in the
  writer's backlog at the end (``decisions_backlog``);
- ``rss_mb_first_min``, ``rss_mb_last_min``: this process's resident memory (median of one sample a
  second while blocks run) over the first and the last minute of closed loop;
- ``latency_p99_ms_windows``: end-to-end latency p99 of every decoder output (sample stamp -> the gate
  has decided and any command is pushed, on the LSL clock, ``LoopLog.output_shares``; ``outputs_timed``
  of them) per 5-minute window of closed loop, or per 1-minute window when ``--minutes`` < 10
  (``latency_window_s`` says which); ``workbench_share_p99_ms_windows`` the same for the workbench's
  share (chunk arrival -> decided); ``latency_p99_ms_windows_ci95``: each window's p99 with a 95 % bootstrap
  interval (a window's p99 rests on its slowest 1 %, ~30 outputs in 5 minutes), and
  ``latency_p99_extremes_apart``: whether the largest and smallest windows' intervals are apart (the tail
  moved) or overlap (the spread is within what the outputs can tell); ``latency_p99_machine_rho`` (and
  ``_p``): Spearman's rank correlation across blocks of each block's p99 with the machine's own wake-up p99
  in it (None under 3 blocks): near 1, the blocks' tail rose and fell with every process's on the machine;
- ``false_safe_states_in_machine_stalls``: those of the false safe states whose silence overlaps a stall
  of the machine itself of 20 ms or more (``benchmarks/machine_latency.py``: a probe per CPU, pinned,
  woke that late); ``machine_wakeup_p99_ms`` (the largest block's) and ``machine_stall_max_ms``: the tail any
  process on this machine met meanwhile; ``machine_probe``: whether that probe ran (``--no-machine-probe``:
  it wakes every CPU 1,000 times a second, a load beside the loop that a site's machine does not carry; off,
  only the host's steal time is read and the probe's figures are None);
- ``loop_priority``: the loop thread's scheduling in the blocks (``utils/realtime.py``: real-time where
  permitted, else why not); ``cpu_latency``: the CPUs' wake-up latency the blocks held (``--cpu-latency-us``);
- per block (``per_block``): decisions, commands, outputs timed, losses, the false safe states with the
  gate's detail, when in the block they came and the machine's stalls in them, the machine's wake-up p99,
  longest stall and steal time (``machine_*``), the block's own p99s (``latency_p99_ms``,
  ``workbench_share_p99_ms``, and the amplifier's share alone: ``amplifier_share_p50_ms``,
  ``amplifier_share_p99_ms``, split where the rig's Player says its push returned: ``amplifier_own_p99_ms``
  for the simulated amplifier itself, ``lsl_delivery_p99_ms`` for LSL and the loop's wake-up), and this
  process's resident memory at the start, peak and end of the block and of the recalibration after it
  (``rss_mb_*``, ``recalibration_rss_mb_*``), and the recalibration's helper process's own peak
  (``recalibration_helper_rss_mb_peak``); ``slowest_outputs``:
  the block's slowest 1 % (the 10 slowest with their time in the block, both shares and the amplifier's
  own part, how long a span they fall in, the amplifier's part of their latency and its own part of that),
  to tell a burst from a tail spread over the block, the amplifier's tail from the workbench's, and the
  simulated amplifier from LSL's delivery.

Goals, printed with pass/FAIL: 0 samples lost, 0 false safe states, memory flat within 5 % (last minute
against the first), p99 stable within 20 % across windows (largest over smallest, ``latency_p99_spread``;
a final window shorter than half the others is left out of the spread). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import threading
import time
from array import array
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine_latency import MachineLatency, cpu_latency_arg  # noqa: E402
from workbench.acquisition.lsl_config import use_loopback  # noqa: E402
from workbench.utils.realtime import LIVE_CPU_LATENCY_US  # noqa: E402

use_loopback(force=True)

import numpy as np  # noqa: E402
import pylsl  # noqa: E402

N_CH, SFREQ, CHUNK_MS = 256, 2000.0, 4.0
SLOWEST_KEPT = 10  # outputs of each block's slowest 1 % kept in the JSON (``slowest_outputs``)
CLASSES = ("rest", "grasp", "open")
CUE_S, REST_S = 3.0, 1.0


def rss_mb() -> float:
    """Resident memory of this process (MB), from /proc (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float | None:
    """The process's resident high-water mark (VmHWM, MB) since the last :func:`reset_peak_rss`."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None


def reset_peak_rss() -> bool:
    """Restart VmHWM from the present RSS (Linux >= 4.0: "5" to clear_refs), so each phase has its own peak."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class RssSampler:
    """One RSS sample a second while a block runs (the flatness goal), and each phase's start, peak and end.

    A phase is a closed-loop block or the recalibration after it. Its peak is the kernel's high-water mark
    when it can be reset per phase (exact), else the largest of the samples taken every 0.25 s.
    """

    def __init__(self) -> None:
        # (seconds of closed loop so far, MB) pairs, flat in a C array: an hour's samples as Python tuples
        # were 0.4 MB of the very growth the flatness goal measures.
        self._samples = array("d")
        self.loop_s = 0.0  # closed-loop seconds before the running block
        self._block_t0: float | None = None
        self._phase_start = self._phase_peak = 0.0
        self._exact_peak = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="soak-rss")

    def start(self):
        self._thread.start()
        return self

    def phase_started(self) -> None:
        self._exact_peak = reset_peak_rss()
        self._phase_start = self._phase_peak = rss_mb()

    def phase_ended(self) -> dict:
        """``rss_mb_start``, ``rss_mb_peak``, ``rss_mb_end`` of the phase."""
        end = rss_mb()
        hwm = peak_rss_mb() if self._exact_peak else None
        peak = max(self._phase_peak, end, hwm or 0.0)
        return dict(rss_mb_start=round(self._phase_start), rss_mb_peak=round(peak), rss_mb_end=round(end))

    def block_started(self) -> None:
        self.phase_started()
        self._block_t0 = time.monotonic()

    def block_ended(self) -> dict:
        if self._block_t0 is not None:
            self.loop_s += time.monotonic() - self._block_t0
        self._block_t0 = None
        return self.phase_ended()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        n = 0
        while not self._stop.wait(0.25):
            mb = rss_mb()
            self._phase_peak = max(self._phase_peak, mb)
            n += 1
            t0 = self._block_t0
            if t0 is not None and n % 4 == 0:
                self._samples.extend((self.loop_s + time.monotonic() - t0, mb))

    @property
    def samples(self) -> np.ndarray:
        """The samples so far, (n, 2): closed-loop seconds, MB."""
        return np.frombuffer(self._samples, dtype=float).reshape(-1, 2).copy()


def participant(seed):
    from workbench.session.participant import EEG_CHANNELS, CueTimeline, SimulatedParticipant

    return SimulatedParticipant(CueTimeline(), sfreq=SFREQ, n_extra=N_CH - len(EEG_CHANNELS) - 2, seed=seed)


def _by_window(shares_rows, t_first, window_s, col) -> list:
    """The values of column ``col`` (0: end to end, 1: workbench share) per window, None for an empty one."""
    rows = np.asarray(shares_rows, dtype=float).reshape(-1, 3)
    window = ((rows[:, 0] - t_first) // window_s).astype(int)
    n = int(window.max()) + 1 if len(rows) else 0
    return [v if len(v := rows[window == i, 1 + col]) else None for i in range(n)]


def window_p99(shares_rows, t_first, window_s, col):
    """p99 (ms) per window of closed-loop time; ``col`` 0: end to end, 1: workbench share."""
    return [None if v is None else float(np.percentile(v, 99))
            for v in _by_window(shares_rows, t_first, window_s, col)]


def window_p99_ci95(shares_rows, t_first, window_s, col=0, n_resamples=2000):
    """A 95 % bootstrap interval [low, high] (ms) of each window's p99 (None for a window under 100 outputs).

    Why: a 5-minute window holds ~3,000 decoder outputs, so its p99 rests on its 30 slowest; two windows
    of one unchanged machine differ by that sampling alone. Intervals that overlap say the spread between
    two windows is within what their outputs can tell; apart, that the tail itself moved.
    """
    from scipy.stats import bootstrap

    out = []
    for v in _by_window(shares_rows, t_first, window_s, col):
        if v is None or len(v) < 100:
            out.append(None)
            continue
        res = bootstrap((v,), lambda x, axis: np.percentile(x, 99, axis=axis), n_resamples=n_resamples,
                        method="percentile", random_state=0, vectorized=True, batch=200)
        out.append([float(res.confidence_interval.low), float(res.confidence_interval.high)])
    return out


def slowest_outputs(t_stamp, t_arrival, t_decided, own_ms=None, n=SLOWEST_KEPT) -> dict:
    """A block's slowest 1 % of outputs (end to end), to take an outlying block's tail apart afterwards.

    Times in seconds from the block's start on the LSL clock. ``outputs``: the ``n`` slowest as
    ``[s into the block, end to end ms, amplifier share ms, workbench share ms, amplifier's own ms]``,
    slowest first; the last is the part of the amplifier's share before its push returned (``own_ms``, per
    output, from ``results.amplifier_share_parts``; None where unknown), the rest of it LSL's delivery.
    ``span_s``: from the first to the last of the slowest 1 % (a burst or spread over the block);
    ``amplifier_share_of_tail``: the amplifier's part of their summed latency; ``amplifier_own_of_tail``: the
    part of that before the push returned (the simulated amplifier itself, not delivery).
    """
    e2e = (t_decided - t_stamp) * 1e3
    if not len(e2e):
        return {"outputs": [], "span_s": None, "amplifier_share_of_tail": None, "amplifier_own_of_tail": None}
    own = np.full(len(e2e), np.nan) if own_ms is None else np.asarray(own_ms, dtype=float)
    tail = np.argsort(e2e)[::-1][:max(1, int(np.ceil(0.01 * len(e2e))))]  # the slowest 1 %, slowest first
    amp, wb = (t_arrival - t_stamp) * 1e3, (t_decided - t_arrival) * 1e3
    rows = [[round(float(t_decided[k]), 3), round(float(e2e[k]), 3), round(float(amp[k]), 3), round(float(wb[k]), 3),
             None if np.isnan(own[k]) else round(float(own[k]), 3)] for k in tail[:n]]
    known = tail[~np.isnan(own[tail])]
    return {"outputs": rows, "span_s": round(float(np.ptp(t_decided[tail])), 1),
            "amplifier_share_of_tail": round(float(amp[tail].sum() / e2e[tail].sum()), 3),
            "amplifier_own_of_tail": round(float(own[known].sum() / amp[known].sum()), 3)
            if len(known) and amp[known].sum() > 0 else None}


def tail_follows_machine(blocks) -> tuple[float | None, float | None]:
    """Spearman's rank correlation (rho, p) of each block's end-to-end p99 with the machine's own wake-up p99
    in that block (``machine_latency.py``), or (None, None) under 3 blocks or with either constant.

    Why: a process on a shared VM waits for the host to wake its vCPUs several times per chunk (the amplifier's
    push, LSL's receiver, the inlet, the loop), so a block where every process on the machine woke later has
    a later tail. Ranks, since the probe's p99 comes in 0.05 ms steps and one odd block must not decide it.
    """
    from scipy.stats import spearmanr

    pairs = [(b.get("latency_p99_ms"), b.get("machine_wakeup_p99_ms")) for b in blocks]
    pairs = [(a, m) for a, m in pairs if a is not None and m is not None]
    if len(pairs) < 3 or len({a for a, _ in pairs}) < 2 or len({m for _, m in pairs}) < 2:
        return None, None
    rho, p = spearmanr(*zip(*pairs))
    return float(rho), float(p)


def soak(minutes: float, block_minutes: float, workspace: Path, say=print,
         cpu_latency_us: int | None = LIVE_CPU_LATENCY_US, machine_probe: bool = True) -> dict:
    from workbench.records import Session
    from workbench.records.demo import open_demo_store
    from workbench.recording.runs import RunEntities
    from workbench.session.gate import DECIDED
    from workbench.session.live import run_block
    from workbench.session.paradigm import ParadigmSpec
    from workbench.session.results import amplifier_share_parts, latency_shares, start_run
    from workbench.session.safety_log import SafetyEventWriter
    from workbench.session.training import train_from_recordings

    recordings = workspace / "recordings"
    store = open_demo_store(workspace, role="engineer")
    rss = RssSampler().start()
    made = saved = backlog = lost = breaks = in_stalls = 0
    stall_max = wakeup_p99 = 0.0
    false_safe: dict[str, int] = {}
    # Per block, one (n, 3) array: closed-loop seconds at the decision, end to end ms, workbench share ms. As
    # Python tuples an hour's 36,000 rows held 5 MB of the 29 MB the memory goal measured (2026-11-27).
    rows = []
    blocks = []
    try:
        session, = store.add(Session(participant_id="SCI-001", started_at=datetime.now(timezone.utc),
                                     device="soak", montage=f"simulated {N_CH} ch", operator=store.user.name))
        say("calibration run")
        cal_spec = ParadigmSpec(CLASSES, cue_s=CUE_S, rest_s=REST_S, repetitions=2, seed=0, jitter_s=0.0)
        cal = run_block(recordings, cal_spec, participant=participant(0), progress=False, chunk_ms=CHUNK_MS,
                        entities=RunEntities(subject="soak", task="calibration"), name=f"soak-cal-{os.getpid()}")
        # Training and each recalibration run in a helper process, as the trial day's do (train_from_recordings).
        trained = train_from_recordings([cal.manifest.fname], CLASSES, cue_s=CUE_S)
        decoder, version = trained.decoder, "v1"
        # Whole blocks of cued trials: the count does not depend on how fast a loaded machine starts them.
        n_blocks = max(1, round(minutes / block_minutes))
        reps = max(1, round(minutes * 60.0 / n_blocks / (len(CLASSES) * (CUE_S + REST_S))))
        for i in range(1, n_blocks + 1):
            spec = ParadigmSpec(CLASSES, cue_s=CUE_S, rest_s=REST_S, repetitions=reps, seed=i, jitter_s=0.0)
            run = start_run(store, session_id=session.id, number=i + 1, task="glove")
            writer = SafetyEventWriter(store, session_id=session.id, run_id=run.id)
            t_loop0 = rss.loop_s
            rss.block_started()
            t_wall, t_lsl0 = time.monotonic(), pylsl.local_clock()
            with MachineLatency(probe=machine_probe) as machine:  # its own stalls, to set beside any silence
                live = run_block(recordings, spec, participant=participant(i), decoder=decoder, effector="glove",
                                 chunk_ms=CHUNK_MS, progress=False, safety_events=writer, decoder_version=version,
                                 entities=RunEntities(subject="soak", task="glove", run=i),
                                 name=f"soak-{os.getpid()}-{i}", cpu_latency_us=cpu_latency_us)
            m = machine.summary()
            memory = rss.block_ended()
            block_wall = time.monotonic() - t_wall
            log = live.log
            made += len(log.decisions)
            saved += writer.n_written
            backlog += writer.n_put - writer.n_written
            lost += live.samples_lost
            breaks += live.lost_or_repeated or 0
            unforced = unforced_safe_states(log)
            for rule, n in unforced.items():
                if rule not in DECIDED:  # every block ends with every output off (end_of_run): not a fault
                    false_safe[rule] = false_safe.get(rule, 0) + n
            false_details = []
            for d in unforced_safe_decisions(log):
                if d.rule in DECIDED:
                    continue
                stalls = machine.stalls_in_silence(d)  # the machine's own stalls in the silence the gate saw
                in_stalls += bool(stalls)
                seen = "; ".join(f"cpu {cpu} stalled {1e3 * (end - start):.0f} ms" for cpu, start, end in stalls)
                false_details.append(f"{d.rule} at {d.t - t_lsl0:.1f} s: {d.detail}"
                                     + (f" (the machine meanwhile: {seen})" if seen else ""))
            if machine_probe:
                stall_max = max(stall_max, m["stall_max_ms"])
                wakeup_p99 = max(wakeup_p99, m["wakeup_p99_ms"] or 0.0)
            # Every decoder output is timed (LoopLog.output_shares), not only those that pushed a command: a
            # 5-minute window's p99 over ~3,000 outputs, not over the ~40 commands. An output's place in
            # closed-loop time: its LSL time from the block's start, after the blocks before.
            stamps = np.asarray(log.output_shares, dtype=float).reshape(-1, 3)  # sample stamp, arrival, decided
            t_s, t_a, t_d = stamps[np.isfinite(stamps).all(axis=1)].T
            rows.append(np.column_stack([t_loop0 + t_d - t_lsl0, (t_d - t_s) * 1e3, (t_d - t_a) * 1e3]))
            # The amplifier's share split at the rig's push (LiveRun.amplifier_pushes): the simulated amplifier's
            # own part (where its wake-up fell in the grid, and the push) and LSL's delivery to the loop's pull.
            own, delivery = amplifier_share_parts(t_s, t_a, live.amplifier_pushes, SFREQ)
            slowest = slowest_outputs(t_s - t_lsl0, t_a - t_lsl0, t_d - t_lsl0, own)
            split = {k: None if np.isnan(v).all() else round(float(np.nanpercentile(v, 99)), 2)
                     for k, v in (("amplifier_own_p99_ms", own), ("lsl_delivery_p99_ms", delivery))}
            # The amplifier's share (stamp -> arrival) by itself too: its median moves by up to a chunk when the
            # decoder's outputs fall mid-chunk (the phase of the two grids), where a tail moves only its p99.
            shares = latency_shares(log)
            p99_block = {k: None if shares[s] is None else round(shares[s], 2) for k, s in (
                ("latency_p99_ms", "end_to_end_p99_ms"), ("workbench_share_p99_ms", "workbench_p99_ms"),
                ("amplifier_share_p50_ms", "amplifier_p50_ms"), ("amplifier_share_p99_ms", "amplifier_p99_ms"))}
            n_commands = latency_shares(log, commands_only=True)["n_timed"]
            blocks.append(dict(block=i, decoder=version, seconds=round(block_wall, 1), decisions=len(log.decisions),
                               saved=writer.n_written, commands=n_commands, outputs_timed=len(t_d),
                               samples_lost=live.samples_lost, loop_priority=live.priority,
                               cpu_latency=live.cpu_latency,
                               counter_breaks=live.lost_or_repeated, recording=live.manifest.status, **memory,
                               **p99_block, **split,
                               false_safe_states={r: n for r, n in unforced.items() if r not in DECIDED},
                               false_safe_details=false_details[:20], slowest_outputs=slowest,
                               machine_wakeup_p99_ms=m["wakeup_p99_ms"],
                               machine_stall_max_ms=None if m["stall_max_ms"] is None else round(m["stall_max_ms"], 1),
                               machine_steal_percent=m["steal_percent"]))
            say(f"block {i}: {block_wall:.0f} s, {len(log.decisions)} decisions ({writer.n_written} saved), "
                f"{n_commands} commands, decoder {version}, rss {rss_mb():.0f} MB, "
                f"p99 {p99_block['latency_p99_ms']} ms (workbench share {p99_block['workbench_share_p99_ms']} ms)")
            if i < n_blocks:  # a supervised recalibration between blocks, as a trial day does
                t_rec = time.monotonic()
                rss.phase_started()
                # On the calibration run and the block just recorded, in a helper process that exits after:
                # the ~300 MB it reads and fits with are never the session process's (its peak is reported).
                recal = train_from_recordings([cal.manifest.fname, live.manifest.fname], CLASSES, cue_s=CUE_S)
                decoder, version, accuracy = recal.decoder, f"v{i + 1}", recal.trial_accuracy
                memory = rss.phase_ended()
                blocks[-1].update({f"recalibration_{k}": v for k, v in memory.items()},
                                  recalibration_s=round(time.monotonic() - t_rec, 1),
                                  recalibration_helper_rss_mb_peak=None if recal.peak_rss_mb is None
                                  else round(recal.peak_rss_mb))
                Path(live.manifest.fname).unlink(missing_ok=True)  # 2 MB/s of signal: keep the disk in bounds
                say(f"recalibration: {time.monotonic() - t_rec:.0f} s, CV trial accuracy {accuracy:.2f}, "
                    f"rss peak {memory['rss_mb_peak']} MB, after {memory['rss_mb_end']} MB "
                    f"(its helper process: peak {blocks[-1]['recalibration_helper_rss_mb_peak']} MB)")
    finally:
        rss.stop()
        store.close()
    rows = np.concatenate(rows) if rows else np.empty((0, 3))
    window_s = 300.0 if minutes >= 10 else 60.0
    p99 = window_p99(rows, 0.0, window_s, 0)
    wb99 = window_p99(rows, 0.0, window_s, 1)
    ci = window_p99_ci95(rows, 0.0, window_s)
    kept = [k for k, v in enumerate(p99) if v is not None
            and (k < len(p99) - 1 or rss.loop_s - k * window_s >= window_s / 2 or len(p99) == 1)]
    full = [p99[k] for k in kept]
    # The largest and the smallest window's intervals: apart, the tail moved between them; overlapping, the
    # spread is within what their outputs can tell.
    hi_k, lo_k = (max(kept, key=p99.__getitem__), min(kept, key=p99.__getitem__)) if kept else (None, None)
    apart = None if hi_k is None or ci[hi_k] is None or ci[lo_k] is None else ci[hi_k][0] > ci[lo_k][1]
    rho, rho_p = tail_follows_machine(blocks)
    samples = rss.samples
    first = samples[samples[:, 0] < 60.0, 1]
    last = samples[samples[:, 0] >= rss.loop_s - 60.0, 1]
    result = {
        "minutes": minutes, "closed_loop_minutes": rss.loop_s / 60, "blocks": len(blocks),
        "recalibrations": max(0, len(blocks) - 1), "n_ch": N_CH, "sfreq": SFREQ, "chunk_ms": CHUNK_MS,
        "samples_lost": lost + breaks, "samples_lost_overruns": lost, "counter_breaks": breaks,
        "false_safe_states": sum(false_safe.values()), "false_safe_states_by_rule": false_safe,
        "false_safe_states_in_machine_stalls": in_stalls if machine_probe else None, "machine_probe": machine_probe,
        "machine_wakeup_p99_ms": wakeup_p99 if machine_probe else None,
        "machine_stall_max_ms": stall_max if machine_probe else None,
        "decisions_made": made, "decisions_saved": saved, "decisions_backlog": backlog,
        "decisions_saved_ratio": saved / made if made else None,
        "rss_mb_first_min": float(np.median(first)) if len(first) else None,
        "rss_mb_last_min": float(np.median(last)) if len(last) else None,
        "latency_window_s": window_s, "latency_p99_ms_windows": p99, "workbench_share_p99_ms_windows": wb99,
        "latency_p99_ms_windows_ci95": ci, "latency_p99_extremes_apart": apart,
        "latency_p99_machine_rho": rho, "latency_p99_machine_rho_p": rho_p,
        "latency_p99_spread": max(full) / min(full) if full and min(full) > 0 else None,
        "loop_priority": sorted({b["loop_priority"] for b in blocks}),
        "cpu_latency": sorted({b["cpu_latency"] for b in blocks}),
        "outputs_timed": len(rows), "commands_timed": sum(b["commands"] for b in blocks), "per_block": blocks,
    }
    if result["rss_mb_first_min"] and result["rss_mb_last_min"]:
        result["rss_ratio_last_to_first"] = result["rss_mb_last_min"] / result["rss_mb_first_min"]
    return result


def unforced_safe_decisions(log) -> list:
    """The safe-state decisions after the gate first armed (no fault is injected in a soak)."""
    armed = next((d.t for d in log.decisions if d.decision == "resumed"), None)
    if armed is None:
        return []
    return [d for d in log.decisions if d.t > armed and d.decision == "safe_state"]


def unforced_safe_states(log) -> dict:
    """Safe states after the gate first armed, by rule."""
    out: dict = {}
    for d in unforced_safe_decisions(log):
        out[d.rule] = out.get(d.rule, 0) + 1
    return out


def goals(r) -> str:
    ratio = r.get("rss_ratio_last_to_first")
    spread = r.get("latency_p99_spread")
    checks = [
        ("samples lost", r["samples_lost"], "0", r["samples_lost"] == 0),
        ("false safe states", r["false_safe_states"], "0", r["false_safe_states"] == 0),
        ("decisions saved / made", r["decisions_saved_ratio"], "1.0, no backlog",
         r["decisions_saved_ratio"] == 1.0 and r["decisions_backlog"] == 0),
        ("memory last / first minute", ratio, "within 5 %", ratio is not None and abs(ratio - 1) <= 0.05),
        (f"p99 largest / smallest {int(r['latency_window_s'])} s window", spread, "<= 1.2",
         spread is not None and spread <= 1.2),
    ]
    lines = ["goals:"]
    for what, v, goal, ok in checks:
        shown = "n/a" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))
        lines.append(f"  {what:<34} {shown:>8}  goal {goal:<16} {'pass' if ok else 'FAIL'}")
    apart = r.get("latency_p99_extremes_apart")
    if apart is not None:
        lines.append("  the largest and smallest windows' p99 95 % intervals "
                     + ("are apart: the tail itself moved" if apart else
                        "overlap: the spread is within what their outputs can tell"))
    rho, p = r.get("latency_p99_machine_rho"), r.get("latency_p99_machine_rho_p")
    if rho is not None:
        verdict = ("the tail follows the machine's" if rho > 0 and p < 0.05 else
                   "not shown to follow the machine's")
        lines.append(f"  the blocks' p99 against the machine's own wake-up p99 in each: Spearman rho {rho:.2f} "
                     f"(p {p:.3f}, {r['blocks']} blocks): {verdict}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="minutes of closed loop (default 60)")
    parser.add_argument("--block-minutes", type=float, default=5.0,
                        help="minutes per closed-loop block, a recalibration between two (default 5)")
    parser.add_argument("--cpu-latency-us", type=cpu_latency_arg, default=LIVE_CPU_LATENCY_US,
                        help="the CPUs' wake-up latency the closed-loop blocks hold (microseconds, e.g. 0: idle CPUs "
                             "poll; default 'none', as run_block: idle states as the system sets them)")
    parser.add_argument("--no-machine-probe", dest="machine_probe", action="store_false",
                        help="no wake-up probe beside the blocks (it wakes every CPU 1,000 times a second); the "
                             "host's steal time is still read")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    for name, v in (("--minutes", args.minutes), ("--block-minutes", args.block_minutes)):
        if not (math.isfinite(v) and 0.2 <= v <= 24 * 60):
            parser.error(f"{name} {v}: a number of minutes between 0.2 and 1440")
    out = sys.stderr if args.json else sys.stdout

    def say(text):
        print(f"[soak {time.strftime('%H:%M:%S')}] {text}", file=out, flush=True)

    with tempfile.TemporaryDirectory(prefix="wb-soak-") as tmp:
        result = soak(args.minutes, args.block_minutes, Path(tmp), say, cpu_latency_us=args.cpu_latency_us,
                      machine_probe=args.machine_probe)
    if args.json:
        print(json.dumps(result))
    else:
        width = max(map(len, result))
        for k, v in result.items():
            if k != "per_block":
                print(f"{k:<{width}}  {round(v, 3) if isinstance(v, float) else v}")
    print(goals(result), file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
