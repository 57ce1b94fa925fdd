"""Choosing the decoder where it is trained: train_decoder(kind=...) and the presets behind it."""

import numpy as np
import pytest

from workbench.decoding import DECODER_KINDS, MDM, CSP, BandPower, LDA, LogisticRegression, TangentSpace, load_decoder
from workbench.errors import ValidationError
from workbench.session.paradigm import ParadigmSpec
from workbench.session.training import train_decoder, windows_from_raw

from ._simulated import EASY, simulated_raw

SPEC = ParadigmSpec(cue_s=3.0, rest_s=1.5, repetitions=4, seed=0)
PARTS = {"bandpower_lda": (BandPower, LDA), "csp_lda": (CSP, LDA), "ts_lr": (TangentSpace, LogisticRegression),
         "mdm": (None, MDM)}


@pytest.fixture(scope="module")
def windows():
    raw, _, _ = simulated_raw(SPEC, model=EASY)
    return windows_from_raw(raw, SPEC.classes, cue_s=SPEC.cue_s)


def _two_classes(w):
    """The grasp and open windows of a run (CSP contrasts two classes)."""
    from dataclasses import replace

    keep = np.isin(w.labels, ["grasp", "open"])
    return replace(w, ends=w.ends[keep], labels=w.labels[keep], trials=w.trials[keep])


@pytest.mark.parametrize("kind", sorted(DECODER_KINDS))
def test_every_kind_trains_above_chance_and_is_saved_as_that_kind(windows, kind, tmp_path):
    w = _two_classes(windows) if kind == "csp_lda" else windows
    res = train_decoder(w, kind=kind, n_folds=3, fname=tmp_path / f"{kind}.npz")
    features, model = PARTS[kind]
    assert res.kind == kind and type(res.decoder.model) is model
    if features is not None:
        assert type(res.decoder.features) is features
    assert res.trial_accuracy > res.chance_upper_95  # the noiseless participant: every kind must decode it
    loaded = load_decoder(res.fname)
    assert type(loaded.model) is model
    x = windows.data[:2000]
    np.testing.assert_array_equal(loaded.decode(x).values, res.decoder.decode(x).values)


def test_two_class_kind_is_refused_for_three_classes_with_the_kinds_that_fit(windows):
    with pytest.raises(ValidationError) as err:
        train_decoder(windows, kind="csp_lda")
    msg = str(err.value)
    assert err.value.fields == ("kind",) and "csp_lda" in msg and "3 classes" in msg
    assert "'ts_lr'" in msg and "'mdm'" in msg and "'bandpower_lda'" in msg
    # the classes as the user named them, not numpy's reprs ("np.str_('grasp')")
    assert "3 classes (grasp, open, rest)" in msg and "np." not in msg


def test_default_kind_is_band_power(windows):
    res = train_decoder(windows, n_folds=2)
    assert res.kind == "bandpower_lda" and type(res.decoder.features) is BandPower


@pytest.mark.parametrize("kind", ["riemann", "TS_LR", None, 3])
def test_unknown_kind_is_refused_naming_the_field_the_value_and_the_kinds(windows, kind, monkeypatch):
    import sklearn.model_selection as ms

    def no_folds(*args, **kwargs):
        raise AssertionError("a fold was fitted before the kind was checked")

    monkeypatch.setattr(ms.GroupKFold, "split", no_folds)
    with pytest.raises(ValidationError) as err:
        train_decoder(windows, kind=kind)
    assert err.value.fields == ("kind",)
    msg = str(err.value)
    assert repr(kind) in msg or str(kind) in msg
    assert all(f"'{k}'" in msg for k in DECODER_KINDS)
