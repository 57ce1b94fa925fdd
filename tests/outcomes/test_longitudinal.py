"""Change from baseline with the cited threshold decision."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from tests.outcomes.store_helpers import ENROLMENT, add_visit, make_store
from workbench.errors import ValidationError
from workbench.outcomes.longitudinal import change_from_baseline


def _row(pid, visit, day, instrument, score, value):
    return {"participant_id": pid, "visit": visit, "assessed_on": date(2026, 1, 5) + timedelta(days=day),
            "instrument": instrument, "score": score, "value": value}


def test_change_and_threshold_decision():
    frame = pd.DataFrame([
        _row("P1", "baseline", 0, "SCIM-III", "total", 40),
        _row("P1", "week12", 84, "SCIM-III", "total", 43),
        _row("P1", "week24", 168, "SCIM-III", "total", 52),
        _row("P2", "baseline", 1, "SCIM-III", "total", 60),
        _row("P2", "week12", 85, "SCIM-III", "total", 55),
        _row("P1", "baseline", 0, "10MWT", "comfortable_speed", 0.50),
        _row("P1", "week12", 84, "10MWT", "comfortable_speed", 0.80),
        _row("P1", "baseline", 0, "ISNCSCI", "nli", "C5"),  # not numeric: ignored
    ])
    out = change_from_baseline(frame)
    scim = out[out["instrument"] == "SCIM-III"].set_index(["participant_id", "visit"])
    assert scim.loc[("P1", "week12"), "change"] == 3 and not scim.loc[("P1", "week12"), "important"]
    assert scim.loc[("P1", "week24"), "change"] == 12 and scim.loc[("P1", "week24"), "important"]
    assert scim.loc[("P2", "week12"), "direction"] == "worsened" and scim.loc[("P2", "week12"), "important"]
    assert "Scivoletto" in scim.loc[("P1", "week24"), "threshold_citation"]
    walk = out[out["instrument"] == "10MWT"].iloc[0]
    # 0.30 m/s is large, but the 10MWT thresholds are not confirmed: no flag, reason given.
    assert walk["change"] == pytest.approx(0.3) and pd.isna(walk["important"])
    assert "not confirmed" in walk["threshold_note"] and "Forrest" in walk["threshold_note"]
    assert "ISNCSCI" not in set(out["instrument"])


def test_named_baseline_visit():
    frame = pd.DataFrame([
        _row("P1", "screening", 0, "WISCI-II", "total", 3),
        _row("P1", "baseline", 7, "WISCI-II", "total", 5),
        _row("P1", "week12", 84, "WISCI-II", "total", 6),
    ])
    out = change_from_baseline(frame, baseline_visit="baseline")
    assert out[["visit", "change"]].values.tolist() == [["week12", 1]]
    assert bool(out["important"].iloc[0])


def test_missing_columns_are_named():
    with pytest.raises(ValidationError) as info:
        change_from_baseline(pd.DataFrame({"participant_id": ["P1"], "value": [1]}))
    assert "instrument" in str(info.value)


def _scim_values(total: int) -> dict:
    """SCIM III items summing to ``total``: items at their lowest, raised in order until the sum is reached."""
    from workbench.outcomes.instruments import load_instrument

    values, rest = {}, total
    for item in load_instrument("SCIM-III").items:
        best = max(v for v in item.values if v <= rest)
        values[item.id], rest = best, rest - best
    assert rest == 0
    return values


def test_from_the_records_store(tmp_path):
    from workbench.outcomes.instruments import load_instrument, score_instrument
    from workbench.records import OutcomeAssessment

    scim = load_instrument("SCIM-III")
    store = make_store(tmp_path, participants=("SCI-001",))
    try:
        base, week12 = add_visit(store, "SCI-001", "baseline"), add_visit(store, "SCI-001", "week12")
        for visit, day, total in ((base, 0, 41), (week12, 84, 51)):
            values = _scim_values(total)
            store.add(OutcomeAssessment(participant_id="SCI-001", visit_id=visit.id, instrument="SCIM-III",
                                        instrument_version=scim.version, assessor=store.user.name,
                                        assessed_on=ENROLMENT + timedelta(days=day), item_values=values,
                                        scores=dict(score_instrument(scim, values).scores)))
        out = change_from_baseline(store.outcomes("long"))
    finally:
        store.close()
    total = out[out["score"] == "total"]
    assert total[["participant_id", "visit", "baseline_value", "value", "change"]].values.tolist() == [
        ["SCI-001", "week12", 41, 51, 10]]
    assert bool(total["important"].iloc[0]) and total["threshold"].iloc[0] == 4


def test_sided_scores_named_by_side_only_do_not_break_it():
    # Older stores saved Box and Block as {"right": n, "left": n}: no threshold, but a change.
    frame = pd.DataFrame([
        _row("P1", "baseline", 0, "BBT", "right", 4), _row("P1", "week6", 42, "BBT", "right", 7),
        _row("P1", "baseline", 0, "BBT", "right.blocks_per_minute", 4),
        _row("P1", "week6", 42, "BBT", "right.blocks_per_minute", 10),
    ])
    out = change_from_baseline(frame).set_index("score")
    assert out.loc["right", "change"] == 3 and "no threshold" in out.loc["right", "threshold_note"]
    # The registered name finds its (stroke, so unused) threshold and says why it is not used.
    assert pd.isna(out.loc["right.blocks_per_minute", "important"])
    assert "stroke" in out.loc["right.blocks_per_minute", "threshold_note"]


def test_change_from_baseline_on_the_demo_study(tmp_path):
    from workbench.records.demo import open_demo_store

    store = open_demo_store(tmp_path)
    try:
        out = change_from_baseline(store.outcomes("long"))
    finally:
        store.close()
    bbt = out[(out["participant_id"] == "SCI-001") & (out["score"] == "right.blocks_per_minute")]
    assert bbt[["visit", "baseline_value", "value", "change"]].values.tolist() == [
        ["week6", 4, 7, 3], ["week12", 4, 11, 7]]
    walk = out[(out["participant_id"] == "SCI-004") & (out["score"] == "comfortable_speed")]
    assert walk["change"].round(3).tolist() == [0.1, 0.225]
    # SCI-002 could not walk: recorded with a reason, no speed, so no change is invented.
    assert out[(out["participant_id"] == "SCI-002") & (out["instrument"] == "10MWT")].empty
