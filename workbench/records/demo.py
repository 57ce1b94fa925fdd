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


#: The demo study's id in data_samples/demo_study/study.json.
DEMO_STUDY_ID = "BCI-SCI-DEMO"
#: The demo's account for each role (issue 11 gives them passwords).
DEMO_USERS = {"investigator": "demo.investigator", "engineer": "demo.engineer",
              "assessor": "demo.assessor", "monitor": "demo.monitor"}


def open_demo_store(workspace=None, *, role: str = "investigator"):
    """A store on the workspace database holding the demo study, acting as the demo's ``role`` user.

    The one way the demo, the notebooks and tests open the demo study: it
    upgrades the schema and seeds the study when missing. How the user is
    authenticated is decided here and only here.
    """
    from ..config import get_workspace
    from ._base import User
    from .store import Store
    from .study import Study

    ws = get_workspace(workspace)
    store = Store(ws.db_url, user=User(DEMO_USERS["investigator"], "investigator"))
    try:
        store.upgrade()
        if not store.find(Study, id=DEMO_STUDY_ID):
            seed_demo(store)
    finally:
        store.close()
    return Store(ws.db_url, user=User(DEMO_USERS[role], role))
