"""Linear read-outs, class probabilities and the Kalman filter update."""

from __future__ import annotations

import numpy as np

from ...utils._jit import jit


@jit
def linear_predict(features, coef, intercept, out):
    """``out = features @ coef.T + intercept`` (LDA decision values, ridge output).

    Parameters
    ----------
    features : ndarray, shape (n, n_features)
    coef : ndarray, shape (n_outputs, n_features)
    intercept : ndarray, shape (n_outputs,)
    out : ndarray, shape (n, n_outputs)
    """
    n, p = features.shape
    k = coef.shape[0]
    for i in range(n):
        for j in range(k):
            acc = intercept[j]
            for f in range(p):
                acc += coef[j, f] * features[i, f]
            out[i, j] = acc
    return out


@jit
def class_probabilities(decision, out):
    """Posterior class probabilities of a linear discriminant.

    One decision column (two classes): the logistic function,
    ``p1 = 1 / (1 + exp(-d))``; several: the softmax. For LDA with shared
    covariance these are the exact posteriors (Hastie, Tibshirani & Friedman,
    Elements of Statistical Learning, 2nd ed., eq. 4.9).

    Parameters
    ----------
    decision : ndarray, shape (n, 1) or (n, n_classes)
    out : ndarray, shape (n, 2) or (n, n_classes)
    """
    n, k = decision.shape
    for i in range(n):
        if k == 1:
            d = decision[i, 0]
            if d >= 0:
                p1 = 1.0 / (1.0 + np.exp(-d))
            else:
                e = np.exp(d)
                p1 = e / (1.0 + e)
            out[i, 0] = 1.0 - p1
            out[i, 1] = p1
        else:
            m = decision[i, 0]
            for j in range(1, k):
                if decision[i, j] > m:
                    m = decision[i, j]
            s = 0.0
            for j in range(k):
                e = np.exp(decision[i, j] - m)
                out[i, j] = e
                s += e
            for j in range(k):
                out[i, j] /= s
    return out


@jit
def kalman_steps(z, a, b, w, h, d, ht_qinv, ht_qinv_h, x, p, out):
    """Run the Kalman filter over observation rows, updating state in place.

    Model of Wu et al. 2006 (Neural Comput 18:80) with intercepts:
    x_t = A x_{t-1} + b + w, z_t = H x_t + d + q. Spike counts and band
    powers are never zero-mean, so without ``d`` the fitted H would have to
    explain the features' mean through the kinematics. The update uses the
    information form (Simon 2006, Optimal State Estimation, eqs. 6.33-6.34):
    P+ = (P-^-1 + H' Q^-1 H)^-1 and x+ = x- + P+ H' Q^-1 (z - H x- - d), so
    each step inverts only state-sized matrices; H' Q^-1 and H' Q^-1 H are
    computed once when fitting. With 2048 features (1024 channels x 2) this
    is what makes the update cheap.

    Parameters
    ----------
    z : ndarray, shape (n_steps, n_obs)
    a, w : ndarray, shape (n_state, n_state)
    b : ndarray, shape (n_state,)
        State-model intercept.
    h : ndarray, shape (n_obs, n_state)
    d : ndarray, shape (n_obs,)
        Observation-model intercept.
    ht_qinv : ndarray, shape (n_state, n_obs)
    ht_qinv_h : ndarray, shape (n_state, n_state)
    x : ndarray, shape (n_state,)
        State estimate (updated in place).
    p : ndarray, shape (n_state, n_state)
        Its covariance (updated in place).
    out : ndarray, shape (n_steps, n_state)
    """
    n_steps, n_obs = z.shape
    n_state = x.shape[0]
    for i in range(n_steps):
        xp = a @ x + b
        pp = a @ p @ a.T + w
        post = np.linalg.inv(np.linalg.inv(pp) + ht_qinv_h)
        innov = np.empty(n_obs)
        for o in range(n_obs):
            acc = z[i, o] - d[o]
            for j in range(n_state):
                acc -= h[o, j] * xp[j]
            innov[o] = acc
        g = np.zeros(n_state)
        for j in range(n_state):
            acc = 0.0
            for o in range(n_obs):
                acc += ht_qinv[j, o] * innov[o]
            g[j] = acc
        xn = xp + post @ g
        for j in range(n_state):
            x[j] = xn[j]
            out[i, j] = xn[j]
            for k in range(n_state):
                p[j, k] = post[j, k]
    return out
