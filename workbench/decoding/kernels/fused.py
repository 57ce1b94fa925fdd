"""The band-power + LDA decoder's whole chunk in one kernel call.

The workbench's own decoder (calibration, training, demo) is a filter bank,
band power and LDA. Run stage by stage, one 20 ms chunk of 64 channels at
2 kHz cost 28 us, of which the filtering was 9 us; the rest was Python
between six kernel calls, numba's argument checks and allocations (profiled
per call on benchmarks/decoder.py's chunks). This kernel chains the *same*
kernels (so results are identical to the stage-by-stage path to the last
bit) and also computes the validity flags, leaving one call per chunk.
Input check, filtering and band power run per channel tile, so the filtered
chunk is never written out whole and a chunk not yet in cache arrives (by
prefetch) while the previous tile computes. Measured on benchmarks/decoder.py's
1024-channel chunks, same run: 180-270 us per chunk before, 142-160 after;
about 10 % at 256 channels (where the filter's arithmetic dominates).
Band power since: two-stack window sums and a vectorised log (.power,
.logarithm); order-4 bands square inside the filter, two samples per pass
(the states stay in registers between them): 1024 channels 131 -> ~90 us.
sosfilt_bank's monic four-section groups do the same (1024 channels x 30 kHz:
0.93 -> 0.74 ms per 20 ms chunk).
numba's cache keys this kernel on this file's text only: a change to a
kernel it calls must come with an edit here, or a stale compiled copy keeps
running (tests/decoding/kernels/test_fused.py catches one that changes bits,
not one that is only slower).
"""

from __future__ import annotations

import numpy as np

from ...utils._jit import jit
from .filtering import TILE, cascade_tile, coefficients, four_sections_monic_power, load_tile, monic
from .models import class_probabilities, linear_predict
from .power import block_done, window_power_columns
from .sanitize import hold_last_valid


@jit
def _tile_finite(x, c0, m):
    """True when ``x[:, c0:c0 + m]`` holds no NaN or Inf (``v - v`` is NaN exactly for those)."""
    ok = True
    for t in range(x.shape[0]):
        row = x[t, c0:c0 + m]
        for c in range(m):
            d = row[c] - row[c]
            ok &= d == d
    return ok


@jit
def _store_tile_bounded(st, zi_b, c0, m, limit):
    """:func:`store_tile`, and in the same pass :func:`~.sanitize.all_bounded` of the tile's
    states (while in L1 cache, instead of a pass over the whole ``zi`` after
    the chunk: 128 KB at 1024 channels)."""
    ok = True
    for s in range(zi_b.shape[0]):
        for k in range(2):
            src, dst = st[2 * s + k], zi_b[s, k, c0:c0 + m]
            for c in range(m):
                v = src[c]
                dst[c] = v
                ok &= abs(v) <= limit
    return ok


@jit
def _filtered_power(src, c_src, m, st, co, pf_col, pf_m, step, acc, blocks, newer, n0, take_log, out, col):
    """Filter one tile through one four-section band and feed its squares to
    the power window (columns ``col ..`` of the state and ``out``), block by
    block: :func:`cascade_tile` then :func:`window_power_columns` without
    writing the filtered samples out. Returns the outputs written."""
    n = src.shape[0]
    window = step * blocks.shape[0]
    a = acc[col:col + m]
    n_out = 0
    t = 0
    while t < n:
        t1 = min(n, t + step - (n0 + t) % step)
        four_sections_monic_power(src[t:t1], c_src, m, st, co, pf_col, pf_m, a)
        t = t1
        if (n0 + t) % step == 0:
            nb = (n0 + t) // step
            emit = nb >= blocks.shape[0]
            block_done(nb, blocks, newer, a, col, m, window, take_log, out[n_out, col:col + m], emit)
            if emit:
                n_out += 1
    return n_out


