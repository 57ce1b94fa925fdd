"""Training from a recorded cued run: epochs from its markers, grouped cross-validation, ERD/ERS map.

Windows of one trial are strongly correlated (they overlap and share the
trial's state), so cross-validation keeps every window of a trial in the same
fold (grouped by trial). Shuffled windows would put near-copies of a test
window in training and inflate accuracy (Lemm et al. 2011, NeuroImage
56:387, section "Cross-validation"). Folds are also stratified by class: a
calibration run holds few trials per class, and plain GroupKFold, which only
balances fold sizes, put all four "rest" trials of a 12-trial run into one
fold's test set, trained that fold on no rest at all and reported chance for
a participant whose ERD was plain to see. Chance level is given as 1/N and as the
95 % upper bound of a random classifier's accuracy for the number of test
trials (binomial; Müller-Putz et al. 2008, Int J Bioelectromagn 10:52).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import Problem, ValidationError
from .paradigm import ITI
from .participant import EEG_CHANNELS


@dataclass(frozen=True)
class LabelledWindows:
    """One recorded run cut into decoder windows: data (µV), window ends, class and trial of each."""

    data: np.ndarray  # (n_times, n_channels)
    ch_names: list
    sfreq: float
    ends: np.ndarray
    labels: np.ndarray
    trials: np.ndarray
    cues: list  # (onset_s, label) of each cue
    raw: object  # mne Raw, for the ERD/ERS map


@dataclass(frozen=True)
class TrainingResult:
    decoder: object
    classes: list
    window_accuracy: float
    trial_accuracy: float
    chance_level: float
    chance_upper_95: float
    confusion: np.ndarray  # trials, rows = true class, columns = predicted, in ``classes`` order
    n_trials: int
    n_folds: int
    fname: Path | None = None
    sha256: str | None = None
    kind: str = "bandpower_lda"  # one of workbench.decoding.DECODER_KINDS
    peak_rss_mb: float | None = None  # the helper process's peak memory (train_from_recordings); None in-process


def cue_windows(fname, classes, *, window_s=1.0, step_s=0.1, settle_s=1.0, cue_s=4.0) -> LabelledWindows:
    """Read a recorded run and cut windows from each cue's settled part (``settle_s`` after onset to its end).

    From an XDF, only the decoder's channels (:data:`EEG_CHANNELS`) are read, chunk by chunk: a 5-minute
    block at 256 channels and 2 kHz is 1.2 GB of samples, of which the decoder uses 8 channels (38 MB).
    The other formats :func:`~workbench.recording.read.read_recording` reads (EDF, BDF, BrainVision, FIF)
    are read whole and the decoder's channels picked after.
    """
    from ..recording.read import read_recording, recording_format

    with warnings.catch_warnings():
        # A closed-loop run ends with the gate's final decision and "off" command, stamped after the last
        # sample by design: read_recording rightly leaves them out of the annotations; no cue is concerned.
        warnings.filterwarnings("ignore", message=r".*-(gate|commands|outputs)' fall outside the signal stream")
        xdf = recording_format(fname) == "XDF"
        raw = read_recording(fname, picks=EEG_CHANNELS if xdf else None)
    return windows_from_raw(raw, classes, window_s=window_s, step_s=step_s, settle_s=settle_s, cue_s=cue_s)


def windows_from_raw(raw, classes, *, window_s=1.0, step_s=0.1, settle_s=1.0, cue_s=4.0) -> LabelledWindows:
    """As :func:`cue_windows`, from an MNE Raw in volts with the cues as annotations."""
    picks = [c for c in raw.ch_names if c in EEG_CHANNELS]
    if len(picks) < 2:
        raise ValidationError([Problem("channels", raw.ch_names[:8], "a recording with C3 and C4")],
                              what="training run")
    sfreq = raw.info["sfreq"]
    # The live stream carries µV; read_recording gives volts: the decoder is trained on what it will see.
    data = np.ascontiguousarray(raw.get_data(picks=picks).T * 1e6)
    bad = ~np.isfinite(data).all(axis=1)
    if bad.any():  # hold the last finite value (as the online decoder does) and train on no window near them
        idx = np.where(bad, 0, np.arange(len(data)))
        np.maximum.accumulate(idx, out=idx)
        data = np.nan_to_num(data[idx])
    window, step, settle = (int(round(x * sfreq)) for x in (window_s, step_s, settle_s))
    cue_n = int(round(cue_s * sfreq))
    cues = [(float(a["onset"]), str(a["description"]).rsplit("/", 1)[-1]) for a in raw.annotations]
    cues = [(t, lab) for t, lab in cues if lab in classes or lab == ITI]
    ends, labels, trials = [], [], []
    for k, (onset, label) in enumerate(cues):
        if label not in classes:
            continue
        start = int(round(onset * sfreq))
        first = max(start + settle, start + window - 1)
        # Outputs fall where (sample + 1) % step == 0: train on exactly those windows.
        e = np.arange(first + (-(first + 1) % step), min(start + cue_n, len(data)), step)
        if bad.any():  # a repaired sample inside the window or the filters' settling second before it
            last_bad = np.maximum.accumulate(np.where(bad, np.arange(len(data)), -(1 << 40)))
            e = e[e - last_bad[e] > window + int(sfreq)]
        ends.append(e)
        labels += [label] * len(e)
        trials += [k] * len(e)
    if not ends or len(set(labels)) < 2:
        raise ValidationError([Problem("markers", sorted({lab for _, lab in cues}), f"cues of {list(classes)}")],
                              what="training run")
    return LabelledWindows(data, picks, sfreq, np.concatenate(ends), np.asarray(labels), np.asarray(trials),
                           cues, raw)


def train_decoder(windows, *, kind="bandpower_lda", n_folds=5, window_s=1.0, step_s=0.1, fname=None) -> TrainingResult:
    """Grouped cross-validation by trial, then the final decoder on every window (saved when ``fname``).

    ``windows``: one :class:`LabelledWindows` or a list of them (several runs, e.g. the calibration run and
    the closed-loop trials for a supervised recalibration between blocks); folds never split a trial.
    ``kind``: the decoder, one of ``workbench.decoding.DECODER_KINDS`` (``"bandpower_lda"``, ``"csp_lda"``, ``"ts_lr"``,
    ``"mdm"``); an unknown kind is refused before anything is fitted.
    """
    from scipy.stats import binom
    from sklearn.model_selection import StratifiedGroupKFold

    from ..decoding.presets import check_decoder_kind, make_decoder
    from ..outcomes.bci_metrics import confusion_matrix
    from ..utils.files import sha256_file

    check_decoder_kind(kind)  # before anything is read or fitted
    runs = [windows] if isinstance(windows, LabelledWindows) else list(windows)
    first = runs[0]
    problems = [Problem(f"windows[{i}]", w.ch_names, f"the channels {first.ch_names} at {first.sfreq:g} Hz")
                for i, w in enumerate(runs) if w.ch_names != first.ch_names or w.sfreq != first.sfreq]
    if problems:
        raise ValidationError(problems, what="training runs")
    window, step = int(round(window_s * first.sfreq)), int(round(step_s * first.sfreq))
    run_of = np.concatenate([np.full(len(w.ends), r) for r, w in enumerate(runs)])
    ends = np.concatenate([w.ends for w in runs])
    labels = np.concatenate([w.labels for w in runs])
    groups = run_of * 1_000_000 + np.concatenate([w.trials for w in runs])
    classes = sorted(str(c) for c in set(labels))  # plain strings: shown as 'grasp', not np.str_('grasp')
    check_decoder_kind(kind, classes)
    uniq = np.unique(groups)
    n_folds = int(min(n_folds, len(uniq)))
    if n_folds < 2:
        raise ValidationError([Problem("trials", len(uniq), "at least 2 trials for cross-validation")],
                              what="training")
    data = [w.data for w in runs]

    def new_decoder():
        return make_decoder(kind, sfreq=first.sfreq, ch_names=first.ch_names, window=window, step=step)

    # Every fold's decoder and the final one preprocess the runs identically (same stages, designed from the
    # same parameters): once here, not n_folds + 1 times, where the decoder cuts its windows from them a batch
    # at a time (Decoder.fit; None for CSP, which holds every window anyway), so a recalibration on a 5-minute
    # block at 2 kHz no longer holds every overlapping window (benchmarks/training_memory.py).
    processed = new_decoder()._preprocessed_runs(data)

    def fit(mask):
        return new_decoder()._fit(data, [ends[mask & (run_of == r)] for r in range(len(runs))], labels[mask],
                                  processed=processed)

    pred = np.empty(len(ends), dtype=object)
    for train, test in StratifiedGroupKFold(n_splits=n_folds).split(ends, labels, groups):
        mask = np.zeros(len(ends), bool)
        mask[train] = True
        dec = fit(mask)
        names = dec.model.classes_
        for r, x in enumerate(data):
            sel = test[run_of[test] == r]
            if not len(sel):
                continue
            out = dec.decode(x)
            by_index = dict(zip(out.sample_index.tolist(), range(len(out))))
            pred[sel] = [names[int(np.argmax(out.values[by_index[int(e)]]))] for e in ends[sel]]
    window_acc = float(np.mean(pred == labels))
    true_t, pred_t = [], []
    for g in uniq:  # a trial's decision: the majority of its windows
        m = groups == g
        values, counts = np.unique(pred[m].astype(str), return_counts=True)
        true_t.append(labels[m][0])
        pred_t.append(values[counts.argmax()])
    true_t, pred_t = np.asarray(true_t), np.asarray(pred_t)
    n = len(true_t)
    chance = 1.0 / len(classes)
    upper = float(binom.ppf(0.95, n, chance) / n)
    final = fit(np.ones(len(ends), bool))
    sha = None
    if fname is not None:
        fname = Path(final.save(fname))
        sha = sha256_file(fname)
    return TrainingResult(final, classes, window_acc, float(np.mean(true_t == pred_t)), chance, upper,
                          confusion_matrix(true_t, pred_t, labels=classes), n, n_folds, fname, sha, kind)


def train_from_recordings(fnames, classes, *, cue_s=4.0, settle_s=1.0, window_s=1.0, step_s=0.1,
                          kind="bandpower_lda", n_folds=5, fname=None, isolated=True) -> TrainingResult:
    """Train a decoder on recorded cued runs (:func:`cue_windows` of each, then :func:`train_decoder`).

    ``fnames``: the runs, e.g. the calibration run alone, or it and the closed-loop blocks recorded since
    for a supervised recalibration between blocks. ``isolated`` (default): in a helper process
    (:func:`~workbench.utils.isolated.run_isolated`), which returns the result and exits. Reading a
    5-minute block at 256 ch and cross-validating holds ~300 MB for a few seconds, and a session's
    process that did it in-process kept part of that heap resident, growing by recalibration over the
    hour's soak; the helper also never shares the live process's interpreter lock. ``False`` trains in
    this process (what the helper itself runs). The helper's peak memory is in ``peak_rss_mb``.
    """
    from ..decoding.presets import check_decoder_kind

    check_decoder_kind(kind)  # before a process is started or a file read
    fnames = [str(f) for f in ([fnames] if isinstance(fnames, (str, Path)) else fnames)]
    if not fnames:
        raise ValidationError([Problem("recordings", fnames, "one recorded cued run or more")], what="training")
    options = dict(cue_s=cue_s, settle_s=settle_s, window_s=window_s, step_s=step_s, kind=kind, n_folds=n_folds,
                   fname=None if fname is None else str(fname))
    if isolated:
        from dataclasses import replace

        from ..utils.isolated import run_isolated

        out = run_isolated(f"{__name__}:train_from_recordings", fnames, list(classes), isolated=False, **options)
        return replace(out.value, peak_rss_mb=out.peak_rss_mb)
    windows = [cue_windows(f, classes, window_s=window_s, step_s=step_s, settle_s=settle_s, cue_s=cue_s)
               for f in fnames]
    return train_decoder(windows, kind=kind, n_folds=n_folds, window_s=window_s, step_s=step_s,
                         fname=options["fname"])


def erd_map(w: LabelledWindows, *, picks=("C3", "C4"), freqs=None, tmin=-1.5, tmax=4.0, baseline=(-1.5, -0.5)):
    """ERD/ERS per class: percent power change from the pre-cue baseline (Pfurtscheller & Lopes da Silva 1999).

    Returns ``{class: (times, freqs, array (n_picks, n_freqs, n_times))}`` (negative = desynchronization).
    """
    import mne

    freqs = np.arange(6.0, 32.0, 2.0) if freqs is None else np.asarray(freqs)
    raw = w.raw.copy().pick([c for c in picks if c in w.raw.ch_names])
    sfreq = raw.info["sfreq"]
    classes = sorted(set(w.labels))
    events = [(int(round(t * sfreq)), classes.index(lab) + 1) for t, lab in w.cues if lab in classes]
    events = np.array([[s, 0, c] for s, c in events if s + tmin * sfreq >= 0 and s + tmax * sfreq < raw.n_times])
    if not len(events):
        raise ValidationError([Problem("cues", len(w.cues), "cues with 1.5 s before and 4 s after them")],
                              what="ERD/ERS map")
    epochs = mne.Epochs(raw, events, {c: i + 1 for i, c in enumerate(classes)}, tmin, tmax, baseline=None,
                        preload=True, verbose="ERROR")
    out = {}
    for c in classes:
        if c not in epochs.event_id or not len(epochs[c]):
            continue
        tfr = epochs[c].compute_tfr("morlet", freqs=freqs, n_cycles=freqs / 2.0, average=True, verbose="ERROR")
        tfr.apply_baseline(baseline, mode="percent", verbose="ERROR")
        out[c] = (tfr.times, freqs, tfr.data * 100.0)
    return out
