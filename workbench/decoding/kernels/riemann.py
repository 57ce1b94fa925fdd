"""Riemannian kernels: window covariance, tangent-space vectors, distances to class means.

Symmetric positive definite (SPD) covariance matrices are points on a
Riemannian manifold; the affine-invariant metric gives the tangent-space
map and the distance used here (Barachant et al. 2012, IEEE Trans Biomed Eng
59:920, eqs. 4-8; Barachant et al. 2013, Neurocomputing 112:172, eq. 2).
The reference point and class means are fitted offline by pyRiemann; these
kernels only apply them, one window at a time, with symmetric
eigendecompositions (LAPACK ``syevd`` through numba's ``np.linalg.eigh``).

Streaming kernels keep the last ``window`` samples in a ring (sample ``n`` at
row ``n % window``) and copy it in time order before each estimate, so an
output computed online is bit-for-bit the one computed on the same epoch
offline.
"""

from __future__ import annotations

import numpy as np

from ...utils._jit import jit
from .covariance import covariance, ledoit_wolf_shrinkage

_SQRT2 = 1.4142135623730951


SCM, LWF, OAS = 0, 1, 2  # covariance estimators (the ``shrinkage`` argument of the kernels)


@jit
def spd_covariance(x, shrinkage):
    """Covariance of one window (centred, normalised by n), optionally shrunk towards ``tr(S)/p I``.

    ``shrinkage``: ``SCM`` (0), pyRiemann's ``"scm"``; ``LWF`` (1), its
    ``"lwf"`` (scikit-learn's ``ledoit_wolf``, Ledoit & Wolf 2004, J Multivar
    Anal 88:365); ``OAS`` (2), its ``"oas"`` (scikit-learn's ``oas``: Chen et
    al. 2010, IEEE Trans Signal Process 58:5016, eq. 23, without the 2/p
    factor, as scikit-learn). Shrunk: ``(1 - s) S + s tr(S)/p I``.

    Parameters
    ----------
    x : ndarray, shape (n_times, n_channels)
    shrinkage : int
    """
    c = covariance(x)
    if shrinkage == SCM:
        return c
    p = c.shape[0]
    mu = 0.0
    for j in range(p):
        mu += c[j, j]
    mu /= p
    if shrinkage == LWF:
        s = ledoit_wolf_shrinkage(x)
    else:
        alpha = 0.0  # mean of the squared entries of S
        for j in range(p):
            for k in range(p):
                alpha += c[j, k] * c[j, k]
        alpha /= p * p
        den = (x.shape[0] + 1) * (alpha - mu * mu / p)
        s = 1.0 if den == 0 else min((alpha + mu * mu) / den, 1.0)
    for j in range(p):
        for k in range(p):
            c[j, k] *= 1.0 - s
        c[j, j] += s * mu
    return c


@jit
def tangent_vector(c, ref_isqrt, out):
    """Tangent vector of ``c`` at the reference whose inverse square root is ``ref_isqrt``.

    ``upper(logm(P C P))`` with ``P = Cref^-1/2`` (Barachant et al. 2013,
    eq. 2): the log of the whitened matrix through its eigendecomposition
    ``V diag(log w) V'``, then the upper triangle row by row, diagonal weight
    1 and off-diagonal weight sqrt(2) so that the Euclidean norm of the vector
    is the Frobenius norm of the matrix (Tuzel, Porikli & Meer 2008).

    Parameters
    ----------
    c, ref_isqrt : ndarray, shape (p, p)
    out : ndarray, shape (p * (p + 1) // 2,)
        Written in place.
    """
    p = c.shape[0]
    w = np.dot(np.dot(ref_isqrt, c), ref_isqrt)
    vals, vecs = np.linalg.eigh(w)
    scaled = np.empty((p, p))
    for j in range(p):
        for k in range(p):
            scaled[j, k] = vecs[j, k] * np.log(vals[k])
    lg = np.dot(scaled, vecs.T)
    i = 0
    for j in range(p):
        out[i] = lg[j, j]
        i += 1
        for k in range(j + 1, p):
            out[i] = _SQRT2 * lg[j, k]
            i += 1
    return out


