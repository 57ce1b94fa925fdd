"""Offline simulated runs for session tests (the package's own helper, plus the participant's data)."""

from workbench.session.participant import ParticipantModel, simulate_recording

#: The noiseless bench, for tests of the loop's and the training's mechanics (not of decodability).
EASY = ParticipantModel("easy")


def simulated_raw(spec, seed=0, lead_s=1.0, model=None):
    """(raw in volts with cues as annotations, None, None) for one paradigm run of the simulated participant."""
    return simulate_recording(spec, seed, lead_s, model=model), None, None
