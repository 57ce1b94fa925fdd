"""Adaptive stimulation closes the loop on the simulated participant's EMG: stable, settling, bounded."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.errors import ValidationError
from workbench.session.adaptive import AdaptiveController, ControllerSpec
from workbench.session.participant import EmgPlant


def run_loop(gain, delay_s, seconds=6.0, noise_uv=0.0, seed=0, spec=ControllerSpec()):
    """Controller every 10 ms on the plant's envelope (plus measurement noise); envelope and amplitude per step."""
    rng = np.random.default_rng(seed)
    plant, ctl = EmgPlant(500.0, gain_uv_per_ma=gain, delay_s=delay_s), AdaptiveController(spec)
    env, amps = [], []
    for k in range(int(seconds / 0.01)):
        a = ctl.update(k * 0.01, plant.envelope_uv + noise_uv * rng.standard_normal())
        env.append(plant.step(a, 5)[-1])
        amps.append(a)
    return np.array(env), np.array(amps)


def settling_time(env, target, tol):
    inside = np.abs(env - target) <= tol
    if not inside[-1]:
        return math.inf
    return (len(inside) - np.argmin(inside[::-1])) * 0.01 if not inside.all() else 0.0


@pytest.mark.parametrize("gain", [6.0, 12.0, 24.0])
@pytest.mark.parametrize("delay_s", [0.025, 0.05])
def test_settles_to_the_target_without_oscillation_over_a_fourfold_gain_range(gain, delay_s):
    target = ControllerSpec().target_uv
    env, amps = run_loop(gain, delay_s)
    assert settling_time(env, target, 0.05 * target) <= 3.0
    assert env.max() <= 1.1 * target  # at most 10 % overshoot
    assert np.std(env[-100:]) < 0.01 * target  # no sustained oscillation
    assert np.all((amps >= 0) & (amps <= ControllerSpec().max_ma))


def test_settles_with_a_noisy_envelope():
    target = ControllerSpec().target_uv
    env, _ = run_loop(12.0, 0.025, noise_uv=3.0)
    assert abs(env[-200:].mean() - target) < 0.05 * target


def test_unreachable_target_saturates_at_the_bound_and_recovers_without_windup():
    spec = ControllerSpec(target_uv=200.0)
    plant, ctl = EmgPlant(500.0), AdaptiveController(spec)
    for k in range(400):
        plant.step(ctl.update(k * 0.01, plant.envelope_uv), 5)
    assert ctl.amplitude_ma == spec.max_ma
    # target drops: the amplitude leaves the bound at once (velocity form: nothing wound up)
    ctl.spec = ControllerSpec(target_uv=20.0)
    a0 = ctl.amplitude_ma
    ctl.update(4.01, plant.envelope_uv)
    assert ctl.amplitude_ma < a0


@given(st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(math.nan), st.just(math.inf)), min_size=1, max_size=200),
       st.floats(0.001, 0.5))
def test_amplitude_stays_bounded_and_rate_limited_for_any_measurements(envelopes, dt):
    spec = ControllerSpec()
    ctl = AdaptiveController(spec)
    prev = ctl.amplitude_ma
    for k, e in enumerate(envelopes):
        a = ctl.update(k * dt, e)
        assert spec.min_ma <= a <= spec.max_ma
        assert abs(a - prev) <= spec.max_step_ma_per_s * dt + 1e-9
        prev = a


def test_bad_spec_lists_every_problem():
    with pytest.raises(ValidationError) as err:
        ControllerSpec(target_uv=-1, ki=math.nan, max_ma=0.0)
    assert set(err.value.fields) == {"target_uv", "ki"}
    with pytest.raises(ValidationError) as err:
        ControllerSpec(min_ma=3.0, max_ma=2.0)
    assert err.value.fields == ("max_ma",)
