"""Real-time scheduling for the threads of a live loop, where the system permits it (Linux).

Why: the closed loop shares the machine's cores with LabRecorder, the amplifier's
bridge, the simulated rig and the notebook server, and every amplifier chunk wakes
several of them at once. At ordinary priority a woken loop thread waits until the
task running on its core has used its slice. Measured on the soak benchmark (2-core
VM, Linux 6.18, 256 ch / 2 kHz in 4 ms chunks, 2026-11-26): the outputs in the
workbench share's top 1 % had waited 1.0-3.4 ms on the run queue (``schedstat``),
and a 5-minute window's p99 moved between 0.9 and 4.1 ms with them. A nice value of
-10 did not change it (the kernel's scheduler lets the running task finish its slice
whatever the weights; p99 1.6 ms), ``SCHED_FIFO`` did: a real-time thread preempts
ordinary tasks when it wakes (run-queue wait p50 0.000 ms, p99 0.8-1.0 ms).

The interpreter lock is the other wait. A thread that wants it waits until the holder
releases it or until the switch interval has passed (5 ms by default): with the loop
thread real-time, its remaining tail was that, the record writer or a sampler holding
the lock while the loop had a chunk to answer (outputs at 2.1-5.6 ms, none waiting on
the run queue). With a 0.5 ms interval during the block (:func:`switch_interval`) the
longest workbench share in four minutes was 1.4 ms (was 5.6).

So a live block runs its loop thread, and the threads it starts (its inlets, liblsl's
receivers), at ``SCHED_FIFO`` :data:`LIVE_PRIORITY` when the process may ask for it
(root, ``CAP_SYS_NICE``, or an ``rtprio`` limit: ``ulimit -r``, ``limits.conf``), and
says which it got. Processes it starts (LabRecorder) and threads that only write
records run at ordinary priority (:func:`ordinary_priority`), so that real-time is
kept to the code that must answer a chunk within a millisecond. Each such thread
sleeps between chunks; the kernel keeps 5 % of every second for ordinary tasks
(``sched_rt_runtime_us``) whatever a real-time thread does.
"""

from __future__ import annotations

import os
import struct
import threading
from contextlib import contextmanager
from dataclasses import dataclass

#: Seconds a thread holding the interpreter lock keeps it while another waits, during a live block.
LIVE_SWITCH_INTERVAL_S = 0.0005

#: The CPUs' wake-up latency a live block asks the kernel for (PM QoS, microseconds; see :func:`cpu_latency`).
#: None, not asked, by default: on a VM whose host limits its CPU time, CPUs that poll use that time up and
#: the host stops them for up to 100 ms (measured, :func:`cpu_latency`), longer than the gate's 80 ms limits.
LIVE_CPU_LATENCY_US: int | None = None

#: Where a process asks for a CPU wake-up latency: held while the file stays open (Linux PM QoS).
PM_QOS_DEVICE = "/dev/cpu_dma_latency"

#: SCHED_FIFO priority of a live loop's threads: above every ordinary task, below the kernel's
#: interrupt threads (50) and audio servers (JACK: 70 and up), which must not wait for a decoder.
LIVE_PRIORITY = 20


@dataclass(frozen=True)
class Priority:
    """What a thread asked for and got: ``granted``, in ``detail`` the policy or why not, and in ``level`` the
    ``SCHED_FIFO`` priority it runs at (0: ordinary scheduling), for the run's records."""

    granted: bool
    detail: str
    level: int | None = 0

    def __str__(self) -> str:
        return self.detail


def _supported() -> bool:
    return hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_FIFO")


def priority_problems(priority) -> list:
    """Problems with a real-time ``priority`` (None: scheduling left alone), for the caller's validation."""
    from ..errors import Problem

    if priority is None:
        return []
    lo, hi = (os.sched_get_priority_min(os.SCHED_FIFO), os.sched_get_priority_max(os.SCHED_FIFO)) \
        if _supported() else (1, 99)
    if isinstance(priority, bool) or not isinstance(priority, int) or not lo <= priority <= hi:
        return [Problem("real-time priority", priority, f"an integer from {lo} to {hi}, or None (not asked)")]
    return []


