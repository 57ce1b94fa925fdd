"""Stimulation programs and the checks every program passes before it is accepted.

Charge limits: Shannon's criterion for tissue damage by electrical
stimulation, log10(D) = k - log10(Q), with Q the charge per phase (µC) and
D = Q / A the charge density (µC/cm² per phase); k = 1.85 is the value used
for clinical devices (Shannon RV, A model of safe levels for electrical
stimulation, IEEE Trans Biomed Eng 1992;39(4):424-426). A program is safe when
log10(Q) + log10(D) <= k. The amplitude here is the current through *each*
listed contact (the conservative reading: a current shared between contacts
only lowers each one's density).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import Problem, ValidationError

#: Shannon's k for clinical use (Shannon 1992).
SHANNON_K = 1.85


@dataclass(frozen=True)
class ElectrodeArray:
    """An implanted or surface electrode array: contact name -> geometric area (cm²)."""

    name: str
    areas_cm2: dict

    def area(self, contact: str) -> float | None:
        return self.areas_cm2.get(contact)


def paddle_16(name: str = "paddle-16") -> ElectrodeArray:
    """A 16-contact epidural paddle of 4 x 3 mm contacts (0.12 cm² each), a demo geometry, not a product's."""
    return ElectrodeArray(name, {f"E{i}": 0.12 for i in range(1, 17)})


@dataclass(frozen=True)
class StimProgram:
    """One stimulation program (e.g. per decoded intent: left step, right step, stand).

    amplitude_ma per contact, pulse_width_us per phase (biphasic, charge-balanced), frequency_hz.
    """

    name: str
    contacts: tuple
    amplitude_ma: float
    pulse_width_us: float
    frequency_hz: float

    @property
    def charge_uc(self) -> float:
        """Charge per phase Q = I * pw (mA * µs = nC, hence / 1000 for µC)."""
        return self.amplitude_ma * self.pulse_width_us * 1e-3

    def density_uc_cm2(self, array: ElectrodeArray) -> float:
        """Highest charge density over the program's contacts (the smallest contact)."""
        return self.charge_uc / min(array.areas_cm2[c] for c in self.contacts)

    def shannon_k(self, array: ElectrodeArray) -> float:
        """log10(Q) + log10(D): the program's k, compared with :data:`SHANNON_K`."""
        return math.log10(self.charge_uc) + math.log10(self.density_uc_cm2(array))

    def command(self) -> str:
        """The effector command that selects this program."""
        return f"program:{self.name}"


@dataclass(frozen=True)
class StimLimits:
    """Hardware and protocol limits a program must respect."""

    max_amplitude_ma: float = 8.0
    pulse_width_us: tuple = (50.0, 1000.0)
    frequency_hz: tuple = (1.0, 200.0)
    max_charge_uc: float = 4.0
    shannon_k: float = SHANNON_K


def program_problems(program: StimProgram, array: ElectrodeArray, limits: StimLimits,
                     label: str | None = None) -> list[Problem]:
    """Every reason ``program`` is impossible or unsafe on ``array`` (empty when acceptable)."""
    at = label or f"program {program.name!r}"
    out = []
    contacts = tuple(program.contacts)
    if not contacts:
        out.append(Problem(f"{at}.contacts", contacts, f"at least one contact of {array.name}"))
    unknown = [c for c in contacts if array.area(c) is None]
    if unknown:
        out.append(Problem(f"{at}.contacts", unknown, f"contacts of {array.name}: {', '.join(array.areas_cm2)}"))
    numbers = {"amplitude_ma": program.amplitude_ma, "pulse_width_us": program.pulse_width_us,
               "frequency_hz": program.frequency_hz}
    finite = True
    for name, v in numbers.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            out.append(Problem(f"{at}.{name}", v, "a finite number > 0"))
            finite = False
    if not finite:
        return out
    if program.amplitude_ma > limits.max_amplitude_ma:
        out.append(Problem(f"{at}.amplitude_ma", program.amplitude_ma, f"<= {limits.max_amplitude_ma} mA (limit)"))
    lo, hi = limits.pulse_width_us
    if not lo <= program.pulse_width_us <= hi:
        out.append(Problem(f"{at}.pulse_width_us", program.pulse_width_us, f"{lo:g}-{hi:g} µs"))
    lo, hi = limits.frequency_hz
    if not lo <= program.frequency_hz <= hi:
        out.append(Problem(f"{at}.frequency_hz", program.frequency_hz, f"{lo:g}-{hi:g} Hz"))
    if program.charge_uc > limits.max_charge_uc:
        out.append(Problem(f"{at} charge per phase", round(program.charge_uc, 4),
                           f"<= {limits.max_charge_uc} µC (amplitude x pulse width)"))
    if contacts and not unknown:
        k = program.shannon_k(array)
        if k > limits.shannon_k:
            out.append(Problem(f"{at} charge density", f"{program.density_uc_cm2(array):.1f} µC/cm² (k={k:.2f})",
                               f"log10(Q) + log10(Q/A) <= {limits.shannon_k} (Shannon 1992)"))
    return out


def check_programs(programs: dict, array: ElectrodeArray, limits: StimLimits = StimLimits()) -> dict:
    """Accept ``{intent: StimProgram}`` only if every program is safe; else list every problem."""
    problems = []
    for intent, program in programs.items():
        problems += program_problems(program, array, limits, label=f"programs[{intent!r}]")
    if problems:
        raise ValidationError(problems, what="stimulation programs")
    return dict(programs)


def walking_programs(array: ElectrodeArray | None = None) -> dict:
    """Demo programs per walking intent (brain-spine interface style: left step, right step, stand)."""
    array = array or paddle_16()
    programs = {
        "left_step": StimProgram("left_step", ("E2", "E5"), 3.0, 300.0, 40.0),
        "right_step": StimProgram("right_step", ("E12", "E15"), 3.0, 300.0, 40.0),
        "stand": StimProgram("stand", ("E8", "E9"), 2.5, 250.0, 30.0),
    }
    return check_programs(programs, array)


def intent_programs(classes, array: ElectrodeArray | None = None) -> dict:
    """Walking programs per decoded class for the simulated participant (rest, grasp, open).

    Its two attempted movements stand in for left and right step and rest for
    stand: a test mapping, so the programs effector runs with the same
    decoder as the glove.
    """
    walking = walking_programs(array)
    mapping = {"rest": "stand", "grasp": "left_step", "open": "right_step"}
    classes = [str(c) for c in classes]
    return {c: walking[mapping[c]] if c in mapping else walking[c] for c in classes if c in mapping or c in walking}
