"""Exports: CSV or Parquet per table, a REDCap import pair, BIDS participants.tsv.

Pseudonyms only. The store never holds a name or birth date in a structured
field (record types refuse them), but a user can type anything into a free-text
field (notes, narratives, verbatim AE terms, change reasons). Such fields are
therefore never exported: they are left out of every table, their values are
withheld in the exported audit trail, and the data dictionary says so. Coded
values (MedDRA codes, choices, dates, numbers) carry the clinical content.

Every other value passes the study's identifier screen
(:mod:`workbench.records.types.identifiers`): staff user names (operator, assessor,
signer, account ids, the trail's ``user_name``) leave only as staff codes, and
a label that could hold a name (device, montage, study title...) leaves only
as a single token without a date, phone number or e-mail shape, unless the
study lists it in ``shown_labels``. The same screen applies to the values of
those fields in the exported audit trail. Staff codes are keyed with the
study's own staff code key (``Store.staff_key``, passed explicitly here), which
is itself never exported: exports enumerate the record types only.

Every export is written into a temporary folder beside the target and renamed
into place at the end, so a failed export leaves nothing half-written.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import Problem, ValidationError, WorkbenchError
from ..utils.files import sha256_file, staged_folder
from .storage.tables import BY_TABLE, RECORD_TYPES
from .types.change_reasons import coded_reason
from .types.fields import Spec, canonical_json
from .types.identifiers import STAFF_ENTITIES, active_policy, describe_screen, field_screen, screen_frame, staff_code

FORMATS = ("csv", "parquet", "redcap", "bids")
WITHHELD = "[withheld: free text]"

#: REDCap data dictionary header (REDCap "Data Dictionary" upload format, 18 columns).
REDCAP_COLUMNS = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
    "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
    "Matrix Ranking?", "Field Annotation",
)
#: REDCap instrument (form) and field prefix of each per-participant table.
REDCAP_FORMS = {
    "participants": ("participant", ""), "consents": ("consent", "con"), "visits": ("visit", "vis"),
    "sessions": ("session", "ses"), "runs": ("run", "run"), "trials": ("trial", "trl"),
    "outcome_assessments": ("outcome_assessment", "oa"), "adverse_events": ("adverse_event", "ae"),
    "device_deficiencies": ("device_deficiency", "dd"), "protocol_deviations": ("protocol_deviation", "pd"),
}


def export_study(store, out_dir: str | os.PathLike | None, fmt: str, *, allow_broken_trail: bool = False) -> Path:
    """Export the study in ``fmt`` (one of :data:`FORMATS`) into ``out_dir``; return it.

    ``out_dir`` must not exist yet or be empty; ``None`` makes a new folder in
    the workspace's ``exports/``. The audit trail is verified first: data whose
    trail is broken are not exported unless ``allow_broken_trail`` (the
    manifest then says so), because a sponsor could not trust them.
    """
    if fmt not in FORMATS:
        raise ValidationError([Problem("format", fmt, "one of " + ", ".join(FORMATS))], what="export")
    report = store.verify_audit()
    if not report.ok and not allow_broken_trail:
        raise WorkbenchError(f"export refused: {report.summary().splitlines()[0]} "
                             "(investigate with `workbench audit verify`)")
    if out_dir is None:
        from ..config import get_workspace

        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        out_dir = get_workspace().exports / f"{fmt}-{stamp}"
    out = Path(out_dir).resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValidationError([Problem("out", str(out), "a new or empty folder")], what="export")
    with staged_folder(out) as tmp:
        key = store.staff_key
        tables = {rt.TABLE: _shareable(store.frame(rt), rt, key) for rt in RECORD_TYPES if store.may_read(rt)}
        trail = _shareable_trail(store.audit_trail(), key)
        if fmt in ("csv", "parquet"):
            _write_tables(tmp, tables, trail, fmt)
        elif fmt == "redcap":
            _write_redcap(tmp, tables, trail)
        else:
            _write_bids(tmp, tables["participants"])
        _write_manifest(tmp, store, fmt, report)
    return out


# -- what may leave the store ----------------------------------------------------
def _shareable(frame: pd.DataFrame, rt, staff_key: bytes) -> pd.DataFrame:
    """Drop free-text columns, screen the rest for identifiers (staff names as codes under ``staff_key``, the
    study's key); turn structured values into text a CSV can hold."""
    specs = dict(rt.specs())
    keep = [c for c in frame.columns if c not in specs or not specs[c].free_text]
    frame = screen_frame(frame[keep], rt, staff_key=staff_key)
    for col in keep:
        sp = specs.get(col)
        if sp is not None and sp.kind in ("json", "strs", "nested"):
            frame[col] = frame[col].map(lambda v: None if v is None else canonical_json(v))
        elif sp is not None and sp.kind == "date":
            frame[col] = frame[col].map(lambda v: None if v is None or pd.isna(v) else v.isoformat())
        elif sp is not None and sp.kind == "datetime":
            frame[col] = frame[col].map(_iso_utc)
    return frame


def _iso_utc(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat()


def _free_text_fields() -> dict[str, set[str]]:
    return {rt.TABLE: {n for n, sp in rt.specs() if sp.free_text} for rt in RECORD_TYPES}


def _trail_screens(staff_key: bytes) -> dict[str, dict[str, Any]]:
    """Per table, the screen of each field whose values must not leave as stored (free text included)."""
    policy = active_policy()
    screens: dict[str, dict[str, Any]] = {}
    for rt in RECORD_TYPES:
        for name, sp in rt.specs():
            fn = field_screen(rt.TABLE, name, sp, policy, staff_key)
            if fn is not None:
                screens.setdefault(rt.TABLE, {})[name] = fn
    return screens


def _screen_json(text: str | None, fn) -> str | None:
    if not isinstance(text, str):  # None, or NaN where pandas filled a gap
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return WITHHELD
    return canonical_json(None if value is None else fn(value))


def _shareable_trail(trail: pd.DataFrame, staff_key: bytes) -> pd.DataFrame:
    """The audit trail with free-text values and reasons withheld (coded reasons kept), staff as codes under ``staff_key``, labels
    screened (hashes kept)."""
    free = _free_text_fields()
    screens = _trail_screens(staff_key)
    trail = trail.copy()

    def scrub(row: pd.Series) -> pd.Series:
        entity_screens = screens.get(row["entity"], {})
        row["user_name"] = staff_code(row["user_name"], staff_key)
        if row["entity"] in STAFF_ENTITIES:
            row["entity_id"] = staff_code(row["entity_id"], staff_key)
        if isinstance(row["field"], str) and row["field"] not in free.get(row["entity"], ()) and \
                row["field"] in entity_screens:
            fn = entity_screens[row["field"]]
            row["old_value"] = _screen_json(row["old_value"], fn)
            row["new_value"] = _screen_json(row["new_value"], fn)
        for col in ("old_value", "new_value"):  # whole-row entries (create, delete, per-row trail)
            if not isinstance(row["field"], str) and isinstance(row[col], str):
                try:
                    whole = json.loads(row[col])
                except ValueError:
                    continue
                if isinstance(whole, dict):
                    for name, fn in entity_screens.items():
                        if whole.get(name) is not None and name not in free.get(row["entity"], ()):
                            whole[name] = fn(whole[name])
                    row[col] = canonical_json(whole)
        if row["field"] in free.get(row["entity"], ()):
            row["old_value"] = WITHHELD if row["old_value"] is not None else None
            row["new_value"] = WITHHELD if row["new_value"] is not None else None
        elif row["action"] == "delete" and row["old_value"] is not None:
            old = json.loads(row["old_value"])
            for name in free.get(row["entity"], ()):
                if old.get(name) is not None:
                    old[name] = WITHHELD
            row["old_value"] = canonical_json(old)
        elif row["field"] is None and row["action"] == "create" and row["new_value"] is not None:
            new = json.loads(row["new_value"])  # a whole-row entry (trail/audit.py, issue 20)
            for name in free.get(row["entity"], ()):
                if new.get(name) is not None:
                    new[name] = WITHHELD
            row["new_value"] = canonical_json(new)
        if row["reason"] is not None:  # a coded reason is no free text (types/change_reasons.py)
            row["reason"] = coded_reason(row["reason"]) or WITHHELD
        return row

    if not trail.empty:
        trail = trail.apply(scrub, axis=1)
    return trail


def data_dictionary() -> pd.DataFrame:
    """One row per table field: type, label, what is allowed, and whether it is exported."""
    rows = []
    for rt in RECORD_TYPES:
        for name, sp in rt.specs():
            rows.append({
                "table": rt.TABLE, "field": name, "type": sp.kind, "label": sp.label,
                "allowed": sp.allowed(), "unit": sp.unit, "required": sp.required,
                "references": sp.ref or "",
                "exported": describe_screen(rt.TABLE, name, sp),
            })
        if rt.TABLE == "visits":
            rows.append({"table": "visits", "field": "in_window", "type": "bool",
                         "label": "actual date within the window (derived, not stored)", "allowed": "True, False or empty",
                         "unit": "", "required": False, "references": "", "exported": "yes (not in REDCap)"})
        rows.append({"table": rt.TABLE, "field": "version", "type": "int",
                     "label": "record version (1 = first save, +1 per update)", "allowed": "an integer >= 1",
                     "unit": "", "required": True, "references": "", "exported": "yes"})
    audit_labels = {
        "seq": "entry number", "ts": "UTC time of the change", "user_name": "who (a staff code)", "role": "their role",
        "action": "create, update or delete", "entity": "table", "entity_id": "record id", "field": "field",
        "old_value": "value before (JSON)", "new_value": "value after (JSON)", "reason": "reason for the change",
        "prev_hash": "hash of the previous entry", "hash": "sha256(prev_hash + canonical JSON of the entry)",
    }
    for name, label in audit_labels.items():
        exported = "yes"
        if name == "reason":
            exported = "withheld (free text may identify a person)"
        elif name in ("old_value", "new_value"):
            exported = "yes, except values of free-text fields (withheld)"
        rows.append({"table": "audit_trail", "field": name, "type": "str", "label": label, "allowed": "",
                     "unit": "", "required": name not in ("field", "old_value", "new_value", "reason"),
                     "references": "", "exported": exported})
    return pd.DataFrame(rows)


# -- writers -----------------------------------------------------------------------
def _write_tables(folder: Path, tables: dict[str, pd.DataFrame], trail: pd.DataFrame, fmt: str) -> None:
    frames = {**tables, "audit_trail": trail, "data_dictionary": data_dictionary()}
    for name, frame in frames.items():
        if fmt == "csv":
            frame.to_csv(folder / f"{name}.csv", index=False)
        else:
            frame.astype(object).where(frame.notna(), None).to_parquet(folder / f"{name}.parquet", index=False)
    if fmt == "parquet":  # a dictionary people can open without Parquet tools
        data_dictionary().to_csv(folder / "data_dictionary.csv", index=False)


def _redcap_name(prefix: str, field: str) -> str:
    name = field if not prefix else f"{prefix}_{field}"
    return re.sub(r"[^a-z0-9_]", "_", name.lower())


def _redcap_field(rt, prefix: str, form: str, name: str, sp: Spec) -> dict[str, str]:
    row = dict.fromkeys(REDCAP_COLUMNS, "")
    row["Variable / Field Name"] = _redcap_name(prefix, name)
    row["Form Name"] = form
    row["Field Label"] = sp.label or name
    row["Required Field?"] = "y" if sp.required else ""
    if sp.choices:
        row["Field Type"] = "dropdown"
        row["Choices, Calculations, OR Slider Labels"] = " | ".join(
            f"{i}, {c}" for i, c in enumerate(sp.choices, start=1))
    elif sp.kind == "bool":
        row["Field Type"] = "yesno"
    elif sp.kind in ("json", "strs", "nested"):
        row["Field Type"] = "notes"
        row["Field Note"] = "JSON"
    else:
        row["Field Type"] = "text"
        validation = {"int": "integer", "float": "number", "date": "date_ymd",
                      "datetime": "datetime_seconds_ymd"}.get(sp.kind, "")
        row["Text Validation Type OR Show Slider Number"] = validation
        if sp.kind in ("int", "float"):
            row["Text Validation Min"] = "" if sp.min is None else f"{sp.min:g}"
            row["Text Validation Max"] = "" if sp.max is None else f"{sp.max:g}"
    if sp.unit:
        row["Field Note"] = sp.unit
    return row


def _redcap_value(value: Any, sp: Spec) -> Any:
    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
        return ""
    if sp.choices:
        return str(sp.choices.index(value) + 1)
    if sp.kind == "bool":
        return str(int(bool(value)))
    if sp.kind == "int":
        return str(int(value))
    if sp.kind == "datetime":  # REDCap datetime_seconds_ymd: "YYYY-MM-DD HH:MM:SS" (UTC here)
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S")
    return value


def _write_redcap(folder: Path, tables: dict[str, pd.DataFrame], trail: pd.DataFrame) -> None:
    """REDCap classic project: one record per participant, other forms as repeating instruments."""
    dictionary = [dict.fromkeys(REDCAP_COLUMNS, "")]
    dictionary[0].update({"Variable / Field Name": "record_id", "Form Name": "participant",
                          "Field Type": "text", "Field Label": "Pseudonym"})
    owner = _participant_of_rows(tables)
    records: list[dict[str, Any]] = []
    for table, (form, prefix) in REDCAP_FORMS.items():
        rt = BY_TABLE[table]
        fields = [(n, sp) for n, sp in rt.specs() if not sp.free_text and not (table == "participants" and n == "id")]
        for name, sp in fields:
            dictionary.append(_redcap_field(rt, prefix, form, name, sp))
        instance: dict[str, int] = {}
        for row in tables[table].to_dict("records"):  # not iterrows: it would turn ints into floats
            pid = row["id"] if table == "participants" else owner[table].get(row["id"])
            if pid is None:  # e.g. a device deficiency with no participant involved
                continue
            out = {"record_id": pid, "redcap_repeat_instrument": "", "redcap_repeat_instance": ""}
            if table != "participants":
                instance[pid] = instance.get(pid, 0) + 1
                out.update(redcap_repeat_instrument=form, redcap_repeat_instance=instance[pid])
            for name, sp in fields:
                out[_redcap_name(prefix, name)] = _redcap_value(row[name], sp)
            records.append(out)
    columns = ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance"] + [
        d["Variable / Field Name"] for d in dictionary[1:]]
    pd.DataFrame(dictionary, columns=list(REDCAP_COLUMNS)).to_csv(folder / "redcap_data_dictionary.csv", index=False)
    pd.DataFrame(records, columns=columns).to_csv(folder / "redcap_records.csv", index=False)
    trail.to_csv(folder / "audit_trail.csv", index=False)
    (folder / "README.txt").write_text(
        "REDCap import: upload redcap_data_dictionary.csv (Project Setup > Data Dictionary), enable repeating\n"
        "instruments for every form except 'participant', then import redcap_records.csv (Data Import Tool).\n"
        "record_id is the pseudonym. Coded fields hold the choice number. Free-text fields are not exported.\n"
        "audit_trail.csv is the workbench's audit trail (free-text values and reasons withheld; "
        "coded reasons for change kept).\n"
    )


def _participant_of_rows(tables: dict[str, pd.DataFrame]) -> dict[str, dict[str, str]]:
    """Participant of each row, following session -> run -> trial for tables without one."""
    owner = {t: dict(zip(f["id"], f["participant_id"])) for t, f in tables.items() if "participant_id" in f}
    owner["runs"] = {r: owner["sessions"].get(s) for r, s in zip(tables["runs"]["id"], tables["runs"]["session_id"])}
    owner["trials"] = {t: owner["runs"].get(r) for t, r in zip(tables["trials"]["id"], tables["trials"]["run_id"])}
    for table, mapping in owner.items():
        owner[table] = {k: (v if isinstance(v, str) else None) for k, v in mapping.items()}
    return owner


def bids_label(pseudonym: str) -> str:
    """BIDS ``sub-`` label of a pseudonym: its letters and digits only (BIDS labels are alphanumeric)."""
    return re.sub(r"[^A-Za-z0-9]", "", pseudonym)


def _write_bids(folder: Path, participants: pd.DataFrame) -> None:
    """participants.tsv and its JSON sidecar (BIDS 1.9, "Participants file")."""
    frame = pd.DataFrame({
        "participant_id": ["sub-" + bids_label(p) for p in participants["id"]],
        "age": participants["age_years"], "sex": participants["sex"], "group": participants["arm"],
        "site": participants["site_id"], "injury_level": participants["injury_level"],
        "ais_baseline": participants["baseline_ais"],
    })
    frame.to_csv(folder / "participants.tsv", sep="\t", index=False, na_rep="n/a")
    sidecar = {
        "age": {"Description": "age at enrolment; 90 means 90 or older (HIPAA Safe Harbor)", "Units": "year"},
        "sex": {"Description": "sex", "Levels": {"F": "female", "M": "male", "X": "other"}},
        "group": {"Description": "study arm"},
        "site": {"Description": "site code"},
        "injury_level": {"Description": "neurological level of injury (ISNCSCI 2019)"},
        "ais_baseline": {"Description": "ASIA Impairment Scale grade at baseline (ISNCSCI 2019)",
                         "Levels": {g: f"AIS {g}" for g in "ABCDE"}},
    }
    (folder / "participants.json").write_text(json.dumps(sidecar, indent=2) + "\n")


def _write_manifest(folder: Path, store, fmt: str, report) -> None:
    trail = store.audit_trail()
    manifest = {
        "format": fmt,
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "exported_by": {"user": store.staff_code(store.user.name), "role": store.user.role},
        "audit": {"entries": report.n_entries, "intact": report.ok,
                  "head_hash": trail["hash"].iloc[-1] if len(trail) else None},
        "files": {p.name: sha256_file(p) for p in sorted(folder.iterdir())},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
