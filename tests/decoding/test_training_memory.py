"""Training lean in memory gives the decoder the old path gave, bit for bit.

``Decoder.epochs`` writes each run's windows into one preallocated array and
``Decoder.fit`` turns the windows into features a batch at a time where the
feature stage treats each window on its own; training on runs preprocessed
once (``train_decoder``'s folds) is the same as preprocessing them in each fit.
The reference is the former path (:mod:`tests.decoding._reference_training`):
every window stacked into one array. Every fitted array, the training hash and
the online outputs must be equal, for every decoder kind and any batch size.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from workbench.decoding import (
    DECODER_KINDS, LDA, CommonAverageReference, Covariances, Decoder, IIRFilter, LogVariance, MDM, make_decoder,
)
from workbench.errors import ValidationError

from ._reference_training import assert_same_decoder, reference_epochs, reference_fit
from tests.budget import examples

SETTINGS = settings(max_examples=examples(8), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
SFREQ, WINDOW, STEP = 250.0, 250, 25
CH = ["FC3", "C3", "CP3", "FC4", "C4", "CP4", "Cz", "Pz"]


def _runs(seed=0, lengths=(3000, 4500, 2600)):
    """Noise whose 10 Hz power on one hemisphere depends on the class of the cue; ends on the output grid."""
    rng = np.random.default_rng(seed)
    runs, ends, labels = [], [], []
    for n in lengths:
        x = rng.standard_normal((n, len(CH)))
        e_run, lab_run = [], []
        for k, start in enumerate(range(0, n - 2 * WINDOW, 2 * WINDOW)):
            label = ("grasp", "open")[(k + len(runs)) % 2]
            t = np.arange(start, start + 2 * WINDOW)
            side = slice(0, 3) if label == "grasp" else slice(3, 6)
            x[t, side] += 2.0 * np.sin(2 * np.pi * 10.0 * t / SFREQ)[:, None]
            e = np.arange(start + WINDOW + STEP - 1, start + 2 * WINDOW, STEP)
            e_run.extend(e)
            lab_run += [label] * len(e)
        runs.append(x)
        ends.append(np.asarray(e_run, dtype=np.int64))
        labels += lab_run
    return runs, ends, np.asarray(labels)


RUNS, ENDS, LABELS = _runs()


def _decoder(kind):
    if kind == "logvar_lda":
        return Decoder([IIRFilter(8.0, 30.0, sfreq=SFREQ)], [LogVariance(), LDA()], sfreq=SFREQ, ch_names=CH,
                       window=WINDOW, step=STEP)
    if kind == "car_cov_mdm":
        return Decoder([IIRFilter(8.0, 30.0, sfreq=SFREQ), CommonAverageReference()],
                       [Covariances(estimator="oas"), MDM()], sfreq=SFREQ, ch_names=CH, window=WINDOW, step=STEP)
    return make_decoder(kind, sfreq=SFREQ, ch_names=CH, window=WINDOW, step=STEP)


KINDS = sorted(DECODER_KINDS) + ["logvar_lda", "car_cov_mdm"]
_REFERENCE = {}


def _reference(kind):
    if kind not in _REFERENCE:
        _REFERENCE[kind] = reference_fit(_decoder(kind), RUNS, ENDS, LABELS)
    return _REFERENCE[kind]


def _assert_same_outputs(a, b):
    x = RUNS[1][:1500]
    oa, ob = a.decode(x), b.decode(x)
    np.testing.assert_array_equal(oa.sample_index, ob.sample_index)
    np.testing.assert_array_equal(oa.values, ob.values, strict=True)
    np.testing.assert_array_equal(oa.valid, ob.valid)


def test_epochs_equal_the_stacked_windows_and_keep_their_layout():
    dec = _decoder("bandpower_lda")
    ends = [ENDS[0], np.array([], dtype=np.int64), ENDS[2][::3]]  # a run without windows in the middle
    got, want = dec.epochs(RUNS, ends), reference_epochs(_decoder("bandpower_lda"), RUNS, ends)
    assert got.flags.c_contiguous and got.dtype == np.float64
    np.testing.assert_array_equal(got, want, strict=True)
    assert dec.epochs(RUNS[:1], [[]]).shape == (0, 0, WINDOW)


@pytest.mark.parametrize("kind", KINDS)
def test_fit_equals_the_old_path_for_every_kind(kind):
    dec = _decoder(kind).fit(RUNS, ENDS, LABELS)
    assert_same_decoder(dec, _reference(kind))
    _assert_same_outputs(dec, _reference(kind))


@pytest.mark.parametrize("kind", KINDS)
@SETTINGS
@given(batch=st.integers(1, 200), shared=st.booleans(), keep=st.integers(0, 2**16))
def test_any_batch_size_and_shared_preprocessing_give_the_same_decoder(kind, batch, shared, keep):
    """A subset of windows (a cross-validation fold), batch sizes from one window to more than a run holds."""
    rng = np.random.default_rng(keep)
    mask = rng.random(len(LABELS)) < 0.7
    mask[np.flatnonzero(LABELS == "grasp")[0]] = mask[np.flatnonzero(LABELS == "open")[0]] = True
    cut = np.cumsum([0] + [len(e) for e in ENDS])
    ends = [e[mask[a:b]] for e, a, b in zip(ENDS, cut[:-1], cut[1:])]
    processed = None
    if shared:  # as train_decoder shares them between folds (it does so only for batched features)
        d = _decoder(kind)
        d._fit_stages(RUNS)
        processed = [d.preprocess(r) for r in RUNS]
    dec = _decoder(kind)._fit(RUNS, ends, LABELS[mask], processed=processed, batch_windows=batch)
    ref = reference_fit(_decoder(kind), RUNS, ends, LABELS[mask])
    assert_same_decoder(dec, ref)
    _assert_same_outputs(dec, ref)


@pytest.mark.parametrize("kind", ["bandpower_lda", "csp_lda"])
def test_refitting_one_decoder_gives_the_same_decoder(kind):
    dec = _decoder(kind).fit(RUNS, ENDS, LABELS)
    dec.fit(RUNS[:2], ENDS[:2], LABELS[:len(ENDS[0]) + len(ENDS[1])])
    dec.fit(RUNS, ENDS, LABELS)
    assert_same_decoder(dec, _reference(kind))


@pytest.mark.parametrize("kind", ["bandpower_lda", "csp_lda", "ts_lr"])
def test_a_window_outside_its_run_is_refused_naming_the_run(kind):
    ends = [ENDS[0], np.append(ENDS[1], len(RUNS[1]))]
    with pytest.raises(ValidationError) as err:
        _decoder(kind).fit(RUNS[:2], ends, LABELS[:len(ENDS[0]) + len(ENDS[1]) + 1])
    assert err.value.fields == ("ends[1]",) and f"[{WINDOW - 1}, {len(RUNS[1]) - 1}]" in str(err.value)


@pytest.mark.parametrize("kind", ["bandpower_lda", "csp_lda", "mdm"])
def test_targets_must_match_the_windows(kind):
    with pytest.raises(ValidationError) as err:
        _decoder(kind).fit(RUNS, ENDS, LABELS[:-1])
    assert err.value.fields == ("y",) and f"one per window ({len(LABELS)})" in str(err.value)


def test_a_covariance_that_is_not_positive_definite_is_named_by_its_window_across_batches():
    runs = [r.copy() for r in RUNS]
    runs[1][:, 7] = runs[1][:, 6]  # two equal channels in the second run only: its windows are rank deficient
    dec = Decoder([IIRFilter(8.0, 30.0, sfreq=SFREQ)], [Covariances(estimator="scm"), MDM()], sfreq=SFREQ,
                  ch_names=CH, window=WINDOW, step=STEP)
    with pytest.raises(ValidationError) as err:
        dec._fit(runs, ENDS, LABELS, batch_windows=7)
    assert f"X[{len(ENDS[0])}]" in str(err.value)  # the first window of run 1, counted over every run
