"""Sliding-window power and variance, and exponentially smoothed power.

Outputs of the windowed kernels fall on a fixed grid of the absolute sample
count ``n`` (samples seen since the state was made): an output is produced
after sample ``n`` when ``n % step == 0`` and ``n >= window``. Because the grid
depends only on ``n``, the way a recording is cut into chunks cannot change
which samples produce outputs.
"""

from __future__ import annotations

import numpy as np

from ...utils._jit import jit
from .logarithm import log


@jit
def window_power(x, step, acc, blocks, newer, counter, take_log, out):
    """Mean of squares over the last ``window = step * n_blocks`` samples.

    Band power as in Pfurtscheller & Lopes da Silva 1999 (Clin Neurophysiol
    110:1842, ERD/ERS: band-pass, square, average): the average is a causal
    moving average evaluated every ``step`` samples. Each block of ``step``
    samples is summed afresh and the window is the sum of the last
    ``n_blocks`` block sums, held as two stacks: the blocks are numbered from
    the first sample and taken in groups of ``n_blocks``; when a group is
    complete its block sums become suffix sums in place (``S[i] = B[i] +
    S[i + 1]``), and until the next group is complete a window is the suffix
    sum of the older group's blocks still in it plus the running sum
    ``newer`` of the newer group's blocks. A sum is never decremented: no
    drift over hours, and no cancellation (a negative power, a NaN log)
    after a large artefact leaves the window; yet an output costs two adds
    per feature (and one more per feature and output to build the suffix
    sums), not ``n_blocks``. Which sums are added depends only on the
    absolute block number, so chunking never changes a bit.

    Parameters
    ----------
    x : ndarray, shape (n_times, n_channels)
    step : int
        Samples between outputs (block length).
    acc : ndarray, shape (n_channels,)
        Sum of squares of the current, incomplete block (state).
    blocks : ndarray, shape (n_blocks, n_channels)
        Slot ``k % n_blocks`` holds block ``k``'s sum while its group is
        being filled, then the suffix sums of the completed group (state).
    newer : ndarray, shape (n_channels,)
        Sum of the completed blocks of the group being filled (state).
    counter : ndarray of int64, shape (1,)
        Samples seen so far (state).
    take_log : bool
        Return the natural log of the power.
    out : ndarray, shape (>= n_times // step + 1, n_channels)

    Returns
    -------
    n_out : int
        Rows of ``out`` written.
    """
    n_out = window_power_columns(x, x.shape[1], np.int64(0), step, acc, blocks, newer, counter[0], take_log, out)
    counter[0] += x.shape[0]
    return n_out


@jit
def _square_sums(x, m, a):
    """``a[c] += x[t, c] ** 2`` over the rows of ``x[:, :m]``, row by row."""
    for t in range(x.shape[0]):
        xr = x[t, 0:m]
        for c in range(m):
            v = xr[c]
            a[c] += v * v


@jit
def block_done(nb, blocks, newer, a, col, m, window, take_log, row, emit):
    """Block ``nb - 1`` (sum ``a``, columns ``col .. col + m``) is complete:
    update the two stacks (:func:`window_power`), reset ``a``, and if
    ``emit`` write the window's power (or its log) to ``row[:m]``."""
    n_blocks = blocks.shape[0]
    j = (nb - 1) % n_blocks
    if j == n_blocks - 1:
        # group complete: its block sums -> suffix sums, in place
        last = blocks[j, col:col + m]
        for c in range(m):
            last[c] = a[c]
            a[c] = 0.0
        for i in range(n_blocks - 2, -1, -1):
            bi, bn = blocks[i, col:col + m], blocks[i + 1, col:col + m]
            for c in range(m):
                bi[c] += bn[c]
        nw = newer[col:col + m]
        for c in range(m):
            nw[c] = 0.0
        if emit:
            s0 = blocks[0, col:col + m]
            for c in range(m):
                row[c] = s0[c] / window
    else:
        blk, older = blocks[j, col:col + m], blocks[j + 1, col:col + m]
        nw = newer[col:col + m]
        for c in range(m):
            v = a[c]
            blk[c] = v
            a[c] = 0.0
            s = nw[c] + v
            nw[c] = s
            row[c] = (older[c] + s) / window
    if emit and take_log:
        for c in range(m):
            row[c] = log(row[c])  # vectorised (.logarithm); np.log here is one libm call per feature


