"""The study and participant reports as one self-contained HTML document each."""

from __future__ import annotations

import pandas as pd

from . import figures as F
from . import html_parts as H
from . import provenance as P
from . import summaries as S
from ..records.types.identifiers import WITHHELD_ID
from ..records.types.randomization import PENDING_ARM
from .trial_data import TrialData


def _outcome_figures(data: TrialData, fig) -> str:
    """One trajectory per numeric score (ISNCSCI as its own UEMS/LEMS figure)."""
    o = data.outcomes[data.outcomes["instrument"] != "ISNCSCI"]
    numeric = o[pd.to_numeric(o["value"], errors="coerce").notna()]
    unable = data.unable
    # a score is drawn when it has a value, or when the test was recorded as not possible: that is a finding
    shown = o[o["instrument"].isin(set(numeric["instrument"]) | set(unable["instrument"]))]
    if shown.empty:
        return "<p class='empty'>No outcome assessment recorded yet.</p>"
    thresholds = S.score_thresholds(data)
    parts = []
    for (inst, score), _ in shown.groupby(["instrument", "score"]):
        y_title, y_range = S.score_axis(inst, score)
        mine = unable[unable["instrument"] == inst]
        parts.append(fig(F.score_trajectory_figure(data.outcomes, inst, score, threshold=thresholds.get((inst, score)),
                                                   title=S.score_label(inst, score), y_title=y_title,
                                                   y_range=y_range, unable=mine,
                                                   participants=data.participants["id"])))
    return "".join(parts)


def _unable_parts(data: TrialData) -> str:
    """Tests recorded as not possible (unable to walk...) with their coded reason; nothing when there are none."""
    u = data.unable
    if u.empty:
        return ""
    table = pd.DataFrame({"participant": u["participant_id"], "instrument": u["instrument"], "visit": u["visit"],
                          "assessed on": u["assessed_on"], "recorded": "unable to do the test",
                          "reason": u["reason"]})
    return "<h3>Tests recorded as not possible</h3>" + H.table(table, empty="")


def _safety_parts(data: TrialData, fig) -> str:
    return (fig(F.adverse_events_relatedness_figure(data.adverse_events))
            + f"<h3>Reporting deadlines (MDCG 2020-10/1 s. 10): {S.n_reporting_overdue(data)} overdue</h3>"
            + H.table(S.reporting_deadlines(data), empty="No reportable adverse event or device deficiency.")
            + "<h3>Adverse events (coded fields; verbatim terms are not shown)</h3>"
            + H.table(S.adverse_event_list(data), empty="No adverse event recorded.")
            + "<h3>Device deficiencies (ISO 14155:2020 3.19)</h3>"
            + H.table(S.with_session_names(S.deficiency_list(data), data, in_order=False),
                      empty="No device deficiency recorded."))


def _not_recorded(frame: pd.DataFrame) -> pd.DataFrame:
    """A missing SHA-256 or version said in words: a dash in a checksum column reads as a value."""
    out = frame.copy()
    for col in out.columns:
        if "SHA-256" in col or "version" in col:
            out[col] = [("not recorded" if v is None or (isinstance(v, str) and v.strip() in ("", "-", "—"))
                         or (not isinstance(v, str) and pd.isna(v)) else v) for v in out[col]]
    return out


def _bci_parts(data: TrialData, fig) -> str:
    perf = S.bci_performance(data)
    gate = S.safety_event_counts(data)
    rules = S.safety_rule_counts(data)
    timing = S.closed_loop_timing(data)
    timing_html = "" if timing.empty else (
        "<h3>Closed-loop timing per run</h3><p>Command latency: the last sample's time stamp to the command "
        "pushed, over the commands sent. The two shares are over every decoder output, those that sent nothing "
        "too: the amplifier's ends when the chunk reaches the workbench, the workbench's is the rest. "
        "Samples lost are gaps the run went on through: at each, the gate went to its safe state and the "
        "decoder waited for a full window of fresh signal.</p>" + H.table(S.with_session_names(timing, data), empty=""))
    return (fig(F.bci_figure(perf))
            + H.table(S.with_session_names(perf, data), empty="No BCI run with scored trials yet.")
            + timing_html
            + ("<h3>Safety-gate decisions per session</h3>" + H.table(S.with_session_names(gate, data), empty="")
               if not gate.empty else "")
            + ("<h3>Safe states, blocked commands and re-arms by rule</h3>" + H.table(rules, empty="")
               if not rules.empty else ""))


