"""Threshold crossings and spike-band power of broadband intracortical data."""

from __future__ import annotations

import numpy as np
from numba.extending import overload

from ...utils._jit import jit
from .filtering import _monic_sample, _prefetch_row, cascade_tile, coefficients, fma, monic
from .sanitize import hold_last_valid


@jit
def spike_bins(x, thresholds, bin_size, prev, counts, power, counter, out_counts, out_power):
    """Count threshold crossings and average spike-band power in fixed bins.

    A crossing is a sample below the channel's (negative) threshold whose
    predecessor was at or above it. Thresholds of -k times the RMS of
    band-passed calibration data follow Christie et al. 2015 (J Neural Eng
    12:016009; k = 4.5 in BrainGate); spike-band power is the mean of the
    squared 300+ Hz band-passed signal per bin (Nason et al. 2020, Nat Biomed
    Eng 4:973, used it in the same bins).

    Parameters
    ----------
    x : ndarray, shape (n_times, n_channels)
        Band-passed signal.
    thresholds : ndarray, shape (n_channels,)
    bin_size : int
        Samples per bin (e.g. 600 = 20 ms at 30 kHz).
    prev : ndarray, shape (n_channels,)
        Previous sample (state).
    counts, power : ndarray, shape (n_channels,)
        Accumulators of the current bin (state).
    counter : ndarray of int64, shape (1,)
        Samples seen (state); bins end where ``counter % bin_size == 0``.
    out_counts, out_power : ndarray, shape (>= n_times // bin_size + 1, n_channels)

    Returns
    -------
    n_out : int
        Completed bins written.
    """
    n_times, n_ch = x.shape
    n = counter[0]
    n_out = 0
    for t in range(n_times):
        for c in range(n_ch):
            v = x[t, c]
            thr = thresholds[c]
            # branch-free so the channel loop vectorises
            counts[c] += 1.0 * ((v < thr) & (prev[c] >= thr))
            prev[c] = v
            power[c] += v * v
        n += 1
        if n % bin_size == 0:
            for c in range(n_ch):
                out_counts[n_out, c] = counts[c]
                out_power[n_out, c] = power[c] / bin_size
                counts[c] = 0.0
                power[c] = 0.0
            n_out += 1
    counter[0] = n
    return n_out


# ---------------------------------------------------------------------------
# The intracortical path in one pass: repair, band-pass, crossings and power.
#
# Stage by stage (count_nonfinite_rows, hold_last_valid, sosfilt_bank,
# spike_bins) a 20 ms chunk of 1024 channels at 30 kHz (4.9 MB, larger than
# L2) went through memory three times and the filtered copy once more each
# way. spike_chunk reads it once: per time block and channel tile, every
# sample is repaired, filtered through the sections in registers and counted
# into the bin while in registers. Per channel the operations and their order
# are those of the stage-by-stage kernels (each section is the same three
# FMAs; ``fma(1, v, z)`` is exactly ``v + z``), so the bits are the same
# (tests/decoding/kernels/test_spikes.py). numba's cache keys spike_chunk on
# this file's text only: a change to a filtering kernel it calls must come
# with an edit here, or a stale compiled copy keeps running (the tests catch
# one that changes bits, not one that is only slower).
# ---------------------------------------------------------------------------


def _cascade(v, k, s):  # pragma: no cover - typing stub, see _cascade_overload
    """One sample through up to four sections held in registers: (y, new states)."""


@jit(inline="always")
def _section(v, b0, b1, b2, a1, a2, z0, z1):
    """Direct form II transposed, as :func:`~.filtering._four_sections` (``a1, a2`` negated)."""
    y = fma(b0, v, z0)
    return y, fma(b1, v, fma(a1, y, z1)), fma(a2, y, b2 * v)