@jit
def window_power_columns(x, m, col, step, acc, blocks, newer, n0, take_log, out):
    """:func:`window_power` of ``x[:, :m]``, which are columns ``col .. col + m``
    of the state and of ``out``; ``n0`` samples were seen before ``x``.

    The counter is the caller's to advance. The fused decoder kernel calls
    this on one channel tile at a time while the tile's filtered samples are
    still in L1 cache; per column the arithmetic is exactly that of
    :func:`window_power` (which is this function on all columns), so both give
    the same bits.
    """
    n_times = x.shape[0]
    n_blocks = blocks.shape[0]
    window = step * n_blocks
    a = acc[col:col + m]
    n_out = 0
    t = 0
    while t < n_times:
        # rows up to the end of the current block (or of x)
        t1 = min(n_times, t + step - (n0 + t) % step)
        _square_sums(x[t:t1], m, a)
        t = t1
        n = n0 + t
        if n % step == 0:
            nb = n // step
            emit = nb >= n_blocks
            block_done(nb, blocks, newer, a, col, m, window, take_log, out[n_out, col:col + m], emit)
            if emit:
                n_out += 1
    return n_out


@jit
def window_logvar(x, step, ring, counter, out):
    """Log of the variance over the last ``window`` samples, every ``step``.

    Two-pass (mean, then squared deviations) over a ring buffer of the raw
    samples, the numerically safe form (Chan, Golub & LeVeque 1983, Am Stat
    37:242). Variance with ddof=0, as ``numpy.var``.

    Parameters
    ----------
    x : ndarray, shape (n_times, n_channels)
    step : int
    ring : ndarray, shape (window, n_channels)
        The last ``window`` samples (state; sample ``n`` is at row ``n % window``).
    counter : ndarray of int64, shape (1,)
    out : ndarray, shape (>= n_times // step + 1, n_channels)

    Returns
    -------
    n_out : int
    """
    n_times, n_ch = x.shape
    window = ring.shape[0]
    n = counter[0]
    n_out = 0
    for t in range(n_times):
        pos = n % window
        for c in range(n_ch):
            ring[pos, c] = x[t, c]
        n += 1
        if n % step == 0 and n >= window:
            for c in range(n_ch):
                m = 0.0
                for i in range(window):
                    m += ring[i, c]
                m /= window
                v = 0.0
                for i in range(window):
                    d = ring[i, c] - m
                    v += d * d
                out[n_out, c] = np.log(v / window)
            n_out += 1
    counter[0] = n
    return n_out


@jit
def ema_power(x, alpha, state, take_log, out):
    """Exponentially smoothed power, every sample.

    ``p[t] = p[t-1] + alpha * (x[t]**2 - p[t-1])``, a first-order causal
    smoother with time constant ``-1 / (sfreq * log(1 - alpha))`` seconds.

    Parameters
    ----------
    x : ndarray, shape (n_times, n_channels)
    alpha : float
        Smoothing factor in (0, 1].
    state : ndarray, shape (n_channels,)
        ``p`` after the previous sample (state).
    take_log : bool
    out : ndarray, shape (n_times, n_channels)
    """
    n_times, n_ch = x.shape
    for t in range(n_times):
        for c in range(n_ch):
            v = x[t, c]
            p = state[c] + alpha * (v * v - state[c])
            state[c] = p
            out[t, c] = np.log(p) if take_log else p
    return out
