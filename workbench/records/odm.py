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

The document is built and written with odmlib's ODM 1.3.2 object model, and
validated in the tests against the ODM 1.3.2 XSD that odmlib ships and read
back with odmlib.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import odmlib.odm_1_3_2.model as ODM
import pandas as pd
from odmlib.exceptions import OdmlibError
from odmlib.ns_registry import bind_document_namespaces

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


def _text_of(text) -> str:
    return "" if text is None else str(text)


def _en(text) -> ODM.TranslatedText:
    return ODM.TranslatedText(_content=_text_of(text), lang="en")


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
    events = [v.name for v in study.visit_schedule] + [STUDY_EVENT]
    forms = _form_layout(tables, instruments)  # form OID -> (name, table, instrument, [(item OID, name, spec)])
    try:  # odmlib checks every value as the document is built (dates, data types, OIDs)
        odm = ODM.ODM(FileType="Snapshot", FileOID=_oid("WB", study.id, stamp), CreationDateTime=stamp,
                      ODMVersion="1.3.2", Granularity="All", Originator="sci-bci-workbench",
                      Study=[_study(study, screen_record(study, staff_key=key).title, events, forms)],  # screened
                      AdminData=[_admin_data(study, tables, trail)],
                      ClinicalData=[_clinical_data(study, tables, forms, events, trail)])
    except OdmlibError as err:
        raise WorkbenchError(f"ODM export: a stored value is not valid in ODM 1.3.2 ({err}); nothing written") from None
    # odmlib's namespace registry is process-wide, and another odmlib model loaded here (ODM 2.0, Define-XML)
    # would change its default: the document is pinned to the ODM 1.3 namespace.
    bind_document_namespaces(odm, {"namespaces": {"odm": NS}, "default": {"odm": NS}})

    with staged_folder(out) as tmp:
        fname = tmp / "study.odm.xml"
        odm.write_xml(str(fname))
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


def _study(study, title: str | None, events: list[str], forms: dict) -> ODM.Study:
    event_forms: dict[str, list[str]] = {e: [] for e in events}
    for form_oid, (_, table, _, _) in forms.items():
        for e in (events if table in ("visits", "outcome_assessments", "protocol_deviations") else [STUDY_EVENT]):
            if table == "visits" and e == STUDY_EVENT:
                continue
            event_forms[e].append(form_oid)
    mdv = ODM.MetaDataVersion(OID="MDV.1", Name=f"{study.id} workbench records", Protocol=ODM.Protocol())
    for i, e in enumerate(events, start=1):
        mdv.Protocol.StudyEventRef.append(ODM.StudyEventRef(StudyEventOID=_oid("SE", e), OrderNumber=i, Mandatory="No"))
    for e in events:
        mdv.StudyEventDef.append(ODM.StudyEventDef(
            OID=_oid("SE", e), Name=e, Repeating="No", Type="Common" if e == STUDY_EVENT else "Scheduled",
            FormRef=[ODM.FormRef(FormOID=f, Mandatory="No") for f in event_forms[e]]))
    for form_oid, (name, _, _, _) in forms.items():
        mdv.FormDef.append(ODM.FormDef(OID=form_oid, Name=name, Repeating="Yes", ItemGroupRef=[
            ODM.ItemGroupRef(ItemGroupOID=_oid("IG", form_oid[2:]), Mandatory="Yes")]))
    for form_oid, (name, _, _, items) in forms.items():
        mdv.ItemGroupDef.append(ODM.ItemGroupDef(OID=_oid("IG", form_oid[2:]), Name=name, Repeating="No", ItemRef=[
            ODM.ItemRef(ItemOID=item_oid, Mandatory="No") for item_oid, *_ in items]))
    codelists = {}
    for form_oid, (_, _, _, items) in forms.items():
        for item_oid, label, (dtype, choices), _ in items:
            idef = ODM.ItemDef(OID=item_oid, Name=item_oid.split(".")[-1], DataType=dtype,
                               Question=ODM.Question(TranslatedText=[_en(label)]))
            if choices:
                cl = _oid("CL", *item_oid.split(".")[1:])
                codelists[cl] = (dtype, choices)
                idef.CodeListRef = ODM.CodeListRef(CodeListOID=cl)
            mdv.ItemDef.append(idef)
    for cl, (dtype, choices) in codelists.items():
        mdv.CodeList.append(ODM.CodeList(
            OID=cl, Name=cl, DataType=dtype if dtype in ("integer", "float") else "text",
            CodeListItem=[ODM.CodeListItem(CodedValue=_text(value), Decode=ODM.Decode(TranslatedText=[
                _en(_decode(cl, value))])) for value in choices]))
    gv = ODM.GlobalVariables(StudyName=ODM.StudyName(_content=study.id),
                             StudyDescription=ODM.StudyDescription(_content=_text_of(title)),
                             ProtocolName=ODM.ProtocolName(_content=study.id))
    return ODM.Study(OID=_oid("ST", study.id), GlobalVariables=gv, MetaDataVersion=[mdv])


