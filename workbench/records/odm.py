"""The study's clinical records as one CDISC ODM 1.3.2 document (Snapshot), for sponsors and EDC systems.

- Study metadata: one StudyEventDef per visit of the study's schedule (plus a
  ``STUDY`` event for what belongs to no visit), one FormDef/ItemGroupDef per
  clinical table and per outcome instrument of the registry (its items and
  scores), code lists for every coded field (AIS grades, neurological levels,
  severities...) and for ordinal instrument items.
- Clinical data per subject (the pseudonym is the SubjectKey), values as the
  other exports give them (:mod:`workbench.records.export`: free text left
  out, identifiers screened, staff as codes), with audit records from the
  trail: who (a staff code), when, and the reason when it is one of the coded
  reasons for change (``types/change_reasons.py``); any other reason is free
  text and is withheld, as in every export.
- Tables the exporting role may not read are left out, and the export says which.

Validated in the tests against the ODM 1.3.2 XSD that odmlib ships and read
back with odmlib.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ..errors import Problem, ValidationError, WorkbenchError
from .storage.tables import BY_TABLE
from .types.participant import AIS_GRADES

NS = "http://www.cdisc.org/ns/odm/v1.3"
#: Clinical tables, in the order their forms appear; outcome assessments get one form per instrument.
CLINICAL_TABLES = ("participants", "consents", "visits", "outcome_assessments", "adverse_events",
                   "device_deficiencies", "protocol_deviations", "allocations")
STUDY_EVENT = "STUDY"
_DATATYPE = {"str": "text", "int": "integer", "float": "float", "date": "date", "datetime": "datetime",
             "bool": "boolean", "json": "text", "strs": "text", "nested": "text"}
_LINKS = {"id", "participant_id", "visit_id", "study_id"}


@dataclass(frozen=True)
class OdmExport:
    """Where the document went and which tables the exporting role could not read."""

    fname: Path
    left_out: tuple[str, ...]


def _oid(*parts: str) -> str:
    return ".".join("".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(p)) for p in parts)


def _sub(parent, tag: str, text: str | None = None, **attrs) -> ET.Element:
    el = ET.SubElement(parent, f"{{{NS}}}{tag}", {k: str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = str(text)
    return el


def export_odm(store, out, *, allow_broken_trail: bool = False) -> OdmExport:
    """Write ``out`` (a folder, new or empty) with ``study.odm.xml`` and ``manifest.json``."""
    from ..outcomes.instruments import known_instruments, load_instrument
    from ..utils.files import sha256_file, staged_folder
    from .export import _shareable, _shareable_trail
    from .types.identifiers import screen_record
    from .types.study import Study

    report = store.verify_audit()
    if not report.ok and not allow_broken_trail:
        raise WorkbenchError(f"export refused: {report.summary().splitlines()[0]} "
                             "(investigate with `workbench audit verify`)")
    out = Path(out).resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValidationError([Problem("out", str(out), "a new or empty folder")], what="ODM export")
    from .storage.blinded_reads import BLINDED_COLUMNS
    from .types.base import BLINDED_ROLES
    from .storage.tables import RECORD_TYPES

    readable = [t for t in CLINICAL_TABLES if store.may_read(BY_TABLE[t])]
    # Said, not silently dropped: every table this role may not read, and the columns it is kept blind to
    # (their items are left out rather than exported as the mask).
    blinded = {t: cols for t, cols in BLINDED_COLUMNS.items()} if store.user.role in BLINDED_ROLES else {}
    left_out = tuple([rt.TABLE for rt in RECORD_TYPES if not store.may_read(rt)]
                     + [f"{t}.{c}" for t, cols in blinded.items() for c in cols if t in readable])
    key = store.staff_key  # staff codes under the study's own key (never exported itself)
    tables = {}
    for t in readable:
        frame = _shareable(store.frame(BY_TABLE[t]), BY_TABLE[t], key)
        tables[t] = frame.drop(columns=[c for c in blinded.get(t, ()) if c in frame.columns])
    trail = _shareable_trail(store.audit_trail(), key)
    studies = store.find(Study)
    if not studies:
        raise ValidationError([Problem("studies", 0, "a study record (the ODM document describes one study)")],
                              what="ODM export")
    study = studies[0]
    instruments = {}
    if "outcome_assessments" in tables:
        for name in sorted(set(tables["outcome_assessments"]["instrument"]) | set(known_instruments())):
            try:
                instruments[name] = load_instrument(name)
            except Exception:  # an instrument only older records name: its form is built from the data
                instruments[name] = None

    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    root = ET.Element(f"{{{NS}}}ODM", {"FileType": "Snapshot", "FileOID": _oid("WB", study.id, stamp),
                                        "CreationDateTime": stamp, "ODMVersion": "1.3.2",
                                        "Granularity": "All", "Originator": "sci-bci-workbench"})
    st = _sub(root, "Study", OID=_oid("ST", study.id))
    gv = _sub(st, "GlobalVariables")
    _sub(gv, "StudyName", study.id)
    _sub(gv, "StudyDescription", screen_record(study, staff_key=key).title)  # the title is screened too
    _sub(gv, "ProtocolName", study.id)
    mdv = _sub(st, "MetaDataVersion", OID="MDV.1", Name=f"{study.id} workbench records")
    events = [v.name for v in study.visit_schedule] + [STUDY_EVENT]
    forms = _form_layout(tables, instruments)  # form OID -> (name, table, instrument, [(item OID, name, spec)])
    event_forms: dict[str, list[str]] = {e: [] for e in events}
    for form_oid, (_, table, _, _) in forms.items():
        for e in (events if table in ("visits", "outcome_assessments", "protocol_deviations") else [STUDY_EVENT]):
            if table == "visits" and e == STUDY_EVENT:
                continue
            event_forms[e].append(form_oid)
    protocol = _sub(mdv, "Protocol")
    for i, e in enumerate(events, start=1):
        _sub(protocol, "StudyEventRef", StudyEventOID=_oid("SE", e), OrderNumber=i, Mandatory="No")
    for e in events:
        sed = _sub(mdv, "StudyEventDef", OID=_oid("SE", e), Name=e, Repeating="No",
                   Type="Common" if e == STUDY_EVENT else "Scheduled")
        for f in event_forms[e]:
            _sub(sed, "FormRef", FormOID=f, Mandatory="No")
    for form_oid, (name, _, _, _) in forms.items():
        fd = _sub(mdv, "FormDef", OID=form_oid, Name=name, Repeating="Yes")
        _sub(fd, "ItemGroupRef", ItemGroupOID=_oid("IG", form_oid[2:]), Mandatory="Yes")
    for form_oid, (name, _, _, items) in forms.items():
        ig = _sub(mdv, "ItemGroupDef", OID=_oid("IG", form_oid[2:]), Name=name, Repeating="No")
        for item_oid, *_ in items:
            _sub(ig, "ItemRef", ItemOID=item_oid, Mandatory="No")
    codelists = {}
    for form_oid, (_, _, _, items) in forms.items():
        for item_oid, label, (dtype, choices), _ in items:
            idef = _sub(mdv, "ItemDef", OID=item_oid, Name=item_oid.split(".")[-1], DataType=dtype)
            q = _sub(idef, "Question")
            _sub(q, "TranslatedText", label, **{"{http://www.w3.org/XML/1998/namespace}lang": "en"})
            if choices:
                cl = _oid("CL", *item_oid.split(".")[1:])
                codelists[cl] = (dtype, choices)
                _sub(idef, "CodeListRef", CodeListOID=cl)
    for cl, (dtype, choices) in codelists.items():
        c = _sub(mdv, "CodeList", OID=cl, Name=cl, DataType=dtype if dtype in ("integer", "float") else "text")
        for value in choices:
            cli = _sub(c, "CodeListItem", CodedValue=_text(value))
            _sub(_sub(cli, "Decode"), "TranslatedText", _decode(cl, value),
                 **{"{http://www.w3.org/XML/1998/namespace}lang": "en"})

    # Who: staff codes only; where: the participant's site (an ODM Location per site).
    users = sorted(set(trail["user_name"].dropna())) if len(trail) else []
    admin = _sub(root, "AdminData", StudyOID=_oid("ST", study.id))
    for u in users:
        _sub(_sub(admin, "User", OID=_oid("USR", u)), "LoginName", u)
    sites = sorted(set(tables["participants"]["site_id"].dropna())) if "participants" in tables else []
    for s in sites + ["CENTRAL"]:
        loc = _sub(admin, "Location", OID=_oid("LOC", s), Name=s)
        _sub(loc, "MetaDataVersionRef", StudyOID=_oid("ST", study.id), MetaDataVersionOID="MDV.1",
             EffectiveDate=str(study_effective_date(tables)))
    _clinical_data(root, study, tables, forms, events, trail, store.staff_code)

    with staged_folder(out) as tmp:
        fname = tmp / "study.odm.xml"
        ET.register_namespace("", NS)
        ET.ElementTree(root).write(fname, encoding="UTF-8", xml_declaration=True)
        manifest = {"format": "odm", "odm_version": "1.3.2", "exported_at": stamp,
                    "exported_by": {"user": store.staff_code(store.user.name), "role": store.user.role},
                    "tables": readable,
                    "left_out": {t: f"role {store.user.role!r} " + ("is kept blind to it" if "." in t
                                                                    else "may not read it") for t in left_out},
                    "audit": {"entries": report.n_entries, "intact": report.ok},
                    "files": {"study.odm.xml": sha256_file(fname)}}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return OdmExport(out / "study.odm.xml", left_out)


def study_effective_date(tables) -> str:
    dates = tables.get("participants", pd.DataFrame()).get("enrolment_date", pd.Series(dtype=object)).dropna()
    return min(dates) if len(dates) else "2000-01-01"


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _decode(codelist: str, value) -> str:
    if codelist.endswith(("baseline_ais", "score.ais", "score_ais")) or codelist.endswith("ais"):
        return f"ASIA Impairment Scale grade {value} (ISNCSCI 2019)"
    return _text(value)


def _form_layout(tables, instruments):
    forms = {}
    for table in tables:
        rt = BY_TABLE[table]
        if table == "outcome_assessments":
            common = [(n, sp) for n, sp in rt.specs() if n not in _LINKS | {"item_values", "scores", "instrument"}
                      and not sp.free_text]
            for name, inst in instruments.items():
                fo = _oid("F", "OA", name)
                items = [(_oid("IT", "OA", name, n), sp.label, (_DATATYPE[sp.kind], sp.choices or ()), (n, None))
                         for n, sp in common]
                if inst is not None:
                    for it in inst.items:
                        numeric = it.values and all(isinstance(v, (int, float)) for v in it.values)
                        dtype = ("integer" if all(isinstance(v, int) for v in it.values) else "float") \
                            if numeric else ("text" if it.values else ("integer" if it.kind == "count" else "float"))
                        items.append((_oid("IT", "OA", name, "item", it.id), it.label, (dtype, tuple(it.values)),
                                      ("item_values", it.id)))
                    for sc in (*inst.subscales, *inst.totals, *inst.derived):
                        items.append((_oid("IT", "OA", name, "score", sc.id), sc.label, ("float", ()),
                                      ("scores", sc.id)))
                else:
                    frame = tables[table][tables[table]["instrument"] == name]
                    keys = set()
                    for col, kind in (("item_values", "item"), ("scores", "score")):
                        for v in frame[col].dropna():
                            keys |= {(kind, k) for k in json.loads(v)}
                    items += [(_oid("IT", "OA", name, kind, k), k, ("text", AIS_GRADES if k == "ais" else ()),
                               ("item_values" if kind == "item" else "scores", k)) for kind, k in sorted(keys)]
                forms[fo] = (f"{name} assessment", table, name, items)
        else:
            items = [(_oid("IT", table, n), sp.label, (_DATATYPE[sp.kind], tuple(sp.choices or ())), (n, None))
                     for n, sp in rt.specs() if n not in _LINKS and not sp.free_text and n in tables[table]]
            forms[_oid("F", table)] = (table.replace("_", " "), table, None, items)
    return forms


def _clinical_data(root, study, tables, forms, events, trail, staff_code) -> None:
    cd = _sub(root, "ClinicalData", StudyOID=_oid("ST", study.id), MetaDataVersionOID="MDV.1")
    if "participants" not in tables:
        return
    visit_name = dict(zip(tables["visits"]["id"], tables["visits"]["name"])) if "visits" in tables else {}
    by_record: dict[tuple[str, str], list[dict]] = {}
    for row in trail.to_dict("records"):
        by_record.setdefault((row["entity"], str(row["entity_id"])), []).append(row)
    site_of = dict(zip(tables["participants"]["id"], tables["participants"]["site_id"]))
    form_of_table = {t: f for f, (_, t, i, _) in forms.items() if i is None}
    for pid in tables["participants"]["id"]:
        sd = _sub(cd, "SubjectData", SubjectKey=pid)
        _sub(sd, "SiteRef", LocationOID=_oid("LOC", site_of.get(pid) or "CENTRAL"))
        per_event: dict[str, list[tuple[str, str, dict]]] = {e: [] for e in events}
        for table, frame in tables.items():
            rows = frame[frame["id"] == pid] if table == "participants" else frame[frame["participant_id"] == pid]
            for row in rows.to_dict("records"):
                event = STUDY_EVENT
                if table == "visits":
                    event = row["name"]
                elif row.get("visit_id") and isinstance(row.get("visit_id"), str):
                    event = visit_name.get(row["visit_id"], STUDY_EVENT)
                if event not in per_event:  # a visit name the schedule no longer lists
                    event = STUDY_EVENT
                form = _oid("F", "OA", row["instrument"]) if table == "outcome_assessments" else form_of_table[table]
                per_event[event].append((table, form, row))
        location = _oid("LOC", site_of.get(pid) or "CENTRAL")
        for e in events:
            if not per_event[e]:
                continue
            sed = _sub(sd, "StudyEventData", StudyEventOID=_oid("SE", e))
            for table, form, row in per_event[e]:
                entries = by_record.get((table, str(row["id"])), [])
                fd = _sub(sed, "FormData", FormOID=form, FormRepeatKey=row["id"])
                if entries:
                    _audit(fd, entries[0], location)
                ig = _sub(fd, "ItemGroupData", ItemGroupOID=_oid("IG", form[2:]))
                updates = {r["field"]: r for r in entries if r["action"] == "update" and r["field"]}
                for item_oid, _, _, (col, key) in forms[form][3]:
                    value = _value_of(row, col, key)
                    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
                        continue
                    idata = _sub(ig, "ItemData", ItemOID=item_oid, Value=_text(value))
                    if col in updates:  # the field's last change (a JSON field's change covers its items)
                        _audit(idata, updates[col], location)


def _value_of(row: dict, col: str, key: str | None):
    if key is None:
        return row.get(col)
    values = json.loads(row[col]) if isinstance(row.get(col), str) else (row.get(col) or {})
    return values.get(key)


def _audit(parent, entry: dict, location: str) -> None:
    ar = _sub(parent, "AuditRecord", EditPoint="DataManagement", UsedImputationMethod="No")
    _sub(ar, "UserRef", UserOID=_oid("USR", entry["user_name"]))
    _sub(ar, "LocationRef", LocationOID=location)
    ts = pd.Timestamp(entry["ts"])
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    _sub(ar, "DateTimeStamp", ts.isoformat())
    if entry.get("reason") is not None:  # a coded reason, else withheld (free text), as in every export
        _sub(ar, "ReasonForChange", entry["reason"])
    _sub(ar, "SourceID", f"audit-trail-seq-{entry['seq']}")


def read_odm(fname: str | os.PathLike) -> dict:
    """Clinical data of an ODM document read with odmlib: {subject: {(event, form, key): {item OID: value}}}."""
    from odmlib import odm_loader, loader

    doc = loader.ODMLoader(odm_loader.XMLODMLoader(model_package="odm_1_3_2", ns_uri=NS))
    doc.open_odm_document(os.fspath(fname))
    odm = doc.root()
    out: dict = {}
    for cd in odm.ClinicalData:
        for sd in cd.SubjectData:
            subject = out.setdefault(sd.SubjectKey, {})
            for sed in sd.StudyEventData:
                for fd in sed.FormData:
                    values = subject.setdefault((sed.StudyEventOID, fd.FormOID, fd.FormRepeatKey), {})
                    for igd in fd.ItemGroupData:
                        for item in igd.ItemData:
                            values[item.ItemOID] = item.Value
    return out
