"""Cross-validation that keeps runs (or sessions) whole.

Windows from one run share slow drifts, electrode impedances and the
participant's state; shuffling them across folds inflates accuracy
(Lemm et al. 2011, NeuroImage 56:387, sec. "Cross-validation"). These
splitters put every window of a run (session) in the same fold.
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import LeaveOneGroupOut

from ..errors import Problem, ValidationError


class LeaveOneRunOut(LeaveOneGroupOut):
    """Each fold tests on one run and trains on the others.

    ``split(X, y, groups)`` needs ``groups``: the run of each window.
    """

    _unit = "run"

    def split(self, X, y=None, groups=None):
        if groups is None:
            raise ValidationError([Problem("groups", None, f"the {self._unit} of each window")], what=type(self).__name__)
        groups = np.asarray(groups)
        if len(groups) != len(X):
            raise ValidationError(
                [Problem("groups", f"{len(groups)} labels", f"one {self._unit} label per window ({len(X)})")],
                what=type(self).__name__,
            )
        if len(np.unique(groups)) < 2:
            raise ValidationError(
                [Problem("groups", list(np.unique(groups)), f"at least two different {self._unit}s")],
                what=type(self).__name__,
            )
        return super().split(X, y, groups)


class LeaveOneSessionOut(LeaveOneRunOut):
    """Each fold tests on one session (pass the session of each window as groups)."""

    _unit = "session"


def window_groups(ends, labels=None):
    """Group label of each window from per-run ``ends``: run i -> labels[i] (default i)."""
    labels = list(range(len(ends))) if labels is None else list(labels)
    return np.concatenate([np.full(len(e), lab) for e, lab in zip(ends, labels, strict=True)])
