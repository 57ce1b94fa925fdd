"""Tables the reports and the dashboard show, computed from :class:`TrialData`.

Pure functions of the data (and ``today``); each returns a DataFrame with the
column names a reader sees, so the HTML report and the dashboard print the
same numbers.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from ..outcomes.bci_metrics import wolpaw_itr
from ..outcomes.longitudinal import change_from_baseline
from .trial_data import TrialData

#: Visit states on a given day. A visit's window is [scheduled - before, scheduled + after]
#: (ICH E6(R2) 6.4.3); a visit not done after its window closed is overdue.
VISIT_STATES = ("done in window", "done out of window", "missed", "due now", "overdue", "upcoming")


def enrolment_by_site_arm(data: TrialData) -> pd.DataFrame:
    """Participants per site (rows) and arm (columns), with totals."""
    arms = list(data.study.arms)
    sites = [s.id for s in data.sites]
    table = pd.crosstab(data.participants["site_id"], data.participants["arm"]).reindex(
        index=sites, columns=arms, fill_value=0)
    table["total"] = table.sum(axis=1)
    table.loc["total"] = table.sum(axis=0)
    table.index.name, table.columns.name = "site", None
    return table.astype(int)


def enrolment_by_site(data: TrialData) -> pd.DataFrame:
    """Participants per site, with the total: the enrolment an assessor blind to the arm may see (ICH E9 2.3.1)."""
    counts = data.participants["site_id"].value_counts().reindex([s.id for s in data.sites], fill_value=0)
    table = pd.DataFrame({"participants": counts.astype(int)})
    table.loc["total"] = int(table["participants"].sum())
    table.index.name = "site"
    return table


def visit_states(data: TrialData) -> pd.DataFrame:
    """One row per visit with its state on ``data.today`` (see VISIT_STATES), each participant's visits in
    schedule order (by scheduled date: by name, week12 and week26 came before week6)."""
    v = data.visits
    if v.empty:
        return pd.DataFrame(columns=["participant", "visit", "scheduled", "window closes", "state"])
    opens = [d - timedelta(days=int(b)) for d, b in zip(v["scheduled_date"], v["window_before"])]
    closes = [d + timedelta(days=int(a)) for d, a in zip(v["scheduled_date"], v["window_after"])]
    states = []
    for row, first, last in zip(v.itertuples(index=False), opens, closes):
        if row.status == "done":
            states.append("done in window" if row.in_window else "done out of window")
        elif row.status == "missed":
            states.append("missed")
        elif data.today > last:
            states.append("overdue")
        elif data.today >= first:
            states.append("due now")
        else:
            states.append("upcoming")
    table = pd.DataFrame({"participant": v["participant_id"].to_numpy(), "visit": v["name"].to_numpy(),
                          "scheduled": v["scheduled_date"].to_numpy(), "window closes": closes, "state": states})
    return table.sort_values(["participant", "scheduled"], kind="stable").reset_index(drop=True)


def visit_state_counts(data: TrialData) -> pd.DataFrame:
    """Visits per schedule entry (rows, protocol order) and state (columns)."""
    states = visit_states(data)
    order = [d.name for d in data.study.visit_schedule]
    table = pd.crosstab(states["visit"], states["state"]).reindex(index=order, columns=list(VISIT_STATES),
                                                                 fill_value=0)
    table.index.name, table.columns.name = "visit", None
    return table.astype(int)


def overdue_visits(data: TrialData) -> pd.DataFrame:
    states = visit_states(data)
    late = states[states["state"] == "overdue"].copy()
    late["days overdue"] = [(data.today - d).days for d in late["window closes"]]
    return late.drop(columns="state").reset_index(drop=True)


#: The two relatedness assessments every adverse event carries (MDCG 2020-10/1 Rev 1 s. 9): to the device and
#: to the procedure (an event caused by the implantation is "not related" to the device).
RELATEDNESS_TO = {"device": "related_device", "procedure": "related_procedure"}


def adverse_event_counts(data: TrialData, related_to: str = "device") -> pd.DataFrame:
    """Adverse events by seriousness (rows) and relatedness (columns) to the device or to the procedure.

    Relatedness categories of MDCG 2020-10/1 Rev 1, section 9.
    """
    from ..errors import Problem, ValidationError
    from ..records.types.safety import RELATEDNESS

    if related_to not in RELATEDNESS_TO:
        raise ValidationError([Problem("related_to", related_to, "one of " + ", ".join(RELATEDNESS_TO))],
                              what="adverse event table")
    ae = data.adverse_events
    serious = ae["serious"].map({True: "serious", False: "non-serious"}) if not ae.empty else pd.Series(dtype=str)
    table = pd.crosstab(serious, ae[RELATEDNESS_TO[related_to]]).reindex(
        index=["serious", "non-serious"], columns=list(RELATEDNESS), fill_value=0)
    table.index.name, table.columns.name = "seriousness", None
    return table.astype(int)


def adverse_event_list(data: TrialData) -> pd.DataFrame:
    """Every adverse event by coded fields only (the verbatim term is free text and never shown)."""
    ae = data.adverse_events
    return pd.DataFrame({
        "id": ae["id"], "participant": ae["participant_id"], "onset": ae["onset_date"],
        "MedDRA LLT": ae["meddra_code"].fillna("not coded yet"), "severity": ae["severity"],
        "serious": ae["serious"].map({True: "yes", False: "no"}), "device": ae["related_device"],
        "procedure": ae["related_procedure"], "action": ae["action_taken"], "outcome": ae["outcome"],
        "resolved": ae["resolution_date"]})


def deficiency_list(data: TrialData) -> pd.DataFrame:
    dd = data.device_deficiencies
    return pd.DataFrame({
        "id": dd["id"], "participant": dd["participant_id"], "session": dd["session_id"],
        "observed": dd["observed_on"], "device": dd["device"], "type": dd["deficiency_type"],
        "might have led to SAE": dd["could_have_led_to_sae"].map({True: "yes", False: "no"})})


def reporting_deadlines(data: TrialData) -> pd.DataFrame:
    """Reportable adverse events and device deficiencies, each with its reporting deadline, overdue first.

    Deadline: 2 calendar days after awareness for an imminent risk, 7 for any
    other reportable event (MDCG 2020-10/1 Rev 1 s. 10, computed in
    ``workbench.records.types.safety``). Flagged "OVERDUE" past the deadline when
    not reported, or reported after it.
    """
    r = data.reporting
    cols = ["kind", "id", "participant", "aware", "deadline", "reported", "status"]
    if r.empty:
        return pd.DataFrame(columns=cols)
    reported = [rep is not None and rep == rep for rep in r["reported_on"]]
    status = [("OVERDUE: reported late" if rep else "OVERDUE: not reported") if late else ("reported" if rep else "due")
              for late, rep in zip(r["overdue"], reported)]
    frame = pd.DataFrame({"kind": r["kind"], "id": r["id"], "participant": r["participant_id"],
                          "aware": r["awareness_date"], "deadline": r["deadline"], "reported": r["reported_on"],
                          "status": status})
    frame["_late"] = [not s.startswith("OVERDUE") for s in status]
    return frame.sort_values(["_late", "deadline", "id"]).drop(columns="_late").reset_index(drop=True)


def n_reporting_overdue(data: TrialData) -> int:
    return int(reporting_deadlines(data)["status"].str.startswith("OVERDUE").sum())


def deviation_list(data: TrialData, status: str | None = None) -> pd.DataFrame:
    """Protocol deviations (ISO 14155:2020 3.17), all or those with ``status`` ("open" / "closed").

    Description, corrective action and resolution are free text and left out.
    """
    d = data.deviations
    if status is not None:
        d = d[d["status"] == status]
    frame = pd.DataFrame({"id": d["id"], "participant": d["participant_id"], "visit": d["visit_id"],
                          "category": d["category"], "grade": d["grade"], "occurred": d["occurred_on"]})
    if status != "open":
        frame["status"], frame["closed"] = d["status"], d["closed_on"]
    return frame.reset_index(drop=True)


def open_deviations(data: TrialData) -> pd.DataFrame:
    """Deviations still open (their follow-up not yet documented as done), oldest first."""
    return deviation_list(data, "open").sort_values(["occurred", "id"], ignore_index=True)


def consort_flow(data: TrialData) -> pd.DataFrame:
    """Counts for a CONSORT 2010-style flow: enrolled, allocated, followed up per visit, analysed.

    Screening is not recorded by the workbench, so the flow starts at enrolment
    (CONSORT 2010 item 13a asks for the numbers allocated, receiving the
    intervention and analysed per arm). "allocated" counts the randomization
    records (``workbench randomize``: CONSORT items 8-10), never the
    participant's arm field. Participants without one are counted apart, as
    "awaiting randomization" (enrolled, arm not yet drawn) or "assigned without
    randomization" (an arm set by hand, as in a study that does not randomize),
    so nothing entered by hand can pass for randomized. Follow-up, withdrawal
    and analysis are counted in the arm a participant is in: the allocated one,
    else the one set by hand.
    """
    p = data.participants
    allocated = dict(zip(data.allocations["participant_id"], data.allocations["arm"]))
    by_hand = {pid: arm for pid, arm in zip(p["id"], p["arm"]) if pid not in allocated}
    states = visit_states(data)
    with_followup = set(change_from_baseline(data.outcomes)["participant_id"]) if not data.outcomes.empty else set()
    withdrawn = set(p.loc[p["withdrawal_date"].notna(), "id"])
    rows = []
    for arm in data.study.arms:
        randomized = {pid for pid, a in allocated.items() if a == arm}
        typed = {pid for pid, a in by_hand.items() if a == arm}
        ids = randomized | typed
        row = {"arm": arm, "allocated": len(randomized), "assigned without randomization": len(typed),
               "withdrawn": len(ids & withdrawn)}
        for visit in (d.name for d in data.study.visit_schedule):
            mine = states[(states["visit"] == visit) & states["participant"].isin(ids)]
            row[f"{visit} done"] = int(mine["state"].str.startswith("done").sum())
        row["analysed (baseline + follow-up)"] = len(ids & with_followup)
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    total = frame.drop(columns="arm").sum().to_dict()
    total["withdrawn"] = len(withdrawn)  # the withdrawn not (yet) randomized too
    return pd.concat([frame, pd.DataFrame([{"arm": "total", **total}])], ignore_index=True)


def consort_enrolment(data: TrialData) -> dict[str, int]:
    """The top of the flow: enrolled (consented), and of them awaiting randomization (no arm drawn yet)."""
    p = data.participants
    allocated = set(data.allocations["participant_id"])
    waiting = sum(pid not in allocated and arm not in data.study.arms for pid, arm in zip(p["id"], p["arm"]))
    return {"enrolled": len(p), "awaiting randomization": int(waiting)}


def participant_status(data: TrialData) -> pd.DataFrame:
    """Participants per site: enrolled, withdrawn and still followed (no arm: an assessor may see it)."""
    p = data.participants
    sites = [s.id for s in data.sites]
    withdrawn = p["withdrawal_date"].notna()
    table = pd.DataFrame({"enrolled": p["site_id"].value_counts().reindex(sites, fill_value=0),
                          "withdrawn": p.loc[withdrawn, "site_id"].value_counts().reindex(sites, fill_value=0)})
    table["in follow-up"] = table["enrolled"] - table["withdrawn"]
    table.loc["total"] = table.sum(axis=0)
    table.index.name = "site"
    return table.astype(int)


def baseline_characteristics(data: TrialData) -> pd.DataFrame:
    """Table 1: per arm, age, sex, AIS grade, level group and time since injury at enrolment."""
    p = data.participants
    columns = {}
    for arm in list(data.study.arms) + ["all"]:
        g = p if arm == "all" else p[p["arm"] == arm]
        ages = pd.to_numeric(g["age_years"], errors="coerce").dropna()
        since = [(e - i).days for e, i in zip(g["enrolment_date"], g["injury_date"])]
        level = g["injury_level"].str[0].map({"C": "cervical", "T": "thoracic", "L": "lumbar", "S": "sacral"})
        col = {"n": str(len(g)),
               "age, years: mean (SD)": f"{ages.mean():.1f} ({ages.std():.1f})" if len(ages) > 1
               else (f"{ages.iloc[0]:.0f}" if len(ages) else "—"),
               "sex F / M / X": " / ".join(str(int((g["sex"] == s).sum())) for s in ("F", "M", "X")),
               "AIS A / B / C / D": " / ".join(str(int((g["baseline_ais"] == a).sum())) for a in "ABCD"),
               "level cervical / thoracic / lumbosacral": " / ".join(
                   str(int(n)) for n in ((level == "cervical").sum(), (level == "thoracic").sum(),
                                         level.isin(["lumbar", "sacral"]).sum())),
               "days since injury: median": f"{np.median(since):.0f}" if since else "—"}
        columns[f"{arm} (n={len(g)})" if arm != "all" else f"all (n={len(g)})"] = col
    return pd.DataFrame(columns)


#: ISNCSCI scores whose change is tabulated (per-side subtotals add rows, not information).
ISNCSCI_CHANGE_SCORES = ("totals.uems", "totals.lems", "totals.light_touch", "totals.pin_prick")


def _changes(data: TrialData) -> pd.DataFrame:
    """change_from_baseline on the scores worth a row: ISNCSCI's four totals, every other instrument's scores."""
    o = data.outcomes
    keep = (o["instrument"] != "ISNCSCI") | o["score"].isin(ISNCSCI_CHANGE_SCORES)
    ch = change_from_baseline(o[keep])
    isn = ch["instrument"] == "ISNCSCI"
    ch.loc[isn, "threshold_note"] = ("not flagged: no minimal important change of ISNCSCI totals is confirmed in "
                                     "the workbench's instrument definitions")
    return ch


def outcome_changes(data: TrialData) -> pd.DataFrame:
    """Change from baseline of every score with its threshold flag (workbench.outcomes.longitudinal)."""
    if data.outcomes.empty:
        return pd.DataFrame(columns=["participant", "instrument", "score", "baseline", "visit", "value",
                                     "change", "direction", "important change", "threshold"])
    ch = _changes(data)
    flag = ch["important"].map({True: "yes", False: "no"}).fillna("not judged")
    threshold = [f"{t:g} ({lab})" if pd.notna(t) else "none usable" for t, lab in
                 zip(ch["threshold"], ch["threshold_label"])]
    return pd.DataFrame({"participant": ch["participant_id"], "instrument": ch["instrument"],
                         "score": score_names(ch["instrument"], ch["score"]),
                         "baseline": ch["baseline_value"], "visit": ch["visit"], "value": ch["value"],
                         "change": ch["change"], "direction": ch["direction"], "important change": flag,
                         "threshold": threshold})


def threshold_notes(data: TrialData) -> pd.DataFrame:
    """Which threshold decided each flag, or why none was used, with its citation."""
    if data.outcomes.empty:
        return pd.DataFrame(columns=["instrument", "score", "rule"])
    ch = _changes(data)
    rows = ch.drop_duplicates(["instrument", "score"])
    rule = [f"{lab} >= {t:g}: {cit}" if pd.notna(t) else note
            for t, lab, cit, note in zip(rows["threshold"], rows["threshold_label"], rows["threshold_citation"],
                                         rows["threshold_note"])]
    return pd.DataFrame({"instrument": rows["instrument"], "score": score_names(rows["instrument"], rows["score"]),
                         "rule": rule}).reset_index(drop=True)


ISNCSCI_SCORES = {"ais": "AIS", "nli": "NLI", "totals.uems": "UEMS", "totals.lems": "LEMS",
                  "zpp.motor.right": "motor ZPP R", "zpp.motor.left": "motor ZPP L",
                  "zpp.sensory.right": "sensory ZPP R", "zpp.sensory.left": "sensory ZPP L"}


def isncsci_across_visits(data: TrialData) -> pd.DataFrame:
    """ISNCSCI results per participant and visit: AIS, NLI, UEMS, LEMS and ZPPs."""
    o = data.outcomes[(data.outcomes["instrument"] == "ISNCSCI") & data.outcomes["score"].isin(ISNCSCI_SCORES)]
    cols = ["participant", "visit", "assessed on", *ISNCSCI_SCORES.values()]
    if o.empty:
        return pd.DataFrame(columns=cols)
    wide = o.pivot_table(index=["participant_id", "visit", "assessed_on"], columns="score", values="value",
                         aggfunc="last").reset_index()
    wide = wide.rename(columns={"participant_id": "participant", "assessed_on": "assessed on", **ISNCSCI_SCORES})
    return wide.reindex(columns=cols).sort_values(["participant", "assessed on"], ignore_index=True)


#: AIS grades from most to least severe (ISNCSCI 2019): a conversion "up" is to a later letter.
AIS_ORDER = ("A", "B", "C", "D", "E")
#: Published minimal clinically important differences of UEMS and LEMS in SCI: none is established. No
#: anchor-based MCID (change judged against what patients or clinicians call an important change) has been
#: published for either score (/work/shared/outcomes/MEASURES.md: "no single agreed MCID; report change");
#: Scivoletto 2013 gives distribution-based estimates only (their values are not shown: they could not be
#: confirmed from the stored abstract, and a distribution-based figure is not an MCID), and Steeves 2012 found
#: a gain of two motor levels, not a UEMS figure, meaningful for self-care. So the tables say "none established"
#: and cite what exists; no change is flagged. Replace ``None`` by the value, with its citation, once one is.
MOTOR_SCORE_MCID: dict[str, float | None] = {"UEMS": None, "LEMS": None}
MCID_NOTE = ("No SCI-specific, anchor-based minimal clinically important difference (MCID) of UEMS or LEMS is "
             "established, so no change is flagged; what the literature offers is cited.")
#: What exists on the clinical meaning of UEMS/LEMS change, cited beside every change table.
MOTOR_SCORE_REFERENCES = {
    "UEMS": "Scivoletto G, Tamburella F, Laurenza L, Molinari M. Distribution-based estimates of clinically "
            "significant changes in the ISNCSCI motor and sensory scores. Eur J Phys Rehabil Med 2013;49(3):373-384 "
            "(distribution-based, 600 patients; not anchor-based); Steeves JD et al. Neurorehabil Neural Repair "
            "2012;26(9):1064-1071 (a gain of 2 motor levels, not a UEMS figure, was meaningful for SCIM self-care)",
    "LEMS": "Scivoletto G, Tamburella F, Laurenza L, Molinari M. Distribution-based estimates of clinically "
            "significant changes in the ISNCSCI motor and sensory scores. Eur J Phys Rehabil Med 2013;49(3):373-384 "
            "(distribution-based, 600 patients; not anchor-based)",
}


def mcid_label(score: str) -> str:
    """The MCID column's text: the value when one is established, else says there is none."""
    value = MOTOR_SCORE_MCID.get(score)
    return "none established (see note)" if value is None else f"{value:g} points"


