"""``benchmarks/machine_latency.py`` finds a stall of the machine and says when it came (no timing asserted)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from .conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

from machine_latency import MachineLatency  # noqa: E402


def test_a_probe_held_off_its_cpu_is_reported_as_a_stall_at_the_time_it_came():
    with MachineLatency() as machine:
        time.sleep(0.3)
        probe = machine._procs[0]
        # A real stall: the probe's process is stopped, as a host taking the CPU away stops every thread on it.
        t0 = time.monotonic()
        os.kill(probe.pid, signal.SIGSTOP)
        time.sleep(0.12)
        os.kill(probe.pid, signal.SIGCONT)
        t1 = time.monotonic()
        time.sleep(0.3)
    summary = machine.summary()
    assert summary["cpus"] == min(len(os.sched_getaffinity(0)), 8)
    assert summary["wakeups"] > 0
    assert 0 < summary["wakeup_p50_ms"] <= summary["wakeup_p99_ms"] <= summary["wakeup_max_ms"]
    assert summary["stall_max_ms"] >= 100 and summary["wakeup_max_ms"] >= 100
    first_cpu = machine.results[0]["cpu"]
    stalls = [(start, end) for cpu, start, end in machine.stalls_between(t0, t1) if cpu == first_cpu]
    start, end = max(stalls, key=lambda s: s[1] - s[0])
    # placed where it happened, on the caller's clock: from the stop (or a wake-up just before it) to the
    # continue (the probe may wake on the other core before this process reads the clock)
    assert end - start >= 0.1 and start <= t0 + 0.002 and end >= t1 - 0.005
    assert machine.stalls_between(t0, t1, min_ms=100) and not machine.stalls_between(t0, t1, min_ms=1000)
    # a gate's safe state whose silence spans the stall finds it; one before the stall does not
    from workbench.session.gate import GateDecision

    assert machine.stalls_in_silence(GateDecision(t1, "safe_state", "signal_lost", time_to_safe_s=t1 - t0))
    before = machine.stalls_in_silence(GateDecision(t0 - 0.2, "safe_state", "signal_lost", time_to_safe_s=0.08))
    assert not [(s, e) for cpu, s, e in before if cpu == first_cpu and e - s >= 0.1]


def test_without_the_probe_only_the_hosts_steal_time_is_read():
    with MachineLatency(probe=False) as machine:
        assert machine._procs == []  # no process wakes the CPUs
        t0 = time.process_time()
        while time.process_time() - t0 < 0.05:  # some CPU time for /proc/stat to count
            pass
    summary = machine.summary()
    assert summary["cpus"] == 0 and summary["wakeups"] == 0
    assert summary["wakeup_p99_ms"] is None and summary["stall_max_ms"] is None
    assert summary["steal_percent"] is not None and 0 <= summary["steal_percent"] <= 100
    assert machine.stalls_between(0.0, time.monotonic()) == []
    machine.stop()  # stopping twice is harmless


def test_the_script_prints_its_figures():
    done = subprocess.run([sys.executable, "benchmarks/machine_latency.py", "--seconds", "1"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "wakeup_p99_ms" in done.stdout and "steal_percent" in done.stdout
