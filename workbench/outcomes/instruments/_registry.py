"""Loading instrument definitions shipped as JSON beside this module."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from ...errors import Problem, ValidationError
from ._model import Instrument, instrument_from_mapping

FOLDER = Path(__file__).parent


@lru_cache(maxsize=None)
def _definitions() -> dict[str, Path]:
    out = {}
    for path in sorted(FOLDER.glob("*.json")):
        out[json.loads(path.read_text(encoding="utf-8"))["id"]] = path
    return out


def list_instruments() -> tuple[str, ...]:
    """Ids of every instrument defined in this package."""
    return tuple(_definitions())


def read_instrument(fname) -> Instrument:
    """Read and check an instrument definition from a JSON file."""
    path = Path(fname)
    return instrument_from_mapping(json.loads(path.read_text(encoding="utf-8")), source=path.name)


@lru_cache(maxsize=None)
def load_instrument(instrument_id: str) -> Instrument:
    """Return the packaged instrument ``instrument_id`` (e.g. ``"SCIM-III"``)."""
    paths = _definitions()
    if instrument_id not in paths:
        raise ValidationError([Problem("instrument", instrument_id, "one of " + ", ".join(paths))], what="instrument")
    return read_instrument(paths[instrument_id])
