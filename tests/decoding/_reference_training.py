"""The training path as it was before it was made lean in memory: the reference the lean path must equal bit for bit.

``reference_epochs`` keeps every preprocessed run alive as views and stacks them;
``reference_fit`` trains the feature stage and the model on that one array of every
window (``features.fit(ep, y)``, ``model.fit(features.transform(ep), y)``).
``reference_train`` is ``train_decoder``'s cross-validation with each fold and the
final decoder trained by ``reference_fit`` on runs preprocessed again each time.
"""

import hashlib

import numpy as np

from workbench.decoding.presets import make_decoder


def fitted(est):
    """The fitted attributes of an estimator (trailing underscore), by name."""
    return {k: v for k, v in vars(est).items() if k.endswith("_") and not k.startswith("_")}


def assert_same_decoder(a, b):
    """Every fitted array and scalar of the stages, feature stage and model equal (bit for bit), same hash."""
    assert a.training_sha256_ == b.training_sha256_
    for est_a, est_b in [*zip(a.stages, b.stages, strict=True), (a.features, b.features), (a.model, b.model)]:
        fa, fb = fitted(est_a), fitted(est_b)
        assert fa.keys() == fb.keys(), type(est_a).__name__
        for k in fa:
            if isinstance(fa[k], np.ndarray):
                assert fa[k].dtype == fb[k].dtype, k
                np.testing.assert_array_equal(fa[k], fb[k], err_msg=f"{type(est_a).__name__}.{k}", strict=True)
            else:
                assert fa[k] == fb[k], k


def reference_epochs(dec, runs, ends):
    dec._fit_stages(runs)
    out = []
    for run, e in zip(runs, ends, strict=True):
        xp = dec.preprocess(run)
        out.extend(xp[k - dec.window + 1:k + 1].T for k in np.asarray(e, dtype=np.int64))
    return np.ascontiguousarray(np.stack(out)) if out else np.empty((0, 0, dec.window))


def reference_fit(dec, runs, ends, y):
    for st in dec.stages:
        for attr in [a for a in vars(st) if a.endswith("_") and not a.startswith("_")]:
            delattr(st, attr)
    ep = reference_epochs(dec, runs, ends)
    y = np.asarray(y)
    dec.features.fit(ep, y)
    dec.model.fit(dec.features.transform(ep), y)
    dec.features.init_state(dec.step)
    h = hashlib.sha256()
    for run, e in zip(runs, ends):
        h.update(np.ascontiguousarray(run, dtype=np.float64).tobytes())
        h.update(np.asarray(e, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(y).tobytes())
    dec.training_sha256_ = h.hexdigest()
    return dec


def reference_train(runs, kind, n_folds, window_s=1.0, step_s=0.1):
    """(cross-validated prediction of every window, final decoder) as train_decoder computed them."""
    from sklearn.model_selection import StratifiedGroupKFold

    first = runs[0]
    window, step = int(round(window_s * first.sfreq)), int(round(step_s * first.sfreq))
    run_of = np.concatenate([np.full(len(w.ends), r) for r, w in enumerate(runs)])
    ends = np.concatenate([w.ends for w in runs])
    labels = np.concatenate([w.labels for w in runs])
    groups = run_of * 1_000_000 + np.concatenate([w.trials for w in runs])
    data = [w.data for w in runs]

    def fit(mask):
        dec = make_decoder(kind, sfreq=first.sfreq, ch_names=first.ch_names, window=window, step=step)
        return reference_fit(dec, data, [ends[mask & (run_of == r)] for r in range(len(runs))], labels[mask])

    pred = np.empty(len(ends), dtype=object)
    for train, test in StratifiedGroupKFold(n_splits=n_folds).split(ends, labels, groups):
        mask = np.zeros(len(ends), bool)
        mask[train] = True
        dec = fit(mask)
        for r, x in enumerate(data):
            sel = test[run_of[test] == r]
            if len(sel):
                out = dec.decode(x)
                row = dict(zip(out.sample_index.tolist(), range(len(out))))
                pred[sel] = [dec.model.classes_[int(np.argmax(out.values[row[int(e)]]))] for e in ends[sel]]
    return pred, fit(np.ones(len(ends), bool))
