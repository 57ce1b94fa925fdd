"""train_decoder preprocesses each run once for every fold and cuts windows a batch at a time: results unchanged.

The reference is the former training (every fold and the final decoder
preprocess the runs again and stack every window, see
:mod:`tests.decoding._reference_training`): cross-validated accuracies, the
confusion matrix, the final decoder's fitted arrays and its online outputs must
be the same, bit for bit, for every decoder kind, on a recalibration's two runs.
"""

from dataclasses import replace

import numpy as np
import pytest

from tests.decoding._reference_training import assert_same_decoder, reference_train
from workbench.decoding import DECODER_KINDS
from workbench.session.paradigm import ParadigmSpec
from workbench.session.training import train_decoder, windows_from_raw

from ._simulated import simulated_raw

SPEC = ParadigmSpec(cue_s=3.0, rest_s=1.5, repetitions=3, seed=0)


@pytest.fixture(scope="module")
def recalibration_runs():
    """A calibration run and a closed-loop block of the realistic participant (not every window is decodable)."""
    return [windows_from_raw(simulated_raw(SPEC, seed=s)[0], SPEC.classes, cue_s=SPEC.cue_s) for s in (0, 1)]


def _two_classes(w):
    keep = np.isin(w.labels, ["grasp", "open"])
    return replace(w, ends=w.ends[keep], labels=w.labels[keep], trials=w.trials[keep])


@pytest.mark.parametrize("kind", sorted(DECODER_KINDS))
def test_train_decoder_equals_the_former_training(recalibration_runs, kind):
    runs = [_two_classes(w) for w in recalibration_runs] if kind == "csp_lda" else recalibration_runs
    res = train_decoder(runs, kind=kind, n_folds=3)
    pred, final = reference_train(runs, kind, n_folds=3)
    labels = np.concatenate([w.labels for w in runs])
    assert res.window_accuracy == float(np.mean(pred == labels))
    groups = np.concatenate([r * 1_000_000 + w.trials for r, w in enumerate(runs)])
    trial_hits = [np.unique(pred[groups == g].astype(str), return_counts=True) for g in np.unique(groups)]
    truth = [labels[groups == g][0] for g in np.unique(groups)]
    decided = [v[c.argmax()] for v, c in trial_hits]
    assert res.trial_accuracy == float(np.mean(np.asarray(truth) == np.asarray(decided)))
    for i, t in enumerate(res.classes):
        for j, p in enumerate(res.classes):
            assert res.confusion[i, j] == sum(a == t and b == p for a, b in zip(truth, decided))
    assert_same_decoder(res.decoder, final)
    x = runs[1].data
    np.testing.assert_array_equal(res.decoder.decode(x).values, final.decode(x).values, strict=True)
