"""The online decoder: bad input, NaN protection, reset, unfitted use."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from tests.decoding.conftest import window_ends
from workbench.decoding import CSP, LDA, CommonAverageReference, Decoder, IIRFilter, decode_in_chunks
from workbench.decoding.online import DecoderFault, DecoderOutput
from workbench.errors import ValidationError
from tests.budget import examples


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


# ------------------------------------------------------------ safe in a loop
def _fresh_csp_decoder(runs):
    sf = runs[0].sfreq
    dec = Decoder([IIRFilter(7.0, 30.0, sfreq=sf), CommonAverageReference()], make_pipeline(CSP(4), LDA()),
                  sfreq=sf, ch_names=runs[0].ch_names, window=161, step=23)
    return dec.fit([r.data for r in runs], window_ends(runs), np.concatenate([r.labels for r in runs]))


def test_refitting_never_changes_a_running_online_decoder(eegmmidb_runs):
    dec = _fresh_csp_decoder(eegmmidb_runs[:2])
    x = eegmmidb_runs[2].data[:3000]
    expected = dec.decode(x)
    online = dec.online()
    first = online.update(x[:1500])
    dec.fit([eegmmidb_runs[2].data], window_ends(eegmmidb_runs[2:]), eegmmidb_runs[2].labels)  # other data
    assert not np.allclose(dec.decode(x).values, expected.values)  # the decoder itself did change
    second = online.update(x[1500:])
    np.testing.assert_array_equal(np.concatenate([first.values, second.values]), expected.values)


def _after_restart(csp_decoder, x, g, restart):
    """Outputs of a decoder fed x[:g], then ``restart(online)``, then x[g:]; and a fresh one on x[g:]."""
    online = csp_decoder.online()
    before = online.update(x[:g])
    restart(online)
    after = online.update(x[g:])
    return before, after, online.pop_faults(), csp_decoder.decode(x[g:])


def test_a_gap_invalidates_outputs_for_one_window_then_decodes_as_from_a_fresh_start(csp_decoder, eegmmidb_runs):
    x = eegmmidb_runs[2].data[:3000]
    g = 23 * 40  # on the output grid, so the fresh decoder's outputs fall on the same samples
    before, after, faults, fresh = _after_restart(csp_decoder, x, g, lambda o: o.mark_gap("reconnected"))
    assert before.valid.all()
    assert faults == [DecoderFault(g, "gap", "reconnected")]
    window = csp_decoder.window
    np.testing.assert_array_equal(after.valid, after.sample_index >= g + window - 1)
    # the filters restarted: once a whole window is new, outputs are exactly a fresh decoder's
    ok = after.valid
    np.testing.assert_array_equal(after.sample_index[ok] - g, fresh.sample_index[fresh.sample_index >= window - 1])
    # (equal to rounding: the ring of block sums is summed from another starting block)
    np.testing.assert_allclose(after.values[ok], fresh.values[fresh.sample_index >= window - 1], rtol=0, atol=1e-12)


def test_an_overflowing_value_resets_the_filters_and_is_reported(csp_decoder, eegmmidb_runs):
    x = eegmmidb_runs[2].data[:3000].copy()
    g = 23 * 40
    x[g - 5:g] = 1e300  # finite, but its square is not: without a reset the filter rings for ever
    _, after, faults, fresh = _after_restart(csp_decoder, x, g, lambda o: None)
    assert [(f.kind, f.sample_index) for f in faults] == [("state_overflow", g - 1)]
    assert "stages[0] (IIRFilter)" in faults[0].detail
    assert np.all(np.isfinite(after.values[after.valid]))
    np.testing.assert_array_equal(after.valid, after.sample_index >= g + csp_decoder.window - 1)
    ok = after.valid
    np.testing.assert_allclose(after.values[ok], fresh.values[fresh.sample_index >= csp_decoder.window - 1],
                               rtol=0, atol=1e-12)


def test_nonfinite_input_is_reported_with_its_first_sample(csp_decoder, eegmmidb_runs):
    x = eegmmidb_runs[2].data[:600].copy()
    x[250:260, 3] = np.nan
    online = csp_decoder.online()
    online.update(x[:200])
    online.update(x[200:])
    faults = online.pop_faults()
    assert [(f.kind, f.sample_index) for f in faults] == [("nonfinite_input", 250)]
    assert "10 sample(s)" in faults[0].detail
    assert online.pop_faults() == []  # popped once


def test_outputs_carry_the_feature_vectors_the_model_read(csp_decoder, eegmmidb_runs):
    out = csp_decoder.decode(eegmmidb_runs[2].data[:2000])
    assert out.features.shape == (len(out), 4)
    np.testing.assert_allclose(csp_decoder.model.predict_proba(out.features), out.values, atol=1e-12)


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(st.tuples(st.integers(1, 200), st.sampled_from(["clean", "nan", "huge", "gap"])),
                       min_size=1, max_size=12))
def test_no_fault_sequence_poisons_the_decoder(csp_decoder, eegmmidb_runs, events):
    """Whatever faults arrive, valid outputs are finite, and after one clean window outputs are valid again."""
    x = eegmmidb_runs[2].data
    online = csp_decoder.online()
    pos = 0
    for n, kind in events:
        chunk = x[pos:pos + n].copy()
        if kind == "nan":
            chunk[n // 2, :] = np.nan
        elif kind == "huge":
            chunk[n // 2, 0] = 1e300
        elif kind == "gap":
            online.mark_gap()
        out = online.update(chunk)
        assert np.all(np.isfinite(out.values[out.valid]))
        pos += n
    tail = online.update(x[pos:pos + 2 * csp_decoder.window])
    settled = tail.sample_index >= pos + csp_decoder.window - 1
    assert settled.any() and tail.valid[settled].all()


def test_the_fused_bandpower_lda_path_equals_the_stage_by_stage_path(eegmmidb_runs):
    from workbench.decoding import BandPower, FilterBank

    train = eegmmidb_runs[:2]
    sf = train[0].sfreq
    dec = Decoder([FilterBank(((8.0, 12.0), (18.0, 26.0)), sfreq=sf)], make_pipeline(BandPower(), LDA()),
                  sfreq=sf, ch_names=train[0].ch_names, window=160, step=16)
    dec.fit([r.data for r in train], window_ends(train), np.concatenate([r.labels for r in train]))
    x = eegmmidb_runs[2].data[:5000].copy()
    x[1200:1210, 4] = np.nan
    x[3000, 0] = 1e300
    outs, faults = [], []
    for fused in (True, False):
        online = dec.online(fused=fused)
        parts = []
        for k, (a, b) in enumerate(zip(range(0, 5000, 37), range(37, 5037, 37))):
            if k == 60:
                online.mark_gap()
            parts.append(online.update(x[a:b]))
        outs.append(DecoderOutput.concatenate(parts, 2))
        faults.append(online.pop_faults())
    fused_out, staged = outs
    for field in ("sample_index", "values", "valid", "features"):
        np.testing.assert_array_equal(getattr(fused_out, field), getattr(staged, field))
    assert faults[0] == faults[1]
    assert [f.kind for f in faults[0]] == ["nonfinite_input", "gap", "state_overflow"]
    assert not fused_out.valid.all() and fused_out.valid[-20:].all()
