"""The machine's own wake-up latency, measured beside a benchmark: the tail no process on it can beat.

Usage, alone (``--seconds`` of an idle or loaded machine)::

    .venv/bin/python benchmarks/machine_latency.py [--seconds 30] [--json]

or around a run, as ``closed_loop.py`` and ``soak.py`` use it::

    with MachineLatency() as machine:
        ...
    machine.summary()        # wakeup_p50_ms, wakeup_p99_ms, wakeup_max_ms, stall_max_ms, steal_percent
    machine.stalls_between(t0, t1, min_ms=20)   # [(cpu, start, end)] on the LSL / monotonic clock
    machine.stalls_in_silence(decision)         # those of 20 ms or more behind a gate's safe state

One probe process per CPU (up to 8), pinned to it, at normal priority like the workbench's own threads,
sleeps 1 ms again and again and records how late each wake-up came (the measure of ``cyclictest``, with
each stall's time kept so that it can be set beside a session's events). A late wake-up is what any
thread on that CPU met at that moment: the session's loop, its inlet, the simulated rig, LabRecorder.
On a virtual machine the host may take a virtual CPU away for tens of milliseconds (``steal`` in
/proc/stat, reported as ``steal_percent``): on the 2-core VM of 2026-11-26 both probes, on an idle
machine, woke 26-38 ms late together a few times a minute, in the seconds /proc/stat counted 3-34 % steal.
A latency percentile of a closed loop below the machine's own is not reachable by any software on it.

Each probe costs about 1-2 % of one CPU, but it also wakes its CPU 1,000 times a second, which a closed loop
beside it meets: ``MachineLatency(probe=False)`` reads only the host's steal time, to run a benchmark
without that load (``soak.py --no-machine-probe``); its wake-up and stall figures are then None.
Times are ``time.monotonic()``, which on Linux is the clock of ``pylsl.local_clock()`` (CLOCK_MONOTONIC),
so stalls line up with gate decisions and sample stamps.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

STALL_MS = 2.0  # wake-ups later than this are kept one by one, with their time (about 20 a second here)
#: A stall this long or longer, inside a silence the safety gate acted on, may be its cause (a quarter of the
#: gate's 80 ms limits); shorter ones come about 20 times a second on a VM and explain nothing.
SILENCE_STALL_MS = 20.0
MAX_CPUS = 8

# The probe: pinned, sleep 1 ms, histogram of lateness in 0.05 ms bins (to 500 ms), stalls kept. It says
# "ready" as it starts measuring, ends when its stdin closes and prints one JSON line.
_PROBE = r"""
import json, os, sys, threading, time
cpu, stall_s = int(sys.argv[1]), float(sys.argv[2]) / 1e3
os.sched_setaffinity(0, {cpu})
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
bins, width = [0] * 10001, 5e-5
stalls, period, n = [], 1e-3, 0
print("ready", flush=True)
last = time.monotonic()
while not done.is_set():
    time.sleep(period)
    now = time.monotonic()
    late = max(0.0, now - last - period)
    bins[min(10000, int(late / width))] += 1
    n += 1
    if late > stall_s:
        stalls.append((now - late, now))
    last = now
print(json.dumps({"cpu": cpu, "n": n, "bins": {i: c for i, c in enumerate(bins) if c}, "width": width,
                  "stalls": stalls}))
"""


def _steal() -> tuple[int, int] | None:
    """(steal, total) jiffies of all CPUs from /proc/stat, or None where there is none (not Linux)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal guest guest_nice; guest time is inside user already
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