@overload(_cascade, inline="always")
def _cascade_overload(v, k, s):
    # Chosen at compile time by the lengths of the coefficient and state
    # tuples: 14 and 8 is four sections with 1..3 monic (_monic_sample), 5g
    # and 2g is g sections of any coefficients.
    nk, ns = k.count, s.count
    if (nk, ns) == (14, 8):
        return lambda v, k, s: _monic_sample(v, k, s)
    if (nk, ns) == (5, 2):
        def one(v, k, s):
            y, z0, z1 = _section(v, k[0], k[1], k[2], k[3], k[4], s[0], s[1])
            return y, (z0, z1)
        return one
    if (nk, ns) == (10, 4):
        def two(v, k, s):
            y, z0, z1 = _section(v, k[0], k[1], k[2], k[3], k[4], s[0], s[1])
            y, z2, z3 = _section(y, k[5], k[6], k[7], k[8], k[9], s[2], s[3])
            return y, (z0, z1, z2, z3)
        return two
    if (nk, ns) == (15, 6):
        def three(v, k, s):
            y, z0, z1 = _section(v, k[0], k[1], k[2], k[3], k[4], s[0], s[1])
            y, z2, z3 = _section(y, k[5], k[6], k[7], k[8], k[9], s[2], s[3])
            y, z4, z5 = _section(y, k[10], k[11], k[12], k[13], k[14], s[4], s[5])
            return y, (z0, z1, z2, z3, z4, z5)
        return three
    if (nk, ns) == (20, 8):
        def four(v, k, s):
            y, z0, z1 = _section(v, k[0], k[1], k[2], k[3], k[4], s[0], s[1])
            y, z2, z3 = _section(y, k[5], k[6], k[7], k[8], k[9], s[2], s[3])
            y, z4, z5 = _section(y, k[10], k[11], k[12], k[13], k[14], s[4], s[5])
            y, z6, z7 = _section(y, k[15], k[16], k[17], k[18], k[19], s[6], s[7])
            return y, (z0, z1, z2, z3, z4, z5, z6, z7)
        return four
    return None


def _load(z, c):  # pragma: no cover - typing stub
    """The states ``z[i][c]`` of one channel as a tuple (``z`` a tuple of 1-D rows)."""


@overload(_load, inline="always")
def _load_overload(z, c):
    n = z.count
    if n == 2:
        return lambda z, c: (z[0][c], z[1][c])
    if n == 4:
        return lambda z, c: (z[0][c], z[1][c], z[2][c], z[3][c])
    if n == 6:
        return lambda z, c: (z[0][c], z[1][c], z[2][c], z[3][c], z[4][c], z[5][c])
    if n == 8:
        return lambda z, c: (z[0][c], z[1][c], z[2][c], z[3][c], z[4][c], z[5][c], z[6][c], z[7][c])
    return None


def _rows(st, r0, n):  # pragma: no cover - typing stub
    """``n`` (a tuple whose length is the count) rows ``st[r0 ..]`` as a tuple of 1-D views."""


@overload(_rows, inline="always")
def _rows_overload(st, r0, n):
    k = n.count
    if k == 2:
        return lambda st, r0, n: (st[r0], st[r0 + 1])
    if k == 4:
        return lambda st, r0, n: (st[r0], st[r0 + 1], st[r0 + 2], st[r0 + 3])
    if k == 6:
        return lambda st, r0, n: (st[r0], st[r0 + 1], st[r0 + 2], st[r0 + 3], st[r0 + 4], st[r0 + 5])
    if k == 8:
        return lambda st, r0, n: (st[r0], st[r0 + 1], st[r0 + 2], st[r0 + 3], st[r0 + 4], st[r0 + 5],
                                  st[r0 + 6], st[r0 + 7])
    return None


@jit(inline="always")
def _store(z, c, s):
    for i in range(len(s)):
        z[i][c] = s[i]


@jit(inline="always")
def _repair(v, held, ok):
    """:func:`~.sanitize.hold_last_valid` for one sample: (value, still all finite).

    ``v - v == 0`` exactly when ``v`` is finite; the caller loads ``held``
    unconditionally, or LLVM will not vectorise the loop.
    """
    f = (v - v) == 0.0
    return (v if f else held), ok & f


@jit(inline="always")
def _spike_sample(v, k, s, th, before, cnt, pw):
    """One sample through the sections, then the crossing and power sums of :func:`spike_bins`."""
    y, s = _cascade(v, k, s)
    # a select of 1.0 or 0.0, not 1.0 * bool: the same sum, but the conversion
    # of a boolean vector to doubles cost more than the filter's last section
    return y, s, cnt + (1.0 if (y < th) & (before >= th) else 0.0), pw + y * y


