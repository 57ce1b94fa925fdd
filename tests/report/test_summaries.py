"""The numbers every report and dashboard view shows, checked against the demo study's records."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from workbench.errors import ValidationError
from workbench.outcomes.bci_metrics import wolpaw_itr
from workbench.report import EmptyStudyError, load_trial
from workbench.report import summaries as S

from .trial_helpers import empty_store
from tests.budget import examples


@pytest.fixture(scope="module")
def data(demo):
    return load_trial(demo[1], today=date(2026, 11, 22))


def test_enrolment_counts_every_participant_once(data):
    table = S.enrolment_by_site_arm(data)
    assert table.loc["total", "total"] == len(data.participants) == 4
    assert table.loc["ZH", "BCI"] == 2 and table.loc["HD", "control"] == 2


def test_visits_past_their_window_are_overdue(data):
    counts = S.visit_state_counts(data)
    assert counts.loc["week26", "overdue"] == 3  # planned for July/August 2026, never done
    assert counts.loc["week12", "done out of window"] == 1  # SCI-003, with its protocol deviation
    assert counts.to_numpy().sum() == len(data.visits)
    late = S.overdue_visits(data)
    assert set(late["participant"]) == {"SCI-001", "SCI-002", "SCI-003"}
    assert (late["days overdue"] > 0).all()


def test_each_participants_visits_come_in_schedule_order(data):
    states = S.visit_states(data)
    for pid, rows in states.groupby("participant", sort=False):
        assert list(rows["scheduled"]) == sorted(rows["scheduled"]), pid
    # the demo's schedule by name would be baseline, week12, week26, week6
    assert list(states.loc[states["participant"] == "SCI-001", "visit"]) == ["baseline", "week6", "week12", "week26"]


def test_a_visit_inside_its_window_is_due_not_overdue(data):
    # SCI-001's week 26: scheduled 2026-07-13, window 14 days either side.
    on = dataclasses.replace(data, today=date(2026, 7, 20))
    states = S.visit_states(on).set_index(["participant", "visit"])["state"]
    assert states[("SCI-001", "week26")] == "due now"
    before = dataclasses.replace(data, today=date(2026, 6, 1))
    assert S.visit_states(before).set_index(["participant", "visit"])["state"][("SCI-001", "week26")] == "upcoming"


@settings(max_examples=examples(60), deadline=None)
@given(offset=st.integers(min_value=-400, max_value=800))
def test_every_visit_has_exactly_one_state_whatever_the_day(data, offset):
    on = dataclasses.replace(data, today=date(2026, 1, 1) + timedelta(days=offset))
    states = S.visit_states(on)
    assert len(states) == len(data.visits)
    assert set(states["state"]) <= set(S.VISIT_STATES)
    status = dict(zip(zip(data.visits["participant_id"], data.visits["name"]), data.visits["status"]))
    done = [status[(p, v)] == "done" for p, v in zip(states["participant"], states["visit"])]
    assert states["state"][done].str.startswith("done").all()
    overdue = states["state"] == "overdue"
    assert (states.loc[overdue, "window closes"] < on.today).all()


def test_adverse_events_by_seriousness_and_relatedness(data):
    counts = S.adverse_event_counts(data)
    assert counts.loc["non-serious", "probable"] == 1 and counts.to_numpy().sum() == len(data.adverse_events)


def test_adverse_events_by_relatedness_to_the_procedure_too(data):
    """An event caused by the procedure is "not related" to the device: only its own table shows it."""
    ae = data.adverse_events
    by_procedure = S.adverse_event_counts(data, "procedure")
    assert by_procedure.to_numpy().sum() == len(ae)
    for grade in by_procedure.columns:
        assert by_procedure[grade].sum() == (ae["related_procedure"] == grade).sum()
    with pytest.raises(ValidationError, match="related_to"):
        S.adverse_event_counts(data, "drug")


def test_participant_status_counts_withdrawals_per_site(data):
    table = S.participant_status(data)
    p = data.participants
    assert table.loc["total", "enrolled"] == len(p) == 4
    assert table.loc["total", "withdrawn"] == p["withdrawal_date"].notna().sum() == 1
    assert table.loc["HD", "withdrawn"] == 1  # SCI-004
    assert (table["in follow-up"] == table["enrolled"] - table["withdrawn"]).all()


def test_adverse_event_list_shows_coded_fields_only(data):
    shown = S.adverse_event_list(data)
    assert "term" not in shown.columns and "description" not in shown.columns
    assert shown.loc[0, "MedDRA LLT"] == "not coded yet"


def test_consort_flow_adds_up(data):
    flow = S.consort_flow(data).set_index("arm")
    p = data.participants
    for arm in data.study.arms:  # every participant with an arm is counted once: randomized or set by hand
        assert flow.loc[arm, "allocated"] + flow.loc[arm, "assigned without randomization"] == (p["arm"] == arm).sum()
        assert flow.loc[arm, "allocated"] == (data.allocations["arm"] == arm).sum()
    assert flow.loc["total", "withdrawn"] == p["withdrawal_date"].notna().sum()
    assert flow.loc["total", "week26 done"] == 0
    assert flow.loc["total", "analysed (baseline + follow-up)"] <= 4
    assert S.consort_enrolment(data)["enrolled"] == 4
    assert flow.loc["total", "allocated"] == 4  # the demo is randomized when seeded (records/demo.py)


def test_consort_flow_counts_allocation_from_the_randomization_records(data):
    """The arm columns come from the Allocation records, never from the participant's arm field."""
    import pandas as pd

    allocations = pd.DataFrame({"participant_id": ["SCI-001", "SCI-003"], "arm": ["control", "control"],
                                "randomized_at": ["2026-01-12", "2026-02-02"]})
    flow = S.consort_flow(dataclasses.replace(data, allocations=allocations)).set_index("arm")
    assert flow.loc["control", "allocated"] == 2 and flow.loc["BCI", "allocated"] == 0
    assert flow.loc["BCI", "assigned without randomization"] == 1  # SCI-002: its arm was typed, not drawn
    assert flow.loc["control", "assigned without randomization"] == 1  # SCI-004
    # Follow-up is counted in the arm a participant is in: SCI-001 under control, where it was allocated (its
    # arm field says BCI); SCI-002 under BCI, the arm typed for it; SCI-004's withdrawal under control.
    done = S.visit_states(data)
    done = done[done["state"].str.startswith("done") & (done["visit"] == "baseline")]
    assert set(done["participant"]) == {"SCI-001", "SCI-002", "SCI-003", "SCI-004"}
    assert flow.loc["control", "baseline done"] == 3 and flow.loc["BCI", "baseline done"] == 1
    assert flow.loc["control", "withdrawn"] == 1 and flow.loc["BCI", "withdrawn"] == 0


