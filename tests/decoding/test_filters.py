"""Continuous stages: filters and references, offline transform vs streaming."""

import numpy as np
import pytest
from scipy import signal

from workbench.decoding import CommonAverageReference, FilterBank, IIRFilter, LaplacianReference, NotchFilter
from workbench.errors import ValidationError

RNG = np.random.default_rng(1)
X = RNG.standard_normal((800, 3)) + 5.0


def _stream(stage, x, sizes):
    state = stage.init_state()
    out, pos = [], 0
    for s in sizes:
        out.append(stage.stream(np.ascontiguousarray(x[pos:pos + s]), state))
        pos += s
    return np.vstack(out)


@pytest.mark.parametrize("stage", [
    IIRFilter(7.0, 30.0, sfreq=160.0),
    IIRFilter(1.0, None, sfreq=160.0, initial="steady"),
    NotchFilter((50.0,), sfreq=160.0),
    FilterBank(((8, 12), (18, 26)), sfreq=160.0),
    CommonAverageReference(),
])
def test_transform_equals_streaming_in_chunks(stage):
    whole = stage.fit(X).transform(X)
    chunks = _stream(stage, X, [1, 2, 97, 300, 400])
    np.testing.assert_array_equal(chunks, whole)


def test_iir_filter_is_scipy_butterworth_sosfilt():
    f = IIRFilter(7.0, 30.0, sfreq=160.0, order=4).fit(X)
    sos = signal.butter(4, [7, 30], btype="bandpass", fs=160, output="sos")
    np.testing.assert_allclose(f.sos_[0], sos)
    np.testing.assert_allclose(f.transform(X), signal.sosfilt(sos, X, axis=0), rtol=0, atol=1e-9)


def test_steady_initial_state_removes_the_offset_transient():
    zero = IIRFilter(1.0, None, sfreq=160.0).fit(X).transform(X)
    steady = IIRFilter(1.0, None, sfreq=160.0, initial="steady").fit(X).transform(X)
    assert np.abs(zero[:20]).max() > 3.0  # the 5.0 offset rings through a zero-state high-pass
    assert np.abs(steady[:20]).max() < 3.0


def test_notch_removes_mains_and_keeps_alpha():
    t = np.arange(2000) / 250.0
    x = np.column_stack([np.sin(2 * np.pi * 50 * t), np.sin(2 * np.pi * 10 * t)])
    y = NotchFilter((50.0,), sfreq=250.0, quality=30).fit(x).transform(x)
    assert np.std(y[1000:, 0]) < 0.03 * np.std(x[1000:, 0])
    assert np.std(y[1000:, 1]) > 0.95 * np.std(x[1000:, 1])


def test_filter_bank_layout_is_band_major():
    fb = FilterBank(((8, 12), (18, 26)), sfreq=160.0).fit(X)
    out = fb.transform(X)
    assert out.shape == (800, 6)
    one = IIRFilter(18, 26, sfreq=160.0).fit(X).transform(X)
    np.testing.assert_allclose(out[:, 3:], one, atol=1e-12)


def test_bad_filter_parameters_are_all_reported_by_name():
    with pytest.raises(ValidationError) as err:
        IIRFilter(90.0, 10.0, sfreq=160.0, order=0).fit(X)
    fields = err.value.fields
    assert "IIRFilter.l_freq" in fields and "IIRFilter.order" in fields
    assert "80.0" in str(err.value)  # says what is allowed: below Nyquist
    with pytest.raises(ValidationError, match="FilterBank.bands\\[1\\]"):
        FilterBank(((8, 12), (30, 20)), sfreq=160.0).fit(X)


def test_channel_count_must_match_the_fit():
    f = IIRFilter(7.0, 30.0, sfreq=160.0).fit(X)
    with pytest.raises(ValueError, match="3 features"):
        f.transform(X[:, :2])


def test_laplacian_reference_by_channel_names():
    lap = LaplacianReference(["C3", "FC3", "CP3"], {"C3": ["FC3", "CP3"]}).fit(X)
    out = lap.transform(X)
    np.testing.assert_allclose(out[:, 0], X[:, 0] - X[:, 1:].mean(axis=1))
    np.testing.assert_array_equal(out[:, 1:], X[:, 1:])
    with pytest.raises(ValidationError, match="Cz"):
        LaplacianReference(["C3", "FC3", "CP3"], {"C3": ["Cz"]}).fit(X)
