"""BCI performance metrics: accuracy, kappa, Wolpaw ITR, decoder latency.

Counting metrics come from scikit-learn (the implementation the field trusts);
the information transfer rate follows Wolpaw JR et al., EEG-based communication:
improved accuracy by response verification, IEEE Trans Rehabil Eng
1998;6(3):326-333.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import log2

import numpy as np

from ..errors import Problem, ValidationError


def _labels(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    problems = []
    if y_true.ndim != 1 or y_true.size == 0:
        problems.append(Problem("y_true", f"shape {y_true.shape}", "a non-empty 1-D sequence of labels"))
    if y_pred.shape != y_true.shape:
        problems.append(Problem("y_pred", f"shape {y_pred.shape}", f"the shape of y_true {y_true.shape}"))
    if problems:
        raise ValidationError(problems, what="decoder labels")
    return y_true, y_pred


def accuracy(y_true, y_pred) -> float:
    """Fraction of trials decoded correctly, P = correct / total."""
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(*_labels(y_true, y_pred)))


def balanced_accuracy(y_true, y_pred) -> float:
    """Mean per-class recall (chance is 1/N whatever the class balance)."""
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(*_labels(y_true, y_pred)))


def confusion_matrix(y_true, y_pred, labels=None) -> np.ndarray:
    """Counts, rows = true class, columns = predicted class, in ``labels`` order."""
    from sklearn.metrics import confusion_matrix as _cm

    return _cm(*_labels(y_true, y_pred), labels=labels)


def cohen_kappa(y_true, y_pred) -> float:
    """Cohen's kappa = (p_o - p_e) / (1 - p_e), p_e from the confusion-matrix margins."""
    from sklearn.metrics import cohen_kappa_score

    return float(cohen_kappa_score(*_labels(y_true, y_pred)))


def wolpaw_bits(n_classes: int, p: float) -> float:
    """Bits per selection (Wolpaw 1998, eq. for B).

    B = log2 N + P log2 P + (1 - P) log2((1 - P) / (N - 1)); B = log2 N at
    P = 1 and 0 for P <= 1/N (worse than chance carries no information).
    """
    problems = []
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        problems.append(Problem("n_classes", n_classes, "an integer >= 2"))
    if not isinstance(p, (int, float, np.floating)) or not 0 <= p <= 1:
        problems.append(Problem("p", p, "an accuracy between 0 and 1"))
    if problems:
        raise ValidationError(problems, what="Wolpaw ITR parameters")
    n, p = int(n_classes), float(p)
    if p <= 1 / n:
        return 0.0
    if p == 1:
        return log2(n)
    return log2(n) + p * log2(p) + (1 - p) * log2((1 - p) / (n - 1))


def wolpaw_itr(n_classes: int, p: float, seconds_per_selection: float) -> float:
    """Information transfer rate in bits/min, ITR = B * 60 / T.

    ``seconds_per_selection`` (T) must include the pauses between selections
    when the ITR is to describe real use; report which one you used.
    """
    t = seconds_per_selection
    if isinstance(t, bool) or not isinstance(t, (int, float, np.floating)) or not np.isfinite(t) or t <= 0:
        raise ValidationError([Problem("seconds_per_selection", t, "a finite number of seconds > 0")],
                              what="Wolpaw ITR parameters")
    return wolpaw_bits(n_classes, p) * 60.0 / float(t)


@dataclass(frozen=True)
class LatencyStats:
    """Summary of decoder latencies in milliseconds."""

    n: int
    mean_ms: float
    std_ms: float
    median_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


def latency_stats(latencies_s) -> LatencyStats:
    """Summarise decoder latencies given in seconds (e.g. output time - sample time)."""
    x = np.asarray(latencies_s, dtype=float)
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise ValidationError([Problem("latencies_s", f"shape {x.shape}", "a non-empty 1-D array of finite seconds")],
                              what="decoder latencies")
    ms = x * 1e3
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return LatencyStats(int(ms.size), float(ms.mean()), float(ms.std(ddof=1)) if ms.size > 1 else 0.0,
                        float(p50), float(p95), float(p99), float(ms.max()))