def _deviation_parts(data: TrialData) -> str:
    """Open deviations counted and listed on their own; closed ones below with the date they were closed."""
    opened = S.open_deviations(data)
    closed = S.deviation_list(data, "closed")
    return (f"<h3>Open deviations: {len(opened)}</h3>" + H.table(opened, empty="No open protocol deviation.")
            + f"<h3>Closed deviations: {len(closed)}</h3>"
            + H.table(closed.drop(columns="status"), empty="No closed protocol deviation."))


def _provenance_parts(store, data: TrialData, workspace_root) -> str:
    ok, summary = P.audit_result(store)
    rec = S.with_session_names(_not_recorded(P.recording_hashes(data, workspace_root)), data)
    return (f"<h3>Audit trail check</h3><p class='{'ok' if ok else 'bad'}'>{H.esc(summary)}</p>"
            "<h3>Recordings</h3>" + H.table(rec, empty="No recording file attached to a session.", classes="hash")
            + "<h3>Decoders</h3>" + H.table(S.with_session_names(_not_recorded(P.decoder_hashes(data)), data),
                                            empty="No BCI session recorded.", classes="hash")
            + "<h3>Software</h3>" + H.table(P.software_versions(), empty=""))


def study_report_html(store, data: TrialData, workspace_root=None) -> str:
    """The whole study: flow, baseline, outcomes, BCI, safety, deviations, provenance."""
    fig = H.FigureWriter()
    visits = [d.name for d in data.study.visit_schedule]
    sections = [
        ("flow", "Enrolment flow (CONSORT style)",
         H.consort_diagram(S.consort_flow(data), visits, S.consort_enrolment(data))
         + fig(F.enrolment_figure(S.enrolment_by_site_arm(data)))
         + H.table(S.enrolment_by_site_arm(data), empty="No site.", index=True)
         + fig(F.visit_states_figure(S.visit_state_counts(data)))
         + H.table(S.visit_state_counts(data), empty="No visit.", index=True)
         + "<h3>Overdue visits</h3>" + H.table(S.overdue_visits(data), empty="No visit is overdue.")),
        ("baseline", "Baseline characteristics",
         H.table(S.baseline_characteristics(data), empty="No participant enrolled yet.", index=True)),
        ("outcomes", "Outcomes: change from baseline",
         H.table(S.outcome_change_summary(data), empty="No follow-up assessment yet (change needs a baseline "
                                                       "and a later visit).")
         + "<h3>Thresholds used</h3>" + H.table(S.threshold_notes(data), empty="No outcome assessment yet.")
         + fig(F.isncsci_figure(S.isncsci_across_visits(data), data.participants["id"]))
         + _unable_parts(data) + _outcome_figures(data, fig)
         + _isncsci_change_parts(data)),
        ("bci", "BCI metrics", _bci_parts(data, fig)),
        ("safety", "Adverse events and device deficiencies", _safety_parts(data, fig)),
        ("deviations", "Protocol deviations", _deviation_parts(data)),
        ("provenance", "Provenance", _provenance_parts(store, data, workspace_root)),
    ]
    title = f"Study report {data.study.id}"
    withdrawn = int(data.participants["withdrawal_date"].notna().sum()) if len(data.participants) else 0
    # A title that may hold a name is withheld on the way out (a label with spaces, unless the study's
    # policy shows it); the heading already names the study by its id, so the line goes without it.
    named = "" if data.study.title in (None, WITHHELD_ID) else f"{data.study.title} · "
    sub = f"{named}{len(data.participants)} participants, {withdrawn} withdrawn · " \
          f"data as of {data.today} · " + P.generated_stamp(store)
    return H.page(title, sub, sections)


