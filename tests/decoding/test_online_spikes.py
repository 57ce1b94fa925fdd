"""The intracortical decoder online: the fused pass equals the stage-by-stage path; bad configuration is refused."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sklearn.pipeline import make_pipeline

from workbench.decoding import Decoder, IIRFilter, KalmanDecoder, SpikeFeatures, load_decoder
from workbench.decoding.online import DecoderOutput
from workbench.errors import ValidationError
from tests.budget import examples

SFREQ, BIN = 3000.0, 60  # a tenth of an implant's rate keeps the tests fast; the kernels do not care


def spike_decoder(n_ch=24, order=4, seed=0, initial="zero"):
    """Band-pass, threshold crossings and spike-band power in 20 ms bins, Kalman: fitted on noise with
    a few channels tuned to a random-walk velocity."""
    rng = np.random.default_rng(seed)
    n = 120 * BIN
    vel = rng.standard_normal((n // BIN, 2)).cumsum(axis=0) * 0.1
    x = rng.standard_normal((n, n_ch)) * 10.0
    x[:, :4] *= 1.0 + 0.3 * np.repeat(np.tanh(vel[:, :1]), BIN, axis=0)
    ends = np.arange(BIN - 1, n, BIN)
    dec = Decoder([IIRFilter(300.0, 1200.0, sfreq=SFREQ, order=order, initial=initial)],
                  make_pipeline(SpikeFeatures(k=3.0), KalmanDecoder()),
                  sfreq=SFREQ, ch_names=[f"e{i}" for i in range(n_ch)], window=BIN, step=BIN)
    return dec.fit([x], [ends], vel)


@pytest.fixture(scope="module")
def decoders():
    return {order: spike_decoder(order=order) for order in (2, 4, 5)}


def _run(online, x, cuts, gap_at):
    parts = []
    for k, chunk in enumerate(np.split(x, cuts)):
        if k == gap_at:
            online.mark_gap("lost samples")
        parts.append(online.update(chunk))
    return DecoderOutput.concatenate(parts, 2), online.pop_faults()


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(order=st.sampled_from([2, 4, 5]), cuts=st.lists(st.integers(0, 3000), max_size=12),
       gap_at=st.integers(-1, 12), n_nan=st.integers(0, 5), huge=st.booleans(), seed=st.integers(0, 2**16))
def test_the_fused_spike_path_equals_the_stage_by_stage_path_bit_for_bit(decoders, order, cuts, gap_at, n_nan,
                                                                          huge, seed):
    """Any chunking, NaN/Inf, a gap, an overflow: the same outputs, validity, features and faults."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3000, 24)) * 10.0
    x[rng.integers(0, 3000, n_nan), rng.integers(0, 24, n_nan)] = np.nan
    if huge:
        x[rng.integers(0, 3000), rng.integers(0, 24)] = 1e300  # the filter state overflows and is reset
    cuts = sorted(cuts)
    fused, fused_faults = _run(decoders[order].online(), x, cuts, gap_at)
    staged, staged_faults = _run(decoders[order].online(fused=False), x, cuts, gap_at)
    for field in ("sample_index", "values", "valid", "features"):
        a, b = getattr(fused, field), getattr(staged, field)
        assert a.shape == b.shape
        np.testing.assert_array_equal(a.view(np.int64) if a.dtype == float else a,
                                      b.view(np.int64) if b.dtype == float else b)
    assert fused_faults == staged_faults
    assert len(fused) == 3000 // BIN
    if n_nan:
        assert "nonfinite_input" in [f.kind for f in fused_faults]


def test_the_fused_path_is_the_one_that_runs_and_counts_spikes(decoders):
    """Not a vacuous comparison: online() takes the fused pass, and the bins hold crossings."""
    dec = decoders[4]
    online = dec.online()
    assert online._spikes is not None and dec.online(fused=False)._spikes is None
    x = np.random.default_rng(1).standard_normal((1200, 24)) * 10.0
    online.update(x[:600])  # the first chunk runs stage by stage (a steady-state start needs its first sample)
    assert online._stage_states[0].started
    out = online.update(x[600:])
    assert len(out) == 10 and out.features[:, :24].sum() > 10 and np.isfinite(out.values).all() and out.valid.all()


def test_a_steady_start_and_a_saved_decoder_give_the_same_bits(tmp_path):
    dec = spike_decoder(order=3, initial="steady")
    x = np.random.default_rng(2).standard_normal((900, 24)) * 10.0 + 50.0  # an offset: the steady start matters
    back = load_decoder(dec.save(tmp_path / "ic.npz"))
    a, _ = _run(back.online(), x, [1, 61, 400], -1)
    b, _ = _run(dec.online(fused=False), x, [1, 61, 400], -1)
    np.testing.assert_array_equal(a.values, b.values)


def test_a_chunk_with_the_wrong_channel_count_is_refused_and_nothing_is_applied(decoders):
    online = decoders[4].online()
    with pytest.raises(ValidationError, match=r"chunk.shape\[1\] \(n_channels\): got 23.*24 channels"):
        online.update(np.zeros((60, 23)))
    assert online.n_samples_seen == 0


def test_a_bad_configuration_is_refused_with_every_problem_named_before_any_data():
    with pytest.raises(ValidationError) as err:
        Decoder([IIRFilter(300.0, 15000.0, sfreq=30000.0, order=0)],
                make_pipeline(SpikeFeatures(k=float("inf")), KalmanDecoder()),
                sfreq=30000.0, ch_names=["a", "b"], window=600, step=600)
    assert err.value.fields == ("stages[0] IIRFilter.h_freq", "stages[0] IIRFilter.order", "SpikeFeatures.k")
    assert "15000.0" in str(err.value) and "(0, 15000.0) Hz" in str(err.value)
    with pytest.raises(ValidationError) as err:
        Decoder([IIRFilter(6000.0, 5000.0, sfreq=10000.0, order=13)],
                make_pipeline(SpikeFeatures(k=-4.5), KalmanDecoder()),
                sfreq=30000.0, ch_names=["a"], window=600, step=600)
    assert err.value.fields == ("stages[0] IIRFilter.sfreq", "stages[0] IIRFilter.l_freq",
                                  "stages[0] IIRFilter.h_freq", "stages[0] IIRFilter.order", "SpikeFeatures.k")
    for k in (float("nan"), 0.0, "4.5", None):
        with pytest.raises(ValidationError, match="SpikeFeatures.k"):
            Decoder([IIRFilter(300.0, 5000.0, sfreq=30000.0)], make_pipeline(SpikeFeatures(k=k), KalmanDecoder()),
                    sfreq=30000.0, ch_names=["a"], window=600, step=600)


def test_thresholds_that_are_not_negative_rms_based_are_refused(decoders, tmp_path):
    dec = spike_decoder(n_ch=6)
    x = np.random.default_rng(3).standard_normal((60 * BIN, 6))
    x[:, 2] = 0.0  # a flat channel: RMS 0, threshold 0 would count noise as spikes
    with pytest.raises(ValidationError, match=r"SpikeFeatures.thresholds_: got '1 channel\(s\) \{2: -0.0\}'"):
        dec.fit([x], [np.arange(BIN - 1, len(x), BIN)], np.zeros((60, 2)))
    # a saved decoder whose thresholds were altered: refused when a stream would start, on every path
    good = spike_decoder(n_ch=6)
    good.features.thresholds_[[1, 4]] = [np.nan, 3.0]
    for fused in (True, False):
        with pytest.raises(ValidationError, match=r"2 channel\(s\) \{1: nan, 4: 3.0\}"):
            good.online(fused=fused)
