"""MetaBCI side by side with the workbench decoder (issue 14, item 2).

Run ``python benchmarks/metabci_compare.py [--json]`` alone, or through
``benchmarks/decoder.py --json`` which adds its keys. MetaBCI is a peer
installed only for the benchmarks::

    .venv/bin/python -m pip install -r benchmarks/requirements-peers.txt

Its CSP and FBCSP import without torch (only its deep-learning modules need
it), so the benchmark installs ``metabci`` and the few packages its dataset
module imports, not the ``brainda`` extra. When it is missing, every MetaBCI
figure is ``null`` and ``metabci_missing`` says why.

Protocol (../shared/data/README.md): eegmmidb subject 1, runs 6, 10, 14
(imagined hands vs feet), 7-30 Hz band-pass, common average reference, 1 s
windows ending 2 s after each cue, ShuffleSplit(10, test_size=0.2,
random_state=42). Identical epochs for everyone: the workbench decoder's own
preprocessing (causal 4th-order Butterworth + CAR) cuts them once.

- ``accuracy_*``: mean test accuracy over the 10 splits. Workbench: its
  CSP(4) + LDA. MetaBCI: ``metabci.brainda.algorithms.decomposition.CSP``
  (4 components) + scikit-learn's LDA; FBCSP: MetaBCI's ``FBCSP`` on five
  sub-bands (8-12 ... 24-30 Hz, MetaBCI's ``generate_filterbank``, Chebyshev I
  order 4), 4 CSP components per band, the 4 best by mutual information
  (Ang et al. 2008), + LDA.
- ``*_fit_s``: mean CPU seconds of one fit on a training split.
- ``*_predict_ms_per_window``: median CPU milliseconds of ``predict`` on one
  window (the per-output cost of an offline pipeline).
- ``*_online_ms_p50``: the online path, per output, fed 23-sample chunks
  (144 ms at 160 Hz) of run 14. Workbench: ``OnlineDecoder.update`` (filter
  state carried, output every 23 samples). MetaBCI: its ``brainflow``
  amplifier loop, in process (``Marker`` ring buffer fed sample by sample,
  as ``BaseAmplifier._detect_event`` does, continuous mode, one output per
  161-sample window), then the worker's processing of the epoch: array,
  zero-phase 7-30 Hz band-pass of the window (a fresh window has no filter
  state), CAR, MetaBCI CSP, LDA. Its ``ProcessWorker`` would add a
  ``multiprocessing.Queue`` hop on top; that is not counted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.config import shared_data_dir  # noqa: E402 (after the checkout is on the path)

SHARED_DATA = shared_data_dir(must_exist=False)

SUB_BANDS = ((8.0, 12.0), (12.0, 16.0), (16.0, 20.0), (20.0, 24.0), (24.0, 30.0))
KEYS = ("metabci_accuracy_hands_feet", "metabci_fbcsp_accuracy_hands_feet", "metabci_csp_fit_s",
        "metabci_fbcsp_fit_s", "metabci_csp_predict_ms_per_window", "metabci_fbcsp_predict_ms_per_window",
        "metabci_online_ms_p50")


def metabci_missing():
    """None when MetaBCI's CSP and FBCSP import, else the reason (shown in the results)."""
    import contextlib
    import tempfile

    try:
        from metabci.brainda.algorithms.decomposition import CSP, FBCSP  # noqa: F401

        # metabci.brainflow's logger opens "log.txt" in the current folder at import:
        # import it from a scratch folder so the benchmark leaves nothing in the checkout.
        with contextlib.chdir(tempfile.mkdtemp(prefix="metabci-")):
            from metabci.brainflow.amplifiers import Marker  # noqa: F401
    except Exception as err:  # ImportError, or a dependency failing at import
        return (f"MetaBCI not importable ({type(err).__name__}: {err}); "
                "install it with: .venv/bin/python -m pip install -r benchmarks/requirements-peers.txt")
    return None


def _epochs():
    from workbench.decoding import CommonAverageReference, Decoder, IIRFilter
    from workbench.recording.labelled import read_eegmmidb_run

    runs = [read_eegmmidb_run(SHARED_DATA / "eegmmidb", 1, r) for r in (6, 10, 14)]
    sf = runs[0].sfreq
    prep = Decoder([IIRFilter(7.0, 30.0, sfreq=sf, order=4), CommonAverageReference()], [_csp(), _lda()],
                   sfreq=sf, ch_names=runs[0].ch_names, window=161, step=23)
    ends = [r.onsets + int(2 * sf) for r in runs]
    X = prep.epochs([r.data for r in runs], ends)
    y = np.concatenate([r.labels for r in runs])
    return runs, X, y


def _csp():
    from workbench.decoding import CSP

    return CSP(4)


def _lda():
    from workbench.decoding import LDA

    return LDA()


def _pipelines(sfreq):
    """name -> factory of an unfitted estimator taking (n_epochs, n_channels, n_times)."""
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.pipeline import make_pipeline

    out = {"workbench": lambda: make_pipeline(_csp(), _lda())}
    if metabci_missing() is None:
        from metabci.brainda.algorithms.decomposition import CSP, FBCSP
        from metabci.brainda.algorithms.decomposition.base import generate_filterbank

        fb = generate_filterbank([list(b) for b in SUB_BANDS], [[lo - 2, hi + 2] for lo, hi in SUB_BANDS],
                                 srate=sfreq, order=4)
        out["metabci"] = lambda: make_pipeline(CSP(n_components=4), LinearDiscriminantAnalysis())
        out["metabci_fbcsp"] = lambda: make_pipeline(
            FBCSP(n_components=4, n_mutualinfo_components=4, filterbank=fb), LinearDiscriminantAnalysis())
    return out