def _isncsci_first_last(data: TrialData) -> pd.DataFrame:
    """Per participant: arm, baseline and last AIS, NLI, UEMS and LEMS (the last examination after baseline)."""
    wide = isncsci_across_visits(data)
    if wide.empty:
        return wide
    wide = wide.sort_values(["participant", "assessed on"], kind="stable")
    first = wide.groupby("participant").first()
    last = wide.groupby("participant").last()
    n = wide.groupby("participant").size()
    arms = dict(zip(data.participants["id"], data.participants["arm"])) if "arm" in data.participants else {}
    out = pd.DataFrame({"arm": [arms.get(p, "blinded") for p in first.index],
                        "n exams": n.reindex(first.index).to_numpy()}, index=first.index)
    for col in ("AIS", "NLI", "UEMS", "LEMS", "visit"):
        out[f"{col} baseline"], out[f"{col} last"] = first[col].to_numpy(), last[col].to_numpy()
    return out[out["n exams"] > 1]


def ais_conversion_by_arm(data: TrialData) -> pd.DataFrame:
    """AIS conversion per arm, baseline grade against the last examination's: improved, unchanged, worse.

    Participants with one examination only are not counted (no follow-up to compare).
    """
    cols = ["arm", "baseline AIS", "last AIS", "participants", "conversion"]
    fl = _isncsci_first_last(data)
    if fl.empty:
        return pd.DataFrame(columns=cols)
    rank = {g: i for i, g in enumerate(AIS_ORDER)}
    step = [rank.get(b, np.nan) - rank.get(a, np.nan) if a in rank and b in rank else np.nan
            for a, b in zip(fl["AIS baseline"], fl["AIS last"])]
    fl = fl.assign(conversion=["not classifiable" if pd.isna(d) else "improved" if d > 0 else
                               "worse" if d < 0 else "unchanged" for d in step])
    table = (fl.groupby(["arm", "AIS baseline", "AIS last", "conversion"]).size().rename("participants")
             .reset_index().rename(columns={"AIS baseline": "baseline AIS", "AIS last": "last AIS"}))
    return table.reindex(columns=cols).sort_values(["arm", "baseline AIS", "last AIS"], ignore_index=True)


