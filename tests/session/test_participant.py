"""The simulated participant: deterministic by seed, harder when asked, drifting so that adaptation matters."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import ValidationError
from workbench.session.adaptation import offline_accuracy, recalibrate
from workbench.session.paradigm import ParadigmSpec
from workbench.session.participant import CueTimeline, ParticipantModel, SimulatedParticipant, simulate_recording
from workbench.session.training import train_decoder, windows_from_raw
from tests.budget import examples

CLASSES = ("rest", "grasp", "open")


def _stream(seed, model, chunks):
    p = SimulatedParticipant(CueTimeline([(0.5, "grasp"), (2.0, "open"), (3.5, "rest")]), seed=seed, model=model)
    return np.concatenate([p.generate(n)[0] for n in chunks])


def test_same_seed_same_samples_and_different_seed_differs():
    m = ParticipantModel(seed=3)
    a = _stream(1, m, [7, 993, 1000])
    assert np.array_equal(a, _stream(1, m, [7, 993, 1000]))
    assert not np.allclose(a[:, 1:-1], _stream(2, m, [7, 993, 1000])[:, 1:-1])
    assert not np.allclose(a[:, 1:-1], _stream(1, ParticipantModel(seed=4), [7, 993, 1000])[:, 1:-1])


def test_difficulty_fills_the_parameters_and_explicit_ones_win():
    easy, default, hard = ParticipantModel("easy"), ParticipantModel(), ParticipantModel("hard")
    assert default.difficulty == 0.5 and easy.difficulty == 0.0
    assert easy.erd_depth > default.erd_depth > hard.erd_depth and easy.snr_db > default.snr_db > hard.snr_db
    assert easy.drift_per_block == easy.trial_sd == easy.miss_rate == easy.fatigue_per_min == 0.0
    assert ParticipantModel(difficulty=0.9, snr_db=30.0).snr_db == 30.0


def test_bad_parameters_are_refused_with_every_field_named():
    with pytest.raises(ValidationError) as e:
        ParticipantModel(difficulty="impossible", erd_depth=0.0, snr_db=float("nan"), seed=-1)
    text = str(e.value)
    assert all(f in text for f in ("difficulty", "erd_depth", "snr_db", "seed"))
    with pytest.raises(ValidationError, match="block"):
        SimulatedParticipant(block=-1)


def _windows(model, block, seed, reps=4):
    spec = ParadigmSpec(CLASSES, cue_s=3.0, rest_s=1.0, repetitions=reps, seed=seed, jitter_s=0.5)
    return windows_from_raw(simulate_recording(spec, seed=seed, model=model, block=block), CLASSES, cue_s=3.0)


def _transfer(model, reps=4, trial=False):
    """Window (or trial) accuracy of a decoder trained on block 0 and used unadapted on block 1 (offline)."""
    dec = train_decoder(_windows(model, 0, 0, reps), n_folds=2).decoder
    return offline_accuracy(dec, _windows(model, 1, 1, reps))[1 if trial else 0]


@pytest.mark.slow
@settings(max_examples=examples(4), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.floats(0.0, 0.45), st.floats(0.3, 0.5))
def test_accuracy_falls_with_difficulty(low, step):
    assert _transfer(ParticipantModel(difficulty=low + step)) < _transfer(ParticipantModel(difficulty=low))


def test_easy_is_near_perfect_and_the_default_is_where_sci_participants_are():
    assert _transfer(ParticipantModel("easy"), trial=True) == 1.0
    # Three classes, trial decided by the majority of its windows; SCI studies: 0.6-0.85 (see participant._params).
    assert 0.6 <= _transfer(ParticipantModel(), reps=8, trial=True) <= 0.85


def test_recalibration_recovers_a_drifting_participant_and_does_no_harm_on_a_stationary_one():
    def scores(model):
        w0, w1, w2 = (_windows(model, b, b, reps=6) for b in range(3))
        v1 = train_decoder(w0, n_folds=2).decoder
        v2 = recalibrate([w0, w1], n_folds=2).decoder
        return offline_accuracy(v1, w2)[0], offline_accuracy(v2, w2)[0]

    unadapted, adapted = scores(ParticipantModel(difficulty=0.3, drift_per_block=0.3, seed=1))
    assert adapted > unadapted + 0.05
    unadapted, adapted = scores(ParticipantModel(difficulty=0.3, drift_per_block=0.0, fatigue_per_min=0.0, seed=1))
    assert adapted >= unadapted - 0.05
