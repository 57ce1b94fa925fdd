"""Memory and time of a supervised recalibration between closed-loop blocks, per decoder kind.

Usage::

    .venv/bin/python benchmarks/training_memory.py [--kinds bandpower_lda,csp_lda,ts_lr,mdm]
        [--block-minutes 5] [--sfreq 2000] [--json]

What runs: what ``workbench demo`` and ``benchmarks/soak.py`` do between two blocks
(``session.adaptation.recalibrate`` -> ``session.training.train_decoder``: 5-fold grouped
cross-validation, then the final decoder), on the soak's sizes: the simulated participant's 8
decoder channels at 2 kHz, a calibration run (2 repetitions of rest / grasp / open, 3 s cues, 1 s
rest) plus one closed-loop block of ``--block-minutes`` of the same trials, windows of 1 s every
0.1 s from each cue's settled part (``training.windows_from_raw``). ``csp_lda`` trains on the grasp
and open windows only (CSP contrasts two classes).

Each kind runs in a fresh process that first loads the runs (made once, cached in a temporary
folder), so its figures are the training's alone:

- ``peak_rss_mb``: the process's resident high-water mark (Linux ``VmHWM``, reset to the present RSS
  just before training through ``/proc/self/clear_refs``; where that cannot be reset,
  ``resource.getrusage().ru_maxrss``), ``baseline_rss_mb`` the RSS before training, ``peak_added_mb``
  the difference: what recalibration adds to a running session;
- ``seconds``: wall time of ``train_decoder``;
- ``result_sha256``: a digest of everything the training decides (cross-validated accuracies and
  confusion, the fitted arrays of the final decoder's feature stage and model, its outputs decoding
  the first 20 s of the block), to check that a change of the training's memory use changed no result.

Nothing is asserted.

Measured on this project's 2-core VM while other work ran (peak added by the recalibration, wall time of
two interleaved runs; every ``result_sha256`` equal before and after):

- ``bandpower_lda``: +866 MB, 12.9-14.8 s (every window stacked) -> +147 MB, 4.6-4.9 s (windows in
  batches of 64, runs preprocessed once for every fold);
- ``ts_lr``: +450 MB, 21-35 s -> +74 MB, 14-21 s;
- ``mdm``: +450 MB, 17-18 s -> +74 MB, 10-16 s;
- ``csp_lda`` (1,080 windows): +541 MB, 34-36 s -> +541 MB, 33-34 s (its windows are still stacked, below).

What is left: band power holds the runs preprocessed once (84 MB: 16 filtered channels of 660,000 samples)
while cross-validation decodes each whole run (the online path, +75 MB); CSP is fitted by
``mne.decoding.CSP`` on every window at once, which holds about three times the windows (138 MB).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

KINDS = ("bandpower_lda", "csp_lda", "ts_lr", "mdm")
CLASSES = ("rest", "grasp", "open")
CUE_S, REST_S = 3.0, 1.0


def simulate(spec, sfreq, seed, block):
    """A paradigm run of the simulated participant at ``sfreq`` as an MNE Raw (workbench's own simulator)."""
    from workbench.session.participant import simulate_recording

    return simulate_recording(spec, seed=seed, block=block, sfreq=sfreq)


def make_runs(folder: Path, sfreq: float, block_minutes: float) -> Path:
    """The calibration run and one closed-loop block, cut into windows and saved (no Raw) for the workers."""
    from workbench.session.paradigm import ParadigmSpec
    from workbench.session.training import windows_from_raw

    fname = folder / f"runs-{sfreq:g}-{block_minutes:g}.npz"
    if fname.exists():
        return fname
    reps = max(1, round(block_minutes * 60.0 / (len(CLASSES) * (CUE_S + REST_S))))
    arrays = {}
    for r, (repetitions, seed) in enumerate(((2, 0), (reps, 1))):
        spec = ParadigmSpec(CLASSES, cue_s=CUE_S, rest_s=REST_S, repetitions=repetitions, seed=seed, jitter_s=0.0)
        w = windows_from_raw(simulate(spec, sfreq, seed, r), CLASSES, cue_s=CUE_S)
        arrays.update({f"{k}{r}": v for k, v in dict(data=w.data, ends=w.ends, labels=w.labels,
                                                      trials=w.trials).items()})
        arrays[f"ch_names{r}"] = np.asarray(w.ch_names)
    np.savez(fname, **arrays)
    return fname


def load_runs(fname: Path, kind: str):
    from dataclasses import replace

    from workbench.session.training import LabelledWindows

    z = np.load(fname)
    sfreq = float(fname.name.split("-")[1])
    runs = []
    for r in range(2):
        w = LabelledWindows(z[f"data{r}"], [str(c) for c in z[f"ch_names{r}"]], sfreq, z[f"ends{r}"],
                            z[f"labels{r}"], z[f"trials{r}"], [], None)
        if kind == "csp_lda":
            keep = np.isin(w.labels, ["grasp", "open"])
            w = replace(w, ends=w.ends[keep], labels=w.labels[keep], trials=w.trials[keep])
        runs.append(w)
    return runs


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb(exact: bool) -> float:
    if exact:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM:"))
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def result_digest(res, block) -> str:
    h = hashlib.sha256()
    h.update(repr((res.window_accuracy, res.trial_accuracy, res.n_folds)).encode())
    h.update(np.ascontiguousarray(res.confusion).tobytes())
    dec = res.decoder
    for est in (dec.features, dec.model):
        for name in sorted(vars(est)):
            v = getattr(est, name)
            if name.endswith("_") and isinstance(v, np.ndarray):
                h.update(name.encode() + np.ascontiguousarray(v).tobytes())
    out = dec.decode(block.data[: int(20 * block.sfreq)])
    h.update(np.ascontiguousarray(out.values).tobytes())
    return h.hexdigest()


def worker(fname: Path, kind: str) -> dict:
    from workbench.session.adaptation import recalibrate

    runs = load_runs(fname, kind)
    recalibrate(load_runs(fname, kind)[:1], kind=kind, n_folds=2)  # imports and kernels compiled before measuring
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        exact = True
    except OSError:
        exact = False
    base = rss_mb()
    t0 = time.perf_counter()
    res = recalibrate(runs, kind=kind)
    seconds = time.perf_counter() - t0
    peak = peak_rss_mb(exact)
    return dict(kind=kind, n_windows=int(sum(len(w.ends) for w in runs)),
                n_samples=int(sum(len(w.data) for w in runs)), n_channels=int(runs[0].data.shape[1]),
                baseline_rss_mb=round(base, 1), peak_rss_mb=round(peak, 1), peak_added_mb=round(peak - base, 1),
                peak_exact=exact, seconds=round(seconds, 2), result_sha256=result_digest(res, runs[1]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--block-minutes", type=float, default=5.0)
    ap.add_argument("--sfreq", type=float, default=2000.0)
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    ap.add_argument("--worker", nargs=2, metavar=("RUNS", "KIND"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(Path(args.worker[0]), args.worker[1])))
        return 0
    kinds = [k for k in args.kinds.split(",") if k]
    folder = Path(tempfile.gettempdir()) / "workbench-training-memory"
    folder.mkdir(exist_ok=True)
    fname = make_runs(folder, args.sfreq, args.block_minutes)
    results = {}
    for kind in kinds:
        out = subprocess.run([sys.executable, __file__, "--worker", str(fname), kind], capture_output=True,
                             text=True, check=True)
        results[kind] = json.loads(out.stdout.strip().splitlines()[-1])
        r = results[kind]
        print(f"{kind:14s} {r['n_windows']} windows: peak RSS {r['peak_rss_mb']:.0f} MB "
              f"(+{r['peak_added_mb']:.0f} MB over {r['baseline_rss_mb']:.0f}), {r['seconds']:.1f} s, "
              f"result {r['result_sha256'][:12]}", file=sys.stderr if args.json else sys.stdout)
    summary = dict(sfreq=args.sfreq, block_minutes=args.block_minutes, kinds=results,
                   max_peak_added_mb=max(r["peak_added_mb"] for r in results.values()))
    if args.json:
        print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