@jit
def _spike_rows(src, c_src, m, st, r0, k, proto, repair, last, thr, prev, counts, power, bad_rows, t0, t1,
                pf_col, pf_m):
    """Rows ``t0 .. t1`` of one tile: repair (``repair``), the sections of
    ``k`` from state rows ``st[r0 ..]`` (``proto``: a tuple as long as the
    states), crossings and power sums into ``counts``/``power``, ``prev``.

    Four samples per pass: the states and sums stay in registers between
    them (in cache, per channel-vector and sample: 1 sample per pass 2.0 ns,
    2: 1.36 ns, 4: 1.09 ns on this project's 2-core EPYC; the loads and stores
    of the states, not the arithmetic, were the limit). The repair is
    :func:`~.sanitize.hold_last_valid`'s; ``bad_rows[t]`` is set for a row
    with a non-finite sample.
    """
    z = _rows(st, r0, proto)
    t = t0
    while t + 4 <= t1:
        if pf_m:
            for q in range(4):
                _prefetch_row(src, t + q, pf_col, pf_m)
        x0, x1 = src[t, c_src:c_src + m], src[t + 1, c_src:c_src + m]
        x2, x3 = src[t + 2, c_src:c_src + m], src[t + 3, c_src:c_src + m]
        ok0 = ok1 = ok2 = ok3 = True
        for c in range(m):
            s = _load(z, c)
            v0, v1, v2, v3 = x0[c], x1[c], x2[c], x3[c]
            if repair:
                v0, ok0 = _repair(v0, last[c], ok0)
                v1, ok1 = _repair(v1, v0, ok1)
                v2, ok2 = _repair(v2, v1, ok2)
                v3, ok3 = _repair(v3, v2, ok3)
                last[c] = v3
            th = thr[c]
            y, s, n_c, p = _spike_sample(v0, k, s, th, prev[c], counts[c], power[c])
            y, s, n_c, p = _spike_sample(v1, k, s, th, y, n_c, p)
            y, s, n_c, p = _spike_sample(v2, k, s, th, y, n_c, p)
            y, s, n_c, p = _spike_sample(v3, k, s, th, y, n_c, p)
            counts[c] = n_c
            power[c] = p
            prev[c] = y
            _store(z, c, s)
        bad_rows[t] |= not ok0
        bad_rows[t + 1] |= not ok1
        bad_rows[t + 2] |= not ok2
        bad_rows[t + 3] |= not ok3
        t += 4
    while t < t1:
        if pf_m:
            _prefetch_row(src, t, pf_col, pf_m)
        x0 = src[t, c_src:c_src + m]
        ok0 = True
        for c in range(m):
            s = _load(z, c)
            v0 = x0[c]
            if repair:
                v0, ok0 = _repair(v0, last[c], ok0)
                last[c] = v0
            y, s, n_c, p = _spike_sample(v0, k, s, thr[c], prev[c], counts[c], power[c])
            counts[c] = n_c
            power[c] = p
            prev[c] = y
            _store(z, c, s)
        bad_rows[t] |= not ok0
        t += 1


