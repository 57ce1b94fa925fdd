"""Run- and session-wise cross-validation keeps runs whole."""

import numpy as np
import pytest

from workbench.decoding import LeaveOneRunOut, LeaveOneSessionOut, window_groups
from workbench.errors import ValidationError


def test_each_fold_tests_exactly_one_whole_run():
    groups = window_groups([np.arange(3), np.arange(4), np.arange(2)], ["r6", "r10", "r14"])
    X = np.zeros((9, 2))
    folds = list(LeaveOneRunOut().split(X, groups=groups))
    assert len(folds) == 3
    for train, test in folds:
        assert len(set(groups[test])) == 1
        assert not set(groups[train]) & set(groups[test])
        assert len(train) + len(test) == 9


def test_missing_or_single_groups_are_explained():
    X = np.zeros((4, 1))
    with pytest.raises(ValidationError, match="the run of each window"):
        list(LeaveOneRunOut().split(X))
    with pytest.raises(ValidationError, match="at least two different sessions"):
        list(LeaveOneSessionOut().split(X, groups=["s1"] * 4))
    with pytest.raises(ValidationError, match="one run label per window"):
        list(LeaveOneRunOut().split(X, groups=[1, 2]))