def motor_score_change(data: TrialData) -> pd.DataFrame:
    """UEMS and LEMS from baseline to the last examination per participant, with the NLI, the published MCID
    for SCI (none is established: :data:`MOTOR_SCORE_MCID`) and the reference."""
    cols = ["participant", "arm", "score", "baseline", "last visit", "last", "change", "MCID (SCI)", "NLI baseline",
            "NLI last", "reference"]
    fl = _isncsci_first_last(data)
    if fl.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for pid, r in fl.iterrows():
        for score in ("UEMS", "LEMS"):
            b, last = pd.to_numeric(r[f"{score} baseline"]), pd.to_numeric(r[f"{score} last"])
            rows.append({"participant": pid, "arm": r["arm"], "score": score, "baseline": b,
                         "last visit": r["visit last"], "last": last, "change": last - b,
                         "MCID (SCI)": mcid_label(score),
                         "NLI baseline": r["NLI baseline"], "NLI last": r["NLI last"],
                         "reference": MOTOR_SCORE_REFERENCES[score]})
    return pd.DataFrame(rows, columns=cols)


def session_names(data: TrialData) -> dict[str, str]:
    """Each session's name wherever one is shown: its start (UTC) and its number among its participant's.

    One name on the dashboard's Session tab, its tables and the reports, so a monitor reading the
    PDF finds the session a clinician spoke of ("2026-11-28 09:05 · session 4"). The record's id is
    not a name: ``workbench demo`` and site tools make 32-character ids that widen a table past the
    page, and a site's own short id would name the same session differently on each page.
    """
    names, count = {}, {}
    for s in sorted(data.sessions, key=lambda s: (s.participant_id, s.started_at)):
        count[s.participant_id] = k = count.get(s.participant_id, 0) + 1
        names[s.id] = f"{s.started_at:%Y-%m-%d %H:%M} · session {k}"
    return names