@jit
def _spike_group(src, c_src, m, st, r0, co, s0, n_sec, monic4, repair, last, thr, prev, counts, power, bad_rows,
                 t0, t1, pf_col, pf_m):
    """:func:`_spike_rows` for sections ``s0 .. n_sec - 1`` (at most four) of ``co``."""
    g = n_sec - s0
    if g == 4 and monic4:
        k4m = (co[s0, 0], co[s0, 1], co[s0, 2], co[s0, 3], co[s0, 4], co[s0 + 1, 1], co[s0 + 1, 3], co[s0 + 1, 4],
               co[s0 + 2, 1], co[s0 + 2, 3], co[s0 + 2, 4], co[s0 + 3, 1], co[s0 + 3, 3], co[s0 + 3, 4])
        _spike_rows(src, c_src, m, st, r0, k4m, (0.0,) * 8, repair, last, thr, prev, counts, power, bad_rows,
                    t0, t1, pf_col, pf_m)
    elif g == 4:
        k4 = (co[s0, 0], co[s0, 1], co[s0, 2], co[s0, 3], co[s0, 4], co[s0 + 1, 0], co[s0 + 1, 1], co[s0 + 1, 2],
              co[s0 + 1, 3], co[s0 + 1, 4], co[s0 + 2, 0], co[s0 + 2, 1], co[s0 + 2, 2], co[s0 + 2, 3],
              co[s0 + 2, 4], co[s0 + 3, 0], co[s0 + 3, 1], co[s0 + 3, 2], co[s0 + 3, 3], co[s0 + 3, 4])
        _spike_rows(src, c_src, m, st, r0, k4, (0.0,) * 8, repair, last, thr, prev, counts, power, bad_rows,
                    t0, t1, pf_col, pf_m)
    elif g == 3:
        k3 = (co[s0, 0], co[s0, 1], co[s0, 2], co[s0, 3], co[s0, 4], co[s0 + 1, 0], co[s0 + 1, 1], co[s0 + 1, 2],
              co[s0 + 1, 3], co[s0 + 1, 4], co[s0 + 2, 0], co[s0 + 2, 1], co[s0 + 2, 2], co[s0 + 2, 3],
              co[s0 + 2, 4])
        _spike_rows(src, c_src, m, st, r0, k3, (0.0,) * 6, repair, last, thr, prev, counts, power, bad_rows,
                    t0, t1, pf_col, pf_m)
    elif g == 2:
        k2 = (co[s0, 0], co[s0, 1], co[s0, 2], co[s0, 3], co[s0, 4], co[s0 + 1, 0], co[s0 + 1, 1], co[s0 + 1, 2],
              co[s0 + 1, 3], co[s0 + 1, 4])
        _spike_rows(src, c_src, m, st, r0, k2, (0.0,) * 4, repair, last, thr, prev, counts, power, bad_rows,
                    t0, t1, pf_col, pf_m)
    else:
        k1 = (co[s0, 0], co[s0, 1], co[s0, 2], co[s0, 3], co[s0, 4])
        _spike_rows(src, c_src, m, st, r0, k1, (0.0,) * 2, repair, last, thr, prev, counts, power, bad_rows,
                    t0, t1, pf_col, pf_m)