def _cv_scores(make, X, y):
    from sklearn.model_selection import ShuffleSplit

    accs, fits, predicts = [], [], []
    for train, test in ShuffleSplit(10, test_size=0.2, random_state=42).split(X):
        est = make()
        t0 = time.process_time()
        est.fit(X[train], y[train])
        fits.append(time.process_time() - t0)
        accs.append(float(np.mean(est.predict(X[test]) == y[test])))
        for i in test[:20]:
            t0 = time.process_time()
            est.predict(X[i:i + 1])
            predicts.append(time.process_time() - t0)
    return float(np.mean(accs)), float(np.mean(fits)), float(np.median(predicts) * 1e3)


def _workbench_online(runs, step=23):
    from workbench.decoding import CSP, LDA, CommonAverageReference, Decoder, IIRFilter

    sf = runs[0].sfreq
    dec = Decoder([IIRFilter(7.0, 30.0, sfreq=sf, order=4), CommonAverageReference()], [CSP(4), LDA()],
                  sfreq=sf, ch_names=runs[0].ch_names, window=161, step=step)
    dec.fit([r.data for r in runs[:2]], [r.onsets + int(2 * sf) for r in runs[:2]],
            np.concatenate([r.labels for r in runs[:2]]))
    return online_ms_p50(dec, runs[2].data, step)


def online_ms_p50(dec, x, step):
    """Median wall milliseconds of ``OnlineDecoder.update`` over the chunks that produce an output."""
    online, lat = dec.online(), []
    for pos in range(0, len(x) - step, step):
        chunk = np.ascontiguousarray(x[pos:pos + step])
        t0 = time.perf_counter()
        out = online.update(chunk)
        if len(out):
            lat.append(time.perf_counter() - t0)
    return float(np.median(lat) * 1e3)


def _metabci_online(runs, step=23, window=161):
    """MetaBCI's amplifier loop and a worker's epoch processing, in process (see the module docstring)."""
    from metabci.brainda.algorithms.decomposition import CSP
    from metabci.brainflow.amplifiers import Marker
    from scipy.signal import butter, sosfiltfilt
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    sf = runs[0].sfreq
    sos = butter(4, [7.0, 30.0], btype="bandpass", fs=sf, output="sos")

    def preprocess(ep):  # (n_channels, n_times)
        ep = sosfiltfilt(sos, ep, axis=-1)
        return ep - ep.mean(axis=0, keepdims=True)

    train_X, train_y = [], []
    for r in runs[:2]:
        for e, lab in zip(r.onsets + int(2 * sf), r.labels):
            train_X.append(preprocess(r.data[e - window + 1:e + 1].T))
            train_y.append(lab)
    csp = CSP(n_components=4).fit(np.stack(train_X), np.array(train_y))
    lda = LinearDiscriminantAnalysis().fit(csp.transform(np.stack(train_X)), np.array(train_y))

    marker = Marker(interval=[0, window / sf], srate=sf, events=None)
    x = runs[2].data
    samples = np.column_stack([x, np.zeros(len(x))]).tolist()  # the last column is the event channel
    lat = []
    for pos in range(0, len(samples) - step, step):
        t0 = time.perf_counter()
        outputs = 0
        for sample in samples[pos:pos + step]:
            marker.append(sample)
            if marker(sample[-1]):
                ep = np.asarray(marker.get_epoch())[:, :-1].T
                lda.predict_proba(csp.transform(preprocess(ep)[None]))
                outputs += 1
        if outputs:
            lat.append(time.perf_counter() - t0)
    return float(np.median(lat) * 1e3)


def compare():
    """Every figure of the module docstring; MetaBCI's are None when it is missing."""
    missing = metabci_missing()
    runs, X, y = _epochs()
    res = {k: None for k in KEYS}
    res["metabci_missing"] = missing
    for name, make in _pipelines(runs[0].sfreq).items():
        acc, fit_s, pred_ms = _cv_scores(make, X, y)
        prefix = "workbench_csp" if name == "workbench" else ("metabci_csp" if name == "metabci" else name)
        if name == "workbench":
            res["workbench_accuracy_hands_feet"] = acc
        else:
            res[f"{name}_accuracy_hands_feet"] = acc
        res[f"{prefix}_fit_s"] = fit_s
        res[f"{prefix}_predict_ms_per_window"] = pred_ms
    res["workbench_online_ms_p50"] = _workbench_online(runs)
    if missing is None:
        res["metabci_online_ms_p50"] = _metabci_online(runs)
    return res


def format_table(res):
    lines = [f"{'measure':40s} {'value':>14s}", "-" * 56]
    for k, v in res.items():
        shown = f"{v:14.6g}" if isinstance(v, (int, float)) else f"{str(v):>14s}"
        lines.append(f"{k:40s} {shown}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    res = compare()
    if args.json:
        print(format_table(res), file=sys.stderr)
        print(json.dumps(res))
    else:
        print(format_table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
