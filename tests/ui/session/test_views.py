"""Operator panel and cue view: thin views over BlockControl and the cue markers."""

import time

import pylsl
import pytest

from workbench.acquisition import MarkerStream
from workbench.session.live import BlockControl
from workbench.session.paradigm import CueState
from workbench.ui.session import CueView, MarkerCueSource, OperatorPanel


def test_panel_buttons_queue_requests_for_the_loop():
    control = BlockControl()
    panel = OperatorPanel(control)
    panel.stop_button.click()
    panel.buttons["pause"].click()
    panel.buttons["release"].click()
    assert control.take() == ["stop", "pause", "release"]
    assert control.take() == []


def test_panel_shows_the_gate_and_the_cue():
    control = BlockControl()
    control.running = True
    control.cue = CueState("grasp", "Close your hand", 1.5, 2, 9, "running")
    text = OperatorPanel(control).refresh()
    assert "trial 2/9" in text and "<b>grasp</b>" in text and "SAFE STATE (start)" in text
    control.gate_safe, control.command = False, "close"
    text = OperatorPanel(control).refresh()
    assert "active" in text and "<code>close</code>" in text


def test_cue_view_shows_the_plain_cue_text():
    control = BlockControl()
    view = CueView(control)
    assert view.refresh() == "+"
    control.cue = CueState("open", "Open your hand", 2.0, 1, 3, "running")
    assert view.refresh() == "Open your hand" and "font-size:96px" in view.html.value


@pytest.mark.lsl
def test_cue_view_follows_cue_markers_over_lsl(unique_name):
    """A second window (its own kernel) follows the cues from the marker stream alone."""
    info = pylsl.StreamInfo(unique_name, "Markers", 1, pylsl.IRREGULAR_RATE, pylsl.cf_string, unique_name)
    outlet = pylsl.StreamOutlet(info)
    with MarkerStream(unique_name) as markers:
        view = CueView(MarkerCueSource(markers))
        for label in ("iti", "grasp", "gate:passed|all_limits|close"):
            outlet.push_sample([label])
        deadline = time.monotonic() + 5
        while view.refresh() != "Close your hand" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert view.refresh() == "Close your hand"


def test_the_notebooks_outcome_figure_is_the_reports():
    """Notebook 06 draws a score as the dashboard and the reports do: named, in its unit and range."""
    import pandas as pd

    from workbench.report import summaries
    from workbench.ui.session import outcomes_figure

    outcomes = pd.DataFrame({"participant_id": ["SCI-001", "SCI-001", "SCI-002"], "instrument": ["10MWT"] * 3,
                             "score": ["comfortable_speed"] * 3, "value": [0.4, 0.5, None], "day": [1, 42, 1],
                             "visit": ["baseline", "week6", "baseline"]})
    unable = pd.DataFrame({"participant_id": ["SCI-002", "SCI-002"], "instrument": ["10MWT", "BBT"],
                           "visit": ["baseline", "week6"], "assessed_on": [None, None],
                           "reason": ["cannot stand or step, even with assistance", "pain"]})
    fig = outcomes_figure(outcomes, "10MWT", "comfortable_speed", unable=unable)
    y_title, y_range = summaries.score_axis("10MWT", "comfortable_speed")
    assert fig.layout.title.text == summaries.score_label("10MWT", "comfortable_speed") != "10MWT comfortable_speed"
    assert fig.layout.yaxis.title.text == y_title and "(m/s)" in y_title
    assert [t.name for t in fig.data] == ["SCI-001"]  # no empty line for a participant without a value
    # only this instrument's unable tests, with whose they are
    assert fig.layout.annotations[0].text == ("SCI-002 baseline: unable to do the test "
                                              "(cannot stand or step, even with assistance)")


