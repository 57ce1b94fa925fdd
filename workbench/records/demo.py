"""Load a study from JSON (the pseudonymised demo study in ``data_samples/demo_study``)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ..errors import Problem, ValidationError
from .storage.tables import BY_TABLE, RECORD_TYPES
from .types.base import TableRecord

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
    """Save every record of the study file (one transaction, then its outcome assessments); return how many.

    An assessment names its assessor's account, which must exist: for the demo
    study the demo accounts (:func:`add_demo_accounts`, passwords in the
    store's workspace) are made between the study's records (their sites
    first) and its assessments. The demo study also gets its ISNCSCI
    examinations (:func:`demo_isncsci_exams`), entered through the records API
    with its checks, after the visits they belong to, and is randomized by its
    allocator on each participant's enrolment day (:func:`randomize_demo`).
    """
    from ..config import get_workspace
    from .store import Store
    from .types.outcome import OutcomeAssessment

    records = read_study_json(fname)
    outcomes = [r for r in records if isinstance(r, OutcomeAssessment)]
    store.add(*[r for r in records if not isinstance(r, OutcomeAssessment)])
    exams = []
    if Path(fname).resolve() == DEMO_STUDY:
        passwords = demo_passwords(store.workspace)
        add_demo_accounts(store, passwords)
        # The allocator's step, with the allocator's account (it alone holds the seed), before anything
        # else is written as the investigator (`workbench db seed-demo` randomizes too).
        allocator = DEMO_USERS["allocator"]
        with Store(store.url, user=allocator, password=passwords[allocator], workspace=store.workspace) as alloc:
            randomize_demo(alloc, get_workspace(store.workspace).root)
        exams = demo_isncsci_exams(records)
    if outcomes or exams:
        store.add(*outcomes, *exams)
    return len(records) + len(exams)


#: The demo's ISNCSCI trajectories, per participant and visit: (last normal level, upper- and lower-limb key
#: muscle grade below it, light touch and pin prick below it, at S4-5, VAC, DAP). Chosen to show what a
#: trial meets: a B->C conversion with UEMS gain (SCI-001), an A staying A with motor gain in the zone of
#: partial preservation (SCI-002), a C->D conversion (SCI-003), a D staying D with LEMS gain (SCI-004).
DEMO_ISNCSCI = {
    "SCI-001": {"baseline": ("C5", "0", "0", "1", "1", "No", "Yes"), "week6": ("C5", "1", "0", "1", "1", "Yes", "Yes"),
                "week12": ("C5", "2", "1", "1", "1", "Yes", "Yes")},
    "SCI-002": {"baseline": ("C4", "0", "0", "0", "0", "No", "No"), "week6": ("C4", "1", "0", "0", "0", "No", "No"),
                "week12": ("C4", "2", "0", "0", "0", "No", "No")},
    "SCI-003": {"baseline": ("C6", "2", "2", "1", "1", "Yes", "Yes"), "week6": ("C6", "2", "2", "1", "1", "Yes", "Yes"),
                "week12": ("C6", "3", "3", "1", "1", "Yes", "Yes")},
    "SCI-004": {"baseline": ("C5", "3", "3", "1", "2", "Yes", "Yes"), "week6": ("C5", "3", "4", "1", "2", "Yes", "Yes"),
                "week12": ("C5", "4", "4", "1", "2", "Yes", "Yes")},
}


def _isncsci_worksheet(level, upper, lower, sensory, sacral, vac, dap):
    """A worksheet normal down to ``level`` and impaired below it, as an assessor would fill it in."""
    from ..outcomes.entry import IsncsciEntry
    from ..outcomes.isncsci import DERMATOMES, KEY_MUSCLES
    from ..outcomes.isncsci._levels import UPPER_KEY_MUSCLES

    entry = IsncsciEntry()
    entry.fill_normal()
    below, values = False, {}
    for d in DERMATOMES:
        if below:
            for side in ("right", "left"):
                values[f"{side}.light_touch.{d}"] = sacral if d == "S4_5" else sensory
                values[f"{side}.pin_prick.{d}"] = sacral if d == "S4_5" else sensory
                if d in KEY_MUSCLES:
                    values[f"{side}.motor.{d}"] = upper if d in UPPER_KEY_MUSCLES else lower
        below = below or d == level
    # one classification for the whole sheet: cell by cell (set) classified it ~120 times per exam,
    # a third of the time every test and notebook spent seeding the demo study
    entry.update({**values, "vac": vac, "dap": dap})
    return entry


def demo_isncsci_exams(records) -> list:
    """ISNCSCI assessments of the demo study's done visits, classified by ``workbench.outcomes`` (deterministic)."""
    from .types.outcome import OutcomeAssessment
    from .types.visit import Visit

    exams = []
    for v in records:
        plan = DEMO_ISNCSCI.get(getattr(v, "participant_id", None), {})
        if not isinstance(v, Visit) or v.name not in plan or v.actual_date is None:
            continue
        entry = _isncsci_worksheet(*plan[v.name])
        exams.append(OutcomeAssessment(
            id=f"OA-{v.participant_id}-{v.name}-isncsci", participant_id=v.participant_id, visit_id=v.id,
            instrument="ISNCSCI", instrument_version="2019", assessor=DEMO_USERS["assessor"], assessed_on=v.actual_date,
            item_values=entry.item_values(), scores=entry.scores()))
    return exams


#: The demo study's allocation seed, as `workbench randomize generate --seed 19` would fix it: every demo
#: workspace draws the same sequence. 19 is the first seed whose first slot in each of the demo's strata
#: (ZH-B, ZH-A, HD-C, HD-D) gives the arm the demo's recorded sessions and adverse events were written for
#: (SCI-001 and SCI-002 BCI, SCI-003 and SCI-004 control). A real trial never fixes its seed.
DEMO_ALLOCATION_SEED = 19
DEMO_SLOTS_PER_STRATUM = 8
#: Where the demo's seed is kept for `workbench randomize participant --seed-file` (mode 0600, like a real one).
DEMO_ALLOCATION_SEED_FILE = ("keys", "demo-allocation-seed")


def randomize_demo(store, workspace_root) -> list:
    """Randomize the demo study's enrolled participants as its allocator; return the allocations.

    Through the records API `workbench randomize` calls (generate_sequences, randomize), never
    a copy: the sequence is generated (seed :data:`DEMO_ALLOCATION_SEED`) on the day before the
    first enrolment, and each participant is randomized on their enrolment day, in enrolment
    order. The demo's participants were enrolled months before any workspace is made, and
    allocation belongs on the enrolment day: dated today it would come after their sessions,
    and SCI-004, whose consent was withdrawn in June, could not be randomized at all (consent
    must be in force on the day). Only this seeding back-dates; the audit trail dates the writes.
    """
    from datetime import datetime, time, timedelta, timezone

    from .trail.keys import write_secret
    from .types.participant import Participant
    from .types.randomization import PENDING_ARM, generate_sequences, randomize

    waiting = sorted((p for p in store.find(Participant, study_id=DEMO_STUDY_ID) if p.arm == PENDING_ARM),
                     key=lambda p: (p.enrolment_date, p.id))
    if not waiting:
        return []

    def on(day):  # a morning in the demo's time zone, stored in UTC
        return datetime.combine(day, time(9, 0), tzinfo=timezone.utc)

    generate_sequences(store, DEMO_STUDY_ID, seed=DEMO_ALLOCATION_SEED, n_per_stratum=DEMO_SLOTS_PER_STRATUM,
                       generated_at=on(waiting[0].enrolment_date - timedelta(days=1)))
    allocations = [randomize(store, p.id, seed=DEMO_ALLOCATION_SEED, randomized_at=on(p.enrolment_date))[1]
                   for p in waiting]
    seed_file = Path(workspace_root).joinpath(*DEMO_ALLOCATION_SEED_FILE)
    if not seed_file.exists():
        write_secret(seed_file, f"{DEMO_ALLOCATION_SEED}\n")
    return allocations


#: The demo study's id in data_samples/demo_study/study.json.
DEMO_STUDY_ID = "BCI-SCI-DEMO"
#: The demo's account for each role, and its site (site staff work at the demo's first site).
DEMO_USERS = {"investigator": "demo.investigator", "engineer": "demo.engineer",
              "assessor": "demo.assessor", "monitor": "demo.monitor",
              "data_manager": "demo.data-manager", "sponsor": "demo.sponsor",
              "allocator": "demo.allocator"}  # the allocation role: reads sequences, randomizes (nothing clinical)
DEMO_SITE = "ZH"
#: Where the demo accounts' generated passwords are kept, inside the workspace (mode 0600).
DEMO_ACCOUNTS_FILE = ("keys", "demo-accounts.json")


def demo_passwords(workspace=None) -> dict[str, str]:
    """The demo accounts' passwords by user name, generated once per workspace (keys/demo-accounts.json)."""
    import secrets

    from ..config import get_workspace
    from .trail.keys import write_secret

    path = get_workspace(workspace).root.joinpath(*DEMO_ACCOUNTS_FILE)
    passwords = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    new = [name for name in DEMO_USERS.values() if name not in passwords]  # a role added since (the allocator)
    if new:
        passwords.update({name: secrets.token_urlsafe(18) for name in new})
        fresh = path.with_name(path.name + ".new")  # written 0600 from the start, then swapped in whole
        fresh.unlink(missing_ok=True)
        write_secret(fresh, json.dumps(passwords, indent=2) + "\n")
        os.replace(fresh, path)
        print(f"workbench: created the demo accounts ({', '.join(new)}) with generated "
              f"passwords, kept in {path} (readable by you only)", file=sys.stderr)
    return passwords


def add_demo_accounts(store, passwords: dict[str, str]) -> None:
    """The demo's account of each role that is missing (site staff at the demo's first site)."""
    from .types.account import UserAccount

    have = {a.id for a in store.find(UserAccount)}
    for r, name in DEMO_USERS.items():
        if name not in have:
            site = DEMO_SITE if r in ("assessor", "engineer") else None
            store.add_account(UserAccount(id=name, role=r, site_id=site), passwords[name])


def open_demo_store(workspace=None, *, role: str = "investigator"):
    """A store on the workspace database holding the demo study, logged in as the demo's ``role`` user.

    The one way the demo, the notebooks and tests open the demo study: it
    upgrades the schema, creates the demo accounts when missing (the
    investigator first, with passwords generated into the workspace's
    ``keys/demo-accounts.json``, said once on stderr), seeds the study when
    missing and then randomizes it as the allocator (:func:`randomize_demo`),
    and logs in with the password from that file.
    """
    from ..config import get_workspace
    from ..errors import Problem, ValidationError
    from .access.auth import has_logins
    from .storage.engine import create_engine
    from .storage.migrate import upgrade_database
    from .store import Store
    from .types.study import Study

    if role not in DEMO_USERS:
        raise ValidationError([Problem("role", role, "one of " + ", ".join(DEMO_USERS))], what="demo store")
    ws = get_workspace(workspace)
    engine = create_engine(ws.db_url)
    try:
        upgrade_database(engine, workspace=ws.root)
        with engine.connect() as conn:
            fresh = not has_logins(conn)
    finally:
        engine.dispose()
    passwords = demo_passwords(ws.root)
    lead = DEMO_USERS["investigator"]
    if fresh:
        store = Store.create_first_account(ws.db_url, user=lead, password=passwords[lead], workspace=ws.root)
    else:
        store = Store(ws.db_url, user=lead, password=passwords[lead], workspace=ws.root)
    try:
        if not store.find(Study, id=DEMO_STUDY_ID):
            seed_demo(store)
        add_demo_accounts(store, passwords)  # a role added since the study was seeded (the allocator)
    finally:
        store.close()
    return Store(ws.db_url, user=DEMO_USERS[role], password=passwords[DEMO_USERS[role]], workspace=ws.root)
