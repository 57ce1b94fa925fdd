"""What a monitor reads in the reports: why the gate acted (by rule, in words), tests recorded as not possible
with their reason, and score trajectories on the score's own scale (issue 22)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.outcomes.instruments import load_instrument
from workbench.report import summaries as S
from workbench.report.build import participant_report_html, study_report_html
from workbench.report.figures import score_trajectory_figure
from workbench.report.trial_data import load_trial
from workbench.session.gate import HOLD_RULES, RULE_WORDS
from tests.budget import examples


@pytest.fixture(scope="module")
def data(demo):
    _, store = demo
    return load_trial(store, today=date(2026, 11, 22))


def test_gate_actions_are_counted_by_rule_in_words(demo, data):
    ws, store = demo
    table = S.safety_rule_counts(data)
    e = data.safety_events
    while_safe = (e["decision"] == "held") & ~e["rule"].isin(HOLD_RULES)
    acted = e[e["decision"].isin(["safe_state", "blocked", "resumed"]) | while_safe]
    assert len(table) == acted["rule"].nunique() > 0
    # every safe state, fault while safe, blocked command and re-arm is counted once, under its rule in words
    assert table["safe states"].sum() == (acted["decision"] == "safe_state").sum()
    assert table["faults while safe"].sum() == while_safe.sum()
    assert table["commands blocked"].sum() == (acted["decision"] == "blocked").sum()
    assert table["re-arms"].sum() == (acted["decision"] == "resumed").sum()
    assert set(table["rule"]) == {RULE_WORDS[r] for r in acted["rule"].unique()}
    assert not any("_" in r for r in table["rule"])
    page = study_report_html(store, data, ws.root)
    assert "Safe states, blocked commands and re-arms by rule" in page
    for words in table["rule"]:
        assert words in page


def test_a_test_recorded_as_not_possible_is_said_with_its_reason(demo, data):
    ws, store = demo
    u = data.unable
    walk = u[u["instrument"] == "10MWT"]
    assert len(walk) >= 1, "the demo study records a participant unable to walk"
    reasons = next(i for i in load_instrument("10MWT").items if i.id == "unable_reason").values
    assert set(walk["reason"]) <= set(reasons)
    pid = walk["participant_id"].iloc[0]
    for page in (study_report_html(store, data, ws.root), participant_report_html(store, data, pid, ws.root)):
        assert "Tests recorded as not possible" in page and "unable to do the test" in page
        assert walk["reason"].iloc[0] in page
        # the old message misstated the finding, and named the score by its id
        assert "No 10MWT comfortable_speed recorded" not in page
    # the participant's own walking-speed figure says it, instead of "nothing recorded"
    mine = data.for_participant(pid)
    y_title, y_range = S.score_axis("10MWT", "comfortable_speed")
    fig = score_trajectory_figure(mine.outcomes, "10MWT", "comfortable_speed", y_title=y_title, y_range=y_range,
                                  unable=mine.unable[mine.unable["instrument"] == "10MWT"])
    shown = fig.layout.title.text + " ".join(a.text for a in fig.layout.annotations)
    assert "unable to do the test" in shown and walk["reason"].iloc[0] in shown


def test_a_trajectory_stays_on_its_scores_scale_and_its_band_under_the_line(data):
    """WISCI II runs 0-20: a baseline of 0 gives no band below 0 and no axis to -1 (the band drew over the line)."""
    o = data.outcomes
    wisci = o[(o["instrument"] == "WISCI-II") & (o["score"] == "total")]
    pid = wisci["participant_id"].iloc[0]
    mine = o[o["participant_id"] == pid].copy()
    mine.loc[mine.index[(mine["instrument"] == "WISCI-II").to_numpy()][0], "value"] = 0  # baseline at the floor
    y_title, y_range = S.score_axis("WISCI-II", "total")
    assert y_range == (0.0, 20.0) and "_" not in y_title and y_title != "total"
    fig = score_trajectory_figure(mine, "WISCI-II", "total", threshold=3.0, y_title=y_title, y_range=y_range)
    (band,) = fig.layout.shapes
    assert band.layer == "below"
    assert 0 <= band.y0 < band.y1 <= 20
    lo, hi = fig.layout.yaxis.range
    assert -1 < lo < 0 and band.y1 < hi <= 20 * 1.03  # the axis never leaves the scale (cut above low scores)
    assert fig.layout.yaxis.title.text == y_title


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.floats(0, 150), min_size=1, max_size=6), st.booleans(), st.floats(1, 30))
def test_a_trajectory_axis_starts_at_the_scales_floor_holds_every_score_and_is_cut_only_above_little_used_scales(
        values, banded, threshold):
    """The Box and Block Test's 0-150: 2 to 5 blocks per minute drew a flat line at the bottom. The axis is cut
    above scores that use little of the scale; it always starts at the floor and holds every score and the band."""
    from workbench.report.figures import SCALE_SHARE_SHOWN_WHOLE

    outcomes = pd.DataFrame({"participant_id": "SCI-001", "instrument": "BBT", "score": "right.blocks_per_minute",
                             "value": values, "day": [7 * k for k in range(len(values))],
                             "visit": [f"v{k}" for k in range(len(values))]})
    fig = score_trajectory_figure(outcomes, "BBT", "right.blocks_per_minute", y_range=(0.0, 150.0),
                                  threshold=threshold if banded else None)
    lo, hi = fig.layout.yaxis.range
    assert -5 < lo < 0 <= min(values) and max(values) < hi <= 150 * 1.03 + 1e-9
    for band in fig.layout.shapes:
        assert band.y1 <= hi
    top = max(max(values), min(150.0, values[0] + threshold) if banded else 0.0)
    if top >= SCALE_SHARE_SHOWN_WHOLE * 150:
        assert hi == pytest.approx(150 * 1.03)  # the whole scale
    else:  # cut at 1.25 times the top, at a quarter of the scale at least
        assert hi == pytest.approx(1.03 * max(1.25 * top, 37.5))


def test_an_axis_carries_the_scores_unit():
    title, rng = S.score_axis("10MWT", "comfortable_speed")
    assert title.endswith("(m/s)") and rng is None
    assert S.score_axis("BBT", "left.blocks_per_minute") == ("Blocks per minute (left)", (0.0, 150.0))
    assert S.score_axis("not-an-instrument", "a_score") == ("a score", None)
    empty = score_trajectory_figure(pd.DataFrame(columns=["instrument", "score", "value", "participant_id", "day",
                                                          "visit"]), "10MWT", "comfortable_speed", y_title=title)
    assert "comfortable_speed" not in empty.layout.annotations[0].text


def test_a_re_arm_is_counted_under_the_rule_whose_safe_state_it_ended(data):
    import dataclasses

    e = data.safety_events
    base = e.iloc[0].to_dict()
    extra = pd.DataFrame([dict(base, id=f"x{k}", decision=d, rule="signal_gap", command="off")
                          for k, d in enumerate(["safe_state", "blocked", "held", "resumed", "safe_state", "resumed"])])
    table = S.safety_rule_counts(dataclasses.replace(data, safety_events=pd.concat([e, extra], ignore_index=True)))
    gap = table[table["rule"] == RULE_WORDS["signal_gap"]].iloc[0]
    assert (gap["safe states"], gap["faults while safe"], gap["commands blocked"], gap["re-arms"],
            gap["sessions"]) == (2, 1, 1, 2, 1)
    assert table["re-arms"].sum() == 2


def test_the_rule_table_lists_faults_before_the_ends_of_runs_and_the_operators_stops(data):
    """One end of the run per run would head the table; the faults a monitor looks for come first."""
    import dataclasses

    e = data.safety_events
    base = e.iloc[0].to_dict()
    extra = pd.DataFrame([dict(base, id=f"z{k}", decision="safe_state", rule=rule, command="off")
                          for k, rule in enumerate(["end_of_run"] * 9 + ["operator_stop"] * 5 + ["heartbeat_lost"])])
    table = S.safety_rule_counts(dataclasses.replace(data, safety_events=pd.concat([e, extra], ignore_index=True)))
    rules = table["rule"].tolist()
    decided = [RULE_WORDS["end_of_run"], RULE_WORDS["operator_stop"]]
    assert rules[-2:] == decided, rules  # the end of the run (9) before the operator's stops (5), after the faults
    assert RULE_WORDS["heartbeat_lost"] in rules[:-2]
    faults = table[~table["rule"].isin(decided)]["safe states"].tolist()
    assert faults == sorted(faults, reverse=True)


def test_gate_decisions_per_session_are_named_in_words_not_codes(data):
    import dataclasses

    e = data.safety_events
    base = e.iloc[0].to_dict()
    extra = pd.DataFrame([dict(base, id=f"y{k}", decision=d, rule="signal_gap", command="off")
                          for k, d in enumerate(["safe_state", "blocked", "resumed", "safe_state"])])
    events = pd.concat([e, extra], ignore_index=True)
    table = S.safety_event_counts(dataclasses.replace(data, safety_events=events))
    assert not any("_" in str(c) for c in table.columns)  # no decision code reaches the page
    first = (events["decision"] == "resumed") & (events["rule"] == "start")
    for code, words in S.DECISION_WORDS.items():
        n = int(first.sum()) if code == "armed" else int(((events["decision"] == code) & ~first).sum())
        assert int(table.get(words, pd.Series(dtype=int)).sum()) == n


def test_a_runs_first_arming_is_not_a_re_arm(data):
    import dataclasses

    e = data.safety_events
    base = e.iloc[0].to_dict()
    extra = pd.DataFrame([dict(base, id=f"z{k}", decision="resumed", rule=r, command="off")
                          for k, r in enumerate(["start", "start", "signal_gap"])])
    events = pd.concat([e, extra], ignore_index=True)
    rules = S.safety_rule_counts(dataclasses.replace(data, safety_events=events))
    start = rules[rules["rule"] == RULE_WORDS["start"]]
    assert start.empty or int(start["re-arms"].sum()) == 0  # a first arming is never a re-arm
    gap = rules[rules["rule"] == RULE_WORDS["signal_gap"]].iloc[0]
    assert gap["re-arms"] >= 1
    per_session = S.safety_event_counts(dataclasses.replace(data, safety_events=events))
    assert int(per_session["armed at the start"].sum()) == int(
        ((events["decision"] == "resumed") & (events["rule"] == "start")).sum()) >= 2
