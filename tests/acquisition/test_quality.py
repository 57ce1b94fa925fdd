"""Per-channel quality metrics on windows, checked against obvious references."""

import mne
import numpy as np
import pytest

from workbench.acquisition.quality import compute_quality
from workbench.errors import ValidationError

SFREQ = 500.0


def _noise(n=1000, n_ch=4, seed=0):
    return np.random.default_rng(seed).normal(0, 10.0, (n, n_ch))


def test_rms_matches_naive_reference():
    x = _noise() + 300.0  # a DC offset must not count as signal
    q = compute_quality(x, SFREQ)
    naive = [np.sqrt(np.mean((x[:, c] - x[:, c].mean()) ** 2)) for c in range(x.shape[1])]
    np.testing.assert_allclose(q.rms, naive)
    assert not q.bad.any()


def test_flat_and_clipped_channels_are_flagged():
    x = _noise()
    x[:, 1] = 42.0  # a dead channel
    x[:, 2] = np.clip(x[:, 2], -5.0, 5.0)  # a saturated amplifier
    q = compute_quality(x, SFREQ, ch_names=["a", "b", "c", "d"])
    assert q.flat.tolist() == [False, True, False, False]
    assert q.clipped.tolist() == [False, False, True, False]
    assert [r[0] for r in q.rows() if r[2] or r[3]] == ["b", "c"]
    # the table a notebook shows says the same, channel by channel
    table = q.to_frame()
    assert table.index.tolist() == ["a", "b", "c", "d"] and table.index.name == "channel"
    assert table[table["flat"] | table["clipped"]].index.tolist() == ["b", "c"]
    for column in ("rms", "flat", "clipped", "line_noise_ratio", "n_nonfinite"):
        np.testing.assert_array_equal(table[column].to_numpy(), getattr(q, column))  # NaN where the window's is


def test_known_clip_range():
    x = _noise()
    x[::10, 0] = 1000.0
    q = compute_quality(x, SFREQ, clip_range=(-999.0, 999.0))
    assert q.clipped.tolist() == [True, False, False, False]


def test_line_noise_ratio_sees_mains_and_its_frequency_matters():
    t = np.arange(2000) / SFREQ
    x = _noise(2000, 2)
    x[:, 0] += 50 * np.sin(2 * np.pi * 50 * t)
    q50 = compute_quality(x, SFREQ, line_freq=50)
    q60 = compute_quality(x, SFREQ, line_freq=60)
    assert q50.line_noise_ratio[0] > 0.8 and q50.line_noise_ratio[1] < 0.05
    assert q60.line_noise_ratio[0] < 0.05
    assert np.isnan(compute_quality(x[:200], SFREQ).line_noise_ratio).all()  # under 1 s


def test_nonfinite_samples_are_counted_not_propagated():
    x = _noise()
    x[10:13, 3] = np.nan
    x[20, 3] = np.inf
    q = compute_quality(x, SFREQ)
    assert q.n_nonfinite.tolist() == [0, 0, 0, 4]
    assert np.isfinite(q.rms).all() and q.bad.tolist() == [False, False, False, True]


def test_real_eeg_window_is_clean(shared_data):
    raw = mne.io.read_raw_edf(shared_data / "eegmmidb/S002/S002R01.edf", verbose="error")
    window = raw.get_data(start=0, stop=int(4 * raw.info["sfreq"])).T * 1e6  # (n_times, n_ch), uV
    q = compute_quality(window, raw.info["sfreq"], raw.ch_names, line_freq=60)  # recorded in the USA
    assert not q.flat.any()
    assert np.all((q.rms > 1) & (q.rms < 500))  # scalp EEG: a few to a few hundred uV
    assert np.nanmedian(q.line_noise_ratio) < 0.5


def test_bad_input_lists_every_problem():
    with pytest.raises(ValidationError) as err:
        compute_quality(np.zeros(10), sfreq=-1, line_freq=0)
    assert set(err.value.fields) == {"data", "sfreq", "line_freq"}
    with pytest.raises(ValidationError, match="ch_names"):
        compute_quality(_noise(), SFREQ, ch_names=["only-one"])