def test_baseline_table_per_arm(data):
    table = S.baseline_characteristics(data)
    assert list(table.columns) == ["BCI (n=2)", "control (n=2)", "all (n=4)"]
    ages = data.participants["age_years"]
    assert table.loc["age, years: mean (SD)", "all (n=4)"].startswith(f"{ages.mean():.1f}")


def test_isncsci_across_visits_from_the_classifier(data):
    """The demo's examinations (records/demo.py), classified by workbench.outcomes, one row per visit done."""
    table = S.isncsci_across_visits(data)
    one = table[table["participant"] == "SCI-001"]
    assert list(one["visit"]) == ["baseline", "week6", "week12"]
    assert list(one["AIS"]) == ["B", "C", "C"] and set(one["NLI"]) == {"C5"}
    uems = one["UEMS"].astype(float).tolist()
    assert uems == sorted(uems) and uems[-1] > uems[0]
    assert len(table) == 12 and not table.duplicated(["participant", "visit"]).any()
    # Baseline grade and level agree with what the participant record says.
    base = table[table["visit"] == "baseline"].set_index("participant")
    parts = data.participants.set_index("id")
    assert (base["AIS"] == parts.loc[base.index, "baseline_ais"]).all()
    assert (base["NLI"] == parts.loc[base.index, "injury_level"]).all()