def _check_priority(priority) -> None:
    from ..errors import ValidationError

    problems = priority_problems(priority)
    if problems:
        raise ValidationError(problems, what="live loop scheduling")


def raise_current_thread(priority: int = LIVE_PRIORITY) -> Priority:
    """Run the calling thread at ``SCHED_FIFO`` ``priority`` if permitted; threads it starts inherit it.

    Never raises for a system that refuses: the returned :class:`Priority` says why, for the run's summary.
    """
    _check_priority(priority)
    if not _supported():
        return Priority(False, "ordinary priority (this system has no real-time scheduling)")
    try:
        # pid 0 is the calling thread on Linux: scheduling is per thread.
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except PermissionError:
        return Priority(False, "ordinary priority (real-time scheduling not permitted: run with an rtprio limit"
                               f" of at least {priority}, e.g. `ulimit -r {priority}` or limits.conf, or as root)")
    except OSError as err:
        return Priority(False, f"ordinary priority (real-time scheduling refused: {err.strerror})")
    return Priority(True, f"real-time (SCHED_FIFO {priority})", priority)


def lower_current_thread() -> None:
    """Run the calling thread at ordinary priority (always permitted): for writers a live thread starts."""
    if _supported() and os.sched_getscheduler(0) != os.SCHED_OTHER:
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))


def _current():
    return os.sched_getscheduler(0), os.sched_getparam(0).sched_priority


def _restore(policy: int, priority: int) -> None:
    try:
        os.sched_setscheduler(0, policy, os.sched_param(priority))
    except OSError:  # raising back may be refused (a limit lowered meanwhile): ordinary is always allowed
        lower_current_thread()


@contextmanager
def live_priority(priority: int | None = LIVE_PRIORITY):
    """Within the block, the calling thread at real-time ``priority`` (None: left as it is); restored after.

    Yields the :class:`Priority` it got.
    """
    if priority is None:
        yield Priority(False, "ordinary priority (left as the process runs)", _current()[1] if _supported() else 0)
        return
    before = _current() if _supported() else None
    got = raise_current_thread(priority)  # validates; says why where the system refuses or has no such thing
    try:
        yield got
    finally:
        if got.granted:
            _restore(*before)


@contextmanager
def ordinary_priority():
    """Within the block, the calling thread at ordinary priority: processes and threads started meanwhile
    (LabRecorder, a record writer) do not inherit the live loop's real-time priority. Restored after."""
    if not _supported():
        yield
        return
    before = _current()
    lower_current_thread()
    try:
        yield
    finally:
        if before[0] != os.SCHED_OTHER:
            _restore(*before)


def thread_priority(native_id: int | None = None) -> str:
    """The scheduling of a thread of this process (default: the calling one), e.g. ``SCHED_FIFO 20``."""
    if not _supported():
        return "unknown"
    tid = threading.get_native_id() if native_id is None else native_id
    names = {getattr(os, n): n for n in ("SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_IDLE")
             if hasattr(os, n)}
    policy = os.sched_getscheduler(tid)
    name = names.get(policy, str(policy))
    return f"{name} {os.sched_getparam(tid).sched_priority}" if policy in (os.SCHED_FIFO, os.SCHED_RR) else name


@dataclass(frozen=True)
class CpuLatency(Priority):
    """What a block asked of the CPUs' idle states and got: ``granted``, in ``detail`` what or why not, and in
    ``level`` the wake-up latency held in microseconds (None: idle states as the system sets them)."""

    level: int | None = None


def cpu_latency_problems(microseconds) -> list:
    """Problems with a CPU wake-up latency request (None: idle states left alone), for the caller's validation."""
    from ..errors import Problem

    if microseconds is None:
        return []
    if isinstance(microseconds, bool) or not isinstance(microseconds, int) or not 0 <= microseconds <= 2_000_000:
        return [Problem("CPU wake-up latency", microseconds,
                        "an integer number of microseconds from 0 to 2000000, or None (not asked)")]
    return []


