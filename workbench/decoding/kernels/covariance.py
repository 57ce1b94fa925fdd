"""Covariance and Ledoit-Wolf shrinkage."""

from __future__ import annotations

import numpy as np

from ...utils._jit import jit


@jit
def column_mean(x):
    """Mean of each column of ``x`` (n_samples, n_features), accumulated in float64."""
    n, p = x.shape
    mean = np.zeros(p)
    for i in range(n):
        for j in range(p):
            mean[j] += x[i, j]
    return mean / n


@jit
def covariance(x):
    """Empirical covariance of centred data, normalised by n (maximum likelihood).

    Parameters
    ----------
    x : ndarray, shape (n_samples, n_features)

    Returns
    -------
    cov : ndarray, shape (n_features, n_features)
    """
    n, p = x.shape
    mean = column_mean(x)
    cov = np.zeros((p, p))
    for i in range(n):
        for j in range(p):
            dj = x[i, j] - mean[j]
            for k in range(j, p):
                cov[j, k] += dj * (x[i, k] - mean[k])
    for j in range(p):
        for k in range(j, p):
            cov[j, k] /= n
            cov[k, j] = cov[j, k]
    return cov


@jit
def ledoit_wolf_shrinkage(x):
    """Optimal shrinkage intensity towards a scaled identity.

    Ledoit & Wolf 2004, J Multivar Anal 88:365, Lemmas 3.2-3.4: with S the
    empirical covariance and m = tr(S)/p, the intensity is
    min(b2, d2) / d2 where d2 = ||S - m I||_F^2 / p and
    b2 = (1 / n^2) sum_k ||x_k x_k' - S||_F^2 / p.
    The shrunk covariance is (1 - s) S + s m I.

    Parameters
    ----------
    x : ndarray, shape (n_samples, n_features)
        Centred here (the mean is removed first).

    Returns
    -------
    shrinkage : float in [0, 1]
    """
    n, p = x.shape
    mean = column_mean(x)
    xc = np.empty((n, p))
    for i in range(n):
        for j in range(p):
            xc[i, j] = x[i, j] - mean[j]
    s = np.zeros((p, p))
    sum_norm4 = 0.0  # sum_k ||x_k||^4
    for i in range(n):
        sq = 0.0
        for j in range(p):
            sq += xc[i, j] * xc[i, j]
            for k in range(j, p):
                s[j, k] += xc[i, j] * xc[i, k]
        sum_norm4 += sq * sq
    frob2 = 0.0
    trace = 0.0
    for j in range(p):
        trace += s[j, j] / n
        for k in range(j, p):
            v = s[j, k] / n
            frob2 += v * v if k == j else 2.0 * v * v
    m = trace / p
    d2 = (frob2 - 2.0 * m * trace + p * m * m) / p
    b2 = (sum_norm4 / n - frob2) / (n * p)
    if b2 > d2:
        b2 = d2
    if b2 == 0.0:
        return 0.0
    return b2 / d2