def with_session_names(frame: pd.DataFrame, data: TrialData, *, in_order: bool = True) -> pd.DataFrame:
    """A table's ``session`` ids replaced by their names (``session_names``), for a page.

    The date column goes (the name holds it). A table without a participant column gets one before
    the session: a session's number is its participant's. ``in_order`` puts the rows in the order a
    reader follows, by participant, then session start, then run (the records come in the order they
    were written, a site's back-entered baseline after its week 6).
    """
    if "session" not in frame.columns:
        return frame
    sessions = {s.id: s for s in data.sessions}
    names = session_names(data)
    out = frame.assign(session=[names.get(v, v) for v in frame["session"]])
    if "participant" not in out.columns:
        out.insert(int(out.columns.get_loc("session")),
                   "participant", [getattr(sessions.get(v), "participant_id", None) for v in frame["session"]])
    if in_order:
        start = pd.Series(pd.to_datetime([getattr(sessions.get(v), "started_at", None) for v in frame["session"]],
                                         utc=True), index=out.index)
        keys = pd.DataFrame({"p": out["participant"], "t": start,
                             "r": out["run"] if "run" in out.columns else 0})
        out = out.loc[keys.sort_values(["p", "t", "r"], kind="stable", na_position="last").index]
    return out.drop(columns="date", errors="ignore").reset_index(drop=True)


