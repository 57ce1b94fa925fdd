"""Offline simulated runs for session tests: the participant's signal as an MNE Raw with cue annotations."""

import mne
import numpy as np

from workbench.session.paradigm import ParadigmRunner
from workbench.session.participant import CueTimeline, SimulatedParticipant


def simulated_raw(spec, seed=0, lead_s=1.0):
    """(raw in volts with cues as annotations, participant data in µV, participant) for one paradigm run."""
    p = SimulatedParticipant(CueTimeline(), seed=seed)
    ParadigmRunner(spec, p.timeline).start(offset_s=lead_s)
    x, markers = p.generate(int(round((spec.duration_s + 2 * lead_s) * p.sfreq)))
    info = mne.create_info(p.ch_names, p.sfreq, p.ch_types)
    scale = np.where(np.array(p.ch_types) == "misc", 1.0, 1e-6)
    raw = mne.io.RawArray(x.T * scale[:, None], info, verbose=False)
    raw.set_annotations(mne.Annotations([s / p.sfreq for s, _ in markers], [0.0] * len(markers),
                                        [lab for _, lab in markers]))
    return raw, x, p
