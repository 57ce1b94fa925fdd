"""Offline simulated runs for session tests (the package's own helper, plus the participant's data)."""

from workbench.session.participant import simulate_recording


def simulated_raw(spec, seed=0, lead_s=1.0):
    """(raw in volts with cues as annotations, None, None) for one paradigm run of the simulated participant."""
    return simulate_recording(spec, seed, lead_s), None, None