class MachineLatency:
    """Probe every CPU's wake-up latency while a run goes on (a context manager; see the module docstring)."""

    def __init__(self, stall_ms: float = STALL_MS, probe: bool = True) -> None:
        self.stall_ms = stall_ms
        self.probe = bool(probe)
        self._procs: list[subprocess.Popen] = []
        self.results: list[dict] = []
        self._steal0 = self._steal1 = None
        self._running = False

    def start(self) -> MachineLatency:
        cpus = sorted(os.sched_getaffinity(0))[:MAX_CPUS] if self.probe else []
        self._steal0, self._running = _steal(), True
        self._procs = [subprocess.Popen([sys.executable, "-c", _PROBE, str(cpu), str(self.stall_ms)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for cpu in cpus]
        for proc in self._procs:  # measuring from here on (an interpreter starts in 0.05-0.5 s)
            proc.stdout.readline()
        return self

    def stop(self) -> MachineLatency:
        if not self._running:  # not started, or stopped already
            return self
        self._steal1, self._running = _steal(), False
        for proc in self._procs:
            proc.stdin.close()
        self.results = []
        for proc in self._procs:
            out = proc.stdout.read()
            proc.wait(timeout=30)
            if out.strip():
                self.results.append(json.loads(out))
        self._procs = []
        return self

    def __enter__(self) -> MachineLatency:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _percentile(self, q: float) -> float | None:
        counts: dict[int, int] = {}
        for r in self.results:
            for i, c in r["bins"].items():
                counts[int(i)] = counts.get(int(i), 0) + c
        total = sum(counts.values())
        if not total:
            return None
        seen, width = 0, self.results[0]["width"]
        for i in sorted(counts):
            seen += counts[i]
            if seen >= q / 100 * total:
                return (i + 1) * width * 1e3  # the bin's upper edge: never below the true value
        return None

    def summary(self) -> dict:
        """The machine's wake-up lateness (ms) over all probes, the longest stall, and steal time (%)."""
        stalls = [(end - start) * 1e3 for r in self.results for start, end in r["stalls"]]
        steal = None
        if self._steal0 and self._steal1 and self._steal1[1] > self._steal0[1]:
            steal = 100.0 * (self._steal1[0] - self._steal0[0]) / (self._steal1[1] - self._steal0[1])
        if not self.probe:
            return {"wakeups": 0, "cpus": 0, "wakeup_p50_ms": None, "wakeup_p99_ms": None, "wakeup_max_ms": None,
                    f"stalls_over_{self.stall_ms:g}ms": None, "stall_max_ms": None, "steal_percent": steal}
        return {"wakeups": sum(r["n"] for r in self.results), "cpus": len(self.results),
                "wakeup_p50_ms": self._percentile(50), "wakeup_p99_ms": self._percentile(99),
                "wakeup_max_ms": max(((max(map(int, r["bins"])) + 1) * r["width"] * 1e3 for r in self.results
                                      if r["bins"]), default=None),
                f"stalls_over_{self.stall_ms:g}ms": len(stalls),
                "stall_max_ms": max(stalls, default=0.0), "steal_percent": steal}

    def stalls_between(self, t0: float, t1: float, min_ms: float = 0.0) -> list[tuple[int, float, float]]:
        """Stalls (cpu, start, end) of at least ``min_ms`` that overlap [t0, t1] on the monotonic clock."""
        return [(r["cpu"], s, e) for r in self.results for s, e in r["stalls"]
                if s < t1 and e > t0 and e - s >= min_ms / 1e3]

    def stalls_in_silence(self, decision) -> list[tuple[int, float, float]]:
        """Stalls of :data:`SILENCE_STALL_MS` or more in the silence behind a gate's safe state (fault to safe)."""
        return self.stalls_between(decision.t - (decision.time_to_safe_s or 0.0), decision.t,
                                   min_ms=SILENCE_STALL_MS)


def cpu_latency_arg(text: str) -> int | None:
    """A benchmark's ``--cpu-latency-us``: microseconds, or 'none' (idle states as the system sets them)."""
    from workbench.utils.realtime import cpu_latency_problems

    if text.strip().lower() == "none":
        return None
    try:
        value = int(text)
    except ValueError:
        value = text
    problems = cpu_latency_problems(value)
    if problems:
        raise argparse.ArgumentTypeError(f"{text!r}: {problems[0].allowed}")  # 'none' is read in any case
    return value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with MachineLatency() as machine:
        time.sleep(args.seconds)
    summary = machine.summary()
    if args.json:
        print(json.dumps(summary))
    else:
        for k, v in summary.items():
            print(f"{k:<20} {round(v, 3) if isinstance(v, float) else v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
