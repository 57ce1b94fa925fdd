"""The ISNCSCI figure writes each exam's AIS grade once, at its visit, and both scores' hovers name it."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.report.figures import isncsci_figure
from tests.budget import examples

VISITS = ["baseline", "week6", "week12", "week26"]

exam = st.tuples(st.integers(0, 50), st.integers(0, 50), st.sampled_from("ABCDE"))
participants = st.dictionaries(st.sampled_from(["SCI-001", "SCI-002", "SCI-003"]),
                               st.lists(exam, min_size=1, max_size=len(VISITS)), min_size=1)


@settings(max_examples=examples(40), deadline=None)
@given(participants)
def test_each_exam_has_one_grade_label_and_both_hovers_name_it(exams):
    table = pd.DataFrame([{"participant": pid, "visit": VISITS[k], "UEMS": u, "LEMS": le, "AIS": ais}
                          for pid, rows in exams.items() for k, (u, le, ais) in enumerate(rows)])
    fig = isncsci_figure(table)
    labelled = [t for t in fig.data if "text" in t.mode]
    # One trace with grade labels per participant, one label per exam: no second label to overlap it.
    assert sorted(t.name for t in labelled) == sorted(f"{pid} UEMS" for pid in exams)
    for t in labelled:
        rows = exams[t.name.split()[0]]
        assert list(t.text) == [f"AIS {ais}" for _, _, ais in rows]
        assert list(t.x) == VISITS[:len(rows)]
    for t in fig.data:  # every point's hover says which grade the exam gave
        assert "%{text}" in t.hovertemplate and len(t.text) == len(t.x)
