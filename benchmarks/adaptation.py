"""What recalibration between blocks is worth, over many simulated participants (issue 19).

One demo block of six trials moves a sixth per trial, so what adaptation does
is measured here, over ``--participants`` simulated participants (each a
``ParticipantModel`` seed: its own direction of drift and trial spread), on the
protocol of the trial day (``workbench demo``): a calibration run of
``--calibration-reps`` trials per class (block 0), a closed-loop block of
``--loop-reps`` (block 1), then the block that is scored (block 2, same
length). Decoder v1 is trained on the calibration run; v2 is the supervised
recalibration on the calibration run and block 1 (``session.adaptation.
recalibrate``), as the trial day makes it. Both decode block 2 offline
(``offline_accuracy``: window accuracy, and trial accuracy by the majority of
a trial's windows).

Each setting is run on a drifting participant (the model's default drift and
fatigue at that difficulty), on the same participant held stationary (no
drift, no fatigue), and with blocks 1 and 2 on the next day (a day moves the
drift as far as ``DAY_IN_BLOCKS`` blocks: impedance and electrode position
change between sessions): drift should lower the unadapted v1, recalibration
should recover it, and do no harm on a stationary participant. Printed per
setting: mean accuracies of v1 and v2, and the paired difference v2 - v1 with its 95 % confidence interval over participants
(Student's t). Accuracies, not timings; no reference to compare against but
the unadapted decoder itself.

Usage::

    .venv/bin/python benchmarks/adaptation.py [--participants 20] [--json]

Keys per setting ``<demo|realistic>_<drifting|stationary|drifting_next_day>``: ``unadapted_trial_accuracy``,
``recalibrated_trial_accuracy``, ``trial_gain``, ``trial_gain_ci95``, the same
for windows, and ``n_participants``.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from workbench.session.adaptation import offline_accuracy, recalibrate  # noqa: E402
from workbench.session.demo import CLASSES, DEMO_DIFFICULTY  # noqa: E402
from workbench.session.paradigm import ParadigmSpec  # noqa: E402
from workbench.session.participant import ParticipantModel, simulate_recording  # noqa: E402
from workbench.session.training import train_decoder, windows_from_raw  # noqa: E402


def _block(model, block: int, reps: int, seed: int, day: int = 0):
    spec = ParadigmSpec(CLASSES, cue_s=3.0, rest_s=1.0, repetitions=reps, seed=seed, jitter_s=0.5)
    raw = simulate_recording(spec, seed=seed, model=model, block=block, day=day)
    return windows_from_raw(raw, CLASSES, cue_s=spec.cue_s)


def one_participant(model, cal_reps: int, loop_reps: int, seed: int, day: int = 0) -> np.ndarray:
    """(v1 window, v1 trial, v2 window, v2 trial) accuracy on block 2 (of ``day``; calibration on day 0)."""
    w0, w1, w2 = (_block(model, b, cal_reps if b == 0 else loop_reps, seed + b, 0 if b == 0 else day)
                  for b in range(3))
    v1 = train_decoder(w0).decoder
    v2 = recalibrate([w0, w1]).decoder
    return np.array([*offline_accuracy(v1, w2), *offline_accuracy(v2, w2)])


def _ci95(diff: np.ndarray) -> list[float]:
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    return [float(diff.mean() - half), float(diff.mean() + half)]


def setting(difficulty, drifting: bool, n: int, cal_reps: int, loop_reps: int, day: int = 0) -> dict:
    rows = []
    for who in range(n):
        still = {} if drifting else {"drift_per_block": 0.0, "fatigue_per_min": 0.0}
        model = ParticipantModel(difficulty=difficulty, seed=who, **still)
        rows.append(one_participant(model, cal_reps, loop_reps, seed=100 * who, day=day))
    a = np.array(rows)
    out = {"n_participants": n}
    for col, kind in ((0, "window"), (1, "trial")):
        diff = a[:, col + 2] - a[:, col]
        out[f"unadapted_{kind}_accuracy"] = float(a[:, col].mean())
        out[f"recalibrated_{kind}_accuracy"] = float(a[:, col + 2].mean())
        out[f"{kind}_gain"] = float(diff.mean())
        out[f"{kind}_gain_ci95"] = _ci95(diff)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=20)
    parser.add_argument("--calibration-reps", type=int, default=4, help="as workbench demo (default 4)")
    parser.add_argument("--loop-reps", type=int, default=2, help="as workbench demo (default 2)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.participants < 3:
        parser.error(f"--participants {args.participants}: at least 3 (a confidence interval needs them)")
    warnings.filterwarnings("ignore", category=UserWarning)  # small-sample CV warnings of the decoder fit
    results = {}
    for difficulty, name in ((DEMO_DIFFICULTY, "demo"), ("realistic", "realistic")):
        for drifting, day in ((True, 0), (False, 0), (True, 1)):
            key = f"{name}_{'drifting' if drifting else 'stationary'}" + ("_next_day" if day else "")
            r = setting(difficulty, drifting, args.participants, args.calibration_reps, args.loop_reps, day)
            results[key] = r
            if not args.json:
                lo, hi = r["trial_gain_ci95"]
                wlo, whi = r["window_gain_ci95"]
                print(f"{key:31s} trial accuracy v1 {r['unadapted_trial_accuracy']:.2f} -> v2 "
                      f"{r['recalibrated_trial_accuracy']:.2f} (gain {r['trial_gain']:+.2f}, 95% CI {lo:+.2f} to "
                      f"{hi:+.2f}); windows {r['unadapted_window_accuracy']:.2f} -> "
                      f"{r['recalibrated_window_accuracy']:.2f} ({wlo:+.2f} to {whi:+.2f}); "
                      f"{r['n_participants']} participants", flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
