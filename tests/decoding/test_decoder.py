"""Decoder-level closed-loop adaptation: a new decoder, a new version, the running one untouched."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from workbench.decoding import CSP, LDA, Decoder, IIRFilter, KalmanDecoder, SpikeFeatures
from workbench.errors import ValidationError


@pytest.fixture(scope="module")
def spike_decoder(eegmmidb_runs):
    """Spike-band features of real EEG (20-70 Hz) decoding a synthetic 2-D cursor, 100 ms bins."""
    r = eegmmidb_runs[0]
    bins = np.arange(15, len(r.data), 16)
    kin = np.random.default_rng(0).standard_normal((len(bins), 2)).cumsum(axis=0) * 0.01
    dec = Decoder([IIRFilter(20.0, 70.0, sfreq=r.sfreq)], make_pipeline(SpikeFeatures(k=3.0), KalmanDecoder()),
                  sfreq=r.sfreq, ch_names=r.ch_names, window=16, step=16)
    return dec.fit([r.data], [bins], kin)


def test_batch_update_gives_a_new_version_and_leaves_running_decoders_alone(spike_decoder, eegmmidb_runs):
    x = eegmmidb_runs[1].data[:4000]
    online = spike_decoder.online()
    first = online.update(x[:2000])
    intended = np.random.default_rng(1).standard_normal((len(first), 2)).cumsum(axis=0) * 0.01
    adapted = spike_decoder.batch_update(first.features, intended, alpha=0.5)
    assert adapted.training_sha256_ != spike_decoder.training_sha256_
    np.testing.assert_allclose(
        adapted.model.h_, spike_decoder.model.batch_update(first.features, intended, alpha=0.5).h_, atol=0)
    second = online.update(x[2000:])  # the running decoder is not switched behind the loop's back
    np.testing.assert_array_equal(np.concatenate([first.values, second.values]),
                                  spike_decoder.decode(x).values)
    assert not np.allclose(adapted.decode(x).values, spike_decoder.decode(x).values)


def test_batch_update_needs_a_model_that_adapts(csp_decoder):
    with pytest.raises(ValidationError, match="batch_update"):
        csp_decoder.batch_update(np.zeros((10, 4)), np.zeros(10), alpha=0.5)
    unfitted = Decoder([IIRFilter(7.0, 30.0, sfreq=160.0)], make_pipeline(CSP(4), LDA()),
                       sfreq=160.0, ch_names=["a", "b"], window=16, step=16)
    with pytest.raises(Exception, match="not fitted"):
        unfitted.batch_update(np.zeros((10, 4)), np.zeros(10), alpha=0.5)