@jit
def spike_chunk(x, sos, zi, thresholds, bin_size, prev, counts, power, counter, last_valid, bad_rows, feats,
                tiles, scratch, limit, tile, time_block):
    """Repair, band-pass, threshold crossings and spike-band power of one chunk, in one pass.

    Per channel exactly :func:`~.sanitize.hold_last_valid`, then
    :func:`~.filtering.sosfilt_bank` (one band), then :func:`spike_bins`.

    Parameters
    ----------
    x : ndarray, shape (n, n_channels)
        The chunk (read only).
    sos : ndarray, shape (1, n_sections, 6)
    zi : ndarray, shape (1, n_sections, 2, n_channels)
        Filter state (updated).
    thresholds, bin_size, prev, counts, power, counter
        As :func:`spike_bins` (state updated).
    last_valid : ndarray, shape (n_channels,)
        Last finite input value per channel (state).
    bad_rows : ndarray of bool, shape (>= n,)
        Written: rows that held a non-finite value.
    feats : ndarray, shape (>= n // bin_size + 1, 2 * n_channels)
        Written: per completed bin the crossing counts then the mean power.
    tiles : ndarray, shape (ceil(n_channels / tile), 2 * n_sections + 4, tile)
        Scratch: each tile's states, contiguous (rows of the (…, n_channels)
        state arrays are 8 KB apart at 1024 channels and alias in L1).
    scratch : ndarray, shape (2, >= time_block, tile)
        Scratch for filters of more than four sections (their first sections
        run through :func:`~.filtering.cascade_tile`).
    limit : float
        Bound of the filter state (:func:`~.sanitize.all_bounded`).
    tile, time_block : int
        Channels per tile and rows per pass over the tiles.

    Returns
    -------
    n_out : int
        Bins completed (rows of ``feats`` written).
    n_bad : int
        Rows with a non-finite value.
    state_ok : bool
        False if the filter state overflowed.
    """
    n, n_ch = x.shape
    n_sec = sos.shape[1]
    co = coefficients(sos)[0]
    n0 = counter[0]
    n_pre = ((n_sec - 1) // 4) * 4  # sections before the last group of one to four
    monic4 = monic(co, n_pre + 1, n_sec) if n_sec - n_pre == 4 else False
    r_prev, r_cnt, r_pow, r_last = 2 * n_sec, 2 * n_sec + 1, 2 * n_sec + 2, 2 * n_sec + 3
    n_tiles = (n_ch + tile - 1) // tile
    for i in range(n_tiles):
        c0 = i * tile
        m = min(tile, n_ch - c0)
        st = tiles[i]
        for s in range(n_sec):
            for q in range(2):
                st[2 * s + q, :m] = zi[0, s, q, c0:c0 + m]
        st[r_prev, :m] = prev[c0:c0 + m]
        st[r_cnt, :m] = counts[c0:c0 + m]
        st[r_pow, :m] = power[c0:c0 + m]
        st[r_last, :m] = last_valid[c0:c0 + m]
    bad_rows[:n] = False
    tile_bad = np.zeros(max(time_block, 1), dtype=np.bool_)
    for t0 in range(0, n, time_block):
        t1 = min(n, t0 + time_block)
        for i in range(n_tiles):
            c0 = i * tile
            m = min(tile, n_ch - c0)
            st = tiles[i]
            pf_m = min(tile, n_ch - c0 - m)
            src, c_src, repair, rows_bad, row0, pf_col = x, c0, True, bad_rows, np.int64(0), c0 + m
            if n_pre:
                # a filter of more than four sections: repair the tile's rows into
                # scratch, run the first sections there, fuse only the last group
                fixed, y = scratch[0, :t1 - t0], scratch[1, :t1 - t0]
                fixed[:, :m] = x[t0:t1, c0:c0 + m]
                hold_last_valid(fixed[:, :m], st[r_last, :m], tile_bad)
                for t in range(t1 - t0):
                    bad_rows[t0 + t] |= tile_bad[t]
                zero = np.int64(0)  # not a literal 0: see the package's docstring
                cascade_tile(fixed, zero, y, zero, m, st, co[:n_pre], zero, zero)
                src, c_src, repair, rows_bad, row0 = scratch[1], zero, False, bad_rows[t0:], t0
                pf_col, pf_m = zero, zero
            # The last group's sections and states as views that start at 0: one call for both cases, so
            # numba compiles _spike_group and its five _spike_rows once (a literal 0 here and a computed
            # offset there compiled them twice: 36 s of a cold start), and the offsets stay constants.
            st_g, co_g = st[2 * n_pre:], co[n_pre:]
            a = t0
            while a < t1:
                b = min(t1, a + bin_size - (n0 + a) % bin_size)
                _spike_group(src, c_src, m, st_g, 0, co_g, 0, n_sec - n_pre, monic4, repair, st[r_last],
                             thresholds[c0:c0 + m], st[r_prev], st[r_cnt], st[r_pow], rows_bad, a - row0, b - row0,
                             pf_col, pf_m)
                a = b
                if (n0 + a) % bin_size == 0:
                    j = (n0 + a) // bin_size - n0 // bin_size - 1
                    cnt, pw = st[r_cnt], st[r_pow]
                    out_c, out_p = feats[j, c0:c0 + m], feats[j, n_ch + c0:n_ch + c0 + m]
                    for c in range(m):
                        out_c[c] = cnt[c]
                        out_p[c] = pw[c] / bin_size
                        cnt[c] = 0.0
                        pw[c] = 0.0
    state_ok = True
    for i in range(n_tiles):
        c0 = i * tile
        m = min(tile, n_ch - c0)
        st = tiles[i]
        for s in range(n_sec):
            for q in range(2):
                src_row, dst = st[2 * s + q], zi[0, s, q, c0:c0 + m]
                for c in range(m):
                    v = src_row[c]
                    dst[c] = v
                    state_ok &= abs(v) <= limit
        prev[c0:c0 + m] = st[r_prev, :m]
        counts[c0:c0 + m] = st[r_cnt, :m]
        power[c0:c0 + m] = st[r_pow, :m]
        last_valid[c0:c0 + m] = st[r_last, :m]
    counter[0] = n0 + n
    n_bad = 0
    for t in range(n):
        n_bad += bad_rows[t]
    return (n0 + n) // bin_size - n0 // bin_size, n_bad, state_ok