@jit
def bandpower_lda_chunk(x, scratch, last_valid, bad_rows, sos, zi, tile_buf, step, acc, blocks, newer, counter,
                        take_log, coef, intercept, feats, decision, probs, valid, sample_index, window, last_bad, valid_from,
                        invalid_span, limit):
    """Repair, filter, band power, LDA posteriors and validity for one chunk.

    Parameters
    ----------
    x : ndarray, shape (n, n_channels)
        The chunk (read only).
    scratch : ndarray, shape (>= n, min(TILE, n_channels))
        Where a channel tile with NaN/Inf is repaired (hold last valid value).
    last_valid : ndarray, shape (n_channels,)
        Last finite value per channel (state).
    bad_rows : ndarray of bool, shape (>= n,)
        Written: rows that held a non-finite value.
    sos, zi
        As :func:`~.filtering.sosfilt_bank`.
    tile_buf : ndarray, shape (>= n, min(TILE, n_channels))
        Where one channel tile of one band is filtered (scratch).
    step, acc, blocks, newer, counter, take_log
        As :func:`window_power`; ``counter[0]`` is also the decoder's sample count.
    coef, intercept
        LDA, as :func:`linear_predict`.
    feats, decision, probs, valid, sample_index : ndarray, (>= n // step + 1, ...)
        Written: features, decision values, posteriors, validity and the
        sample index (from the first sample fed) of each output.
    window : int
        Window length; outputs follow the grid of :mod:`.power`.
    last_bad : ndarray of int64, shape (1,)
        Index of the last non-finite input sample so far (state).
    valid_from : int
        First sample index at which an output may be valid (after a gap).
    invalid_span : int
        Outputs within this many samples after a non-finite sample are invalid.
    limit : float
        Bound of the filter state (:func:`~.sanitize.all_bounded`).

    Returns
    -------
    n_out : int
        Outputs written.
    n_bad : int
        Rows with a non-finite value.
    state_ok : bool
        False if the filter state overflowed (the caller resets it).
    """
    n, n_ch = x.shape
    n0 = counter[0]
    co = coefficients(sos)
    st = np.empty((2 * sos.shape[1], min(TILE, n_ch)))
    tile_bad = np.zeros(n, dtype=np.bool_)
    bad_rows[:n] = False
    y = tile_buf[:n]
    n_out = 0
    state_ok = True
    # Tile by tile: check (and if needed repair) the tile's input, then filter
    # it through every band and sum its squares while the filtered samples
    # are still in L1 cache; the next tile's input is prefetched meanwhile.
    # Per channel this is exactly hold_last_valid, sosfilt_bank and
    # window_power (repair, filter and power never mix channels): identical
    # bits to the stage-by-stage path, tested.
    for c0 in range(0, n_ch, TILE):
        m = min(TILE, n_ch - c0)
        if _tile_finite(x, c0, m):
            src, c_src = x, c0
            if n:
                last_valid[c0:c0 + m] = x[n - 1, c0:c0 + m]
        else:
            src, c_src = scratch[:n], 0
            src[:, :m] = x[:, c0:c0 + m]
            hold_last_valid(src[:, :m], last_valid[c0:c0 + m], tile_bad)
            for t in range(n):
                bad_rows[t] |= tile_bad[t]
        for b in range(sos.shape[0]):
            pf_m = min(TILE, n_ch - c0 - m) if b == 0 else 0
            load_tile(zi[b], st, c0, m)
            if sos.shape[1] == 4 and monic(co[b], 1, 4):  # Butterworth order 4 (the default): no y written
                n_out = _filtered_power(src, c_src, m, st, co[b], c0 + m, pf_m, step, acc, blocks, newer, n0,
                                        take_log, feats, b * n_ch + c0)
            else:
                cascade_tile(src, c_src, y, np.int64(0), m, st, co[b], c0 + m, pf_m)
                n_out = window_power_columns(y, m, b * n_ch + c0, step, acc, blocks, newer, n0, take_log, feats)
            state_ok &= _store_tile_bounded(st, zi[b], c0, m, limit)
    counter[0] = n0 + n
    n_bad = 0
    last_bad_here = last_bad[0]
    for t in range(n):
        if bad_rows[t]:
            n_bad += 1
            last_bad_here = n0 + t
    linear_predict(feats[:n_out], coef, intercept, decision[:n_out])
    class_probabilities(decision[:n_out], probs[:n_out])
    lo = max(n0 + 1, window)
    first = ((lo + step - 1) // step) * step - 1
    lb = last_bad[0]
    t_scan = 0
    for j in range(n_out):
        idx = first + j * step
        sample_index[j] = idx
        if n_bad:
            while t_scan <= idx - n0:
                if bad_rows[t_scan]:
                    lb = n0 + t_scan
                t_scan += 1
        ok = idx - lb >= invalid_span and idx >= valid_from
        for k in range(probs.shape[1]):
            v = probs[j, k]
            ok &= (v - v) == 0.0
        valid[j] = ok
    last_bad[0] = last_bad_here
    return n_out, n_bad, state_ok
