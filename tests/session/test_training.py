"""Training from a cued run: grouped cross-validation above chance, confusion matrix, ERD/ERS map, saved decoder."""

import numpy as np
import pytest

from workbench.errors import ValidationError
from workbench.session.paradigm import ParadigmSpec
from workbench.session.training import train_decoder, windows_from_raw, erd_map
from workbench.utils.files import sha256_file

from ._simulated import EASY, simulated_raw

SPEC = ParadigmSpec(cue_s=3.0, rest_s=1.5, repetitions=4, seed=0)


@pytest.fixture(scope="module")
def windows():
    raw, _, _ = simulated_raw(SPEC, model=EASY)  # training mechanics on the noiseless bench
    return windows_from_raw(raw, SPEC.classes, cue_s=SPEC.cue_s)


def test_windows_come_from_the_settled_part_of_each_cue(windows):
    w = windows
    cues = [(t, lab) for t, lab in w.cues if lab in SPEC.classes]
    assert len(cues) == SPEC.n_trials == len(np.unique(w.trials))
    for k in np.unique(w.trials):
        ends = w.ends[w.trials == k] / w.sfreq
        onset = w.cues[k][0]
        assert ends.min() >= onset + 1.0 - 1e-9 and ends.max() < onset + SPEC.cue_s
        assert len(set(w.labels[w.trials == k])) == 1
    assert np.all((w.ends + 1) % int(0.1 * w.sfreq) == 0), "windows on the online decoder's output grid"


def test_grouped_cv_beats_chance_and_the_decoder_is_saved(windows, tmp_path):
    res = train_decoder(windows, fname=tmp_path / "dec.npz")
    assert res.classes == ["grasp", "open", "rest"]
    assert all(type(c) is str for c in res.classes), "shown as the user named them, not np.str_(...)"
    assert res.confusion.shape == (3, 3) and res.confusion.sum() == SPEC.n_trials
    assert res.chance_level == pytest.approx(1 / 3)
    assert res.trial_accuracy > res.chance_upper_95
    assert res.sha256 == sha256_file(res.fname)


def test_cv_never_splits_a_trial_and_trains_every_fold_on_every_class(windows, monkeypatch):
    import sklearn.model_selection as ms

    shared, trained_on = [], []
    real = ms.StratifiedGroupKFold.split

    def spy(self, X, y, groups):
        for train, test in real(self, X, y, groups):
            shared.append(set(groups[train]) & set(groups[test]))
            trained_on.append(set(y[train]))
            yield train, test

    monkeypatch.setattr(ms.StratifiedGroupKFold, "split", spy)
    train_decoder(windows, n_folds=5)  # 4 trials per class, 5 folds: the demo's calibration run
    assert len(shared) == 5 and all(not s for s in shared)
    assert all(t == set(SPEC.classes) for t in trained_on), trained_on


def test_nan_samples_are_held_and_no_window_trains_on_them():
    raw, _, _ = simulated_raw(SPEC, seed=3)
    data = raw.get_data()
    data[1:-1, 3000:3100] = np.nan
    raw._data = data
    w = windows_from_raw(raw, SPEC.classes, cue_s=SPEC.cue_s)
    assert np.isfinite(w.data).all()
    assert not np.any((w.ends >= 3000) & (w.ends < 3100 + 500 + 500))


def test_erd_map_shows_the_simulated_desynchronization(windows):
    maps = erd_map(windows)
    times, freqs, grasp = maps["grasp"]
    _, _, open_ = maps["open"]
    mu = (freqs >= 8) & (freqs <= 12)
    late = (times > 1.0) & (times < 3.0)
    c3_grasp, c4_grasp = (grasp[i][np.ix_(mu, late)].mean() for i in range(2))
    c3_open, c4_open = (open_[i][np.ix_(mu, late)].mean() for i in range(2))
    assert c3_grasp < -30 and c3_grasp < c4_grasp  # grasp: left hemisphere desynchronizes more
    assert c4_open < -30 and c4_open < c3_open


def test_a_run_without_two_classes_is_refused():
    raw, _, _ = simulated_raw(ParadigmSpec(classes=("rest", "grasp"), repetitions=1))
    with pytest.raises(ValidationError, match="markers"):
        windows_from_raw(raw, ("open", "stand"))


@pytest.mark.slow
def test_training_from_recordings_in_a_helper_process_equals_training_here(tmp_path):
    """The trial day trains and recalibrates in a helper process (train_from_recordings): the decoder that
    comes back is the one this process would have fitted on the same files, output for output."""
    from workbench.session.training import train_from_recordings

    files = []
    for k in range(2):  # a calibration run and a block recorded after it
        raw, _, _ = simulated_raw(SPEC, seed=k, model=EASY)
        files.append(tmp_path / f"run{k}_raw.fif")
        raw.save(files[-1], verbose="error")
    here = train_from_recordings(files, SPEC.classes, cue_s=SPEC.cue_s, n_folds=3, fname=tmp_path / "here.npz",
                                 isolated=False)
    there = train_from_recordings(files, SPEC.classes, cue_s=SPEC.cue_s, n_folds=3, fname=tmp_path / "there.npz")
    assert here.peak_rss_mb is None and there.peak_rss_mb > 0
    assert there.decoder.training_sha256_ == here.decoder.training_sha256_
    assert (there.trial_accuracy, there.n_trials) == (here.trial_accuracy, here.n_trials) == (there.trial_accuracy,
                                                                                              2 * SPEC.n_trials)
    np.testing.assert_array_equal(there.confusion, here.confusion)
    x = simulated_raw(SPEC, seed=5, model=EASY)[0].get_data(picks=there.decoder.ch_names).T * 1e6
    np.testing.assert_array_equal(there.decoder.decode(x).values, here.decoder.decode(x).values)
    assert there.sha256 == sha256_file(there.fname), "the helper saved the file it reports"


def test_training_from_recordings_refuses_a_bad_kind_before_a_process_starts(tmp_path, monkeypatch):
    import workbench.utils.isolated as isolated
    from workbench.session.training import train_from_recordings

    monkeypatch.setattr(isolated, "run_isolated", lambda *a, **k: pytest.fail("a helper was started"))
    with pytest.raises(ValidationError) as info:
        train_from_recordings([tmp_path / "none.fif"], SPEC.classes, kind="lda_please")
    assert info.value.fields == ("kind",)
    with pytest.raises(ValidationError) as info:
        train_from_recordings([], SPEC.classes)
    assert info.value.fields == ("recordings",)
