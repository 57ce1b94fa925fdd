"""Queries as DataFrames: outcomes long and wide, a participant timeline."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from tests.records import factories as f
from workbench.errors import ValidationError
from workbench.records import AdverseEvent


def _fill(store):
    f.seeded(store, 2)
    recs = []
    for pid, totals in (("SCI-001", (3, 5)), ("SCI-002", (10, 12))):
        base = f.visit(pid, "baseline", delay_days=2)
        week = f.visit(pid, "week12")
        recs += [base, week,
                 f.assessment(pid, base.id, totals[0], assessed_on=base.actual_date),
                 f.assessment(pid, week.id, totals[1], assessed_on=week.actual_date),
                 f.assessment(pid, week.id, instrument="BBT", instrument_version="Mathiowetz 1985",
                              item_values={"right.blocks": 7, "left.blocks": 4},
                              scores={"right.blocks_per_minute": 7, "left.blocks_per_minute": 4},
                              assessed_on=week.actual_date)]
    store.add(*recs)


def test_outcomes_long(store):
    _fill(store)
    long = store.outcomes("long")
    assert len(long) == 2 * (1 + 1 + 2)  # WISCI total twice, BBT right and left
    row = long[(long.participant_id == "SCI-002") & (long.visit == "week12") & (long.instrument == "WISCI-II")]
    assert row.value.tolist() == [12] and row.day.tolist() == [84] and row.arm.tolist() == ["BCI"]
    assert sorted(long[long.instrument == "BBT"].score.unique()) == [
        "left.blocks_per_minute", "right.blocks_per_minute"]


def test_outcomes_wide(store):
    _fill(store)
    wide = store.outcomes("wide")
    assert list(wide.columns) == ["participant_id", "visit", "day", "BBT.left.blocks_per_minute",
                                  "BBT.right.blocks_per_minute", "WISCI-II.total"]
    assert wide[["participant_id", "visit", "day"]].values.tolist() == [
        ["SCI-001", "baseline", 2], ["SCI-001", "week12", 84], ["SCI-002", "baseline", 2], ["SCI-002", "week12", 84]]
    assert wide["WISCI-II.total"].tolist() == [3, 5, 10, 12]
    assert wide["BBT.right.blocks_per_minute"].isna().tolist() == [True, False, True, False]
    # numbers wherever given: numeric columns, so that an analyst's mean or plot works on them
    assert wide["BBT.right.blocks_per_minute"].dtype.kind == "f" and wide["WISCI-II.total"].dtype.kind in "if"
    assert wide["BBT.right.blocks_per_minute"].mean() == 7
    with pytest.raises(ValidationError):
        store.outcomes("tall")


def test_participant_timeline(store):
    _fill(store)
    store.add(AdverseEvent(participant_id="SCI-001", term="headache", onset_date=f.ENROLMENT + timedelta(days=3),
                           severity="mild", serious=False, related_device="not related",
                           related_procedure="possible", action_taken="none", outcome="recovering/resolving"))
    tl = store.timeline("SCI-001")
    assert tl.event.tolist() == ["consent", "enrolment", "visit", "outcome", "adverse event", "visit", "outcome",
                                 "outcome"]
    assert tl.day.tolist() == [-3, 0, 2, 2, 3, 84, 84, 84]  # consent three days before enrolment (factories)
    assert "headache" not in " ".join(tl.what)  # verbatim terms are free text: not shown
    with pytest.raises(ValidationError, match="SCI-404"):
        store.timeline("SCI-404")



def test_outcomes_wide_keeps_grades_as_given_and_unable_as_missing(tmp_path):
    """The demo study: ISNCSCI's AIS is a grade, not a number; SCI-002's 10MWT recorded as not possible at
    baseline has no speed: NaN like a test not given (it was None, and every column was of objects)."""
    from workbench.records.demo import open_demo_store

    store = open_demo_store(tmp_path / "workspace", role="monitor")
    try:
        wide = store.outcomes("wide").set_index(["participant_id", "visit"])
    finally:
        store.close()
    assert wide["ISNCSCI.ais"].dtype == object and set(wide["ISNCSCI.ais"].dropna()) <= set("ABCDE")
    speed = wide["10MWT.comfortable_speed"]
    assert speed.dtype.kind == "f" and speed.notna().any()
    assert pd.isna(speed[("SCI-002", "baseline")])
    assert wide["BBT.right.blocks_per_minute"].dtype.kind in "if"  # given at every visit: whole numbers
