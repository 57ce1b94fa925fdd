"""The online decoder: bad input, NaN protection, reset, unfitted use."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from workbench.decoding import CSP, LDA, Decoder, IIRFilter, decode_in_chunks
from workbench.errors import ValidationError


def test_bad_chunks_are_refused_with_the_field_named(csp_decoder, eegmmidb_runs):
    online = csp_decoder.online()
    x = eegmmidb_runs[2].data
    with pytest.raises(ValidationError, match=r"chunk.shape\[1\] \(n_channels\): got 63"):
        online.update(x[:10, :63])
    with pytest.raises(ValidationError, match=r"chunk.shape: got \(64,\)"):
        online.update(x[0])
    with pytest.raises(TypeError, match="dtype <U"):
        online.update(np.full((3, 64), "a"))
    assert online.n_samples_seen == 0  # nothing half-applied
    assert len(online.update(np.empty((0, 64)))) == 0
    out = online.update(x[:300].astype(np.float32))  # other real dtypes are accepted
    assert len(out) and out.values.dtype == np.float64


def test_an_unfitted_decoder_cannot_run(eegmmidb_runs):
    r = eegmmidb_runs[0]
    dec = Decoder([IIRFilter(7.0, 30.0, sfreq=160.0)], make_pipeline(CSP(4), LDA()),
                  sfreq=160.0, ch_names=r.ch_names, window=160, step=16)
    with pytest.raises(NotFittedError, match="fit"):
        dec.online()
    with pytest.raises(NotFittedError):
        dec.decode(r.data)


def test_decoder_parameters_are_all_checked_at_once():
    with pytest.raises(ValidationError) as err:
        Decoder([CSP()], [LDA(), CSP()], sfreq=-1, ch_names=["a", "a"], window=0, step=2.5)
    assert set(err.value.fields) >= {"sfreq", "ch_names", "window", "step", "pipeline", "stages[0]"}


def test_a_nan_sample_flags_its_window_and_does_not_poison_later_outputs(csp_decoder, eegmmidb_runs):
    x = eegmmidb_runs[2].data[:4000].copy()
    clean = csp_decoder.decode(x)
    bad_at = 1000
    x[bad_at, 5] = np.nan
    x[bad_at + 3, :] = np.inf
    out = decode_in_chunks(csp_decoder, x, [7, 160, 33])
    assert np.all(np.isfinite(out.values))
    assert np.isnan(x[bad_at, 5])  # the caller's data are repaired in a copy, never in place
    near = (out.sample_index >= bad_at) & (out.sample_index - (bad_at + 3) < csp_decoder.invalid_span)
    np.testing.assert_array_equal(out.valid, ~near)
    assert near.sum() == 7  # outputs after samples 1011, 1034, ..., 1149 (every 23) see them
    # before the bad samples: identical; 5 s later: the filter has forgotten them
    before = out.sample_index < bad_at
    np.testing.assert_array_equal(out.values[before], clean.values[before])
    later = out.sample_index > bad_at + 800
    assert np.max(np.abs(out.values[later] - clean.values[later])) < 1e-3


def test_reset_starts_over(csp_decoder, eegmmidb_runs):
    x = eegmmidb_runs[2].data[:2000]
    online = csp_decoder.online()
    first = online.update(x)
    online.update(x[:123])
    online.reset()
    again = online.update(x)
    np.testing.assert_array_equal(first.values, again.values)
    np.testing.assert_array_equal(first.sample_index, again.sample_index)


def test_fit_refuses_windows_outside_the_recording(eegmmidb_runs):
    r = eegmmidb_runs[0]
    dec = Decoder([IIRFilter(7.0, 30.0, sfreq=160.0)], make_pipeline(CSP(4), LDA()),
                  sfreq=160.0, ch_names=r.ch_names, window=161, step=23)
    with pytest.raises(ValidationError, match=r"ends\[0\]"):
        dec.fit([r.data], [np.array([100, 500])], ["a", "b"])
    with pytest.raises(ValidationError, match="runs\\[0\\]\\[3, 2\\]"):
        bad = r.data.copy()
        bad[3, 2] = np.nan
        dec.fit([bad], [r.onsets + 320], r.labels)
