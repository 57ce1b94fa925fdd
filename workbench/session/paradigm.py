"""Cued paradigms: a validated spec, its seeded schedule, and a runner with pause, resume and abort.

A trial is an inter-trial interval (``iti``: the participant relaxes and looks
at the fixation cross) of ``rest_s`` plus a uniform jitter in
``[0, jitter_s]``, then the cue for ``cue_s``. The jitter keeps the participant
from anticipating cue onsets, which would move the ERD before the cue
(Pfurtscheller & Neuper 2001, Proc IEEE 89:1123). The order of classes is a
seeded permutation of ``repetitions`` copies of each class (balanced).

The runner is a model with explicit times: the operator panel and the cue view
only display it and call its methods; the loop calls :meth:`ParadigmRunner.update`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import Problem, ValidationError
from .participant import CueTimeline

ITI = "iti"
#: Text shown to the participant per class (large, plain: the cue view).
CUE_TEXT = {"rest": "Rest", "grasp": "Close your hand", "open": "Open your hand", "left_step": "Step left",
            "right_step": "Step right", "stand": "Stand", ITI: "+", "pause": "Pause"}


@dataclass(frozen=True)
class ParadigmSpec:
    """Classes, durations (s), repetitions per class, order seed and inter-trial jitter (s)."""

    classes: tuple = ("rest", "grasp", "open")
    cue_s: float = 4.0
    rest_s: float = 2.0
    repetitions: int = 5
    seed: int = 0
    jitter_s: float = 0.5

    def __post_init__(self) -> None:
        problems = []
        classes = self.classes
        if isinstance(classes, str) or not isinstance(classes, (tuple, list)) or len(classes) < 2 \
                or len(set(classes)) != len(classes) or not all(isinstance(c, str) and c.strip() for c in classes):
            problems.append(Problem("classes", classes, "at least two distinct class names"))
        elif ITI in classes or "pause" in classes:
            problems.append(Problem("classes", classes, f"class names other than {ITI!r} and 'pause' (reserved)"))
        for name, lo, hi in (("cue_s", 0.5, 60.0), ("rest_s", 0.0, 60.0), ("jitter_s", 0.0, 10.0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
                problems.append(Problem(name, v, f"seconds between {lo:g} and {hi:g}"))
        for name, lo, hi in (("repetitions", 1, 1000), ("seed", 0, 2**32 - 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
                problems.append(Problem(name, v, f"a whole number between {lo} and {hi}"))
        if problems:
            raise ValidationError(problems, what="paradigm")

    @property
    def n_trials(self) -> int:
        return len(self.classes) * self.repetitions

    def schedule(self) -> list[tuple[float, str]]:
        """(onset_s, label) of every inter-trial interval and cue, from 0; ends with the final ``iti``."""
        rng = np.random.default_rng(self.seed)
        order = rng.permutation(np.repeat(np.arange(len(self.classes)), self.repetitions))
        out, t = [], 0.0
        for k in order:
            out.append((round(t, 6), ITI))
            t += self.rest_s + float(rng.uniform(0, self.jitter_s))
            out.append((round(t, 6), self.classes[int(k)]))
            t += self.cue_s
        out.append((round(t, 6), ITI))
        return out

    @property
    def duration_s(self) -> float:
        return self.schedule()[-1][0] + self.rest_s


@dataclass(frozen=True)
class CueState:
    """What the cue view shows now."""

    label: str
    text: str
    remaining_s: float
    trial: int
    n_trials: int
    state: str


class ParadigmRunner:
    """Runs a :class:`ParadigmSpec` on a :class:`CueTimeline` (shared with the participant or the cue view).

    States: ready, running, paused, aborted, finished. ``t`` arguments are
    seconds on the run's clock (0 = start).
    """

    def __init__(self, spec: ParadigmSpec, timeline: CueTimeline | None = None) -> None:
        self.spec = spec
        self.timeline = timeline or CueTimeline()
        self.state = "ready"
        self._emitted = 0.0

    def start(self, offset_s: float = 0.0) -> None:
        """Put the schedule on the timeline, starting ``offset_s`` into the run (a lead-in for the recorder)."""
        if self.state != "ready":
            raise ValidationError([Problem("state", self.state, "ready (a runner runs once)")], what="paradigm run")
        self.timeline.set_cues([(t + offset_s, lab) for t, lab in self.spec.schedule()],
                               end_s=offset_s + self.spec.duration_s)
        self.state = "running"

    def pause(self, t: float) -> None:
        if self.state == "running":
            self.timeline.pause(t)
            self.state = "paused"

    def resume(self, t: float) -> None:
        if self.state == "paused":
            self.timeline.resume(t)
            self.state = "running"

    def abort(self, t: float) -> None:
        if self.state in ("running", "paused"):
            self.timeline.stop_at(t)
            self.state = "aborted"

    @property
    def end_s(self) -> float | None:
        return self.timeline.end_s

    def update(self, t: float) -> list[tuple[float, str]]:
        """Cue onsets that came due since the previous call (for a marker outlet); finishes at the end."""
        due = self.timeline.onsets_between(self._emitted, t)
        self._emitted = max(self._emitted, t)
        if self.state == "running" and self.end_s is not None and t >= self.end_s:
            self.state = "finished"
        return due

    def cue_state(self, t: float) -> CueState:
        label, later, trial = self.timeline.progress_at(t, not_counted=(ITI, "pause"))
        if self.state == "ready":
            label = "rest"
        elif self.state == "paused":
            label = "pause"
        end = self.end_s if self.end_s is not None else math.inf
        remaining = max(0.0, min(later if later is not None else end, end) - t)
        if self.state in ("aborted", "finished"):
            label, remaining = "rest", 0.0
        return CueState(label, CUE_TEXT.get(label, label), remaining, trial, self.spec.n_trials, self.state)

    def trials(self) -> list[tuple[int, str, float, float]]:
        """(number, class, onset_s, end_s) of the cues that ran to completion (a cut cue is left out)."""
        cues = self.timeline.cues
        end = self.end_s if self.end_s is not None else math.inf
        out = []
        for i, (onset, label) in enumerate(cues):
            if label in (ITI, "pause") or i + 1 >= len(cues):
                continue
            stop, following = cues[i + 1]
            if following == "pause" or stop > end:  # cut by a pause (it is repeated after) or by the end
                continue
            out.append((len(out) + 1, label, onset, stop))
        return out