def test_ais_conversion_per_arm_compares_baseline_with_the_last_grade(data):
    table = S.ais_conversion_by_arm(data)
    assert table["participants"].sum() == 4
    rows = {(r.arm, r._2, r._3): (r.participants, r.conversion) for r in table.itertuples()}
    assert rows[("BCI", "B", "C")] == (1, "improved") and rows[("control", "C", "D")] == (1, "improved")
    assert rows[("BCI", "A", "A")] == (1, "unchanged")


def test_motor_score_change_is_last_minus_baseline_with_its_reference(data):
    table = S.motor_score_change(data)
    wide = S.isncsci_across_visits(data)
    for r in table.itertuples():
        mine = wide[wide["participant"] == r.participant]
        assert r.baseline == float(mine[r.score].iloc[0]) and r.last == float(mine[r.score].iloc[-1])
        assert r.change == r.last - r.baseline
    assert table["reference"].str.contains("Scivoletto").all()
    assert set(table["score"]) == {"UEMS", "LEMS"}
    # No SCI-specific anchor-based MCID of UEMS/LEMS exists: the table says so rather than show a number.
    assert (table["MCID (SCI)"] == "none established (see note)").all()
    assert "No SCI-specific, anchor-based minimal clinically important difference" in S.MCID_NOTE


def test_conversion_and_motor_change_need_a_follow_up(data):
    one_visit = dataclasses.replace(data, outcomes=data.outcomes[data.outcomes["visit"] == "baseline"])
    assert S.ais_conversion_by_arm(one_visit).empty and S.motor_score_change(one_visit).empty


def test_bci_performance_scored_from_trials_and_from_run_metrics(data):
    perf = S.bci_performance(data).set_index("run")
    scored = perf.loc[1]
    assert scored["trials"] == 8 and scored["accuracy"] == pytest.approx(6 / 8)
    assert scored["ITR (bit/min)"] == pytest.approx(wolpaw_itr(2, 0.75, 4.0))
    assert scored["latency p50 (ms)"] == pytest.approx(335.0)
    closed = perf.loc[2]
    assert closed["source"] == "closed-loop run metrics" and closed["accuracy"] == pytest.approx(0.85)


def test_closed_loop_timing_lists_each_closed_loop_run_with_its_loop(data):
    timing = S.closed_loop_timing(data)
    assert list(timing["run"]) == [2]  # run 1 was scored from trials: it has no latency of its own
    row = timing.iloc[0]
    assert (row["command latency p99 (ms)"], row["command latency max (ms)"]) == (24.5, 31.0)
    assert (row["amplifier share p99 (ms)"], row["workbench share p99 (ms)"]) == (2.5, 0.8)
    assert (row["samples lost"], row["gaps"]) == (4470, 1)
    assert (row["loop thread"], row["CPU wake-up latency held"]) == ("real-time (SCHED_FIFO 20)", "not held")


@pytest.mark.parametrize(("priority", "held", "words"), [
    (0, None, ("ordinary", "not held")),
    (20, 0, ("real-time (SCHED_FIFO 20)", "0 µs")),
    # A run stored before migration 0019 has neither field: not recorded, never "ordinary".
    (None, None, ("not recorded", "not recorded")),
])
def test_closed_loop_timing_says_how_the_loop_ran(data, priority, held, words):
    metrics = data.run_metrics.assign(loop_rt_priority=[priority] * len(data.run_metrics),
                                      cpu_latency_us=[held] * len(data.run_metrics))
    row = S.closed_loop_timing(dataclasses.replace(data, run_metrics=metrics)).iloc[0]
    assert (row["loop thread"], row["CPU wake-up latency held"]) == words


def test_closed_loop_timing_is_empty_without_closed_loop_runs(data):
    none = dataclasses.replace(data, run_metrics=data.run_metrics.iloc[0:0])
    assert S.closed_loop_timing(none).empty


def test_outcome_changes_flag_against_confirmed_thresholds(data):
    changes = S.outcome_changes(data)
    wisci = changes[(changes["instrument"] == "WISCI-II") & (changes["participant"] == "SCI-004")]
    # WISCI II: one level is the SCI threshold; SCI-004 went 9 -> 12 -> 13.
    assert list(wisci["change"]) == [3, 4] and set(wisci["important change"]) == {"yes"}
    summary = S.outcome_change_summary(data)
    assert {"arm", "mean change (SD)", "important: improved / worsened"} <= set(summary.columns)