@jit
def squared_distances(c, mean_isqrts, out):
    """Squared affine-invariant distances from ``c`` to each class mean.

    ``d^2(C, M) = sum_i log^2 lambda_i`` with lambda the generalised
    eigenvalues of (C, M), i.e. the eigenvalues of ``M^-1/2 C M^-1/2``
    (Barachant et al. 2012, eq. 5; Foerstner & Moonen 1999).

    Parameters
    ----------
    c : ndarray, shape (p, p)
    mean_isqrts : ndarray, shape (n_classes, p, p)
        Inverse square root of each class mean.
    out : ndarray, shape (n_classes,)
    """
    for k in range(mean_isqrts.shape[0]):
        m = np.ascontiguousarray(mean_isqrts[k])
        vals = np.linalg.eigvalsh(np.dot(np.dot(m, c), m))
        d2 = 0.0
        for v in vals:
            lv = np.log(v)
            d2 += lv * lv
        out[k] = d2
    return out


@jit
def _ordered_window(ring, n):
    """The ring's samples in time order, oldest first (``n`` samples seen so far)."""
    window, p = ring.shape
    buf = np.empty((window, p))
    start = n % window
    for i in range(window):
        r = (start + i) % window
        for j in range(p):
            buf[i, j] = ring[r, j]
    return buf


@jit
def window_covariances(x, step, ring, counter, shrinkage, out):
    """Covariance of the last ``window`` samples every ``step`` samples, flattened row-major.

    Parameters
    ----------
    x : ndarray, shape (n_times, n_channels)
    step : int
    ring : ndarray, shape (window, n_channels)
        State: the last ``window`` samples.
    counter : ndarray of int64, shape (1,)
        State: samples seen.
    shrinkage : int
        ``SCM``, ``LWF`` or ``OAS`` (see :func:`spd_covariance`).
    out : ndarray, shape (>= n_times // step + 1, n_channels ** 2)

    Returns
    -------
    n_out : int
    """
    n_times, p = x.shape
    window = ring.shape[0]
    n = counter[0]
    n_out = 0
    for t in range(n_times):
        pos = n % window
        for j in range(p):
            ring[pos, j] = x[t, j]
        n += 1
        if n % step == 0 and n >= window:
            c = spd_covariance(_ordered_window(ring, n), shrinkage)
            for j in range(p):
                for k in range(p):
                    out[n_out, j * p + k] = c[j, k]
            n_out += 1
    counter[0] = n
    return n_out


@jit
def window_tangent(x, step, ring, counter, shrinkage, ref_isqrt, out):
    """Tangent vectors of the window covariances, every ``step`` samples.

    Same windowing as :func:`window_covariances`; each covariance goes
    through :func:`tangent_vector` at the fitted reference.

    Returns
    -------
    n_out : int
    """
    p = x.shape[1]
    covs = np.empty((x.shape[0] // step + 1, p * p))
    n_out = window_covariances(x, step, ring, counter, shrinkage, covs)
    for i in range(n_out):
        tangent_vector(covs[i].reshape((p, p)), ref_isqrt, out[i])
    return n_out


@jit
def mdm_probabilities(covs, mean_isqrts, out):
    """Minimum distance to mean posteriors: softmax of minus the squared distances.

    pyRiemann's ``MDM.predict_proba`` (Barachant et al. 2012, section III.A).

    Parameters
    ----------
    covs : ndarray, shape (n, p * p)
        Flattened covariance matrices (row-major).
    mean_isqrts : ndarray, shape (n_classes, p, p)
    out : ndarray, shape (n, n_classes)
    """
    n = covs.shape[0]
    k = mean_isqrts.shape[0]
    p = mean_isqrts.shape[1]
    d2 = np.empty(k)
    for i in range(n):
        c = np.ascontiguousarray(covs[i]).reshape((p, p))
        squared_distances(c, mean_isqrts, d2)
        lo = d2[0]
        for j in range(1, k):
            if d2[j] < lo:
                lo = d2[j]
        s = 0.0
        for j in range(k):
            out[i, j] = np.exp(lo - d2[j])  # shifted by the smallest distance: no underflow to 0/0
            s += out[i, j]
        for j in range(k):
            out[i, j] /= s
    return out
