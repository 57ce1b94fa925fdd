"""The report's figures say what they must without cutting or piling up text: the ISNCSCI figure writes
an AIS grade where it is new (every hover names it), a subtitle is wrapped to the figure's width."""

from __future__ import annotations

import html

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.report.figures import (SUBTITLE_CHARS, SUBTITLE_MAX_LINES, isncsci_figure, score_trajectory_figure,
                                      subtitle_lines)
from tests.budget import examples

VISITS = ["baseline", "week6", "week12", "week26"]

exam = st.tuples(st.integers(0, 50), st.integers(0, 50), st.sampled_from("ABCDE"))
participants = st.dictionaries(st.sampled_from(["SCI-001", "SCI-002", "SCI-003"]),
                               st.lists(exam, min_size=1, max_size=len(VISITS)), min_size=1)


@settings(max_examples=examples(40), deadline=None)
@given(participants)
def test_a_grade_is_written_once_where_it_is_new_and_every_hover_names_it(exams):
    table = pd.DataFrame([{"participant": pid, "visit": VISITS[k], "UEMS": u, "LEMS": le, "AIS": ais}
                          for pid, rows in exams.items() for k, (u, le, ais) in enumerate(rows)])
    fig = isncsci_figure(table)
    for t in fig.data:
        pid, score = t.name.split()
        grades = [f"AIS {ais}" for _, _, ais in exams[pid]]
        assert list(t.customdata) == grades and "%{customdata}" in t.hovertemplate
        if score == "LEMS":  # no second label over the same exam
            assert not any(t.text)
            continue
        new = [i == 0 or g != grades[i - 1] for i, g in enumerate(grades)]
        assert list(t.text) == [g if n else "" for g, n in zip(grades, new)]
    # A participant's two lines share a colour; participants differ (up to the palette's ten).
    colour = {t.name: t.line.color for t in fig.data}
    assert all(colour[f"{pid} UEMS"] == colour[f"{pid} LEMS"] for pid in exams)
    assert len({colour[f"{pid} UEMS"] for pid in exams}) == len(exams)


