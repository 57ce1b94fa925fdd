"""Protect streaming state from non-finite samples."""

from __future__ import annotations

import numpy as np

from ...utils._jit import jit


@jit
def count_nonfinite_rows(x):
    """Number of rows of ``x`` holding at least one NaN or Inf (read only).

    ``v - v`` is NaN exactly for NaN and +-Inf; the boolean reduction over
    channels vectorises, so a clean chunk costs one fast pass.
    """
    n_times, n_ch = x.shape
    n_bad = 0
    for t in range(n_times):
        ok = True
        for c in range(n_ch):
            d = x[t, c] - x[t, c]
            ok &= d == d
        if not ok:
            n_bad += 1
    return n_bad


@jit
def hold_last_valid(x, last, bad_rows):
    """Replace NaN/Inf values by the channel's last finite value, in place.

    One bad sample fed to an IIR filter would make its state NaN forever;
    holding the last finite value keeps the state finite (the outputs whose
    window saw a bad sample are flagged invalid by the caller).

    Parameters
    ----------
    x : ndarray, shape (n_times, n_channels)
        Modified in place.
    last : ndarray, shape (n_channels,)
        Last finite value per channel (state, updated in place).
    bad_rows : ndarray of bool, shape (n_times,)
        Set True where a row had at least one non-finite value.

    Returns
    -------
    n_bad : int
        Rows with a non-finite value.
    """
    n_times, n_ch = x.shape
    n_bad = 0
    for t in range(n_times):
        bad = False
        for c in range(n_ch):
            v = x[t, c]
            if np.isfinite(v):
                last[c] = v
            else:
                x[t, c] = last[c]
                bad = True
        bad_rows[t] = bad
        if bad:
            n_bad += 1
    return n_bad


@jit
def all_bounded(flat, limit):
    """True when every value of the 1-D array ``flat`` is finite and ``|v| <= limit``.

    Used on the recursive states (IIR ``zi``, smoothed power, Kalman x and P)
    after each chunk. A state that overflowed to Inf feeds back into every
    later sample (Inf - Inf = NaN); one that is merely astronomically large
    (a 1e300 spike) is finite but its square is Inf, and an IIR filter needs
    thousands of samples to ring down from it. Either way the state must be
    reset rather than trusted. NaN fails every comparison, so it is caught too.
    """
    ok = True
    for i in range(flat.shape[0]):
        ok &= abs(flat[i]) <= limit
    return ok
