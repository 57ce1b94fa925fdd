"""Adaptive stimulation: amplitude from a bounded controller on a measured EMG envelope.

An incremental (velocity-form) PI controller: the amplitude changes by
``kp * (e - e_prev) + ki * e * dt`` per update, then is clamped to
``[min_ma, max_ma]`` and to ``max_step_ma_per_s``. The velocity form cannot
wind up: a clamped amplitude stays clamped only as long as the error keeps
its sign (Åström & Hägglund, Advanced PID Control, 2006, section 3.5).
The safety gate limits whatever the controller asks for once more; the
controller's own bounds keep it well inside the gate's so the gate rarely has
to refuse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from ..errors import Problem, ValidationError


@dataclass(frozen=True)
class ControllerSpec:
    """Target EMG envelope (µV), gains (mA per µV, mA per µV s) and amplitude bounds (mA)."""

    target_uv: float = 40.0
    kp: float = 0.01
    ki: float = 0.2
    min_ma: float = 0.0
    max_ma: float = 6.0
    max_step_ma_per_s: float = 3.0

    def __post_init__(self) -> None:
        problems = []
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                problems.append(Problem(f.name, v, "a finite number >= 0"))
        if not problems and self.max_ma <= self.min_ma:
            problems.append(Problem("max_ma", self.max_ma, f"> min_ma ({self.min_ma})"))
        if problems:
            raise ValidationError(problems, what="adaptive stimulation controller")


class AdaptiveController:
    """Bounded PI control of the stimulation amplitude from the EMG envelope; explicit state, no clock."""

    def __init__(self, spec: ControllerSpec = ControllerSpec()) -> None:
        self.spec = spec
        self.amplitude_ma = spec.min_ma
        self._e_prev: float | None = None
        self._t_prev: float | None = None

    def update(self, t: float, envelope_uv: float) -> float:
        """New envelope measurement at time ``t``; returns the amplitude to ask for (mA)."""
        s = self.spec
        if not math.isfinite(envelope_uv):  # a bad measurement holds the amplitude; time still passes
            if self._t_prev is not None:
                self._t_prev = max(self._t_prev, t)
            return self.amplitude_ma
        e = s.target_uv - envelope_uv
        if self._t_prev is None:
            self._e_prev, self._t_prev = e, t
            return self.amplitude_ma
        dt = max(0.0, t - self._t_prev)
        delta = s.kp * (e - self._e_prev) + s.ki * e * dt
        bound = s.max_step_ma_per_s * dt
        delta = min(max(delta, -bound), bound)
        self.amplitude_ma = min(max(self.amplitude_ma + delta, s.min_ma), s.max_ma)
        self._e_prev, self._t_prev = e, t
        return self.amplitude_ma
