"""sosfilt_bank against the naive difference equations and scipy.signal.sosfilt."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import signal

from tests import naive
from workbench.decoding.kernels import sosfilt_bank
from workbench.decoding.kernels.filtering import TILE, TIME_BLOCK
from tests.budget import examples

RNG = np.random.default_rng(7)
X = RNG.standard_normal((400, 5)) * 30e-6 + 10e-6  # EEG-like scale with an offset


def _run(sos_bank, x, chunks=None):
    zi = np.zeros(sos_bank.shape[:2] + (2, x.shape[1]))
    out = np.empty((len(x), sos_bank.shape[0] * x.shape[1]))
    bounds = [0] + list(np.cumsum(chunks or [len(x)]))
    for a, b in zip(bounds[:-1], bounds[1:]):
        sosfilt_bank(sos_bank, x[a:b], zi, out[a:b])
    return out, zi


@pytest.mark.parametrize("btype,wn", [("bandpass", [7, 30]), ("highpass", 1.0), ("lowpass", 40.0)])
def test_matches_naive_and_scipy(btype, wn):
    sos = signal.butter(4, wn, btype=btype, fs=160, output="sos")
    out, zi = _run(sos[None], X)
    np.testing.assert_allclose(out, naive.sosfilt(sos, X), rtol=0, atol=1e-9 * np.abs(X).max())
    ref, zf = signal.sosfilt(sos, X, axis=0, zi=np.zeros((sos.shape[0], 2, X.shape[1])))
    assert np.max(np.abs(out - ref)) <= 1e-9 * np.abs(ref).max()
    # the state after the data is scipy's final state: streaming continues the same way
    np.testing.assert_allclose(zi[0], zf, rtol=0, atol=1e-12)


def test_bank_puts_band_b_of_channel_c_in_column_b_times_n_plus_c():
    sos = np.stack([signal.butter(2, band, btype="bandpass", fs=160, output="sos") for band in ([8, 12], [18, 26])])
    out, _ = _run(sos, X)
    for b in range(2):
        ref = signal.sosfilt(sos[b], X, axis=0)
        np.testing.assert_allclose(out[:, b * 5:(b + 1) * 5], ref, rtol=0, atol=1e-15)


def test_steady_state_initial_condition_matches_scipy_lfilter_zi():
    sos = signal.butter(4, [7, 30], btype="bandpass", fs=160, output="sos")
    zi = signal.sosfilt_zi(sos)[:, :, None] * X[0][None, None, :]
    out = np.empty_like(X)
    sosfilt_bank(sos[None], X, zi[None].copy(), out)
    ref, _ = signal.sosfilt(sos, X, axis=0, zi=zi)
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-9 * np.abs(ref).max())


@settings(max_examples=examples(40), deadline=None, database=None)
@given(st.lists(st.integers(1, 90), min_size=1, max_size=60))
def test_any_chunking_gives_the_same_output(sizes):
    sos = signal.butter(4, [7, 30], btype="bandpass", fs=160, output="sos")
    whole, _ = _run(sos[None], X)
    sizes = list(sizes)
    while sum(sizes) < len(X):
        sizes.append(len(X) - sum(sizes))
    cut, acc = [], 0
    for s in sizes:
        if acc >= len(X):
            break
        cut.append(min(s, len(X) - acc))
        acc += cut[-1]
    chunked, _ = _run(sos[None], X, cut)
    assert np.max(np.abs(chunked - whole)) <= 1e-9 * np.abs(whole).max()


def test_channel_tiles_time_blocks_and_lanes_never_change_a_bit():
    """300 channels run as tiles of 128, 128 and 44 (vector loop and scalar remainder),
    150 samples as blocks of 64 rows cut differently by the chunks; each channel
    filtered alone in one piece gives the same bits, and both match the naive equations."""
    assert TILE < 300 < 3 * TILE and TIME_BLOCK < 143
    sos = signal.butter(4, [7, 30], btype="bandpass", fs=160, output="sos")
    wide = np.random.default_rng(3).standard_normal((150, 300))
    together, zi_together = _run(sos[None], wide, [7, 143])
    for c in (0, 127, 128, 131, 255, 256, 299):
        alone, zi_alone = _run(sos[None], np.ascontiguousarray(wide[:, c:c + 1]), [150])
        np.testing.assert_array_equal(together[:, c], alone[:, 0])
        np.testing.assert_array_equal(zi_together[..., c], zi_alone[..., 0])
    np.testing.assert_allclose(together[:, -3:], naive.sosfilt(sos, wide[:, -3:]), rtol=0, atol=1e-12)


@pytest.mark.parametrize("monic", [True, False])
def test_sections_in_groups_of_four_or_one_at_a_time_give_identical_bits(monic):
    """Sections 0-3 go through registers together, a fifth alone: the same bits as
    passing the signal through each section on its own. Butterworth sections 1-3
    have b0 == b2 == 1 (a shorter exact form); the same filter with its gain
    spread over the sections takes the general form."""
    sos = np.vstack([signal.butter(4, [7, 30], btype="bandpass", fs=160, output="sos"),
                     signal.butter(1, 40.0, fs=160, output="sos")])
    if not monic:
        sos[0, :3] *= 4.0
        sos[2, :3] /= 4.0
    assert sos.shape[0] == 5 and np.all(sos[1:4, [0, 2]] == 1.0) == monic
    x = np.random.default_rng(4).standard_normal((80, 150))
    grouped, zi_grouped = _run(sos[None], x, [30, 50])
    y = x
    for s in range(5):
        y, zi_s = _run(sos[None, s:s + 1], np.ascontiguousarray(y), [30, 50])
        np.testing.assert_array_equal(zi_grouped[0, s], zi_s[0, 0])
    np.testing.assert_array_equal(grouped, y)


def test_bank_of_eight_sections_matches_scipy():
    sos = signal.butter(8, [8, 12], btype="bandpass", fs=250, output="sos")
    x = np.random.default_rng(5).standard_normal((500, 140))
    out, _ = _run(sos[None], x, [123, 377])
    ref = signal.sosfilt(sos, x, axis=0)
    assert np.max(np.abs(out - ref)) <= 1e-9 * np.abs(ref).max()
