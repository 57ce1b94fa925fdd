"""Effector commands: encoding, the intent mapping per kind, and each simulated device's own checks."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.errors import ValidationError
from workbench.session.effectors import Command, SimulatedEffector, intent_commands
from workbench.session.participant import SimulatedParticipant
from workbench.session.stimulation import intent_programs


@given(st.text(alphabet=st.characters(blacklist_characters=";=", blacklist_categories=("Cs",)), min_size=1),
       st.integers(0, 10**9), st.floats(0, 1e6, allow_nan=False))
def test_command_round_trip(text, seq, src):
    back = Command.decode(Command(text, seq, src).encode())
    assert back.command == text and back.seq == seq and back.source_time == pytest.approx(src, abs=1e-6)


def test_intent_mapping_per_kind():
    classes = ["grasp", "open", "rest"]
    assert intent_commands("glove", classes) == {"grasp": "close", "open": "open", "rest": "hold"}
    programs = intent_programs(classes)
    assert intent_commands("programs", classes, programs) == {c: programs[c].command() for c in classes}
    assert set(intent_commands("adaptive", classes).values()) == {None}
    with pytest.raises(ValidationError):
        intent_commands("exoskeleton", classes)


def test_simulated_stimulator_applies_programs_and_refuses_anything_else():
    p = SimulatedParticipant()
    programs = intent_programs(["grasp", "open", "rest"])
    dev = SimulatedEffector("programs", "x-commands", participant=p, programs=programs, max_amplitude_ma=8.0)
    dev.apply(programs["grasp"].command())
    assert dev.state == "program:left_step" and p.stimulation_ma == programs["grasp"].amplitude_ma
    dev.apply("program:unknown")
    assert dev.state == "off" and p.stimulation_ma == 0.0 and dev.faults == ["program:unknown"]


def test_a_ramp_step_runs_a_program_below_its_own_amplitude_never_above():
    p = SimulatedParticipant()
    programs = intent_programs(["grasp", "open", "rest"])
    grasp = programs["grasp"]
    dev = SimulatedEffector("programs", "x-commands", participant=p, programs=programs, max_amplitude_ma=8.0)
    dev.apply(f"{grasp.command()}@{grasp.amplitude_ma / 2:.3f}")
    assert dev.state == grasp.command() and p.stimulation_ma == pytest.approx(grasp.amplitude_ma / 2)
    over = f"{grasp.command()}@{grasp.amplitude_ma + 0.5:.3f}"  # above what its charge density was checked for
    dev.apply(over)
    assert dev.state == "off" and p.stimulation_ma == 0.0 and dev.faults == [over]


def test_adaptive_stimulator_takes_the_intent_in_force_without_changing_the_current():
    p = SimulatedParticipant()
    dev = SimulatedEffector("adaptive", "x-commands", participant=p)
    dev.apply("amplitude:2.0")
    for intent in ("stimulate", "rest"):
        dev.apply(intent)
        assert dev.amplitude_ma == 2.0 and p.stimulation_ma == 2.0 and not dev.faults
    assert intent_commands("adaptive", ["grasp", "open", "rest"], follow_intent=True) == {
        "grasp": "stimulate", "open": "stimulate", "rest": "rest"}


@pytest.mark.parametrize("command", ["amplitude:9.5", "amplitude:-1", "amplitude:nan", "amplitude:abc", "close"])
def test_adaptive_stimulator_goes_off_on_a_command_over_its_hardware_limit(command):
    p = SimulatedParticipant()
    dev = SimulatedEffector("adaptive", "x-commands", participant=p, max_amplitude_ma=8.0)
    dev.apply("amplitude:3.0")
    assert p.stimulation_ma == 3.0
    dev.apply(command)
    assert dev.amplitude_ma == 0.0 and p.stimulation_ma == 0.0 and dev.faults == [command]


def test_glove_understands_open_close_hold_and_off():
    dev = SimulatedEffector("glove", "x-commands")
    for c in ("close", "hold", "open", "off"):
        dev.apply(c)
        assert dev.state == c
    assert not dev.faults and not math.isnan(dev.position)
