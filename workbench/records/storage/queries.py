"""Read-only queries returning pandas DataFrames (long, wide, timeline)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import sqlalchemy as sa

from ..types.base import TableRecord
from .blinded_reads import MASK, is_blinded, select_readable
from .tables import TABLES

_TIMELINE_ORDER = {"enrolment": 0, "consent": 1, "visit": 2, "session": 3, "outcome": 4, "adverse event": 5,
                   "device deficiency": 6, "protocol deviation": 7, "withdrawal": 8}


def records_frame(engine: sa.Engine, rt: type[TableRecord], where=None) -> pd.DataFrame:
    """Every stored record of one type, one row each, columns in field order.

    ``where``: an extra condition, such as the caller's site visibility (access
    control's ``sites.visible_clause``); storage itself knows no sites.
    """
    table = TABLES[rt.TABLE]
    query = select_readable(engine, table).order_by(table.c.id)
    if where is not None:
        query = query.where(where)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in table.columns])
    for name, sp in rt.specs():
        # An integer field left empty on some record would make its column float (4.0 trials beside NaN),
        # and the exports would write 4.0 for an integer: pandas' nullable integer keeps 4 beside <NA>.
        if sp.kind == "int" and name in frame.columns and frame[name].dtype != "int64":
            frame[name] = frame[name].astype("Int64")
    if rt.TABLE == "visits":  # derived, never stored: computed from the dates and window
        frame.insert(frame.columns.get_loc("actual_date") + 1, "in_window", [
            None if r["actual_date"] is None
            else r["scheduled_date"] - timedelta(days=r["window_before"]) <= r["actual_date"]
            <= r["scheduled_date"] + timedelta(days=r["window_after"])
            for r in rows])
    return frame


def outcomes_long(engine: sa.Engine, site_id: str | None = None) -> pd.DataFrame:
    """One row per computed score: participant, visit, day, instrument, score, value.

    Only ``site_id``'s participants when it is given.

    ``day`` counts from enrolment (day 0), the usual time axis of trial plots.
    """
    oa, v, p = TABLES["outcome_assessments"], TABLES["visits"], TABLES["participants"]
    arm = sa.literal(MASK).label("arm") if is_blinded(engine) else p.c.arm
    query = (
        sa.select(oa.c.id.label("assessment_id"), oa.c.participant_id, v.c.name.label("visit"), oa.c.visit_id,
                  oa.c.assessed_on, p.c.enrolment_date, arm, oa.c.instrument, oa.c.instrument_version,
                  oa.c.scores)
        .join(p, p.c.id == oa.c.participant_id)
        .outerjoin(v, v.c.id == oa.c.visit_id)
        .order_by(oa.c.participant_id, oa.c.assessed_on, oa.c.instrument, oa.c.id)
    )
    if site_id is not None:
        query = query.where(p.c.site_id == site_id)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    out = [
        {"participant_id": r["participant_id"], "arm": r["arm"], "visit": r["visit"], "visit_id": r["visit_id"],
         "assessed_on": r["assessed_on"], "day": (r["assessed_on"] - r["enrolment_date"]).days,
         "instrument": r["instrument"], "instrument_version": r["instrument_version"], "score": name,
         "value": value, "assessment_id": r["assessment_id"]}
        for r in rows
        for name, value in sorted((r["scores"] or {}).items())
    ]
    cols = ["participant_id", "arm", "visit", "visit_id", "assessed_on", "day", "instrument",
            "instrument_version", "score", "value", "assessment_id"]
    return pd.DataFrame(out, columns=cols)


def outcomes_wide(engine: sa.Engine, site_id: str | None = None) -> pd.DataFrame:
    """One row per participant and visit, one column per ``instrument.score``.

    A score that is a number wherever it was given is a float column (NaN where
    it was not given, or recorded as not possible); grades and flags stay as given.

    When an instrument was given twice at one visit, the later assessment wins
    (the earlier one is still in :func:`outcomes_long`).
    """
    long = outcomes_long(engine, site_id)
    if long.empty:
        return pd.DataFrame(columns=["participant_id", "visit", "day"])
    long = long.assign(column=long["instrument"] + "." + long["score"], visit=long["visit"].fillna("unscheduled"))
    long = long.sort_values(["assessed_on", "assessment_id"]).drop_duplicates(
        ["participant_id", "visit", "column"], keep="last")
    wide = long.pivot(index=["participant_id", "visit"], columns="column", values="value")
    day = long.groupby(["participant_id", "visit"])["day"].min()
    for column in wide.columns:
        # A score that is a number wherever it was given is a numeric column (NaN where not given, or given
        # as "unable"): wide["BBT.right.blocks_per_minute"].mean() works. Grades (AIS "A") and flags stay.
        given = wide[column].dropna()
        if len(given) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in given):
            wide[column] = pd.to_numeric(wide[column])
    wide.insert(0, "day", day)
    wide.columns.name = None
    return wide.reset_index().sort_values(["participant_id", "day", "visit"], ignore_index=True)


def participant_timeline(engine: sa.Engine, participant_id: str) -> pd.DataFrame:
    """Everything recorded for one participant, by date: event, day, what, record id.

    Free-text fields are left out: the timeline is meant to be shown and shared.
    """
    t = TABLES
    events = []
    with engine.connect() as conn:
        def rows(name, *where):
            tbl = t[name]
            return conn.execute(select_readable(conn, tbl).where(*where)).mappings().all()

        p = rows("participants", t["participants"].c.id == participant_id)[0]
        events.append((p["enrolment_date"], "enrolment", f"arm {p['arm']}, site {p['site_id']}", p["id"]))
        if p["withdrawal_date"] is not None:
            events.append((p["withdrawal_date"], "withdrawal", "withdrawn from the study", p["id"]))
        for r in rows("consents", t["consents"].c.participant_id == participant_id):
            events.append((r["consent_date"], "consent", f"form {r['form_version']}", r["id"]))
        for r in rows("visits", t["visits"].c.participant_id == participant_id):
            when = r["actual_date"] or r["scheduled_date"]
            events.append((when, "visit", f"{r['name']} ({r['status']})", r["id"]))
        for r in rows("sessions", t["sessions"].c.participant_id == participant_id):
            events.append((r["started_at"].date(), "session", f"{r['device']}, {r['montage']}", r["id"]))
        for r in rows("outcome_assessments", t["outcome_assessments"].c.participant_id == participant_id):
            scores = ", ".join(f"{k} {v}" for k, v in sorted((r["scores"] or {}).items()))
            events.append((r["assessed_on"], "outcome", f"{r['instrument']}: {scores}", r["id"]))
        for r in rows("adverse_events", t["adverse_events"].c.participant_id == participant_id):
            serious = "serious, " if r["serious"] else ""
            events.append((r["onset_date"], "adverse event",
                           f"{serious}{r['severity']}, device: {r['related_device']}, outcome: {r['outcome']}",
                           r["id"]))
        for r in rows("device_deficiencies", t["device_deficiencies"].c.participant_id == participant_id):
            events.append((r["observed_on"], "device deficiency", f"{r['device']}: {r['deficiency_type']}", r["id"]))
        for r in rows("protocol_deviations", t["protocol_deviations"].c.participant_id == participant_id):
            events.append((r["occurred_on"], "protocol deviation", r["category"], r["id"]))
    frame = pd.DataFrame(events, columns=["date", "event", "what", "record_id"])
    frame.insert(1, "day", [(d - p["enrolment_date"]).days for d in frame["date"]])
    frame["_order"] = frame["event"].map(_TIMELINE_ORDER)
    return frame.sort_values(["date", "_order"], ignore_index=True).drop(columns="_order")
