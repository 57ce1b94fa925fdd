"""BCI sessions, their runs and the trials within a run."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import ClassVar

from ...errors import Problem, RecordingFileError
from ...utils.files import sha256_file
from .base import Record, TableRecord
from .fields import LABEL, id_field, spec
from .identifiers import DEFAULT_PATTERNS

SHA256 = r"[0-9a-f]{64}"
ENGINEERING = frozenset({"investigator", "engineer"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecordingFile(Record):
    """A recording written during a session, with its SHA-256 for integrity checks."""

    path: str = spec("str", label="file path relative to the workspace", pattern=r"[^\r\n\t]{1,200}")
    sha256: str = spec("str", label="SHA-256 of the file (hex)", pattern=SHA256)

    @classmethod
    def from_file(cls, fname: str | os.PathLike, root: str | os.PathLike | None = None) -> "RecordingFile":
        """Hash a recording that exists now; ``path`` is kept relative to ``root`` when given."""
        fname = Path(fname)
        if not fname.is_file():
            raise RecordingFileError(f"recording file not found: {fname}")
        path = fname.resolve().relative_to(Path(root).resolve()) if root is not None else fname
        return cls(path=path.as_posix(), sha256=sha256_file(fname))

    def check(self, root: str | os.PathLike) -> str | None:
        """None if the file under ``root`` still has its recorded SHA-256, else what is wrong."""
        fname = Path(root) / self.path
        if not fname.is_file():
            return f"{self.path}: missing under {root}"
        actual = sha256_file(fname)
        if actual != self.sha256:
            return f"{self.path}: SHA-256 is {actual}, the session recorded {self.sha256} (file changed)"
        return None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Session(TableRecord):
    """One BCI session at a visit: device, montage, decoder and recordings."""

    TABLE: ClassVar[str] = "sessions"
    WRITERS: ClassVar[frozenset[str]] = ENGINEERING

    id: str = id_field()
    participant_id: str = spec("str", label="pseudonym", ref="participants")
    visit_id: str = spec("str", required=False, label="visit identifier", ref="visits")
    started_at: object = spec("datetime", label="session start (UTC)")
    device: str = spec("str", label="amplifier / device model", pattern=LABEL, code="device")
    montage: str = spec("str", label="electrode montage", pattern=LABEL, code="montage")
    decoder_version: str = spec("str", required=False, label="decoder version", pattern=LABEL)
    decoder_sha256: str = spec("str", required=False, label="SHA-256 of the decoder file", pattern=SHA256)
    recording_files: tuple = spec("nested", default=(), label="recording files", item=RecordingFile)
    operator: str = spec("str", label="operator (staff user name)",
                        pattern=DEFAULT_PATTERNS["staff"], code="staff")
    notes: str = spec("str", required=False, label="notes", free_text=True)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Run(TableRecord):
    """A continuous recording block within a session."""

    TABLE: ClassVar[str] = "runs"
    WRITERS: ClassVar[frozenset[str]] = ENGINEERING

    id: str = id_field()
    session_id: str = spec("str", label="session identifier", ref="sessions")
    number: int = spec("int", label="run number within the session", min=1, max=10000)
    task: str = spec("str", label="task", pattern=LABEL, code="task")
    started_at: object = spec("datetime", required=False, label="run start (UTC)")
    notes: str = spec("str", required=False, label="notes", free_text=True)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Trial(TableRecord):
    """One cued trial: what was asked, what the decoder output, and how fast."""

    TABLE: ClassVar[str] = "trials"
    WRITERS: ClassVar[frozenset[str]] = ENGINEERING
    #: Machine-made and only ever added: one trail entry per row (trail/audit.py), not per field.
    TRAIL_PER_ROW: ClassVar[bool] = True

    id: str = id_field()
    run_id: str = spec("str", label="run identifier", ref="runs")
    number: int = spec("int", label="trial number within the run", min=1, max=1_000_000)
    cue: str = spec("str", label="cued class", pattern=LABEL)
    onset_s: float = spec("float", label="cue onset from run start", min=0, unit="s")
    decoded: str = spec("str", required=False, label="decoded class", pattern=LABEL)
    correct: bool = spec("bool", required=False, label="decoded class equals cue")
    latency_s: float = spec("float", required=False, label="cue onset to decoder output", min=0, max=3600,
                            unit="s")
    decoder_version: str = spec("str", required=False, label="decoder version in force", pattern=LABEL)
    command: str = spec("str", required=False, label="effector command sent", pattern=LABEL)
    command_latency_ms: float = spec("float", required=False, label="last sample's time stamp to command push",
                                     min=0, max=3_600_000, unit="ms")
    gate_decision: str = spec("str", required=False, label="safety gate decision",
                              choices=("passed", "held", "blocked", "safe_state"))

    def _cross_check(self, bad: set[str]) -> list[Problem]:
        # ``correct`` is derived data kept for convenience; it must agree with what it summarises.
        if bad & {"cue", "decoded", "correct"} or self.decoded is None or self.correct is None:
            return []
        if self.correct != (self.decoded == self.cue):
            return [Problem("correct", self.correct, f"{self.decoded == self.cue} (decoded {self.decoded!r}, "
                                                     f"cue {self.cue!r})")]
        return []


#: What the safety gate decided about one decoder output or command (see workbench.session).
GATE_DECISIONS = ("passed", "held", "blocked", "safe_state", "resumed")


@dataclasses.dataclass(frozen=True, kw_only=True)
class SafetyEvent(TableRecord):
    """One decision of the closed loop's safety gate or watchdog, kept with the session.

    Every refusal, every entry into the safe state and every resumption is
    recorded, so a monitor can reconstruct why the effector did what it did
    (ISO 14971 risk-control verification; ISO 14155 device deficiency review).
    """

    TABLE: ClassVar[str] = "safety_events"
    WRITERS: ClassVar[frozenset[str]] = ENGINEERING
    #: Machine-made and only ever added: one trail entry per row (trail/audit.py), not per field.
    TRAIL_PER_ROW: ClassVar[bool] = True

    id: str = id_field()
    session_id: str = spec("str", label="session identifier", ref="sessions")
    run_id: str = spec("str", required=False, label="run identifier", ref="runs")
    occurred_at: object = spec("datetime", label="time of the decision (UTC)")
    lsl_time: float = spec("float", required=False, label="LSL clock time of the decision", unit="s")
    decision: str = spec("str", label="gate decision", choices=GATE_DECISIONS)
    rule: str = spec("str", label="rule that decided", pattern=LABEL)
    command: str = spec("str", required=False, label="effector command concerned", pattern=LABEL)
    time_to_safe_ms: float = spec("float", required=False, label="fault to safe state", min=0, max=60_000,
                                  unit="ms")
    detail: str = spec("str", required=False, label="what the gate saw", pattern=r"[^\r\n\t]{1,200}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class RunMetrics(TableRecord):
    """BCI performance of one closed-loop run (accuracy, kappa, Wolpaw ITR, command latency)."""

    TABLE: ClassVar[str] = "run_metrics"
    WRITERS: ClassVar[frozenset[str]] = ENGINEERING
    #: Machine-made and only ever added: one trail entry per row (trail/audit.py), not per field.
    TRAIL_PER_ROW: ClassVar[bool] = True

    id: str = id_field()
    run_id: str = spec("str", label="run identifier", ref="runs")
    decoder_version: str = spec("str", required=False, label="decoder version in force at the end", pattern=LABEL)
    n_trials: int = spec("int", label="trials scored", min=0, max=1_000_000)
    n_classes: int = spec("int", label="number of classes", min=2, max=1000)
    accuracy: float = spec("float", required=False, label="trial accuracy", min=0, max=1)
    chance_level: float = spec("float", required=False, label="chance level", min=0, max=1)
    kappa: float = spec("float", required=False, label="Cohen's kappa", min=-1, max=1)
    itr_bits_per_min: float = spec("float", required=False, label="Wolpaw ITR", min=0, unit="bit/min")
    trial_duration_s: float = spec("float", required=False, label="trial duration used for the ITR", min=0,
                                   unit="s")
    latency_p50_ms: float = spec("float", required=False, label="command latency p50", min=0, unit="ms")
    latency_p95_ms: float = spec("float", required=False, label="command latency p95", min=0, unit="ms")
    latency_p99_ms: float = spec("float", required=False, label="command latency p99", min=0, unit="ms")
    latency_max_ms: float = spec("float", required=False, label="command latency max", min=0, unit="ms")
    # The two shares of the command latency (issue 18): the amplifier's (sample time stamp -> chunk
    # arrival at the inlet) is the device and network; the workbench's (arrival -> command pushed) is ours.
    amplifier_share_p50_ms: float = spec("float", required=False, label="amplifier share p50", min=0, unit="ms")
    amplifier_share_p99_ms: float = spec("float", required=False, label="amplifier share p99", min=0, unit="ms")
    workbench_share_p50_ms: float = spec("float", required=False, label="workbench share p50", min=0, unit="ms")
    workbench_share_p99_ms: float = spec("float", required=False, label="workbench share p99", min=0, unit="ms")
    n_blocked: int = spec("int", default=0, label="commands blocked by the gate", min=0)
    n_safe_states: int = spec("int", default=0, label="entries into the safe state", min=0)
    # What the run's reader lost when it fell behind (each overrun a gap, the run going on; issue 18).
    samples_lost: int = spec("int", default=0, label="samples lost to gaps", min=0)
    n_gaps: int = spec("int", default=0, label="gaps in the signal", min=0)
    # Under what the latencies were measured (utils/realtime.py): a site whose loop could not run real-time,
    # or that held its CPUs awake, is told apart by its records, not by a line of a printed summary.
    loop_rt_priority: int = spec("int", required=False, label="live loop real-time priority", min=0, max=99)
    cpu_latency_us: int = spec("int", required=False, label="CPU wake-up latency held", min=0, max=2_000_000,
                               unit="us")
