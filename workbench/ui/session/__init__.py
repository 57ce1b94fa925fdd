"""Closed-loop session views: the operator's panel, the participant's cue view, result figures.

Thin views: the operator panel shows and drives a
:class:`~workbench.session.live.BlockControl`; the cue view shows a
:class:`~workbench.session.paradigm.CueState` from the running block or from
the cue markers on LSL (so it also runs in a second browser window, e.g. a
Voila page with its own kernel); the figures plot results computed by
:mod:`workbench.session.training` and :mod:`workbench.session.results`.
"""

from .cue_view import CueView, MarkerCueSource
from .figures import (confusion_figure, erd_figure, outcomes_figure, run_metrics_figure, sessions_figure,
                      stimulation_figure)
from .operator_panel import OperatorPanel

__all__ = ["CueView", "MarkerCueSource", "OperatorPanel", "confusion_figure", "erd_figure", "outcomes_figure",
           "run_metrics_figure", "stimulation_figure", "sessions_figure"]