def test_the_run_figure_names_runs_as_the_table_does():
    """Runs 2 and 3 of a session were drawn as "run 1" and "run 2" (their rows), and on a 0.5 grid."""
    import pandas as pd

    from workbench.ui.session import run_metrics_figure

    started = pd.Timestamp("2026-11-28 09:05", tz="UTC")
    frame = pd.DataFrame({"participant_id": ["SCI-001"] * 2, "session_started": [started] * 2, "run": [2, 3],
                          "accuracy": [0.67, 0.5], "chance_level": [1 / 3] * 2, "itr_bits_per_min": [4.7, 1.2]})
    fig = run_metrics_figure(frame)
    assert list(fig.data[0].x) == ["run 2<br>2026-11-28 09:05", "run 3<br>2026-11-28 09:05"]
    assert fig.layout.xaxis.type == "category"
    two = run_metrics_figure(pd.concat([frame, frame.assign(participant_id="SCI-002", run=[1, 2])]))
    assert two.data[0].x[2] == "SCI-002 run 1<br>2026-11-28 09:05"


def test_the_training_confusion_figure_is_the_reports_with_its_accuracy():
    import numpy as np

    from workbench.report.figures import confusion_figure as report_figure
    from workbench.session.training import TrainingResult
    from workbench.ui.session import confusion_figure

    fields = dict.fromkeys(TrainingResult.__dataclass_fields__)
    result = TrainingResult(**{**fields, "confusion": np.array([[3, 1], [0, 4]]), "classes": ["grasp", "rest"],
                               "trial_accuracy": 0.875, "chance_level": 0.5})
    fig, same = confusion_figure(result), report_figure(result.confusion, result.classes)
    assert fig.data[0].z == same.data[0].z and list(fig.data[0].x) == ["grasp", "rest"]
    assert fig.layout.yaxis.autorange == "reversed"  # rows: cued, top to bottom as listed
    assert "accuracy 0.88" in fig.layout.title.text and "chance 0.50" in fig.layout.title.text


def test_the_stimulation_figure_shows_what_the_gate_applied_and_its_safe_states():
    """The applied amplitude is the gate's (ramped, 0 while safe), beside what the controller asked; a safe
    state is shaded from its start to the re-arming and named in words; the end of the run is not shaded."""
    from workbench.session.closed_loop import LoopLog
    from workbench.session.gate import GateDecision
    from workbench.ui.session import stimulation_figure

    t0 = 100.0
    log = LoopLog()
    log.envelopes += [(t0 + 0.1 * k, 5.0 + k, 3.0) for k in range(60)]
    log.decisions += [GateDecision(t0 + 0.5, "resumed", "start", "off", 0.0),
                      GateDecision(t0 + 1.0, "passed", "ramp", "amplitude", 0.5),
                      GateDecision(t0 + 2.0, "passed", "all_limits", "amplitude", 2.0),
                      GateDecision(t0 + 3.0, "safe_state", "heartbeat_lost", "off", 0.0, 0.08),
                      GateDecision(t0 + 3.6, "resumed", "heartbeat_lost", "off", 0.0),
                      GateDecision(t0 + 5.9, "safe_state", "end_of_run", "off", 0.0, 0.0)]
    fig = stimulation_figure(log, t0, target_uv=40.0)
    traces = {t.name: t for t in fig.data}
    assert set(traces) == {"EMG envelope (µV)", "amplitude asked (mA)", "amplitude applied (mA)"}
    applied = traces["amplitude applied (mA)"]
    assert list(applied.x) == pytest.approx([1.0, 2.0, 3.0, 5.9]) and list(applied.y) == [0.5, 2.0, 0.0, 0.0]
    assert applied.line.shape == "hv" and list(traces["amplitude asked (mA)"].y)[:2] == [3.0, 3.0]
    assert traces["EMG envelope (µV)"].x[0] == pytest.approx(0.0)
    [shade] = [s for s in fig.layout.shapes if s.type == "rect"]
    assert (shade.x0, shade.x1) == pytest.approx((3.0, 3.6))
    names = {a.text for a in fig.layout.annotations}
    assert "effector heartbeat lost" in names and "target 40 µV" in names
    assert fig.layout.yaxis2.range[0] == 0 and fig.layout.xaxis.title.text == "time in the block (s)"