def _isncsci_change_parts(data: TrialData, per_arm: bool = True) -> str:
    """AIS conversion per arm and UEMS/LEMS change from baseline to the last examination, references cited."""
    motor = S.motor_score_change(data)
    refs = "".join(f"<li>{H.esc(k)}: {H.esc(v)}</li>" for k, v in S.MOTOR_SCORE_REFERENCES.items())
    out = ""
    if per_arm:
        out += ("<h3>AIS conversion per arm (baseline against last examination)</h3>"
                + H.table(S.ais_conversion_by_arm(data), empty="No ISNCSCI follow-up examination yet."))
    return (out + "<h3>UEMS and LEMS change (baseline to last examination)</h3>"
            + H.table(motor.drop(columns=["reference"] + ([] if per_arm else ["participant", "arm"])),
                      empty="No ISNCSCI follow-up examination yet.")
            + f"<p>{H.esc(S.MCID_NOTE)}</p><ul>" + refs + "</ul>")


def _allocation(data: TrialData, arm) -> str:
    """How the participant's arm came: randomized (when), set by hand, or not shown (blinded reader)."""
    if arm == "blinded":  # the reader may not know the arm, so neither how it was given
        return "blinded"
    a = data.allocations
    if a.empty:
        return "not yet randomized" if arm == PENDING_ARM else "assigned without randomization"
    when = pd.Timestamp(a["randomized_at"].iloc[0])
    return f"randomized on {when:%Y-%m-%d}"


def participant_report_html(store, data: TrialData, participant_id: str, workspace_root=None) -> str:
    """One participant: visits, ISNCSCI, other instruments with change flags, BCI, safety, provenance."""
    data = data.for_participant(participant_id)
    fig = H.FigureWriter()
    p = data.participants.iloc[0]
    facts = pd.DataFrame({"": ["study", "site", "arm", "allocation", "enrolment date", "withdrawal date",
                               "neurological level", "AIS at baseline", "age at enrolment (years)", "sex"],
                          participant_id: [data.study.id, p["site_id"], p["arm"], _allocation(data, p["arm"]),
                                           p["enrolment_date"], p["withdrawal_date"], p["injury_level"],
                                           p["baseline_ais"], p["age_years"], p["sex"]]})
    changes = S.outcome_changes(data).drop(columns="participant")
    sections = [
        ("summary", "Participant", H.table(facts, empty="")
         + "<h3>Visits</h3>" + H.table(S.visit_states(data).drop(columns="participant"), empty="No visit.")),
        ("isncsci", "ISNCSCI across visits",
         H.table(S.isncsci_across_visits(data).drop(columns="participant"), empty="No ISNCSCI examination recorded.")
         + fig(F.isncsci_figure(S.isncsci_across_visits(data))) + _isncsci_change_parts(data, per_arm=False)),
        ("outcomes", "Outcomes: change from baseline",
         H.table(changes, empty="No follow-up assessment yet (change needs a baseline and a later visit).")
         + "<h3>Thresholds used</h3>" + H.table(S.threshold_notes(data), empty="No outcome assessment yet.")
         + _unable_parts(data) + _outcome_figures(data, fig)),
        ("bci", "BCI metrics", _bci_parts(data, fig)),
        ("safety", "Adverse events and device deficiencies", _safety_parts(data, fig)),
        ("deviations", "Protocol deviations", _deviation_parts(data)),
        ("provenance", "Provenance", _provenance_parts(store, data, workspace_root)),
    ]
    title = f"Participant report {participant_id}"
    sub = f"study {data.study.id} · data as of {data.today} · " + P.generated_stamp(store)
    return H.page(title, sub, sections)
