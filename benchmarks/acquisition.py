"""Acquisition benchmark: samples lost, LSL-to-get_data latency, CPU share, beside bare pylsl.

Usage::

    .venv/bin/python benchmarks/acquisition.py [--seconds 10] [--json]

For each configuration (64 ch at 1 kHz, 256 ch at 2 kHz, 1024 ch at 30 kHz),
a paced counter source (channel 0 = sample index; see CounterSource) streams
on loopback while two consumers run at once:

- ``workbench``: an acquisition :class:`~workbench.acquisition.Stream` and a
  consumer thread calling ``read_new()`` every 2 ms;
- ``bare pylsl``: a plain inlet polled with ``pull_chunk(timeout=0.0)`` and
  2 ms sleeps (the recipe that works here, shared/STACK.md).

Latency is ``local_clock()`` when the consumer gets a chunk minus the time
stamp of the chunk's newest sample (the Player stamps each chunk's newest
sample with the moment it is pushed). Lost = gaps in the counter; repeated = counter going
backwards or standing still. CPU share is the acquisition (or bare pulling)
thread's CPU time over the wall time, from psutil per-thread counters.
Ratios are workbench / bare pylsl measured in the same run: the machine's
load cancels out. Nothing is asserted: this script only reports.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.acquisition.lsl_config import use_loopback  # noqa: E402

use_loopback(force=True)

import numpy as np  # noqa: E402
import psutil  # noqa: E402
import pylsl  # noqa: E402

from workbench.acquisition import Stream  # noqa: E402

CONFIGS = ((64, 1000.0), (256, 2000.0), (1024, 30000.0))


class CounterCheck:
    """Counts lost and repeated samples from consecutive counter chunks."""

    def __init__(self) -> None:
        self.last = None
        self.lost = 0
        self.repeated = 0
        self.n = 0

    def feed(self, counter: np.ndarray) -> None:
        if len(counter) == 0:
            return
        seq = counter if self.last is None else np.concatenate(([self.last], counter))
        step = np.diff(seq)
        self.lost += int(np.sum(step[step > 1] - 1))
        self.repeated += int(np.sum(step < 1))
        self.last = counter[-1]
        self.n += len(counter)


def thread_cpu(native_id: int | None) -> float:
    if native_id is None:
        return 0.0
    for t in psutil.Process().threads():
        if t.id == native_id:
            return t.user_time + t.system_time
    return 0.0


class CounterSource:
    """A minimal-cost paced source: float32 chunks every 20 ms, channel 0 = sample index.

    The Player (workbench.datasets) generates and converts each block in Python;
    at 1024 ch x 30 kHz that costs more than the consumers being measured on
    a 2-core machine. This source reuses one preallocated block and rewrites only
    the counter column, so the numbers reflect the consumer side.
    """

    def __init__(self, name: str, n_channels: int, sfreq: float, chunk_ms: float = 20.0) -> None:
        info = pylsl.StreamInfo(name, "EEG", n_channels, sfreq, "float32", name + "-src")
        self.outlet = pylsl.StreamOutlet(info, chunk_size=0, max_buffered=30)
        self.sfreq = sfreq
        self.chunk = max(1, int(round(sfreq * chunk_ms / 1000)))
        self.block = np.random.default_rng(0).normal(0, 10, (self.chunk, n_channels)).astype(np.float32)
        self.n_samples_sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "CounterSource":
        self._thread.start()
        return self

    def _run(self) -> None:
        t0 = time.perf_counter()
        ramp = np.arange(self.chunk, dtype=np.float64)
        while not self._stop.is_set():
            due = int((time.perf_counter() - t0) * self.sfreq)
            while self.n_samples_sent + self.chunk <= due:
                self.block[:, 0] = self.n_samples_sent + ramp
                self.outlet.push_chunk(self.block, pylsl.local_clock())
                self.n_samples_sent += self.chunk
            self._stop.wait(self.chunk / self.sfreq / 2)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def run_config(n_channels: int, sfreq: float, seconds: float) -> dict:
    name = f"wb-bench-{n_channels}-{int(sfreq)}-{int(time.time() * 1000) % 100000}"
    player = CounterSource(name, n_channels, sfreq).start()
    stop = threading.Event()
    results = {}
    try:
        # Same liblsl processing on both sides (clock offset only), so only the consumers differ.
        stream = Stream(name, bufsize=2.0, dejitter=False).connect(timeout=10)
        info = pylsl.resolve_byprop("name", name, timeout=10)[0]
        bare = pylsl.StreamInlet(info, max_buflen=30, processing_flags=pylsl.proc_clocksync)
        bare.open_stream(timeout=10)
        lat = {"workbench": [], "bare pylsl": []}
        checks = {"workbench": CounterCheck(), "bare pylsl": CounterCheck()}
        bare_tid: list[int] = []
        max_chunk = int(min(max(1024, sfreq / 10), 2**16))  # as the workbench Stream pulls

        def consume_workbench():
            reader = stream.reader()
            while not stop.is_set():
                data, ts = reader.read()
                if len(ts):
                    lat["workbench"].append(pylsl.local_clock() - ts[-1])
                    checks["workbench"].feed(data[:, 0])
                time.sleep(0.002)

        def consume_bare():
            bare_tid.append(threading.get_native_id())
            while not stop.is_set():
                data, ts = bare.pull_chunk(timeout=0.0, max_samples=max_chunk, as_numpy=True)
                if len(ts):
                    lat["bare pylsl"].append(pylsl.local_clock() - ts[-1])
                    checks["bare pylsl"].feed(data[:, 0])
                else:
                    time.sleep(0.002)

        threads = [threading.Thread(target=f, daemon=True) for f in (consume_workbench, consume_bare)]
        for t in threads:
            t.start()
        time.sleep(1.0)  # settle: clock offset estimate, first chunks
        for c in checks.values():
            c.lost = c.repeated = 0
        for v in lat.values():
            v.clear()
        cpu0 = (thread_cpu(stream.thread_native_id), thread_cpu(bare_tid[0] if bare_tid else None))
        sent0, t0 = player.n_samples_sent, time.perf_counter()
        time.sleep(seconds)
        wall = time.perf_counter() - t0
        cpu1 = (thread_cpu(stream.thread_native_id), thread_cpu(bare_tid[0] if bare_tid else None))
        sent = player.n_samples_sent - sent0
        stop.set()
        for t in threads:
            t.join(5)
        stream.disconnect()
        for k, key in enumerate(("workbench", "bare pylsl")):
            arr = np.asarray(lat[key]) * 1e3
            results[key] = {
                "samples_lost": checks[key].lost,
                "samples_repeated": checks[key].repeated,
                "latency_p50_ms": float(np.percentile(arr, 50)) if arr.size else None,
                "latency_p99_ms": float(np.percentile(arr, 99)) if arr.size else None,
                "thread_cpu_share": (cpu1[k] - cpu0[k]) / wall,
            }
        del bare
    finally:
        stop.set()
        player.stop()
    w, b = results["workbench"], results["bare pylsl"]
    return {
        "n_channels": n_channels,
        "sfreq": sfreq,
        "seconds": seconds,
        "sent_over_expected": sent / (wall * sfreq),
        "workbench": w,
        "bare_pylsl": b,
        "ratio_latency_p50": w["latency_p50_ms"] / b["latency_p50_ms"] if b["latency_p50_ms"] else None,
        "ratio_latency_p99": w["latency_p99_ms"] / b["latency_p99_ms"] if b["latency_p99_ms"] else None,
    }


def scope_cost(n_frames: int = 60) -> dict:
    """Milliseconds per live-scope frame (model update + FigureWidget redraw), 8 of 256 ch at 2 kHz."""
    from workbench.ui.acquisition import ScopeModel, ScopeWidget

    name = f"wb-bench-scope-{int(time.time() * 1000) % 100000}"
    source = CounterSource(name, 256, 2000.0).start()
    try:
        with Stream(name, bufsize=10.0) as stream:
            time.sleep(5.5)  # fill the 5 s window
            scope = ScopeWidget(ScopeModel(stream, picks=stream.ch_names[1:9], window=5.0, max_points=1000))
            scope.refresh()  # first frame builds the traces
            t0 = time.perf_counter()
            for _ in range(n_frames):
                scope.refresh()
            per_frame = (time.perf_counter() - t0) / n_frames
    finally:
        source.stop()
    return {"frame_ms": per_frame * 1e3, "max_fps": 1.0 / per_frame, "share_of_15hz_budget": per_frame * 15.0}


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[dict], out) -> None:
    head = f"{'config':>16} {'consumer':>11} {'lost':>6} {'rep':>4} {'p50 ms':>8} {'p99 ms':>8} {'CPU':>6}  ratio p50/p99"
    print(head, file=out)
    for r in rows:
        cfg = f"{r['n_channels']} ch {r['sfreq'] / 1000:g} kHz"
        for key, label in (("workbench", "workbench"), ("bare_pylsl", "bare pylsl")):
            m = r[key]
            ratio = f"  {_fmt(r['ratio_latency_p50'], '.2f')} / {_fmt(r['ratio_latency_p99'], '.2f')}"
            print(
                f"{cfg:>16} {label:>11} {m['samples_lost']:>6} {m['samples_repeated']:>4} "
                f"{_fmt(m['latency_p50_ms'], '.2f'):>8} {_fmt(m['latency_p99_ms'], '.2f'):>8} "
                f"{m['thread_cpu_share']:>6.1%}{ratio if key == 'workbench' else ''}",
                file=out,
            )
        print(f"{'':>16} source sent {r['sent_over_expected']:.3f} of the nominal rate", file=out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per configuration")
    parser.add_argument("--json", action="store_true", help="JSON on stdout (the table goes to stderr)")
    args = parser.parse_args()
    rows = [run_config(n, f, args.seconds) for n, f in CONFIGS]
    scope = scope_cost()
    out = sys.stderr if args.json else sys.stdout
    print_table(rows, out)
    print(
        f"live scope (8 of 256 ch at 2 kHz, 5 s window): {scope['frame_ms']:.1f} ms per frame, "
        f"up to {scope['max_fps']:.0f} frames/s; at 15 Hz it takes {scope['share_of_15hz_budget']:.0%} of the kernel's time",
        file=out,
    )
    if args.json:
        print(json.dumps({"benchmark": "acquisition", "configs": rows, "scope": scope}, indent=2))


if __name__ == "__main__":
    main()
