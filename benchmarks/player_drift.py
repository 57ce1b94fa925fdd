"""Does the Player drift? Stream for a long time and compare arrival time with time stamps.

Usage::

    .venv/bin/python benchmarks/player_drift.py [--seconds 600] [--replay FILE --loop]

A plain pylsl inlet (polled with timeout=0.0) records, for each chunk, the
local clock at arrival minus the time stamp of its last sample (the latency).
A player that drifts shows a latency that grows (falling behind) or turns
negative (running ahead). Printed: median latency in the first and in the last
minute, their difference (the drift), and samples sent over the samples the
schedule called for (ratio 1.0 = sample-exact pacing).
"""

from __future__ import annotations

import argparse
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
from workbench.datasets import Player, SyntheticSource  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--replay", default=None)
    parser.add_argument("--loop", action="store_true")
    args = parser.parse_args()
    name = f"wb-drift-{int(time.time())}"
    if args.replay:
        player = Player.from_file(args.replay, name=name, loop=args.loop, counter=True)
    else:
        player = Player(SyntheticSource("eeg-64", counter=True, sfreq=1000), name=name)
    player.start()
    info = pylsl.resolve_byprop("name", name, timeout=10)[0]
    inlet = pylsl.StreamInlet(info, max_buflen=360)
    inlet.open_stream(timeout=10)
    rows, counters, stop = [], [], threading.Event()

    def poll():
        while not stop.is_set():
            data, stamps = inlet.pull_chunk(timeout=0.0)
            if stamps:
                now = pylsl.local_clock()
                counters.append(np.asarray(data)[:, 0])
                rows.append((now, now - stamps[-1], len(stamps)))
            else:
                time.sleep(0.002)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    time.sleep(args.seconds)
    elapsed = pylsl.local_clock() - player.t0
    sent = player.n_samples_sent
    stop.set()
    thread.join(5)
    player.stop()
    arr = np.array(rows)
    t = arr[:, 0] - player.t0
    first = np.median(arr[t < 60, 1]) * 1e3
    last = np.median(arr[t > t[-1] - 60, 1]) * 1e3
    if hasattr(player.source, "signal_times"):
        # XDF replay follows the recorded stamps (e.g. 125.08 Hz for a nominal 125 Hz device).
        rel = player.source.signal_times()
        laps, rest = divmod(elapsed, player.source.period) if args.loop else (0, elapsed)
        expected = laps * rel.size + np.searchsorted(rel, rest, side="right")
    else:
        expected = np.floor(elapsed * player.sfreq) + 1
    print(f"streamed {elapsed:.1f} s of {player.name} at {player.sfreq:g} Hz")
    print(f"latency median first minute {first:.3f} ms, last minute {last:.3f} ms, drift {last - first:+.3f} ms")
    print(f"samples sent / scheduled = {sent} / {expected:.0f} = {sent / expected:.6f}")
    check = check_counter(np.concatenate(counters))
    print(f"samples received {int(arr[:, 2].sum())}; counter check: {check}")


if __name__ == "__main__":
    main()
