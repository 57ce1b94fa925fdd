"""Online (random chunks, 1 sample to 1 s) equals offline (whole recording).

For every pipeline kind, a decoder fitted on real data is run over a real
continuous recording once as a whole (``decode``) and once in chunk sizes
drawn by hypothesis; outputs must fall on the same samples and agree within
1e-9. Both are read with workbench.recording.read_recording (MNE for EDF, pyxdf for XDF).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sklearn.pipeline import make_pipeline

from tests.decoding.conftest import window_ends
from workbench.decoding import (
    LDA, BandPower, CommonAverageReference, Decoder, FilterBank, IIRFilter, KalmanDecoder, LaplacianReference,
    LastSample, LogVariance, NotchFilter, Ridge, SmoothedPower, SpikeFeatures, decode_in_chunks, load_decoder,
)
from tests.budget import examples

SETTINGS = settings(max_examples=examples(10), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _labels(runs):
    return np.concatenate([r.labels for r in runs])


@pytest.fixture(scope="module")
def decoders(eegmmidb_runs, bci4als_run, csp_decoder):
    """One fitted decoder per pipeline kind, with the recording to replay."""
    train, test = eegmmidb_runs[:2], eegmmidb_runs[2]
    sf, names = train[0].sfreq, train[0].ch_names
    data = [r.data for r in train]
    out = {"csp_lda": (csp_decoder, test.data[:4800])}
    bp = Decoder([FilterBank(((8, 12), (16, 24)), sfreq=sf), CommonAverageReference()],
                 make_pipeline(BandPower(), LDA(shrinkage="auto")), sfreq=sf, ch_names=names, window=160, step=16)
    out["bandpower_lda"] = (bp.fit(data, window_ends(train), _labels(train)), test.data[:4800])
    ema = Decoder([IIRFilter(8.0, 30.0, sfreq=sf), SmoothedPower(tau=0.5, sfreq=sf)],
                  make_pipeline(LastSample(), LDA(shrinkage="auto")), sfreq=sf, ch_names=names, window=1, step=16)
    out["smoothed_power_lda"] = (ema.fit(data, window_ends(train), _labels(train)), test.data[:4800])
    # Continuous control stand-ins on real EEG: a synthetic 2-D target per window.
    ends_all = [np.arange(160, len(d), 16) for d in data]
    rng = np.random.default_rng(0)
    target = rng.standard_normal((sum(map(len, ends_all)), 2)).cumsum(axis=0) * 0.01
    lap = LaplacianReference(names, {names[1]: [names[0], names[2]], names[8]: [names[1], names[15]]})
    lv = Decoder([IIRFilter(8.0, 30.0, sfreq=sf), lap], make_pipeline(LogVariance(), Ridge(alpha=10.0)),
                 sfreq=sf, ch_names=names, window=80, step=8)
    out["logvar_ridge"] = (lv.fit(data, ends_all, target), test.data[:4800])
    bins = [np.arange(15, len(d), 16) for d in data]
    kin = rng.standard_normal((sum(map(len, bins)), 4)).cumsum(axis=0) * 0.01
    sp = Decoder([IIRFilter(20.0, 70.0, sfreq=sf)], make_pipeline(SpikeFeatures(k=3.0), KalmanDecoder()),
                 sfreq=sf, ch_names=names, window=16, step=16)
    out["spikes_kalman"] = (sp.fit(data, bins, kin), test.data[:4800])
    # XDF (pyxdf): OpenBCI at 125 Hz, left vs right hand, 2 s windows from the cue.
    x = bci4als_run
    lr = np.isin(x.labels, ["left", "right"])
    xd = Decoder([NotchFilter((50.0,), sfreq=x.sfreq, initial="steady"),
                  IIRFilter(8.0, 30.0, sfreq=x.sfreq, initial="steady"), CommonAverageReference()],
                 make_pipeline(BandPower(), LDA(shrinkage="auto")), sfreq=x.sfreq, ch_names=x.ch_names,
                 window=250, step=25)
    out["xdf_bandpower_lda"] = (xd.fit([x.data], [x.onsets[lr] + 250], x.labels[lr]), x.data[:6000])
    return out


def _check_parity(decoder, X, sizes):
    whole = decoder.decode(X)
    chunked = decode_in_chunks(decoder, X, sizes)
    assert len(whole) > 10
    np.testing.assert_array_equal(chunked.sample_index, whole.sample_index)
    np.testing.assert_array_equal(chunked.valid, whole.valid)
    diff = np.max(np.abs(chunked.values - whole.values))
    assert diff <= 1e-9, diff
    return diff


KINDS = ["csp_lda", "bandpower_lda", "smoothed_power_lda", "logvar_ridge", "spikes_kalman", "xdf_bandpower_lda"]


@pytest.mark.parametrize("kind", KINDS)
@SETTINGS
@given(data=st.data())
def test_online_in_random_chunks_equals_offline(decoders, kind, data):
    decoder, X = decoders[kind]
    one_second = int(decoder.sfreq)
    sizes = data.draw(st.lists(st.integers(1, one_second), min_size=1, max_size=40), label="chunk sizes")
    _check_parity(decoder, X, sizes)


def test_single_sample_chunks_equal_offline(decoders):
    decoder, X = decoders["csp_lda"]
    _check_parity(decoder, X[:1600], [1])


def test_smoothed_power_features_at_cues_are_the_online_values(eegmmidb_runs):
    """Exponential smoothing runs over whole runs in training, as online."""
    train, test = eegmmidb_runs[:2], eegmmidb_runs[2]
    decoder = Decoder([IIRFilter(8.0, 30.0, sfreq=160.0), SmoothedPower(tau=0.5, sfreq=160.0)],
                      make_pipeline(LastSample(), LDA(shrinkage="auto")), sfreq=160.0,
                      ch_names=train[0].ch_names, window=1, step=1)
    decoder.fit([r.data for r in train], window_ends(train), _labels(train))
    ends = window_ends([test])[0]
    offline = decoder.model.predict_proba(decoder.features.transform(decoder.epochs([test.data], [ends])))
    online = decode_in_chunks(decoder, test.data, [5, 160, 1])
    np.testing.assert_array_equal(online.sample_index[ends], ends)
    np.testing.assert_allclose(online.values[ends], offline, rtol=0, atol=1e-9)


def test_online_output_at_a_window_end_is_the_offline_epoch_prediction(eegmmidb_runs, csp_decoder):
    """Training windows are what the online decoder sees: same probabilities."""
    from sklearn.base import clone

    every = Decoder(csp_decoder.stages, [clone(csp_decoder.features), clone(csp_decoder.model)],
                    sfreq=160.0, ch_names=csp_decoder.ch_names, window=161, step=1)
    train = eegmmidb_runs[:2]
    every.fit([r.data for r in train], window_ends(train), _labels(train))
    test = eegmmidb_runs[2]
    ends = window_ends([test])[0]
    offline = every.model.predict_proba(every.features.transform(every.epochs([test.data], [ends])))
    online = decode_in_chunks(every, test.data, [37, 1, 160])
    pos = np.searchsorted(online.sample_index, ends)
    np.testing.assert_array_equal(online.sample_index[pos], ends)
    np.testing.assert_allclose(online.values[pos], offline, rtol=0, atol=1e-9)


@pytest.mark.parametrize("kind", KINDS[1:])
def test_every_pipeline_kind_survives_save_and_load(decoders, kind, tmp_path):
    decoder, X = decoders[kind]
    loaded = load_decoder(decoder.save(tmp_path / f"{kind}.npz"), ch_names=decoder.ch_names, sfreq=decoder.sfreq)
    assert [type(s) for s in loaded.stages] == [type(s) for s in decoder.stages]
    a, b = decoder.decode(X[:2000]), decode_in_chunks(loaded, X[:2000], [77, 1, 300])
    np.testing.assert_array_equal(a.sample_index, b.sample_index)
    assert np.max(np.abs(a.values - b.values)) <= 1e-9
