"""Adaptation: SmoothBatch updates of a Kalman decoder follow drifting tuning; versions name every decoder."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from workbench.decoding import Decoder, KalmanDecoder, LastSample
from workbench.errors import ValidationError
from workbench.session.adaptation import SmoothBatchAdapter, decoder_version

RNG = np.random.default_rng(0)
N_FEAT = 12


def kinematics(n, rng):
    """A smooth 2-D velocity: low-pass filtered noise."""
    v = np.zeros((n, 2))
    for t in range(1, n):
        v[t] = 0.97 * v[t - 1] + 0.25 * rng.standard_normal(2)
    return v


def features(x, h, d, rng, noise=0.5):
    return x @ h.T + d + noise * rng.standard_normal((len(x), h.shape[0]))


def kalman_decoder(z, x):
    names = [f"u{i:02d}" for i in range(z.shape[1])]
    return Decoder([], make_pipeline(LastSample(), KalmanDecoder()), sfreq=50.0, ch_names=names, window=1,
                   step=1).fit([z], [np.arange(len(z))], x)


def rmse(decoder, z, x):
    out = decoder.decode(z)
    return float(np.sqrt(np.mean((out.values - x[out.sample_index]) ** 2)))


def test_smoothbatch_follows_a_tuning_drift_and_keeps_the_old_decoder():
    h, d = RNG.standard_normal((N_FEAT, 2)), 5.0 + RNG.random(N_FEAT)  # spike-count-like: never zero-mean
    x0 = kinematics(3000, RNG)
    decoder = kalman_decoder(features(x0, h, d, RNG), x0)
    h2 = h + 0.8 * RNG.standard_normal(h.shape)  # the tuning drifts between days
    x_test = kinematics(2000, RNG)
    z_test = features(x_test, h2, d, RNG)
    before = rmse(decoder, z_test, x_test)

    adapter = SmoothBatchAdapter(decoder, alpha=0.5, batch_size=500)
    online = decoder.online()
    versions = []
    for _ in range(4):  # closed-loop use: the intended kinematics are known at each output
        x = kinematics(500, RNG)
        out = online.update(features(x, h2, d, RNG))
        new = adapter.add(out, x[out.sample_index - out.sample_index[0]])
        if new is not None:
            versions.append(adapter.version)
            online = new.online()  # a new online decoder between batches; the old one never changes
    after = rmse(adapter.decoder, z_test, x_test)
    assert after < 0.7 * before
    assert len(versions) == 4 and len(set(versions)) == 4 and adapter.history[0] == decoder_version(decoder, "kalman")
    assert rmse(decoder, z_test, x_test) == pytest.approx(before), "the original decoder is not changed"


def test_invalid_outputs_are_left_out_of_a_batch():
    h, d = RNG.standard_normal((N_FEAT, 2)), 5.0 + RNG.random(N_FEAT)
    x = kinematics(400, RNG)
    decoder = kalman_decoder(features(x, h, d, RNG), x)
    adapter = SmoothBatchAdapter(decoder, batch_size=100)
    out = decoder.online().update(features(x[:90], h, d, RNG))
    intended = x[:90].copy()
    intended[:50] = np.nan  # no intention known (e.g. between trials)
    assert adapter.add(out, intended) is None
    assert sum(len(z) for z in adapter._z) == 40


def test_a_classifier_cannot_be_batch_updated_and_bad_settings_are_listed():
    from workbench.session.participant import simulate_recording
    from workbench.session.paradigm import ParadigmSpec
    from workbench.session.training import train_decoder, windows_from_raw

    spec = ParadigmSpec(cue_s=3.0, rest_s=1.5, repetitions=2)
    lda = train_decoder(windows_from_raw(simulate_recording(spec), spec.classes, cue_s=3.0), n_folds=2).decoder
    with pytest.raises(ValidationError) as err:
        SmoothBatchAdapter(lda, alpha=2.0, batch_size=3)
    assert set(err.value.fields) == {"decoder", "alpha", "batch_size"}
