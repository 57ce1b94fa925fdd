"""Results of re-analysing recorded sessions (``workbench reanalyze``), with their provenance.

One :class:`Reanalysis` per work unit (one recording analysed with one set of
parameters) and one :class:`ReanalysisTrial` per scored cue. Each result
carries what is needed to reproduce it and to prove what it was computed from
(ICH E6(R2) 5.5.3 validated systems; 21 CFR 11.10(a)): the SHA-256 of the
recording and of the decoder file, the software version and every parameter.

A unit is identified by ``unit_key`` (a SHA-256 of where the recording lies
and of the analysis parameters) and ``result_version``. The database refuses a
second row with the same pair (a unique constraint), so a unit retried after a
worker died, or re-run by a second process, can never be written twice.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from ...errors import Problem
from .base import TableRecord
from .fields import LABEL, id_field, spec
from .session import ENGINEERING, SHA256

#: A unit either produced its results or failed with a reason (the rest of the run goes on).
REANALYSIS_STATUSES = ("done", "failed")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Reanalysis(TableRecord):
    """One recording re-decoded and re-analysed: summary results and provenance."""

    TABLE: ClassVar[str] = "reanalyses"
    WRITERS: ClassVar[frozenset[str]] = ENGINEERING
    #: Machine-made: one trail entry per created row (trail/audit.py); a re-run's update stays per field.
    TRAIL_PER_ROW: ClassVar[bool] = True
    #: Column groups the database keeps unique (see module docstring).
    UNIQUE: ClassVar[tuple[tuple[str, ...], ...]] = (("unit_key", "result_version"),)

    id: str = id_field()
    unit_key: str = spec("str", label="SHA-256 of the recording's location and the analysis parameters",
                         pattern=SHA256)
    result_version: int = spec("int", label="version of the analysis results", min=1, max=1_000_000)
    session_id: str = spec("str", required=False, label="session identifier", ref="sessions")
    participant_id: str = spec("str", required=False, label="pseudonym", ref="participants")
    source: str = spec("str", label="recording read (workspace path or URL)", pattern=r"[^\r\n\t]{1,200}")
    recording_sha256: str = spec("str", required=False, label="SHA-256 of the recording as read", pattern=SHA256)
    decoder_sha256: str = spec("str", required=False, label="SHA-256 of the decoder file", pattern=SHA256)
    software_version: str = spec("str", label="workbench version that computed the results", pattern=LABEL)
    parameters: dict = spec("json", default=None, required=False, label="analysis parameters")
    status: str = spec("str", label="outcome of the unit", choices=REANALYSIS_STATUSES)
    # Error texts can quote file paths and long channel lists: stored as text, withheld from exports.
    error: str = spec("str", required=False, label="why the unit failed", free_text=True)
    n_trials: int = spec("int", required=False, label="trials scored", min=0, max=1_000_000)
    n_classes: int = spec("int", required=False, label="number of decoder classes", min=2, max=1000)
    accuracy: float = spec("float", required=False, label="trial accuracy", min=0, max=1)
    kappa: float = spec("float", required=False, label="Cohen's kappa over trials", min=-1, max=1)
    itr_bits_per_min: float = spec("float", required=False, label="Wolpaw ITR", min=0, unit="bit/min")
    trial_duration_s: float = spec("float", required=False, label="trial duration used for the ITR", min=0,
                                   unit="s")
    erd_percent: dict = spec("json", default=None, required=False,
                             label="ERD per band and channel ('band:channel' -> % power change, attempt vs rest)")
    finished_at: object = spec("datetime", label="when the unit finished (UTC)")

    def _cross_check(self, bad: set[str]) -> list[Problem]:
        # A failed unit must say why; a finished one must not carry an error.
        if "status" in bad:
            return []
        if self.status == "failed" and not self.error:
            return [Problem("error", self.error, "the reason the unit failed")]
        if self.status == "done" and self.error:
            return [Problem("error", self.error, "None for a unit that finished")]
        return []


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReanalysisTrial(TableRecord):
    """One cue of a re-decoded recording: what was asked and what the decoder said."""

    TABLE: ClassVar[str] = "reanalysis_trials"
    WRITERS: ClassVar[frozenset[str]] = ENGINEERING
    #: Machine-made and only ever added: one trail entry per row (trail/audit.py), not per field.
    TRAIL_PER_ROW: ClassVar[bool] = True

    id: str = id_field()
    reanalysis_id: str = spec("str", label="re-analysis identifier", ref="reanalyses")
    number: int = spec("int", label="trial number within the recording", min=1, max=1_000_000)
    cue: str = spec("str", label="cued class", pattern=LABEL)
    onset_s: float = spec("float", label="cue onset from recording start", min=0, unit="s")
    decoded: str = spec("str", required=False, label="decoded class (majority of settled windows)", pattern=LABEL)
    correct: bool = spec("bool", required=False, label="decoded class equals cue")
    latency_s: float = spec("float", required=False, label="cue onset to first output of the cued class", min=0,
                            max=3600, unit="s")
    n_windows: int = spec("int", label="settled decoder windows voting", min=0, max=10_000_000)

    def _cross_check(self, bad: set[str]) -> list[Problem]:
        if bad & {"cue", "decoded", "correct"} or self.decoded is None or self.correct is None:
            return []
        if self.correct != (self.decoded == self.cue):
            return [Problem("correct", self.correct, f"{self.decoded == self.cue} (decoded {self.decoded!r}, "
                                                     f"cue {self.cue!r})")]
        return []