@contextmanager
def cpu_latency(microseconds: int | None = LIVE_CPU_LATENCY_US, device: str = PM_QOS_DEVICE):
    """Within the block, no CPU sleeps deeper than it can leave in ``microseconds`` (None: left alone).

    Why: an idle CPU sleeps, and a thread woken there waits until its CPU is back. The live loop meets that
    wait three times per chunk (liblsl's receiver, the inlet, the loop). On the 2-core VM of 2026-11-27 an
    idle virtual CPU halts (``haltpoll``, no guest polling) and the host must wake it: one thread waking
    another every 4 ms took p50 0.05 ms, p99 0.09-0.12 ms; with 0 held, 0.012 ms and 0.02-0.04 ms. In the
    session benchmark (``benchmarks/closed_loop.py --session-only``, the two settings run one after the
    other) end to end p99 fell in all six blocks (1.33-3.15 ms -> 0.70-2.34 ms).
    This is the kernel's interface for it (PM QoS, ``Documentation/power/pm_qos_interface.rst``; ``cyclictest``
    holds 0 the same way): the request holds while the file is open and ends with the block or the process.
    At 0 an idle CPU polls instead of sleeping: it draws full power while a block runs, and no longer.

    Why it is not asked by default: over an hour (``benchmarks/soak.py --minutes 60``, 0 held, the same VM)
    one virtual CPU stopped for 100-103 ms five times (four false safe states, each inside such a stop; the
    hours without it: longest stop 21-58 ms, no false safe state) and the p99 spread across windows was
    1.67 (1.33 without). A host that limits a VM's CPU time per 100 ms period stops a vCPU that polls once
    its share is used. Ask for it where the CPUs are the machine's own (a workstation, not a VM), and check
    with the soak there.

    Yields the :class:`CpuLatency` it got; never raises for a system that refuses (the summary says why).
    """
    from ..errors import ValidationError

    problems = cpu_latency_problems(microseconds)
    if problems:
        raise ValidationError(problems, what="live loop scheduling")
    fd, got = _hold_cpu_latency(microseconds, device)
    try:
        yield got
    finally:
        if fd is not None:
            os.close(fd)


def _hold_cpu_latency(microseconds: int | None, device: str) -> tuple[int | None, CpuLatency]:
    """The open request (a file descriptor, or None) and what it got."""
    left = "CPU idle states as the system sets them"
    if microseconds is None:
        return None, CpuLatency(False, f"{left} (not asked)")
    try:
        fd = os.open(device, os.O_WRONLY)
    except FileNotFoundError:
        return None, CpuLatency(False, f"{left} (no {device}: not Linux)")
    except PermissionError:
        return None, CpuLatency(False, f"{left} (not permitted: give the session's user write access to {device},"
                                       " e.g. a udev rule, or run as root)")
    except OSError as err:
        return None, CpuLatency(False, f"{left} ({device}: {err.strerror})")
    try:
        os.write(fd, struct.pack("=i", microseconds))  # the kernel reads a native 32-bit integer
    except OSError as err:
        os.close(fd)
        return None, CpuLatency(False, f"{left} (request refused: {err.strerror})")
    return fd, CpuLatency(True, f"CPU wake-up latency held at {microseconds} us (PM QoS)", microseconds)


_switch_lock = threading.Lock()
_switch_users = 0
_switch_before = 0.005


@contextmanager
def switch_interval(seconds: float = LIVE_SWITCH_INTERVAL_S):
    """Within the block, the interpreter's switch interval at ``seconds`` (process-wide); restored when the
    last block using it ends, so that two blocks in one process do not restore each other's setting."""
    import sys

    global _switch_users, _switch_before
    with _switch_lock:
        if _switch_users == 0:
            _switch_before = sys.getswitchinterval()
        _switch_users += 1
        sys.setswitchinterval(min(seconds, sys.getswitchinterval()) if _switch_users > 1 else seconds)
    try:
        yield
    finally:
        with _switch_lock:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_switch_before)
