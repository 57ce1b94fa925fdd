"""What a re-analysis computes, as one hashable object shipped to every worker.

The decoder travels as the bytes of its file (a few kB, arrays + JSON): a
worker on another machine needs no access to the workspace that holds it, and
the SHA-256 in the provenance is the hash of exactly what was run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem, ValidationError
from ..session.calibration import ATTEMPT_CLASSES, CalibrationSpec
from ..session.paradigm import ITI

#: Event-related desynchronization bands (Pfurtscheller & Lopes da Silva 1999, Clin Neurophysiol
#: 110:1842): mu 8-12 Hz and beta 18-26 Hz, the bands the attempt decoder reads.
ERD_BANDS = (("mu", 8.0, 12.0), ("beta", 18.0, 26.0))


@dataclass(frozen=True)
class AnalysisSpec:
    """Parameters of one re-analysis (every field goes into the provenance).

    Parameters
    ----------
    decoder : bytes | None
        Contents of a saved decoder file (``Decoder.save``); None re-analyses
        (ERD) without re-decoding.
    decoder_name : str | None
        The decoder file's name, for the provenance.
    settle_s : float
        Seconds after a cue before its windows count (the first second mixes states).
    erd_bands : tuple of (name, low Hz, high Hz)
    classes : tuple of (marker, class)
        Which markers are cues and the class each one asks for (ERD: rest
        against attempt). A decoder whose classes are the markers themselves
        (rest, grasp, open) is scored against the markers.
    boundaries : tuple of str
        Markers that end a cue without starting one (the inter-trial interval).
    result_version : int
        Bump it when the analysis code changes what it computes: results of
        another version are kept beside, never overwritten.
    """

    decoder: bytes | None = field(default=None, repr=False)
    decoder_name: str | None = None
    settle_s: float = CalibrationSpec().settle_s
    erd_bands: tuple = ERD_BANDS
    classes: tuple = tuple(ATTEMPT_CLASSES.items())
    boundaries: tuple = (ITI,)
    result_version: int = 1

    def __post_init__(self) -> None:
        problems = []
        if self.decoder is not None and not isinstance(self.decoder, bytes):
            problems.append(Problem("decoder", type(self.decoder).__name__, "the bytes of a saved decoder file"))
        if not isinstance(self.settle_s, (int, float)) or not 0 <= self.settle_s <= 60:
            problems.append(Problem("settle_s", self.settle_s, "seconds in [0, 60]"))
        for i, band in enumerate(self.erd_bands):
            ok = (isinstance(band, tuple) and len(band) == 3 and isinstance(band[0], str)
                  and all(isinstance(f, (int, float)) for f in band[1:]) and 0 < band[1] < band[2])
            if not ok:
                problems.append(Problem(f"erd_bands[{i}]", band, "(name, low Hz, high Hz) with 0 < low < high"))
        if not self.classes or not all(isinstance(c, tuple) and len(c) == 2 for c in self.classes):
            problems.append(Problem("classes", self.classes, "(marker, class) pairs"))
        if isinstance(self.result_version, bool) or not isinstance(self.result_version, int) or self.result_version < 1:
            problems.append(Problem("result_version", self.result_version, "an integer >= 1"))
        if problems:
            raise ValidationError(problems, what="analysis parameters")

    @classmethod
    def from_files(cls, decoder=None, **kwargs) -> "AnalysisSpec":
        """Read the decoder file (if any) into the spec; a missing file is a ValidationError."""
        if decoder is None:
            return cls(**kwargs)
        fname = Path(decoder)
        if not fname.is_file():
            raise ValidationError([Problem("decoder", str(fname), "an existing decoder file (.npz)")],
                                  what="analysis parameters")
        return cls(decoder=fname.read_bytes(), decoder_name=fname.name, **kwargs)

    @property
    def decoder_sha256(self) -> str | None:
        return None if self.decoder is None else hashlib.sha256(self.decoder).hexdigest()

    @property
    def class_of(self) -> dict[str, str]:
        return dict(self.classes)

    def parameters(self) -> dict:
        """Every parameter as a flat JSON mapping (the ``parameters`` of each result)."""
        return {
            "decoder": self.decoder_name,
            "decoder_sha256": self.decoder_sha256,
            "settle_s": float(self.settle_s),
            "erd_bands": "; ".join(f"{n} {lo:g}-{hi:g} Hz" for n, lo, hi in self.erd_bands),
            "classes": "; ".join(f"{m}={c}" for m, c in self.classes),
            "boundaries": ", ".join(self.boundaries),
            "result_version": self.result_version,
        }

    def unit_key(self, identity: str) -> str:
        """SHA-256 naming one unit's results: the recording's identity and every parameter."""
        text = json.dumps({"unit": identity, "parameters": self.parameters()}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()
