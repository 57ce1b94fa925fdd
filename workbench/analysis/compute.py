"""One work unit: read a recording, re-decode it, score its trials, summarise its ERD.

:func:`analyse_unit` is what every worker runs. It never raises for a bad
unit: a missing, changed or corrupt recording, or a decoder that does not
match its channels, gives a ``failed`` :class:`UnitResult` that says why, and
the rest of the run goes on. It is a pure function of the unit and the
parameters (no clock, no randomness), so the serial path and any cluster give
the same results.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import tempfile
from dataclasses import dataclass, field

import numpy as np

from ..errors import WorkbenchError
from .spec import AnalysisSpec
from .trials import TrialOutcome, read_cues, score_cues
from .units import WorkUnit


@dataclass(frozen=True)
class UnitResult:
    """What one unit produced (``status`` ``"done"``) or why it could not (``"failed"``)."""

    unit: WorkUnit
    key: str
    status: str
    error: str | None = None
    recording_sha256: str | None = None
    n_trials: int | None = None
    n_classes: int | None = None
    accuracy: float | None = None
    kappa: float | None = None
    itr_bits_per_min: float | None = None
    trial_duration_s: float | None = None
    erd_percent: dict = field(default_factory=dict)
    trials: tuple[TrialOutcome, ...] = ()


def analyse_unit(unit: WorkUnit, spec: AnalysisSpec) -> UnitResult:
    """Analyse one recording (see module docstring)."""
    key = spec.unit_key(unit.identity)
    sha = None
    try:
        from .reading import local_copy

        with local_copy(unit.source) as (fname, sha):
            if unit.expected_sha256 and sha != unit.expected_sha256:
                raise WorkbenchError(f"{unit.source}: SHA-256 is {sha}, the session recorded "
                                     f"{unit.expected_sha256} (the file changed after it was recorded)")
            from ..recording import read_recording

            raw = read_recording(fname)
        if unit.events:
            _set_bids_events(raw, unit.events)
        return _analyse(unit, spec, key, sha, raw)
    except (WorkbenchError, OSError, ValueError) as err:
        # Expected per-unit failures (missing, changed or corrupt file, channel mismatch): reported, not raised.
        return UnitResult(unit, key, "failed", error=_one_line(err), recording_sha256=sha)


def _set_bids_events(raw, events: str) -> None:
    """Cues from a BIDS ``events.tsv`` (onset in seconds from the first sample, ``trial_type``)."""
    import fsspec
    import mne
    import pandas as pd

    with fsspec.open(events, "rb") as fh:
        frame = pd.read_csv(fh, sep="\t", dtype={"trial_type": str}, keep_default_na=False)
    if "trial_type" not in frame:
        raise WorkbenchError(f"{events}: no trial_type column (BIDS events need one to name the cues)")
    raw.set_annotations(mne.Annotations(frame["onset"].astype(float).to_numpy(), 0.0,
                                        frame["trial_type"].to_numpy(), orig_time=raw.annotations.orig_time))


def _one_line(err: Exception) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}"[:4000]


def _analyse(unit, spec, key, sha, raw) -> UnitResult:
    from ..recording.read import VOLTAGE_TYPES
    from .erd import erd_percent

    sfreq = float(raw.info["sfreq"])
    cues = read_cues(raw, spec.class_of, spec.boundaries)
    if cues.n == 0:
        raise WorkbenchError(f"{unit.source}: no complete cue among the markers "
                             f"(cue markers: {', '.join(m for m, _ in spec.classes)})")
    settle = int(round(spec.settle_s * sfreq))
    types = raw.get_channel_types()
    picks = [i for i, t in enumerate(types) if t in VOLTAGE_TYPES]
    data = raw.get_data(picks=picks).T
    erd = erd_percent(data, sfreq, [raw.ch_names[i] for i in picks], cues, settle, spec.erd_bands)
    trial_s = float(np.median((cues.ends - cues.onsets) / sfreq))
    if spec.decoder is None:
        trials = score_cues(cues, sfreq, settle)
        return UnitResult(unit, key, "done", recording_sha256=sha, n_trials=len(trials),
                          trial_duration_s=trial_s, erd_percent=erd, trials=tuple(trials))
    window_end, decided, classes = _decode(spec, raw, sfreq)
    n_classes = len(classes)
    if set(cues.labels) <= set(classes):  # a decoder of the markers themselves (rest, grasp, open)
        cues = dataclasses.replace(cues, classes=cues.labels)
    trials = score_cues(cues, sfreq, settle, window_end, decided)
    return UnitResult(unit, key, "done", recording_sha256=sha, n_trials=len(trials), n_classes=n_classes,
                      trial_duration_s=trial_s, erd_percent=erd, trials=tuple(trials), **_metrics(trials, n_classes,
                                                                                                  trial_s))


def _decode(spec, raw, sfreq):
    """Window-end samples and decided classes of the decoder over the whole recording."""
    from ..recording.read import VOLTAGE_TYPES

    decoder = _load_decoder(spec.decoder, spec.decoder_sha256)
    present = [c for c in decoder.ch_names if c in raw.ch_names]
    if len(present) != len(decoder.ch_names) or not np.isclose(sfreq, decoder.sfreq):
        decoder.check_stream(present, sfreq)  # raises, listing every difference
    x = raw.get_data(picks=decoder.ch_names).T
    # Decoders are trained on what the amplifier streams: potentials in microvolts
    # (the XDF/LSL convention); MNE holds volts.
    types = dict(zip(raw.ch_names, raw.get_channel_types()))
    scale = np.array([1e6 if types[c] in VOLTAGE_TYPES else 1.0 for c in decoder.ch_names])
    out = decoder.decode(np.ascontiguousarray(x * scale, dtype=np.float64))
    classes = np.asarray(decoder.model.classes_).astype(str)
    decided = classes[out.values.argmax(axis=1)].astype(object)
    decided[~out.valid] = None  # a window that saw non-finite samples votes for nothing
    return out.sample_index, decided, [str(c) for c in classes]


@functools.lru_cache(maxsize=4)
def _load_decoder(contents: bytes, sha256: str):
    """The decoder in ``contents``, built once per worker process (``sha256`` keys the cache cheaply)."""
    from ..decoding import load_decoder

    # load_decoder opens the file twice (metadata, then arrays): give it a real file.
    with tempfile.TemporaryDirectory(prefix="wb-decoder-") as tmp:
        fname = os.path.join(tmp, "decoder.npz")
        with open(fname, "wb") as fh:
            fh.write(contents)
        return load_decoder(fname)


def _metrics(trials, n_classes, trial_s) -> dict:
    from ..outcomes.bci_metrics import cohen_kappa, wolpaw_itr

    scored = [t for t in trials if t.decoded is not None]
    if not scored:
        return {}
    acc = float(np.mean([t.correct for t in scored]))
    cues = [t.cue for t in scored]
    decoded = [t.decoded for t in scored]
    kappa = float(cohen_kappa(cues, decoded)) if len(set(cues) | set(decoded)) > 1 else None
    return {"accuracy": acc, "kappa": kappa if kappa is None or np.isfinite(kappa) else None,
            "itr_bits_per_min": float(wolpaw_itr(n_classes, acc, trial_s))}
