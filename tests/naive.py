"""Slow, obvious reference versions of every decoder kernel.

Each function does the textbook computation with plain Python loops or
whole-array numpy, with no state tricks, so a kernel test can compare the
optimised streaming kernel against something easy to check by eye.
"""

from __future__ import annotations

import numpy as np


def sosfilt(sos, x, zi=None):
    """Cascade of biquads, difference equations per channel, per sample.

    y[n] = b0 x[n] + b1 x[n-1] + b2 x[n-2] - a1 y[n-1] - a2 y[n-2] per section,
    with zero initial conditions (``zi`` is not supported here on purpose).
    """
    assert zi is None
    y = np.array(x, dtype=float)
    for sec in sos:
        b0, b1, b2, a0, a1, a2 = sec / sec[3]
        out = np.zeros_like(y)
        for c in range(y.shape[1]):
            x1 = x2 = y1 = y2 = 0.0
            for n in range(y.shape[0]):
                xn = y[n, c]
                yn = b0 * xn + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
                out[n, c] = yn
                x2, x1, y2, y1 = x1, xn, y1, yn
        y = out
    return y


def common_average(x):
    return x - x.mean(axis=1, keepdims=True)


def laplacian(x, neighbors):
    """``neighbors``: dict column -> list of neighbour columns (equal weights)."""
    out = x.copy()
    for c, nbs in neighbors.items():
        out[:, c] = x[:, c] - x[:, nbs].mean(axis=1)
    return out


def output_counts(n_times, window, step):
    """1-based sample counts after which a windowed kernel emits an output."""
    return [n for n in range(1, n_times + 1) if n % step == 0 and n >= window]


def window_power(x, window, step, log=True):
    rows = [np.mean(x[n - window:n] ** 2, axis=0) for n in output_counts(len(x), window, step)]
    p = np.array(rows).reshape(-1, x.shape[1])
    return np.log(p) if log else p


