"""The synthetic amplifier: determinism, the physiology it claims, and its input checks."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from workbench.datasets import CUES, MONTAGES, SyntheticSource, generate_raw, get_montage
from workbench.errors import ValidationError


def _band_power(x: np.ndarray, sfreq: float, lo: float, hi: float) -> np.ndarray:
    f, p = signal.welch(x, sfreq, nperseg=int(sfreq), axis=0)
    return p[(f >= lo) & (f <= hi)].mean(axis=0)


def _cue_windows(src: SyntheticSource, block: np.ndarray, cue: str, skip_s: float = 1.0):
    """Segments of ``block`` during ``cue``, skipping the first ``skip_s`` (ERD onset)."""
    n_cues = block.shape[0] // src.cue_samples
    skip = int(skip_s * src.sfreq)
    return [
        block[k * src.cue_samples + skip : (k + 1) * src.cue_samples]
        for k in range(n_cues)
        if CUES[k % 3] == cue
    ]


def _power_by_cue(src, block, channels, lo, hi):
    picks = [src.ch_names.index(c) for c in channels]
    return {
        cue: np.mean([_band_power(seg[:, picks], src.sfreq, lo, hi) for seg in _cue_windows(src, block, cue)], axis=0)
        for cue in CUES
    }


@pytest.mark.parametrize("montage", ["eeg-64", "ecog-8", "utah-96"])
def test_same_seed_same_samples_whatever_the_block_sizes(montage):
    sfreq = 20000.0 if montage == "utah-96" else None  # keep the Utah case small
    whole = SyntheticSource(montage, seed=7, sfreq=sfreq)
    pieces = SyntheticSource(montage, seed=7, sfreq=sfreq)
    n = int(2.5 * whole.sfreq)
    ref, ref_markers = whole.generate(n)
    sizes = [1, 13, int(0.3 * whole.sfreq) + 7, int(whole.sfreq) - 1]
    sizes.append(n - sum(sizes))
    got, got_markers = zip(*(pieces.generate(k) for k in sizes))
    np.testing.assert_array_equal(np.concatenate(got), ref)
    assert [m for ms in got_markers for m in ms] == ref_markers
    other, _ = SyntheticSource(montage, seed=8, sfreq=sfreq).generate(n)
    assert not np.allclose(other, ref)


def test_cues_cycle_rest_grasp_open_with_a_marker_at_each_onset():
    src = SyntheticSource("ecog-8", seed=0, cue_s=1.0)
    _, markers = src.generate(int(7.5 * src.sfreq))
    assert markers == [(k * 1000, CUES[k % 3]) for k in range(8)]
    assert src.cue_at(2999) == "open" and src.cue_at(3000) == "rest"
    _, later = src.generate(1000)  # continues from sample 7500
    assert later == [(8000, "open")]


def test_mu_and_beta_desynchronize_during_grasp_at_c3_c4():
    src = SyntheticSource("eeg-64", seed=0)
    block, _ = src.generate(int(6 * 3 * src.cue_s * src.sfreq))  # six rest/grasp/open cycles
    for lo, hi in [(8, 12), (16, 24)]:
        power = _power_by_cue(src, block, ["C3", "C4"], lo, hi)
        ratio = power["grasp"] / power["rest"]
        # ERD of 30-60 % power at C3/C4 (Pfurtscheller & Lopes da Silva 1999),
        # contralateral (C3, right-hand grasp) deeper than ipsilateral.
        assert ratio[0] < 0.7, (lo, hi, ratio)
        assert ratio[1] < 0.9, (lo, hi, ratio)
        assert ratio[0] < ratio[1]
    # Far from the hand areas (occipital) there is no task modulation.
    occ = _power_by_cue(src, block, ["Oz"], 8, 12)
    assert 0.8 < occ["grasp"][0] / occ["rest"][0] < 1.25


def test_erd_is_visible_with_mne_epochs_and_psd():
    import mne

    raw = generate_raw(SyntheticSource("eeg-64", seed=3), duration=60.0)
    events, event_id = mne.events_from_annotations(raw, verbose=False)
    epochs = mne.Epochs(raw, events, event_id, tmin=1.0, tmax=3.9, baseline=None, picks=["C3"], verbose=False)
    psd = {cue: epochs[cue].compute_psd(fmin=8, fmax=12, verbose=False).get_data().mean() for cue in ("rest", "grasp")}
    assert psd["grasp"] < 0.7 * psd["rest"]
    assert raw.get_data(picks="C3").std() == pytest.approx(10e-6, rel=0.6)  # volts: tens of µV scale


def test_ecog_high_gamma_rises_during_grasp():
    src = SyntheticSource("ecog-8", seed=1)
    block, _ = src.generate(int(6 * 3 * src.cue_s * src.sfreq))
    power = _power_by_cue(src, block, ["ECOG4", "ECOG8"], 70, 150)
    ratio = power["grasp"] / power["rest"]
    assert ratio[0] > 2.0  # hand area (Crone 1998: broadband 75-100 Hz increase)
    assert ratio[0] > ratio[1]  # stronger over the hand area than at the strip's end


def test_utah_spike_rate_follows_the_cues():
    src = SyntheticSource("utah-96", seed=2, cue_s=1.0)
    sos = signal.butter(4, [300, 5000], btype="bandpass", fs=src.sfreq, output="sos")
    zi = np.zeros((sos.shape[0], 2, 96))
    counts = {cue: 0 for cue in CUES}
    threshold = None
    prev_below = np.zeros(96, bool)
    for k in range(6):  # two rest/grasp/open cycles, one cue at a time
        block, markers = src.generate(src.cue_samples)
        assert markers == [(k * src.cue_samples, CUES[k % 3])]
        hp, zi = signal.sosfilt(sos, block, axis=0, zi=zi)
        if threshold is None:
            # Threshold at -4.5 x RMS, the BrainGate convention (Hochberg 2006).
            threshold = -4.5 * np.sqrt(np.mean(hp[3000:] ** 2, axis=0))
        below = hp < threshold
        onsets = below & ~np.vstack([prev_below, below[:-1]])
        prev_below = below[-1]
        counts[CUES[k % 3]] += int(onsets[int(0.3 * src.sfreq) :].sum())
    assert counts["rest"] > 96  # every unit fires at baseline (2-30 Hz)
    assert counts["grasp"] > 1.3 * counts["rest"]
    assert counts["open"] > 1.1 * counts["rest"]


def test_background_is_one_over_f_with_line_noise_and_blinks():
    src = SyntheticSource("eeg-64", seed=0, line_freq=60)
    block, _ = src.generate(int(60 * src.sfreq))
    oz = block[:, src.ch_names.index("Oz")]
    f, p = signal.welch(oz, src.sfreq, nperseg=int(src.sfreq))
    fit = (f >= 2) & (f <= 40) & ~((f >= 7) & (f <= 27))
    slope = np.polyfit(np.log10(f[fit]), np.log10(p[fit]), 1)[0]
    assert -1.5 < slope < -0.6
    assert p[f == 60][0] > 5 * p[(f >= 52) & (f <= 58)].mean()
    # Blinks: large frontal deflections that fade towards the back.
    fp1 = block[:, src.ch_names.index("Fp1")]
    assert np.abs(fp1).max() > 60 and np.abs(fp1).max() > 2 * np.abs(oz).max()


def test_flat_clipped_and_counter_channels():
    src = SyntheticSource("eeg-64", seed=0, counter=True, flat_channel="Cz", clipped_channel=5)
    block, _ = src.generate(3000)
    block2, _ = src.generate(10)
    assert block.dtype == np.float64 and src.ch_names[0] == "COUNTER" and src.units[0] == "samples"
    np.testing.assert_array_equal(block[:, 0], np.arange(3000))
    np.testing.assert_array_equal(block2[:, 0], np.arange(3000, 3010))
    assert np.all(block[:, src.ch_names.index("Cz")] == 0)
    clipped = block[:, 5]
    assert np.abs(clipped).max() == pytest.approx(50.0)
    assert np.mean(np.abs(clipped) == 50.0) > 0.05
    assert SyntheticSource("eeg-64").generate(10)[0].dtype == np.float32


def test_unknown_montage_names_field_value_and_choices():
    with pytest.raises(ValidationError) as err:
        SyntheticSource("eeg-65")
    msg = str(err.value)
    assert "montage" in msg and "'eeg-65'" in msg and all(m in msg for m in MONTAGES)
    with pytest.raises(ValidationError) as err:
        get_montage("nope")
    assert "nope" in str(err.value)


def test_every_bad_parameter_is_reported_at_once():
    with pytest.raises(ValidationError) as err:
        SyntheticSource("utah-96", seed=-1, sfreq=1000, flat_channel="C3", cue_s=0, line_freq=55)
    assert set(err.value.fields) == {"seed", "sfreq", "flat_channel", "cue_s", "line_freq"}
    with pytest.raises(ValidationError, match="n_times"):
        SyntheticSource("ecog-8").generate(-1)


def test_montages_describe_their_channels():
    eeg, ecog, utah = MONTAGES["eeg-64"], MONTAGES["ecog-8"], MONTAGES["utah-96"]
    assert (eeg.n_channels, ecog.n_channels, utah.n_channels) == (64, 8, 96)
    assert {"C3", "C4", "Fp1", "Oz"} <= set(eeg.ch_names) and len(set(eeg.ch_names)) == 64
    assert utah.sfreq == 30000 and utah.ch_type == "seeg" and ecog.ch_type == "ecog"
    # The left hand-area generator peaks at C3 and barely reaches C4.
    w = eeg.weights[0]
    assert eeg.ch_names[int(np.argmax(w))] == "C3" and w[eeg.ch_names.index("C4")] < 0.05


def test_utah_units_turn_over_from_day_to_day_deterministically():
    n = 3000  # 0.1 s at 30 kHz
    day0 = SyntheticSource("utah-96", seed=4)
    assert np.array_equal(day0.generate(n)[0], SyntheticSource("utah-96", seed=4, day=0, turnover_per_day=0.9)
                          .generate(n)[0]), "day 0 is the same whatever the turnover"
    later = SyntheticSource("utah-96", seed=4, day=3, turnover_per_day=0.2)
    again = SyntheticSource("utah-96", seed=4, day=3, turnover_per_day=0.2)
    assert np.array_equal(later.generate(n)[0], again.generate(n)[0])
    # 1 - 0.8^3 = 49 % of electrodes record a new unit by day 3; the others keep their tuning.
    assert 0.3 < later.units_replaced.mean() < 0.7
    same = ~later.units_replaced
    assert np.array_equal(later._gain_grasp[same], day0._gain_grasp[same])
    assert not np.array_equal(later._gain_grasp, day0._gain_grasp)
    stable = SyntheticSource("utah-96", seed=4, day=3, turnover_per_day=0.0)
    assert not stable.units_replaced.any() and np.array_equal(stable._rate, day0._rate)


def test_bad_day_and_turnover_are_named():
    with pytest.raises(ValidationError) as e:
        SyntheticSource("utah-96", day=-1, turnover_per_day=1.5)
    assert "day" in str(e.value) and "turnover_per_day" in str(e.value)