def bci_performance(data: TrialData) -> pd.DataFrame:
    """BCI performance per run: trials, accuracy, Wolpaw ITR and latency.

    Closed-loop runs carry their own RunMetrics; other runs are scored here from
    their Trial records (accuracy = correct / decoded trials; ITR with N = the
    cued classes and T = the median time between cue onsets, Wolpaw et al. 1998).
    """
    cols = ["participant", "session", "date", "run", "task", "trials", "classes", "accuracy", "ITR (bit/min)",
            "latency p50 (ms)", "latency p95 (ms)", "source"]
    sessions = {s.id: s for s in data.sessions}
    metrics = data.run_metrics.set_index("run_id") if not data.run_metrics.empty else None
    rows = []
    for run in data.runs.itertuples(index=False):
        s = sessions[run.session_id]
        base = {"participant": s.participant_id, "session": s.id, "date": s.started_at.date(), "run": run.number,
                "task": run.task}
        if metrics is not None and run.id in metrics.index:
            m = metrics.loc[run.id]
            rows.append({**base, "trials": m["n_trials"], "classes": m["n_classes"], "accuracy": m["accuracy"],
                         "ITR (bit/min)": m["itr_bits_per_min"], "latency p50 (ms)": m["latency_p50_ms"],
                         "latency p95 (ms)": m["latency_p95_ms"], "source": "closed-loop run metrics"})
            continue
        t = data.trials[(data.trials["run_id"] == run.id) & data.trials["correct"].notna()]
        if t.empty:
            continue
        n_classes = max(2, t["cue"].nunique())
        acc = float(t["correct"].astype(bool).mean())
        gaps = np.diff(np.sort(t["onset_s"].to_numpy(float)))
        itr = wolpaw_itr(n_classes, acc, float(np.median(gaps))) if gaps.size and np.median(gaps) > 0 else None
        lat = pd.to_numeric(t["latency_s"], errors="coerce").dropna() * 1e3
        rows.append({**base, "trials": len(t), "classes": n_classes, "accuracy": acc, "ITR (bit/min)": itr,
                     "latency p50 (ms)": float(lat.median()) if len(lat) else None,
                     "latency p95 (ms)": float(lat.quantile(0.95)) if len(lat) else None,
                     "source": "scored from trials"})
    return pd.DataFrame(rows, columns=cols)


