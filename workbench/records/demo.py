"""Load a study from JSON (the pseudonymised demo study in ``data_samples/demo_study``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import Problem, ValidationError
from ._base import TableRecord
from .tables import BY_TABLE, RECORD_TYPES

#: The demo study shipped with the repository (not with an installed wheel).
DEMO_STUDY = Path(__file__).resolve().parents[2] / "data_samples" / "demo_study" / "study.json"


def read_study_json(fname: str | os.PathLike = DEMO_STUDY) -> list[TableRecord]:
    """Records from a JSON object ``{table name: [field mappings]}``, parents first.

    Every record is validated; all problems of all records are reported together.
    Keys starting with ``_`` are comments.
    """
    fname = Path(fname)
    if not fname.is_file():
        raise ValidationError([Problem("file", str(fname), "an existing study JSON file")], what="study file")
    data = json.loads(fname.read_text(encoding="utf-8"))
    unknown = [k for k in data if not k.startswith("_") and k not in BY_TABLE]
    problems = [Problem(k, "...", "a table name: " + ", ".join(BY_TABLE)) for k in unknown]
    records = []
    for rt in RECORD_TYPES:
        for i, mapping in enumerate(data.get(rt.TABLE, [])):
            try:
                records.append(rt.from_mapping(mapping))
            except ValidationError as err:
                problems += [Problem(f"{rt.TABLE}[{i}].{p.field}", p.value, p.allowed) for p in err.problems]
    if problems:
        raise ValidationError(problems, what=f"study file {fname.name}")
    return records


def seed_demo(store, fname: str | os.PathLike = DEMO_STUDY) -> int:
    """Save every record of the study file in one transaction; return how many."""
    records = read_study_json(fname)
    store.add(*records)
    return len(records)