def test_unknown_participant_names_the_known_ones(data):
    with pytest.raises(ValidationError) as err:
        data.for_participant("SCI-999")
    assert "SCI-001" in str(err.value) and err.value.fields == ("participant",)


def test_restricting_to_one_participant_keeps_only_their_records(data):
    one = data.for_participant("SCI-001")
    assert set(one.outcomes["participant_id"]) == {"SCI-001"}
    assert all(s.participant_id == "SCI-001" for s in one.sessions)
    assert set(one.trials["run_id"]) <= set(one.runs["id"])


def test_empty_store_says_what_to_do(tmp_path):
    with empty_store(tmp_path / "ws") as store:
        with pytest.raises(EmptyStudyError, match="seed-demo"):
            load_trial(store)


@settings(max_examples=examples(30), deadline=None)
@given(st.lists(st.booleans(), max_size=8))
def test_open_deviations_count_and_list_only_open_ones(data, closed_flags):
    base = data.deviations.iloc[0].to_dict()
    rows = [{**base, "id": f"PD-{k}", "status": "closed" if c else "open",
             "closed_on": date(2026, 6, 1) if c else None} for k, c in enumerate(closed_flags)]
    import pandas as pd

    mixed = dataclasses.replace(data, deviations=pd.DataFrame(rows, columns=data.deviations.columns))
    shown = S.open_deviations(mixed)
    assert sorted(shown["id"]) == sorted(f"PD-{k}" for k, c in enumerate(closed_flags) if not c)
    assert "status" not in shown.columns and "resolution" not in shown.columns
    assert len(S.deviation_list(mixed, "closed")) == sum(closed_flags)


_SESSION = st.tuples(st.sampled_from(["SCI-001", "SCI-002", "SCI-003"]),
                     st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1)))


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(_SESSION, max_size=12))
def test_every_session_is_named_by_its_start_and_its_number_among_its_participants(sessions):
    """Names are unique, numbered 1..n per participant in order of start, whatever order the records come in."""
    records = [SimpleNamespace(id=f"{k:032x}", participant_id=p, started_at=t) for k, (p, t) in enumerate(sessions)]
    names = S.session_names(SimpleNamespace(sessions=records))
    assert set(names) == {r.id for r in records}
    for pid in {r.participant_id for r in records}:
        mine = sorted((r for r in records if r.participant_id == pid), key=lambda r: r.started_at)
        assert [names[r.id] for r in mine] == [f"{r.started_at:%Y-%m-%d %H:%M} · session {k}"
                                               for k, r in enumerate(mine, 1)]


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(_SESSION, min_size=1, max_size=8, unique_by=lambda s: s[1]), st.data())
def test_a_table_of_sessions_reads_by_participant_then_start_then_run(sessions, draw):
    """Whatever order the records were written in, a page lists them as a reader follows them, every row kept."""
    records = [SimpleNamespace(id=f"{k:032x}", participant_id=p, started_at=t) for k, (p, t) in enumerate(sessions)]
    data = SimpleNamespace(sessions=records)
    rows = draw.draw(st.lists(st.tuples(st.sampled_from(records), st.integers(1, 4)), max_size=10))
    frame = pd.DataFrame({"session": [r.id for r, _ in rows], "date": [r.started_at.date() for r, _ in rows],
                          "run": [n for _, n in rows], "row": range(len(rows))})
    out = S.with_session_names(frame, data)
    names = S.session_names(data)
    expected = sorted(range(len(rows)), key=lambda i: (rows[i][0].participant_id, rows[i][0].started_at, rows[i][1]))
    assert list(out["row"]) == expected and "date" not in out
    assert list(out.columns[:2]) == ["participant", "session"]
    assert list(out["session"]) == [names[rows[i][0].id] for i in expected]
    assert list(out["participant"]) == [rows[i][0].participant_id for i in expected]
    kept = S.with_session_names(frame, data, in_order=False)
    assert list(kept["row"]) == list(range(len(rows)))