def _loop_scheduling(priority, cpu_latency_us) -> tuple[str, str]:
    """The loop's scheduling and the CPUs' wake-up latency held, in words (RunMetrics, migration 0019).

    Runs stored before those fields existed have neither: "not recorded", not "ordinary".
    """
    if priority is None or pd.isna(priority):
        return "not recorded", "not recorded"
    loop = f"real-time (SCHED_FIFO {int(priority)})" if int(priority) > 0 else "ordinary"
    held = "not held" if cpu_latency_us is None or pd.isna(cpu_latency_us) else f"{int(cpu_latency_us)} µs"
    return loop, held


def closed_loop_timing(data: TrialData) -> pd.DataFrame:
    """The command latency of each closed-loop run, its two shares, the signal it lost and its loop's scheduling.

    The command latency is the last sample's time stamp to the command pushed, over the commands sent.
    The two shares are over every decoder output, a decision that sent nothing too (as the CLI's summary):
    the amplifier's ends when the chunk arrives at the inlet (the device, its driver and LSL), the
    workbench's is the rest (decoding, the gate, the push). So a share's p99 can exceed the commands' p99.
    A monitor comparing sites reads the tail (p99, max) beside what the loop ran at: a loop at ordinary
    priority has the longer tail the README describes.
    """
    times = ["command latency p50 (ms)", "command latency p99 (ms)", "command latency max (ms)",
             "amplifier share p99 (ms)", "workbench share p99 (ms)"]
    cols = ["participant", "session", "date", "run", *times, "samples lost", "gaps", "loop thread",
            "CPU wake-up latency held"]
    if data.run_metrics.empty:
        return pd.DataFrame(columns=cols)
    sessions = {s.id: s for s in data.sessions}
    runs = data.runs.set_index("id")
    rows = []
    for m in data.run_metrics.itertuples(index=False):
        if m.run_id not in runs.index:
            continue
        run = runs.loc[m.run_id]
        s = sessions[run["session_id"]]
        loop, held = _loop_scheduling(m.loop_rt_priority, m.cpu_latency_us)
        rows.append({"participant": s.participant_id, "session": s.id, "date": s.started_at.date(),
                     "run": run["number"], "command latency p50 (ms)": m.latency_p50_ms,
                     "command latency p99 (ms)": m.latency_p99_ms, "command latency max (ms)": m.latency_max_ms,
                     "amplifier share p99 (ms)": m.amplifier_share_p99_ms,
                     "workbench share p99 (ms)": m.workbench_share_p99_ms, "samples lost": m.samples_lost,
                     "gaps": m.n_gaps, "loop thread": loop, "CPU wake-up latency held": held})
    frame = pd.DataFrame(rows, columns=cols)
    for col in times:  # a run may lack one (None): empty in the table, not a column of objects
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    return frame.sort_values(["participant", "date", "session", "run"], kind="stable").reset_index(drop=True)


