"""BCI metrics against the test vectors of outcomes/MEASURES.md and hand counts."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.errors import ValidationError
from workbench.outcomes import bci_metrics as m


@pytest.mark.parametrize(("n", "p", "t", "bits", "itr"), [
    (2, 0.9, 4, 0.5310, 7.965),
    (4, 0.8, 5, 0.9611, 11.533),
    (4, 1.0, 1, 2.0, 120.0),
    (36, 0.9, 1, 4.1880, 251.28),
])
def test_wolpaw_vectors(n, p, t, bits, itr):
    assert m.wolpaw_bits(n, p) == pytest.approx(bits, abs=5e-5)
    assert m.wolpaw_itr(n, p, t) == pytest.approx(itr, abs=5e-3)


def test_wolpaw_at_or_below_chance_is_zero():
    assert m.wolpaw_bits(4, 0.25) == 0.0
    assert m.wolpaw_bits(2, 0.3) == 0.0


def test_wolpaw_bad_parameters_all_named():
    with pytest.raises(ValidationError) as info:
        m.wolpaw_bits(1, 1.2)
    assert set(info.value.fields) == {"n_classes", "p"}
    with pytest.raises(ValidationError) as info:
        m.wolpaw_itr(2, 0.9, 0)
    assert info.value.fields == ("seconds_per_selection",)


def test_counting_metrics_on_a_hand_counted_example():
    y_true = ["rest", "rest", "rest", "rest", "grasp", "grasp", "grasp", "open", "open", "open"]
    y_pred = ["rest", "rest", "rest", "grasp", "grasp", "grasp", "open", "open", "open", "rest"]
    assert m.accuracy(y_true, y_pred) == pytest.approx(0.7)
    assert m.balanced_accuracy(y_true, y_pred) == pytest.approx((3 / 4 + 2 / 3 + 2 / 3) / 3)
    cm = m.confusion_matrix(y_true, y_pred, labels=["rest", "grasp", "open"])
    assert cm.tolist() == [[3, 1, 0], [0, 2, 1], [1, 0, 2]]
    p_o = 0.7
    p_e = (4 * 4 + 3 * 3 + 3 * 3) / 100  # margins: true (4,3,3) x predicted (4,3,3)
    assert m.cohen_kappa(y_true, y_pred) == pytest.approx((p_o - p_e) / (1 - p_e))


def test_mismatched_labels_are_refused():
    with pytest.raises(ValidationError) as info:
        m.accuracy([0, 1, 1], [0, 1])
    assert info.value.fields == ("y_pred",)


def test_latency_stats():
    lat = np.array([0.010, 0.020, 0.030, 0.040, 0.100])
    s = m.latency_stats(lat)
    assert (s.n, s.median_ms, s.max_ms) == (5, pytest.approx(30.0), pytest.approx(100.0))
    assert s.mean_ms == pytest.approx(40.0)
    assert s.p95_ms == pytest.approx(np.percentile(lat * 1e3, 95))
    with pytest.raises(ValidationError):
        m.latency_stats([0.01, np.nan])