def window_power_two_stacks(x, window, step):
    """Mean of squares in the exact order of the two-stack window kernel, no log.

    Block ``k`` is ``((0 + x0**2) + x1**2) + ...`` over its ``step`` rows.
    Blocks go in groups of ``n_blocks = window // step``; the window ending
    with block ``k`` (``j = k % n_blocks``) is the suffix sum ``B[i] + (B[i+1]
    + (... + B[n_blocks-1]))`` of the older group from ``i = j + 1`` plus
    ``((0 + B'[0]) + B'[1]) + ... + B'[j]`` of its own group (just the suffix
    sum of its group from 0 when ``j == n_blocks - 1``), divided by ``window``.
    """
    n_blocks = window // step
    blocks = []
    for k in range(len(x) // step):
        acc = np.zeros(x.shape[1])
        for row in x[k * step:(k + 1) * step]:
            acc = acc + row * row
        blocks.append(acc)

    def suffix(group, i):
        s = group[-1]
        for b in reversed(group[i:-1]):
            s = b + s
        return s

    rows = []
    for k in range(n_blocks - 1, len(blocks)):
        g, j = k // n_blocks, k % n_blocks
        own = blocks[g * n_blocks:(g + 1) * n_blocks]
        if j == n_blocks - 1:
            total = suffix(own, 0)
        else:
            newer = np.zeros(x.shape[1])
            for b in own[:j + 1]:
                newer = newer + b
            total = suffix(blocks[(g - 1) * n_blocks:g * n_blocks], j + 1) + newer
        rows.append(total / window)
    return np.array(rows).reshape(-1, x.shape[1])


def log(x):
    """Natural log, elementwise, by the C library (via numpy); -inf at 0, NaN below."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(np.asarray(x, dtype=float))


def window_logvar(x, window, step):
    rows = [np.log(np.var(x[n - window:n], axis=0)) for n in output_counts(len(x), window, step)]
    return np.array(rows).reshape(-1, x.shape[1])


def ema_power(x, alpha, p0=0.0, log=False):
    out = np.empty_like(x)
    p = np.full(x.shape[1], p0, dtype=float)
    for t in range(len(x)):
        p = (1 - alpha) * p + alpha * x[t] ** 2
        out[t] = p
    return np.log(out) if log else out


def spike_bins(x, thresholds, bin_size):
    """Counts of downward threshold crossings and mean power per full bin."""
    below = x < thresholds
    cross = below.copy()
    cross[1:] &= ~below[:-1]  # predecessor at or above threshold
    cross[0] = False  # no predecessor: never a crossing
    n_bins = len(x) // bin_size
    counts = cross[: n_bins * bin_size].reshape(n_bins, bin_size, -1).sum(axis=1)
    power = (x[: n_bins * bin_size] ** 2).reshape(n_bins, bin_size, -1).mean(axis=1)
    return counts.astype(float), power


def covariance(x):
    xc = x - x.mean(axis=0)
    return xc.T @ xc / len(x)


def ledoit_wolf_shrinkage(x):
    """Ledoit & Wolf 2004 Lemmas 3.2-3.4, written term by term."""
    n, p = x.shape
    xc = x - x.mean(axis=0)
    s = xc.T @ xc / n
    m = np.trace(s) / p
    d2 = np.sum((s - m * np.eye(p)) ** 2) / p
    b2 = sum(np.sum((np.outer(xk, xk) - s) ** 2) / p for xk in xc) / n**2
    b2 = min(b2, d2)
    return 0.0 if b2 == 0 else b2 / d2


def spatial_filter(x, filters):
    return np.array([[np.dot(filters[k], x[t]) for k in range(len(filters))] for t in range(len(x))])


def linear_predict(features, coef, intercept):
    return features @ coef.T + intercept


def class_probabilities(decision):
    if decision.shape[1] == 1:
        p1 = 1 / (1 + np.exp(-decision[:, 0]))
        return np.column_stack([1 - p1, p1])
    e = np.exp(decision - decision.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def kalman(z, a, w, h, q, x0, p0, b=None, d=None):
    """Textbook Kalman filter (gain form): K = P H' (H P H' + Q)^-1.

    ``b`` and ``d`` are the state and observation intercepts (default zero):
    x_t = A x_{t-1} + b + w, z_t = H x_t + d + q.
    """
    b = np.zeros(len(x0)) if b is None else b
    d = np.zeros(len(h)) if d is None else d
    x, p = x0.copy(), p0.copy()
    out = []
    for zt in z:
        x = a @ x + b
        p = a @ p @ a.T + w
        k = p @ h.T @ np.linalg.inv(h @ p @ h.T + q)
        x = x + k @ (zt - h @ x - d)
        p = (np.eye(len(x)) - k @ h) @ p
        out.append(x.copy())
    return np.array(out)


def hold_last_valid(x, last):
    out = x.copy()
    prev = np.array(last, dtype=float)
    bad = np.zeros(len(x), dtype=bool)
    for t in range(len(x)):
        for c in range(x.shape[1]):
            if np.isfinite(out[t, c]):
                prev[c] = out[t, c]
            else:
                out[t, c] = prev[c]
                bad[t] = True
    return out, bad


def all_bounded(x, limit):
    return bool(np.all(np.isfinite(x)) and np.all(np.abs(x) <= limit))


def bandpower_lda(x, sos_bank, window, step, coef, intercept, log=True):
    """Filter bank, band power and LDA posteriors over a whole recording, stage by stage."""
    bands = np.hstack([sosfilt(sos, x) for sos in sos_bank])
    feats = window_power(bands, window, step, log=log)
    return feats, class_probabilities(linear_predict(feats, coef, intercept))


def spike_path(x, sos, thresholds, bin_size):
    """The intracortical path from scratch: hold the last finite value, band-pass, crossings and power per bin.

    ``sos`` is one band (n_sections, 6); returns (counts, power, bad_rows).
    """
    repaired, bad = hold_last_valid(x, np.zeros(x.shape[1]))
    counts, power = spike_bins(sosfilt(sos, repaired), thresholds, bin_size)
    return counts, power, bad


def _spd_power(c, power):
    """``c ** power`` for a symmetric positive definite matrix, by scipy's Schur-based algorithm."""
    import scipy.linalg

    return np.real(scipy.linalg.fractional_matrix_power(c, power))


def tangent_vector(c, ref):
    """upper(logm(ref^-1/2 c ref^-1/2)), logm by scipy (Pade/Schur), weights 1 and sqrt(2), row by row."""
    import scipy.linalg

    p = _spd_power(ref, -0.5)
    lg = np.real(scipy.linalg.logm(p @ c @ p))
    return np.array([lg[j, k] * (1.0 if j == k else np.sqrt(2.0)) for j in range(len(c)) for k in range(j, len(c))])


def riemann_squared_distance(a, b):
    """sum of log^2 of the generalised eigenvalues of (a, b)."""
    import scipy.linalg

    return float(np.sum(np.log(scipy.linalg.eigvalsh(a, b)) ** 2))


def window_covariances(x, window, step, lwf=False):
    """Covariance of every window ending at an output count, optionally Ledoit-Wolf shrunk."""
    out = []
    for n in output_counts(len(x), window, step):
        w = x[n - window:n]
        c = covariance(w)
        if lwf:
            s = ledoit_wolf_shrinkage(w)
            c = (1 - s) * c + s * np.trace(c) / len(c) * np.eye(len(c))
        out.append(c)
    return np.array(out)


def mdm_probabilities(covs, means):
    d2 = np.array([[riemann_squared_distance(c, m) for m in means] for c in covs])
    e = np.exp(-(d2 - d2.min(axis=1, keepdims=True)))
    return e / e.sum(axis=1, keepdims=True)