#: A gate decision code as the reports' tables name it ("armed": the run's first arming, see _first_arming).
DECISION_WORDS = {"armed": "armed at the start", "passed": "passed", "held": "held", "blocked": "commands blocked",
                  "safe_state": "safe states", "resumed": "re-arms"}


def _first_arming(e: pd.DataFrame) -> pd.Series:
    """Rows where the gate armed for the first time in a run: ``resumed`` out of the ``start`` rule.

    Every run starts in the safe state; leaving it the first time is not a return from a fault,
    so it is not counted as a re-arm.
    """
    return (e["decision"] == "resumed") & (e["rule"] == "start")


def safety_event_counts(data: TrialData) -> pd.DataFrame:
    """Safety-gate decisions per session (closed-loop runs only)."""
    e = data.safety_events
    if e.empty:
        return pd.DataFrame(columns=["session"])
    table = pd.crosstab(e["session_id"], e["decision"].where(~_first_arming(e), "armed"))
    table.index.name, table.columns.name = "session", None
    # the gate's decision codes in the words of the rule table beside it (a report shows no raw names)
    table = table.rename(columns=lambda d: DECISION_WORDS.get(d, str(d).replace("_", " ")))
    # in the gate's own order (as it decides, then the safe states and their ends), not alphabetical
    order = [w for w in DECISION_WORDS.values() if w in table.columns]
    table = table[order + [c for c in table.columns if c not in order]]
    return table.reset_index()


def safety_rule_counts(data: TrialData) -> pd.DataFrame:
    """Why the gate went safe, blocked a command or re-armed, by rule in words: what a monitor asks of the counts.

    A re-arm (``resumed``) is counted under the rule whose safe state it ended; a run's first
    arming is not a re-arm. A fault reported while the gate was already safe is counted apart
    ("faults while safe"): it held the safe state, it did not enter one.
    """
    from ..session.gate import DECIDED, HOLD_RULES, rule_words

    cols = ["rule", "safe states", "faults while safe", "commands blocked", "re-arms", "sessions"]
    e = data.safety_events
    if e.empty:
        return pd.DataFrame(columns=cols)
    while_safe = (e["decision"] == "held") & ~e["rule"].isin(HOLD_RULES)
    e = e[(e["decision"].isin(["safe_state", "blocked", "resumed"]) | while_safe) & ~_first_arming(e)]
    rows = []
    for rule, g in e.groupby("rule", sort=False):
        rows.append({"rule": rule_words(rule), "safe states": int((g["decision"] == "safe_state").sum()),
                     "faults while safe": int((g["decision"] == "held").sum()),
                     "commands blocked": int((g["decision"] == "blocked").sum()),
                     "re-arms": int((g["decision"] == "resumed").sum()),
                     "sessions": int(g["session_id"].nunique())})
    table = pd.DataFrame(rows, columns=cols)
    # the faults first, most frequent first; then what was decided (the operator's stop, the end of each
    # run), which would otherwise head the table with one safe state per run
    decided = table["rule"].isin([rule_words(r) for r in DECIDED])
    table = table.assign(_decided=decided).sort_values(["_decided", "safe states", "commands blocked"],
                                                      ascending=[True, False, False], kind="stable")
    return table.drop(columns="_decided").reset_index(drop=True)




