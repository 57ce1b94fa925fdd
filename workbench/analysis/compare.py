"""Decoders compared on one recorded block, through the re-analysis records.

What adaptation changed (issue 19) is a question for the records, not for the
live loop: only one decoder drives the effector, so the block a recalibrated
decoder drove is re-decoded offline by the decoder it replaced and by itself
(:func:`compare_decoders`, serially, as the store's user). Each result is a
:class:`~workbench.records.Reanalysis` like any ``workbench reanalyze`` result,
with the SHA-256 of the recording and of the decoder file, so the comparison
can be read back, audited and reproduced by anyone with access to the study
(:func:`decoder_comparison`); the trial day and notebook 03 print it from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import Problem, ValidationError
from ..session.results import ONLINE_SETTLE_S
from .spec import AnalysisSpec
from .units import WorkUnit


@dataclass(frozen=True)
class DecoderScore:
    """One decoder's offline result on one recording, as stored."""

    decoder: str  # the decoder file's name
    decoder_sha256: str
    accuracy: float | None
    kappa: float | None
    n_trials: int
    error: str | None = None  # why the re-analysis failed (then no accuracy)


@dataclass(frozen=True)
class BlockComparison:
    """Every decoder re-decoded on one recorded block of a session."""

    session_id: str
    recording: str  # path in the workspace
    scores: tuple[DecoderScore, ...]

    def score(self, decoder: str) -> DecoderScore | None:
        """The stored result of the decoder file named ``decoder`` (e.g. ``"demo_grasp_v1.npz"``)."""
        return next((s for s in self.scores if s.decoder == decoder), None)


def describe(blocks) -> str:
    """One line per decoder of each :class:`BlockComparison`: recording, decoder, trial accuracy, trials."""
    lines = []
    for b in blocks:
        for s in b.scores:
            acc = f"{s.accuracy:.2f}" if s.accuracy is not None else f"n/a ({s.error or 'no trial decided'})"
            lines.append(f"{b.recording}: {s.decoder} trial accuracy {acc} over {s.n_trials} trials")
    return "\n".join(lines)


def block_unit(store, session_id: str, recording: str, workspace=None) -> WorkUnit:
    """The work unit of one recording the session holds (``recording``: its path in the workspace)."""
    from ..config import get_workspace
    from ..records import Session

    session = store.get(Session, session_id)
    held = {f.path: f for f in session.recording_files}
    if recording not in held:
        raise ValidationError([Problem("recording", recording, "one of the session's recordings: "
                                       + (", ".join(sorted(held)) or "none saved yet"))], what="decoder comparison")
    root = get_workspace(workspace).root
    f = held[recording]
    return WorkUnit(identity=f"session:{session.id}:{f.path}", source=str(root / f.path), session_id=session.id,
                    participant_id=session.participant_id, expected_sha256=f.sha256,
                    label=f"{session.participant_id} {PurePosixPath(f.path).name}")


def compare_decoders(store, session_id: str, recording: str, decoders, workspace=None, *,
                     settle_s: float = ONLINE_SETTLE_S) -> BlockComparison:
    """Re-decode one recorded block with every decoder file in ``decoders``; return the stored comparison.

    Trials are scored as the closed loop scores them (``settle_s`` after the cue, the majority of the
    valid outputs until the cue ends), so the decoder that drove the block gets back, offline, the
    accuracy it had live: the same kernels on the same windows. Results already stored (the same
    recording, decoder and parameters) are not computed again. Every decoder file must exist before
    anything is computed.
    """
    files = [Path(d) for d in decoders]
    problems = [Problem(f"decoders[{i}]", str(f), "an existing decoder file (.npz)")
                for i, f in enumerate(files) if not f.is_file()]
    if not files:
        problems.append(Problem("decoders", [], "at least one decoder file"))
    if problems:
        raise ValidationError(problems, what="decoder comparison")
    from .run import reanalyze

    unit = block_unit(store, session_id, recording, workspace)
    asked = []
    for f in files:
        spec = AnalysisSpec.from_files(f, settle_s=settle_s)
        reanalyze(store, [unit], spec, scheduler="serial")
        asked.append((f.name, spec.decoder_sha256))
    # By name and hash: a decoder file saved again under the same name is another decoder.
    scores = {(s.decoder, s.decoder_sha256): s for b in decoder_comparison(store, session_id)
              if b.recording == recording for s in b.scores}
    return BlockComparison(session_id, recording, tuple(scores[k] for k in asked if k in scores))


def decoder_comparison(store, session_id: str) -> list[BlockComparison]:
    """Every recorded block of the session that was re-decoded, with each decoder's stored result.

    Per block the decoders are in the order their results were stored; a failed one says why.
    """
    from ..records import Reanalysis

    rows = sorted(store.find(Reanalysis, session_id=session_id), key=lambda r: r.finished_at)
    prefix = f"session:{session_id}:"
    blocks: dict[str, list[DecoderScore]] = {}
    for r in rows:
        if not r.source.startswith(prefix) or r.decoder_sha256 is None:
            continue  # ERD-only re-analyses decode nothing
        name = (r.parameters or {}).get("decoder") or r.decoder_sha256[:12]
        blocks.setdefault(r.source[len(prefix):], []).append(
            DecoderScore(name, r.decoder_sha256, r.accuracy, r.kappa, r.n_trials or 0, r.error))
    return [BlockComparison(session_id, path, tuple(scores)) for path, scores in blocks.items()]