words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Z")), min_size=1, max_size=30)


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.lists(words, min_size=1, max_size=20).map(" ".join), max_size=12))
def test_subtitle_lines_fit_the_width_and_count_what_they_leave_out(items):
    lines = subtitle_lines(items)
    assert len(lines) <= SUBTITLE_MAX_LINES
    # every line fits (a word longer than a line is broken), escaped for plotly's title markup
    assert all(len(line.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")) <= SUBTITLE_CHARS
               for line in lines[:-1])
    assert all("<" not in line and ">" not in line for line in lines)
    if lines and lines[-1].startswith("and ") and "more (listed" in lines[-1]:
        left_out = int(lines[-1].split()[1])
        assert 0 < left_out <= len(items)
    else:  # nothing left out: every character of every statement is there, in order
        assert "".join("".join(lines).split()) == "".join(html.escape("".join(items), quote=False).split())


def test_unable_tests_are_said_under_the_title_on_lines_that_fit():
    outcomes = pd.DataFrame({"instrument": ["10MWT"] * 2, "score": ["comfortable_speed"] * 2, "value": [0.4, 0.5],
                             "participant_id": ["SCI-001"] * 2, "day": [1, 42], "visit": ["baseline", "week6"]})
    reason = "cannot stand or step, even with assistance"
    unable = pd.DataFrame({"visit": ["SCI-002 baseline", "SCI-002 week12"], "reason": [reason, reason]})
    fig = score_trajectory_figure(outcomes, "10MWT", "comfortable_speed", unable=unable)
    assert fig.layout.title.text == "10MWT comfortable_speed"
    (note,) = fig.layout.annotations
    subtitles = note.text.split("<br>")
    assert subtitles == [f"SCI-002 baseline: unable to do the test ({reason})",
                         f"SCI-002 week12: unable to do the test ({reason})"]
    assert note.yanchor == "bottom" and note.y == 1  # above the plot, in a margin made for its lines
    assert fig.layout.margin.t >= 50 + 17 * len(subtitles)


def _trajectories(values: dict) -> pd.DataFrame:
    """Long outcomes: {(participant, instrument): [values at visits]} with the columns the store gives."""
    return pd.DataFrame([{"participant_id": pid, "instrument": inst, "score": "total", "value": v,
                          "day": 1 + 42 * k, "visit": VISITS[k]}
                         for (pid, inst), vs in values.items() for k, v in enumerate(vs)],
                        columns=["participant_id", "instrument", "score", "value", "day", "visit"])


PIDS = [f"SCI-{k:03d}" for k in range(1, 13)]


@settings(max_examples=examples(40), deadline=None)
@given(st.dictionaries(st.tuples(st.sampled_from(PIDS), st.sampled_from(["WISCI-II", "SCIM-III"])),
                       st.lists(st.integers(0, 20), min_size=1, max_size=len(VISITS)), min_size=1))
def test_a_participant_keeps_their_colour_in_every_figure_whoever_else_has_a_value(values):
    outcomes = _trajectories(values)
    colours = {}
    for inst in ("WISCI-II", "SCIM-III"):
        for trace in score_trajectory_figure(outcomes, inst, "total").data:
            colours.setdefault(trace.name, set()).add(trace.line.color)
            assert trace.marker.color == trace.line.color
    assert all(len(c) == 1 for c in colours.values()), colours
    # different participants, different colours while the palette (ten) lasts
    everyone = sorted(outcomes["participant_id"].unique())
    if len(everyone) <= 10:
        drawn = {pid: c.pop() for pid, c in colours.items()}
        assert len(set(drawn.values())) == len(drawn)


def test_unable_tests_name_the_participant_when_the_figure_is_not_theirs_alone():
    reason = "pain"
    outcomes = _trajectories({("SCI-001", "10MWT"): [0.4, 0.5]})
    unable = pd.DataFrame({"participant_id": ["SCI-002"], "instrument": ["10MWT"], "visit": ["week6"],
                           "reason": [reason]})
    study = score_trajectory_figure(outcomes, "10MWT", "total", unable=unable)
    assert study.layout.annotations[0].text == f"SCI-002 week6: unable to do the test ({reason})"
    # a participant's own figure: the visit alone
    alone = _trajectories({("SCI-002", "WISCI-II"): [3]})
    own = score_trajectory_figure(alone, "10MWT", "total", unable=unable)
    assert own.layout.annotations[0].text == f"week6: unable to do the test ({reason})"


def test_a_single_line_among_several_participants_says_whose_it_is():
    outcomes = _trajectories({("SCI-001", "WISCI-II"): [3, 5], ("SCI-002", "10MWT"): [0.4]})
    assert score_trajectory_figure(outcomes, "10MWT", "total").layout.showlegend is True
    assert score_trajectory_figure(_trajectories({("SCI-002", "10MWT"): [0.4]}), "10MWT", "total"
                                   ).layout.showlegend is False  # their own figure


def test_the_isncsci_figure_colours_participants_as_the_trajectories_do():
    """A participant without an ISNCSCI exam shifted every later participant's colour in that figure only."""
    everyone = ["SCI-001", "SCI-002", "SCI-003"]
    table = pd.DataFrame([{"participant": pid, "visit": "baseline", "UEMS": 10, "LEMS": 0, "AIS": "A"}
                          for pid in ("SCI-001", "SCI-003")])
    outcomes = _trajectories({(pid, "WISCI-II"): [3, 4] for pid in everyone})
    trajectory = {t.name: t.line.color for t in score_trajectory_figure(outcomes, "WISCI-II", "total").data}
    exams = {t.name.split()[0]: t.line.color for t in isncsci_figure(table, everyone).data}
    assert exams == {pid: trajectory[pid] for pid in ("SCI-001", "SCI-003")}
