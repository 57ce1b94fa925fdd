"""Stimulation programs are checked against amplitude, charge and Shannon's density limit before use."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.errors import ValidationError
from workbench.session.stimulation import (SHANNON_K, StimLimits, StimProgram, check_programs, paddle_16,
                                           program_problems, walking_programs)

ARRAY = paddle_16()


def test_charge_and_shannon_k_from_the_formula():
    p = StimProgram("x", ("E1",), 5.0, 200.0, 40.0)
    assert p.charge_uc == pytest.approx(1.0)  # 5 mA x 200 µs = 1 µC
    assert p.density_uc_cm2(ARRAY) == pytest.approx(1.0 / 0.12)
    assert p.shannon_k(ARRAY) == pytest.approx(math.log10(1.0) + math.log10(1.0 / 0.12))


def test_demo_walking_programs_are_accepted():
    programs = walking_programs()
    assert set(programs) == {"left_step", "right_step", "stand"}
    assert all(p.shannon_k(ARRAY) <= SHANNON_K for p in programs.values())


def test_unsafe_programs_are_refused_with_every_problem():
    programs = {
        "left_step": StimProgram("left_step", ("E2", "E99"), 12.0, 300.0, 40.0),  # unknown contact, amplitude
        "stand": StimProgram("stand", ("E8",), 7.0, 1000.0, 500.0),  # charge, density, frequency
        "right_step": StimProgram("right_step", ("E3",), -1.0, 300.0, 40.0),  # negative amplitude
    }
    with pytest.raises(ValidationError) as err:
        check_programs(programs, ARRAY)
    fields = err.value.fields
    assert "programs['left_step'].contacts" in fields
    assert "programs['left_step'].amplitude_ma" in fields
    assert "programs['stand'] charge per phase" in fields
    assert "programs['stand'] charge density" in fields
    assert "programs['stand'].frequency_hz" in fields
    assert "programs['right_step'].amplitude_ma" in fields
    assert "Shannon 1992" in str(err.value)


@given(st.floats(0.01, 8.0), st.floats(50, 1000), st.floats(0.001, 1.0))
def test_accepted_means_under_shannon_for_any_program(amp, pw, area):
    array = type(ARRAY)("a", {"E1": area})
    limits = StimLimits(max_charge_uc=100.0)
    p = StimProgram("p", ("E1",), amp, pw, 40.0)
    q = amp * pw / 1000
    over = math.log10(q) + math.log10(q / area) > SHANNON_K
    problems = program_problems(p, array, limits)
    assert any("charge density" in x.field for x in problems) == over
