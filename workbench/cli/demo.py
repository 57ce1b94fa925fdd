"""``workbench demo``: simulated amplifier -> LSL -> acquisition -> XDF recording.

A sequence of calls into the package (later issues add decoding and trial
records after the recording step). Runs in about 20 s and leaves a readable
XDF and its run manifest in the workspace.
"""

from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help="simulated amplifier -> LSL -> acquisition -> XDF (about 20 s)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds to acquire and record (default 10)")
    p.add_argument("--montage", default="eeg-64", help="simulated montage: eeg-64, ecog-8 or utah-96")
    p.set_defaults(func=run)


def run(args) -> int:
    import os
    import time

    from ..acquisition.lsl_config import use_loopback

    use_loopback()
    import numpy as np
    from tqdm import tqdm

    from ..acquisition import MarkerStream, Stream, find_streams
    from ..config import get_workspace
    from ..datasets import Player, SyntheticSource
    from ..errors import Problem, ValidationError
    from ..recording.labrecorder import Recorder
    from ..recording.runs import RunEntities, recover_interrupted_runs

    if not args.duration > 0:
        raise ValidationError([Problem("--duration", args.duration, "seconds > 0")], what="demo")
    ws = get_workspace(args.workspace)
    for m in recover_interrupted_runs(ws.recordings):
        print(f"marked interrupted: {m.fname}")

    source = SyntheticSource(montage=args.montage, seed=0, counter=True)
    name = f"wb-demo-{os.getpid()}"
    with Player(source, name=name) as player:
        print("streams on this machine:")
        for desc in find_streams(timeout=1.0):
            print("  " + desc.summary())
        with Stream(player.name, bufsize=args.duration + 5) as stream, MarkerStream(player.marker_name) as markers:
            reader = stream.reader(from_start=True)
            recorder = Recorder(
                [player.name, player.marker_name],
                ws.recordings,
                entities=RunEntities(subject="demo", task="demo"),
                monitors=[stream, markers],
            )
            recorder.start()
            counters = []
            fmt = "{l_bar}{bar}| {n:.1f}/{total:.1f} s {postfix}"
            try:
                with tqdm(total=round(args.duration, 1), unit="s", desc="recording", bar_format=fmt) as bar:
                    while (status := recorder.status()).elapsed < args.duration:
                        counters.append(reader.read()[0][:, 0])
                        bar.n = round(min(status.elapsed, args.duration), 1)
                        bar.set_postfix_str(f"{stream.n_samples_received} samples, {status.size_bytes / 1e6:.1f} MB")
                        time.sleep(0.25)
                    bar.n = round(args.duration, 1)
            finally:  # also on Ctrl-C: the file is closed properly
                print("stopping LabRecorder (it closes the file with footers and clock offsets) ...")
                manifest = recorder.stop()
            counters.append(reader.read()[0][:, 0])
            n_markers_received = markers.n_markers_received
        n_sent, n_markers_sent = player.n_samples_sent, player.n_markers_sent

    counter = np.concatenate(counters)
    lost_or_repeated = int(np.count_nonzero(np.diff(counter) != 1))
    in_file = {s.name: s.n_samples for s in manifest.streams}
    print()
    print(f"amplifier      {args.montage}: {len(stream.ch_names)} channels at {stream.sfreq:g} Hz")
    print(
        f"samples        sent {n_sent}, acquired {stream.n_samples_received} (since connect), "
        f"recorded {in_file.get(player.name, 0)} (the {args.duration:g} s run)"
    )
    print(f"counter check  {lost_or_repeated} samples lost or repeated in acquisition")
    print(
        f"markers        sent {n_markers_sent}, acquired {n_markers_received}, "
        f"recorded {in_file.get(player.marker_name, 0)}"
    )
    print(f"recording      {manifest.status}: {manifest.fname}")
    print(f"sha256         {manifest.sha256} ({manifest.size_bytes} bytes)")
    return 0 if manifest.status == "complete" and lost_or_repeated == 0 else 1