def _admin_data(study, tables, trail) -> ODM.AdminData:
    # Who: staff codes only; where: the participant's site (an ODM Location per site).
    users = sorted(set(trail["user_name"].dropna())) if len(trail) else []
    sites = sorted(set(tables["participants"]["site_id"].dropna())) if "participants" in tables else []
    effective = str(study_effective_date(tables))
    return ODM.AdminData(
        StudyOID=_oid("ST", study.id),
        User=[ODM.User(OID=_oid("USR", u), LoginName=ODM.LoginName(_content=str(u))) for u in users],
        Location=[ODM.Location(OID=_oid("LOC", s), Name=str(s),
                               MetaDataVersionRef=[ODM.MetaDataVersionRef(StudyOID=_oid("ST", study.id),
                                                                          MetaDataVersionOID="MDV.1",
                                                                          EffectiveDate=effective)])
                  for s in sites + ["CENTRAL"]])


def _clinical_data(study, tables, forms, events, trail) -> ODM.ClinicalData:
    cd = ODM.ClinicalData(StudyOID=_oid("ST", study.id), MetaDataVersionOID="MDV.1")
    if "participants" not in tables:
        return cd
    visit_name = dict(zip(tables["visits"]["id"], tables["visits"]["name"])) if "visits" in tables else {}
    by_record: dict[tuple[str, str], list[dict]] = {}
    for row in trail.to_dict("records"):
        by_record.setdefault((row["entity"], str(row["entity_id"])), []).append(row)
    site_of = dict(zip(tables["participants"]["id"], tables["participants"]["site_id"]))
    form_of_table = {t: f for f, (_, t, i, _) in forms.items() if i is None}
    for pid in tables["participants"]["id"]:
        location = _oid("LOC", site_of.get(pid) or "CENTRAL")
        sd = ODM.SubjectData(SubjectKey=str(pid), SiteRef=ODM.SiteRef(LocationOID=location))
        cd.SubjectData.append(sd)
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
        for e in events:
            if not per_event[e]:
                continue
            sed = ODM.StudyEventData(StudyEventOID=_oid("SE", e))
            sd.StudyEventData.append(sed)
            for table, form, row in per_event[e]:
                entries = by_record.get((table, str(row["id"])), [])
                fd = ODM.FormData(FormOID=form, FormRepeatKey=str(row["id"]))
                if entries:
                    fd.AuditRecord = _audit(entries[0], location)
                ig = ODM.ItemGroupData(ItemGroupOID=_oid("IG", form[2:]))
                fd.ItemGroupData.append(ig)
                sed.FormData.append(fd)
                updates = {r["field"]: r for r in entries if r["action"] == "update" and r["field"]}
                for item_oid, _, _, (col, key) in forms[form][3]:
                    value = _value_of(row, col, key)
                    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
                        continue
                    idata = ODM.ItemData(ItemOID=item_oid, Value=_text(value))
                    if col in updates:  # the field's last change (a JSON field's change covers its items)
                        idata.AuditRecord = _audit(updates[col], location)
                    ig.ItemData.append(idata)
    return cd


def _value_of(row: dict, col: str, key: str | None):
    if key is None:
        return row.get(col)
    values = json.loads(row[col]) if isinstance(row.get(col), str) else (row.get(col) or {})
    return values.get(key)


def _audit(entry: dict, location: str) -> ODM.AuditRecord:
    ts = pd.Timestamp(entry["ts"])
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    ar = ODM.AuditRecord(EditPoint="DataManagement", UsedImputationMethod="No",
                         UserRef=ODM.UserRef(UserOID=_oid("USR", entry["user_name"])),
                         LocationRef=ODM.LocationRef(LocationOID=location),
                         DateTimeStamp=ODM.DateTimeStamp(_content=ts.isoformat()))
    if entry.get("reason") is not None:  # a coded reason, else withheld (free text), as in every export
        ar.ReasonForChange = ODM.ReasonForChange(_content=str(entry["reason"]))
    ar.SourceID = ODM.SourceID(_content=f"audit-trail-seq-{entry['seq']}")
    return ar


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
