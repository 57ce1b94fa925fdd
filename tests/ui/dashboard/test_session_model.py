"""The session view draws a real ERD map from a cued run recorded with LabRecorder (loopback LSL)."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest

from workbench.records import RecordingFile, Session
from workbench.records.demo import open_demo_store
from workbench.recording.runs import RunEntities
from workbench.session.live import run_block
from workbench.session.paradigm import ParadigmSpec
from workbench.session.participant import CueTimeline, ParticipantModel, SimulatedParticipant
from workbench.ui.dashboard import Dashboard

pytestmark = [pytest.mark.lsl, pytest.mark.slow, pytest.mark.timeout(180)]
CLASSES = ("rest", "grasp", "open")


@pytest.fixture
def recorded(workspace, unique_name):
    """SCI-001's first session with a cued rest / grasp / open run (2 cues per class) attached.

    The participant is the noiseless one (difficulty "easy"): with two cues per class a
    realistic participant's map is mostly trial-to-trial noise, and this test is about the
    view drawing the map the recording holds, not about how well a person desynchronizes.
    """
    # A second's rest between cues: the participant's ERD fades with a time constant of about 0.3 s
    # after its reaction time, and with 0.3 s of rest the previous cue's desynchronization still
    # filled the next cue's window (open after grasp showed C3 deeper than C4 on a loaded machine).
    spec = ParadigmSpec(CLASSES, cue_s=2.0, rest_s=1.0, repetitions=2, seed=0, jitter_s=0.0)
    run = run_block(workspace.recordings, spec, participant=SimulatedParticipant(CueTimeline(), seed=0, model=ParticipantModel(difficulty="easy")),
                    name=unique_name, progress=False, entities=RunEntities(subject="test", task="calibration"))
    assert run.manifest.status == "complete"
    store = open_demo_store(workspace.root, role="investigator")
    session = store.find(Session, participant_id="SCI-001")[0]
    store.update(dataclasses.replace(session, recording_files=(
        RecordingFile.from_file(run.manifest.fname, workspace.root),)), reason="test: calibration run attached")
    store.close()
    return workspace


def test_session_view_draws_an_erd_map_per_class_from_a_recorded_run(recorded):
    store = open_demo_store(recorded.root, role="monitor")
    try:
        dash = Dashboard(store, recorded.root, today=date(2026, 11, 22))
        view = dash.model.session()
        assert not any("ERD" in n for n in view.notes), view.notes
        fig = view.figures["erd"]
        heatmaps = {t.name: np.array(t.z, dtype=float) for t in fig.data}
        assert set(heatmaps) == {"grasp", "open"}  # each cued class against rest
        for cls, z in heatmaps.items():
            assert z.shape[0] >= 8 and np.isfinite(z).all(), cls
        # The simulated participant desynchronizes the mu rhythm (~10 Hz) over the left
        # hemisphere for grasp and the right one for open: the map must show where.
        freqs = np.array(fig.data[0].x)
        mu = (freqs >= 8) & (freqs <= 12)
        rows = list(fig.data[0].y)
        c3, c4 = rows.index("C3"), rows.index("C4")
        assert heatmaps["grasp"][c3, mu].mean() < -30 and heatmaps["grasp"][c3, mu].mean() < heatmaps["grasp"][c4, mu].mean()
        assert heatmaps["open"][c4, mu].mean() < -30 and heatmaps["open"][c4, mu].mean() < heatmaps["open"][c3, mu].mean()
        # The view shows the map, not the sentence that replaces it.
        panel = dash.session
        shown = [c for c in panel.body.children if "wb-figure-erd" in c._dom_classes]
        assert len(shown) == 1 and "ERD" not in panel.notes.value
        assert "grasp 2" in fig.layout.title.text and "rest 2" in fig.layout.title.text
    finally:
        store.close()
