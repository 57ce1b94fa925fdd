"""Acquisition benchmark: samples lost, LSL-to-read latency, CPU share: workbench, mne-lsl, bare pylsl.

Usage::

    .venv/bin/python benchmarks/acquisition.py [--seconds 10] [--bufsize 0.5] [--json]

For each configuration (64 ch at 1 kHz, 256 ch at 2 kHz, 1024 ch at 30 kHz),
a paced counter source (channel 0 = sample index; see CounterSource) streams
on loopback while three consumers run at once, each in its own process (so
no consumer pays for another's GIL):

- ``workbench``: an acquisition :class:`~workbench.acquisition.Stream` and a
  reader calling ``read()`` every 2 ms;
- ``mne_lsl``: mne-lsl's ``StreamLSL`` (acquisition thread every 1 ms, its
  default) read every 2 ms through ``n_new_samples`` and ``get_data``; needs
  the peer from benchmarks/requirements-peers.txt, and says so when missing.
  It reads only the counter channel (``picks=[0]``) where the workbench
  consumer takes every channel: its process CPU is flattered, not its
  acquisition thread's;
- ``bare_pylsl``: a plain inlet polled with ``pull_chunk(timeout=0.0)`` and
  2 ms sleeps (the recipe that works here, shared/STACK.md): the floor.

All three use liblsl's clock-offset correction only, and the two buffered
streams the same ``--bufsize``. Latency is ``local_clock()`` when the consumer
gets a chunk minus the time stamp of the chunk's newest sample (the source
stamps each chunk's newest sample when it pushes it). Lost and repeated
samples come from :func:`workbench.acquisition.check_counter` on the counter
channel. CPU: ``acq CPU`` is the acquisition thread's CPU time over the wall
time (for bare pylsl the polling loop itself), ``proc CPU`` the whole
consumer process's. Ratios are against bare pylsl in the same run: the
machine's load cancels out. Nothing is asserted: this script only reports.

JSON keys: ``workbench_p99_ms_256ch``, ``mne_lsl_p99_ms_256ch`` (null when
mne-lsl is missing), ``pylsl_p99_ms_256ch``, and every figure per configuration.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing
import sys
import threading
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.acquisition.lsl_config import use_loopback  # noqa: E402

use_loopback(force=True)

import numpy as np  # noqa: E402
import psutil  # noqa: E402
import pylsl  # noqa: E402

from workbench.acquisition import BufferOverrunError, Stream, check_counter  # noqa: E402



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


CONSUMERS = ("workbench", "mne_lsl", "bare_pylsl")
LABELS = {"workbench": "workbench", "mne_lsl": "mne-lsl", "bare_pylsl": "bare pylsl"}
PEERS_FILE = "benchmarks/requirements-peers.txt"


def mne_lsl_missing() -> str | None:
    """None when mne-lsl imports, else why not (the benchmark runs without it)."""
    try:
        spec = importlib.util.find_spec("mne_lsl")
    except (ImportError, ValueError):  # a broken or blocked install counts as missing
        spec = None
    if spec is None:
        return f"mne-lsl is not installed: .venv/bin/python -m pip install -r {PEERS_FILE}"
    return None


class _WorkbenchConsumer:
    def __init__(self, name: str, sfreq: float, bufsize: float) -> None:
        # Same liblsl processing on every side (clock offset only), so only the consumers differ.
        self.stream = Stream(name, bufsize=bufsize, dejitter=False).connect(timeout=10)
        self.reader = self.stream.reader()

    def read(self):
        try:
            data, ts = self.reader.read()
        except BufferOverrunError:
            # Fell more than bufsize behind (a starved process): go on from the newest
            # sample, so the counter shows the overwritten samples as lost.
            self.reader = self.stream.reader()
            return None
        return (data[:, 0], ts) if len(ts) else None

    def acquisition_thread(self) -> int | None:
        return self.stream.thread_native_id

    def close(self) -> None:
        self.stream.disconnect()


class _MneLslConsumer:
    """StreamLSL as its documentation uses it: ``n_new_samples`` then ``get_data(winsize)``.

    ``n_new_samples`` and ``get_data`` are two calls, and samples that land
    between them would push the oldest new ones out of the window. A careful
    user asks for 50 ms more and keeps only what is newer than the last
    sample seen. Newer is judged by the counter, not the time stamps: the
    source stamps each chunk's newest sample when pushed and liblsl spaces
    the others back at the nominal rate, so two chunks pushed together
    overlap in time. Keeping only counter values above the last one hides
    repeats (which StreamLSL's buffer cannot make) but not losses.
    """

    def __init__(self, name: str, sfreq: float, bufsize: float) -> None:
        import mne_lsl
        from mne_lsl.stream import StreamLSL

        mne_lsl.set_log_level("WARNING")
        # The counter source has no channel description; StreamLSL warns and names channels itself.
        warnings.filterwarnings("ignore", message="Something went wrong while reading the channel description")
        self.sfreq = sfreq
        self.margin = int(sfreq * 0.05) + 1
        self.stream = StreamLSL(bufsize, name=name).connect(acquisition_delay=0.001, processing_flags=["clocksync"],
                                                             timeout=10)  # fmt: skip
        self.last = -np.inf

    def read(self):
        n = self.stream.n_new_samples
        if not n:
            return None
        # winsize just under a whole number of samples: get_data ceils winsize * sfreq
        data, ts = self.stream.get_data(winsize=(n + self.margin - 0.5) / self.sfreq, picks=[0])
        new = data[0] > self.last
        if not new.any():
            return None
        self.last = data[0, -1]
        return data[0, new], ts[new]

    def acquisition_thread(self) -> int | None:
        threads = list(getattr(self.stream._executor, "_threads", ()))  # its one acquisition worker
        return threads[0].native_id if threads else None

    def close(self) -> None:
        self.stream.disconnect()


class _BareConsumer:
    """A plain inlet polled with pull_chunk(timeout=0.0) (the recipe that works here, shared/STACK.md)."""

    def __init__(self, name: str, sfreq: float, bufsize: float) -> None:
        info = pylsl.resolve_byprop("name", name, timeout=10)[0]
        self.inlet = pylsl.StreamInlet(info, max_buflen=30, processing_flags=pylsl.proc_clocksync)
        self.inlet.open_stream(timeout=10)
        self.max_chunk = int(min(max(1024, sfreq / 10), 2**16))  # as the workbench Stream pulls

    def read(self):
        data, ts = self.inlet.pull_chunk(timeout=0.0, max_samples=self.max_chunk, as_numpy=True)
        return (data[:, 0], ts) if len(ts) else None

    def acquisition_thread(self) -> int | None:
        return threading.get_native_id()  # the polling loop is the acquisition

    def close(self) -> None:
        self.inlet.close_stream()


CONSUMER_CLASSES = {"workbench": _WorkbenchConsumer, "mne_lsl": _MneLslConsumer, "bare_pylsl": _BareConsumer}


def consume(kind: str, name: str, sfreq: float, bufsize: float, ready, measure, stop, results) -> None:
    """One consumer in its own process (no shared GIL): read every 2 ms, stamp latency, keep the counter."""
    try:
        consumer = CONSUMER_CLASSES[kind](name, sfreq, bufsize)
    except Exception as err:  # reported, not raised: the other consumers still run
        ready.set()
        results.put((kind, {"error": f"{type(err).__name__}: {err}"}))
        return
    ready.set()
    try:
        results.put((kind, _consume_loop(kind, consumer, measure, stop)))
    except Exception as err:
        results.put((kind, {"error": f"{type(err).__name__}: {err}"}))
    finally:
        consumer.close()


def _consume_loop(kind: str, consumer, measure, stop) -> dict:
    lat, counters, measuring = [], [], False
    proc = psutil.Process()
    while not stop.is_set():
        if not measuring and measure.is_set():
            measuring, t0 = True, time.perf_counter()
            tid, cpu_proc0 = consumer.acquisition_thread(), sum(proc.cpu_times()[:2])
            cpu_thread0 = thread_cpu(tid)
        got = consumer.read()
        if got is not None and measuring:
            counter, ts = got
            lat.append(pylsl.local_clock() - ts[-1])
            counters.append(np.asarray(counter, dtype=np.float64))
        if got is None or kind != "bare_pylsl":
            time.sleep(0.002)
    wall = time.perf_counter() - t0 if measuring else float("nan")
    cpu_thread = thread_cpu(tid) - cpu_thread0 if measuring else float("nan")
    cpu_proc = sum(proc.cpu_times()[:2]) - cpu_proc0 if measuring else float("nan")
    check = check_counter(np.concatenate(counters) if counters else [])
    arr = np.asarray(lat) * 1e3
    return {
        "samples_received": check.n_samples,
        "samples_lost": check.n_lost,
        "samples_repeated": check.n_repeated,
        "latency_p50_ms": float(np.percentile(arr, 50)) if arr.size else None,
        "latency_p99_ms": float(np.percentile(arr, 99)) if arr.size else None,
        "thread_cpu_share": cpu_thread / wall,
        "process_cpu_share": cpu_proc / wall,
    }


def run_config(n_channels: int, sfreq: float, seconds: float, bufsize: float, kinds) -> dict:
    name = f"wb-bench-{n_channels}-{int(sfreq)}-{int(time.time() * 1000) % 100000}"
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: forking liblsl's threads is unsafe
    ready = {k: ctx.Event() for k in kinds}
    measure, stop, results = ctx.Event(), ctx.Event(), ctx.Queue()
    source = CounterSource(name, n_channels, sfreq).start()
    procs = [ctx.Process(target=consume, args=(k, name, sfreq, bufsize, ready[k], measure, stop, results), daemon=True)
             for k in kinds]  # fmt: skip
    try:
        for p in procs:
            p.start()
        for k in kinds:
            ready[k].wait(60)
        time.sleep(1.0)  # settle: clock offset estimates, first chunks
        measure.set()
        sent0, t0 = source.n_samples_sent, time.perf_counter()
        time.sleep(seconds)
        wall = time.perf_counter() - t0
        sent = source.n_samples_sent - sent0
        stop.set()
        got = dict(results.get(timeout=60) for _ in procs)
        for p in procs:
            p.join(10)
    finally:
        stop.set()
        source.stop()
        for p in procs:
            if p.is_alive():
                p.terminate()
    row = {"n_channels": n_channels, "sfreq": sfreq, "seconds": seconds, "bufsize_s": bufsize,
           "sent_over_expected": sent / (wall * sfreq)}  # fmt: skip
    for k in CONSUMERS:
        row[k] = got.get(k)
    bare = got.get("bare_pylsl") or {}
    for k in ("workbench", "mne_lsl"):
        m = got.get(k) or {}
        for q in ("p50", "p99"):
            a, b = m.get(f"latency_{q}_ms"), bare.get(f"latency_{q}_ms")
            row[f"ratio_{k}_latency_{q}"] = a / b if a and b else None
    return row


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
    head = (f"{'config':>16} {'consumer':>11} {'received':>9} {'lost':>6} {'rep':>4} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'acq CPU':>8} {'proc CPU':>8}  vs bare pylsl p50/p99")  # fmt: skip
    print(head, file=out)
    for r in rows:
        cfg = f"{r['n_channels']} ch {r['sfreq'] / 1000:g} kHz"
        for key in CONSUMERS:
            m = r.get(key)
            if m is None:
                continue
            if "error" in m:
                print(f"{cfg:>16} {LABELS[key]:>11} failed: {m['error']}", file=out)
                continue
            ratio = ""
            if key != "bare_pylsl":
                ratio = f"  {_fmt(r[f'ratio_{key}_latency_p50'], '.2f')} / {_fmt(r[f'ratio_{key}_latency_p99'], '.2f')}"
            print(
                f"{cfg:>16} {LABELS[key]:>11} {m['samples_received']:>9} {m['samples_lost']:>6} {m['samples_repeated']:>4} "
                f"{_fmt(m['latency_p50_ms'], '.2f'):>8} {_fmt(m['latency_p99_ms'], '.2f'):>8} "
                f"{m['thread_cpu_share']:>8.1%} {m['process_cpu_share']:>8.1%}{ratio}",
                file=out,
            )
        print(f"{'':>16} source sent {r['sent_over_expected']:.3f} of the nominal rate", file=out)


def summary_keys(rows: list[dict]) -> dict:
    """The issue's keys: p99 latency at 256 ch / 2 kHz per consumer (None when it did not run)."""
    row = next((r for r in rows if r["n_channels"] == 256), None)
    keys = {}
    for k in CONSUMERS:
        m = (row or {}).get(k) or {}
        keys[f"{k}_p99_ms_256ch"] = m.get("latency_p99_ms")
    return {"mne_lsl_p99_ms_256ch": keys["mne_lsl_p99_ms_256ch"],
            "workbench_p99_ms_256ch": keys["workbench_p99_ms_256ch"],
            "pylsl_p99_ms_256ch": keys["bare_pylsl_p99_ms_256ch"]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per configuration")
    parser.add_argument("--bufsize", type=float, default=0.5, help="seconds of buffer for the workbench Stream and StreamLSL")
    parser.add_argument("--configs", default="64:1000,256:2000,1024:30000", help="CHANNELS:HZ,... to run")
    parser.add_argument("--consumers", default=",".join(CONSUMERS), help="which of them to run (default all)")
    parser.add_argument("--no-scope", action="store_true", help="skip the live-scope frame cost")
    parser.add_argument("--json", action="store_true", help="JSON on stdout (the table goes to stderr)")
    args = parser.parse_args()
    out = sys.stderr if args.json else sys.stdout
    missing = mne_lsl_missing()
    if missing:
        print(f"PEER MISSING: {missing}; mne-lsl columns are left empty", file=out)
    wanted = args.consumers.split(",")
    unknown = sorted(set(wanted) - set(CONSUMERS))
    if unknown:
        parser.error(f"--consumers: unknown {unknown}; choose from {', '.join(CONSUMERS)}")
    kinds = [k for k in CONSUMERS if k in wanted and not (k == "mne_lsl" and missing)]
    configs = [tuple(float(x) for x in c.split(":")) for c in args.configs.split(",")]
    rows = [run_config(int(n), f, args.seconds, args.bufsize, kinds) for n, f in configs]
    scope = None if args.no_scope else scope_cost()
    print_table(rows, out)
    if scope:
        print(
            f"live scope (8 of 256 ch at 2 kHz, 5 s window): {scope['frame_ms']:.1f} ms per frame, "
            f"up to {scope['max_fps']:.0f} frames/s; at 15 Hz it takes {scope['share_of_15hz_budget']:.0%} of the kernel's time",
            file=out,
        )
    if args.json:
        print(json.dumps({"benchmark": "acquisition", "mne_lsl_missing": missing, **summary_keys(rows),
                          "configs": rows, "scope": scope}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