def outcome_change_summary(data: TrialData) -> pd.DataFrame:
    """Per arm, instrument, score and visit: n, mean change (SD) and how many changed importantly."""
    cols = ["arm", "instrument", "score", "visit", "n", "mean change (SD)", "important: improved / worsened",
            "not judged"]
    if data.outcomes.empty:
        return pd.DataFrame(columns=cols)
    ch = _changes(data)
    if ch.empty:
        return pd.DataFrame(columns=cols)
    arm = dict(zip(data.participants["id"], data.participants["arm"]))
    ch["arm"] = ch["participant_id"].map(arm)
    order = {d.name: i for i, d in enumerate(data.study.visit_schedule)}
    rows = []
    for (a, inst, score, visit), g in ch.groupby(["arm", "instrument", "score", "visit"], sort=False):
        judged = g["important"].notna()
        imp = g[judged & g["important"].fillna(False).astype(bool)]
        sd = g["change"].std()
        rows.append({"arm": a, "instrument": inst, "score": score_names([inst], [score])[0], "visit": visit,
                     "n": len(g),
                     "mean change (SD)": f"{g['change'].mean():+.2f}" + (f" ({sd:.2f})" if len(g) > 1 else ""),
                     "important: improved / worsened": (f"{(imp['direction'] == 'improved').sum()} / "
                                                        f"{(imp['direction'] == 'worsened').sum()}")
                     if judged.any() else "—",
                     "not judged": int((~judged).sum()), "_o": order.get(visit, 99)})
    frame = pd.DataFrame(rows).sort_values(["instrument", "score", "arm", "_o"]).drop(columns="_o")
    return frame.reset_index(drop=True)[cols]


def score_thresholds(data: TrialData) -> dict[tuple[str, str], float | None]:
    """(instrument, score) -> the confirmed important change used for flags, None when none is usable."""
    if data.outcomes.empty:
        return {}
    ch = _changes(data)
    out: dict[tuple[str, str], float | None] = {}
    for inst, score, t in zip(ch["instrument"], ch["score"], ch["threshold"]):
        if out.get((inst, score)) is None:
            out[(inst, score)] = None if t is None or t != t else float(t)
    return out


#: ISNCSCI's tabulated totals by the names the standard's worksheet gives them.
_ISNCSCI_TOTALS = {**ISNCSCI_SCORES, "totals.light_touch": "light touch total", "totals.pin_prick": "pin prick total"}


def score_names(instruments, scores) -> list[str]:
    """The reader's name of each score beside its instrument column (``blocks_per_minute`` -> ``Blocks per minute``)."""
    names = [_ISNCSCI_TOTALS.get(sc, sc) if inst == "ISNCSCI" else score_label(inst, sc).split(": ", 1)[1]
             for inst, sc in zip(instruments, scores)]
    return [n[:1].upper() + n[1:] if n[:1].islower() else n for n in names]


def score_axis(instrument: str, score: str) -> tuple[str, tuple[float, float] | None]:
    """A trajectory's y axis: the score's name with its unit, and its range when the registry gives one."""
    from ..outcomes.instruments import list_instruments, load_instrument

    name = score_label(instrument, score).split(": ", 1)[-1]
    if instrument not in list_instruments():
        return name, None
    inst = load_instrument(instrument)
    entry = next((e for group in (inst.subscales, inst.totals, inst.derived) for e in group if e.id == score), None)
    unit = getattr(entry, "unit", None)
    lo, hi = getattr(entry, "min", None), getattr(entry, "max", None)
    return (f"{name} ({unit})" if unit else name), (None if lo is None or hi is None else (float(lo), float(hi)))


def score_label(instrument: str, score: str) -> str:
    """What a reader calls a score: ``BBT``, ``right.blocks_per_minute`` -> ``BBT: Blocks per minute (right)``."""
    from ..outcomes.instruments import list_instruments, load_instrument

    if instrument not in list_instruments():
        return f"{instrument}: {score.replace('_', ' ')}"
    inst = load_instrument(instrument)
    names = {e.id: e.label for group in (inst.subscales, inst.totals, inst.derived) for e in group}
    return f"{instrument}: {names.get(score, score.replace('_', ' ').replace('.', ' '))}"
