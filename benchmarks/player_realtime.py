"""Can the Player push 1024 channels at 30 kHz (counter channel, 20 ms chunks) in real time?

Usage::

    .venv/bin/python benchmarks/player_realtime.py [--seconds 10] [--channels 1024] [--sfreq 30000]

Two measurements, each with a plain pylsl inlet pulling on loopback (so liblsl
really copies every sample to a consumer):

1. **Push real-time factor**: the Player's own feed (``ArraySource`` with a
   counter channel -> ``generate`` -> per-sample time stamps -> ``push_chunk``)
   driven as fast as it goes, 20 ms of signal per call; the factor is seconds
   of signal pushed per second of wall time (> 1 keeps up). The reference,
   measured in the same run, is bare pylsl pushing one preallocated block of
   the same format with a single time stamp (no generation, no stamps):
   ``x bare`` is how much the Player's work costs on top of liblsl's.
2. **Live pacing**: a started Player for ``--seconds``; prints the samples it
   sent over the samples the schedule called for (1.000 = keeps pace), and
   the samples a bare inlet received over the nominal rate, with
   :func:`~workbench.acquisition.check_counter` on the received counter.
3. **mne-lsl's PlayerLSL** beside it (the peer from
   benchmarks/requirements-peers.txt; said so and skipped when missing):
   the same second of signal as an MNE ``RawArray`` (counter on channel 0),
   20 ms chunks, looping, received by the same kind of inlet; the counter
   wraps at the file's length, so it is checked with ``modulus=n_times``.

Nothing is asserted: this script only reports.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.acquisition.lsl_config import use_loopback  # noqa: E402

use_loopback(force=True)

import numpy as np  # noqa: E402
import pylsl  # noqa: E402

from workbench.acquisition import check_counter  # noqa: E402
from workbench.datasets import ArraySource, Player  # noqa: E402
from workbench.datasets.outlets import open_outlet  # noqa: E402


def make_source(n_channels: int, sfreq: float) -> ArraySource:
    """One second of Gaussian noise (µV), looping, channel 0 = sample counter."""
    data = np.random.default_rng(0).normal(0, 10, (int(sfreq), n_channels)).astype(np.float32)
    names = [f"ch{i:04d}" for i in range(n_channels)]
    return ArraySource(data, sfreq, names, ["eeg"] * n_channels, ["microvolts"] * n_channels, loop=True, counter=True)


class Drain:
    """A bare inlet pulling everything from ``name`` on its own thread."""

    def __init__(self, name: str, keep_counter: bool = False) -> None:
        info = pylsl.resolve_byprop("name", name, timeout=10)[0]
        self.inlet = pylsl.StreamInlet(info, max_buflen=30)
        self.inlet.open_stream(timeout=10)
        self.n = 0
        self.keep_counter = keep_counter
        self.counters: list[np.ndarray] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            data, ts = self.inlet.pull_chunk(timeout=0.0, max_samples=65536, as_numpy=True)
            self.n += len(ts)
            if self.keep_counter and len(ts):
                self.counters.append(data[:, 0].copy())
            if not len(ts):
                time.sleep(0.002)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.inlet.close_stream()


def push_factor(n_channels: int, sfreq: float, seconds: float, chunk_ms: float = 20.0) -> tuple[float, float]:
    """(Player feed, bare pylsl) real-time factors with one consumer attached."""
    tag = int(time.time() * 1000) % 100000
    chunk_s = chunk_ms / 1000
    n_calls = int(seconds / chunk_s)
    # Player: its lane's feed and outlets, driven without waiting for the clock.
    player = Player(make_source(n_channels, sfreq), name=f"wb-rtf-{tag}", chunk_ms=chunk_ms)
    feed = player._lanes[0].feed
    outlet = open_outlet(player.specs[0])
    feed.marker_outlet = open_outlet(player.specs[1])
    drain = Drain(player.name)
    feed.push_due(chunk_s, 0.0, outlet)  # warm-up: liblsl's sample pool, first copies
    start = time.perf_counter()
    for k in range(2, n_calls + 2):
        feed.push_due(k * chunk_s - 1e-9, 0.0, outlet)
    wall = time.perf_counter() - start
    drain.close()
    player_rtf = (feed.n_sent - round(chunk_s * sfreq)) / sfreq / wall
    del outlet
    # Reference: bare pylsl, same format (double64: the counter stays exact), one stamp per chunk.
    name = f"wb-rtf-bare-{tag}"
    info = pylsl.StreamInfo(name, "EEG", n_channels, sfreq, "double64", name)
    bare = pylsl.StreamOutlet(info, max_buffered=360)
    drain = Drain(name)
    block = np.random.default_rng(0).normal(0, 10, (round(chunk_s * sfreq), n_channels))
    bare.push_chunk(block, 0.0)
    start = time.perf_counter()
    for k in range(n_calls):
        bare.push_chunk(block, (k + 1) * chunk_s)
    wall = time.perf_counter() - start
    drain.close()
    return player_rtf, n_calls * chunk_s / wall


def live_pacing(n_channels: int, sfreq: float, seconds: float) -> dict:
    """A started Player: sent / due, samples behind schedule at the end, received / nominal, counter check."""
    name = f"wb-live-{int(time.time() * 1000) % 100000}"
    with Player(make_source(n_channels, sfreq), name=name, chunk_ms=20) as player:
        drain = Drain(name, keep_counter=True)
        time.sleep(1.0)  # settle: consumer connected, liblsl's pool grown
        drain.counters.clear()
        sent0, got0, t0 = player.n_samples_sent, drain.n, time.perf_counter()
        time.sleep(seconds)
        sent, got, wall = player.n_samples_sent - sent0, drain.n - got0, time.perf_counter() - t0
        behind = (pylsl.local_clock() - player.t0) * sfreq - player.n_samples_sent
        drain.close()
    check = check_counter(np.concatenate(drain.counters))
    return {"sent_over_due": sent / (wall * sfreq), "behind": int(behind), "received_over_nominal": got / (wall * sfreq),
            "check": check}  # fmt: skip


def live_pacing_mne_lsl(n_channels: int, sfreq: float, seconds: float) -> dict | None:
    """mne-lsl's PlayerLSL on the same second of signal: received / nominal and the counter check."""
    if importlib.util.find_spec("mne_lsl") is None:
        return None
    import mne
    import mne_lsl
    from mne_lsl.player import PlayerLSL

    mne_lsl.set_log_level("WARNING")
    # One sample more than a second: with a length that is a whole number of chunks,
    # PlayerLSL 1.14.0 sends the whole file again at every lap (its wrap takes
    # start % n_times == 0 and pushes raw[:, 0:] plus the next chunk), which a
    # counter that wraps with the file cannot see; the benchmark measures its pacing,
    # not that bug (received / nominal near 2 would show it).
    n_times = int(sfreq) + 1
    data = np.random.default_rng(0).normal(0, 10e-6, (n_channels, n_times))  # volts: MNE's unit
    data[0] = np.arange(n_times)
    info = mne.create_info([f"ch{i:04d}" for i in range(n_channels)], sfreq, ["misc"] + ["eeg"] * (n_channels - 1))
    raw = mne.io.RawArray(data, info, verbose="error")
    name = f"wb-live-mnelsl-{int(time.time() * 1000) % 100000}"
    player = PlayerLSL(raw, chunk_size=round(0.02 * sfreq), name=name, source_id=name).start()
    try:
        drain = Drain(name, keep_counter=True)
        # PlayerLSL was seen to push nothing for its first second or more, then to
        # catch up as fast as it can: wait until half a second brings half a second
        # of samples (at most 15 s), so the window measures its pacing, not the burst.
        t_start, last = time.perf_counter(), drain.n
        while time.perf_counter() - t_start < 15:
            time.sleep(0.5)
            got_half, last = drain.n - last, drain.n
            if abs(got_half / (0.5 * sfreq) - 1) < 0.05:
                break
        caught_up = time.perf_counter() - t_start if abs(got_half / (0.5 * sfreq) - 1) < 0.05 else None
        drain.counters.clear()
        got0, t0 = drain.n, time.perf_counter()
        time.sleep(seconds)
        got, wall = drain.n - got0, time.perf_counter() - t0
        drain.close()
    finally:
        player.stop()
    check = check_counter(np.concatenate(drain.counters), modulus=n_times)
    return {"received_over_nominal": got / (wall * sfreq), "check": check, "caught_up_s": caught_up}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--channels", type=int, default=1024)
    parser.add_argument("--sfreq", type=float, default=30000.0)
    args = parser.parse_args()
    cfg = f"{args.channels} ch x {args.sfreq / 1000:g} kHz, counter, 20 ms chunks"
    player_rtf, bare_rtf = push_factor(args.channels, args.sfreq, args.seconds)
    print(f"{cfg}: Player push real-time factor {player_rtf:.1f} "
          f"(bare pylsl {bare_rtf:.1f}; Player costs {bare_rtf / player_rtf:.2f} x bare)")  # fmt: skip
    live = live_pacing(args.channels, args.sfreq, args.seconds)
    print(f"{cfg}: live Player sent {live['sent_over_due']:.3f} of the nominal rate, {live['behind']} samples behind "
          f"schedule at the end; a bare inlet received {live['received_over_nominal']:.3f} of it ({live['check']})")  # fmt: skip
    peer = live_pacing_mne_lsl(args.channels, args.sfreq, args.seconds)
    if peer is None:
        print(f"PEER MISSING: mne-lsl is not installed (pip install -r benchmarks/requirements-peers.txt): "
              f"no PlayerLSL figures")  # fmt: skip
    else:
        print(f"{cfg}: mne-lsl PlayerLSL: a bare inlet received {peer['received_over_nominal']:.3f} of the nominal "
              f"rate ({peer['check']}), " + (f"measured once it kept pace, {peer['caught_up_s']:.1f} s after it started"
              if peer["caught_up_s"] is not None else "measured after 15 s without it keeping pace"))  # fmt: skip

if __name__ == "__main__":
    main()
