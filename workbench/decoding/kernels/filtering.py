"""Streaming IIR filtering in second-order sections with explicit state.

Every section is direct form II transposed, as in ``scipy.signal.sosfilt``
(Oppenheim & Schafer, Discrete-Time Signal Processing, 3rd ed., sec. 6.5.2),
written with fused multiply-adds (:func:`fma`)::

    y  = fma(b0, x, z0)
    z0 = fma(b1, x, fma(-a1, y, z1))
    z1 = fma(-a2, y, b2 * x)

Each FMA rounds once, so the result is as close to scipy's as the plain
form (tests/decoding/kernels/test_filtering.py), and an explicit ``llvm.fma``
rounds the same way in vector and scalar code, so a channel's output never
depends on the path, the tile or the lane that computed it. That is what
keeps the offline and the online decoder bit-identical. (Letting LLVM
contract ``a * b + c`` on its own, numba's ``fastmath={"contract"}``, would
not: which products get fused is its choice, and may differ between the
vector loop and its scalar remainder.) Five operations per section instead
of nine: measured 10-15 % faster per chunk at 256 and 1024 channels.
"""

from __future__ import annotations

import numpy as np
from numba.core import cgutils, types
from numba.extending import intrinsic

from ...utils._jit import jit

ir = cgutils.ir  # llvmlite's IR builder, as numba itself uses it (kernels import numpy and numba only)

# Channels filtered together: the tile's eight state rows (8 KB), its power
# accumulators and a 20 ms chunk of its input (40 x 1 KB at 2 kHz) stay in L1
# cache while the tile runs through the whole chunk. Measured best of 64,
# 128 and 256 at 256 and 1024 channels (benchmarks/decoder.py).
TILE = 128
# Samples per pass over the tiles. A long chunk (20 ms at 30 kHz: 600 rows)
# is filtered 64 rows at a time: each pass reads and writes whole rows, a
# stream the hardware prefetcher follows, instead of 600 rows 1 KB wide per
# tile (1024 ch x 30 kHz: 1.36 -> 0.9 ms per chunk, measured). A 20 ms chunk
# at 2 kHz (40 rows) stays one pass.
TIME_BLOCK = 64


@intrinsic
def fma(typingctx, a, b, c):
    """``a * b + c`` rounded once (IEEE 754 fusedMultiplyAdd), via ``llvm.fma.f64``.

    One instruction on any x86-64 CPU with FMA3 (2013 on) and on ARMv8;
    LLVM's loop vectorizer turns it into packed FMAs.
    """
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [d], ir.FunctionType(d, [d, d, d]))
        return builder.call(fn, args)

    return sig, codegen


@intrinsic
def prefetch(typingctx, arr, i, j):
    """Ask the CPU to bring the cache line of ``arr[i, j]`` into L1 (``llvm.prefetch``).

    A hint only: no fault, no effect on results. The hardware prefetcher does
    not follow a tile's rows (1 KB pieces 8 KB apart at 1024 channels); asked
    for explicitly one tile ahead, a chunk that is not yet in cache arrives
    while the current tile is being filtered instead of stalling the next.
    """
    sig = types.void(arr, i, j)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1], args[2]], wraparound=False,
                                       boundscheck=False)
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                            "llvm.prefetch.p0i8")
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])  # read, keep in L1, data
        return context.get_dummy_value()

    return sig, codegen


@jit
def _prefetch_row(src, t, col, m):
    """Prefetch ``src[t, col:col + m]``, one call per 64-byte line."""
    for c in range(col, col + m, 8):
        prefetch(src, t, c)


@jit
def coefficients(sos):
    """(n_bands, n_sections, 5): b0, b1, b2, -a1, -a2 of each section (``a0 == 1``)."""
    n_bands, n_sec = sos.shape[0], sos.shape[1]
    co = np.empty((n_bands, n_sec, 5))
    for b in range(n_bands):
        for s in range(n_sec):
            co[b, s, 0] = sos[b, s, 0]
            co[b, s, 1] = sos[b, s, 1]
            co[b, s, 2] = sos[b, s, 2]
            co[b, s, 3] = -sos[b, s, 4]
            co[b, s, 4] = -sos[b, s, 5]
    return co


@jit
def _four_sections(src, c_src, dst, c_dst, m, st, s0, co, pf_col, pf_m):
    """Sections ``s0 .. s0 + 3`` on ``m`` channels: a sample passes all four in registers.

    Reads columns ``c_src ..`` of ``src``, writes columns ``c_dst ..`` of
    ``dst`` (distinct memory, see :func:`_four_sections_inplace`), every
    sample row. ``st`` holds the tile's states, row ``2 * s + k`` for state
    ``k`` of section ``s``: one small contiguous array instead of eight rows
    8 KB apart, which at 1024 channels collided in the L1 cache (4K aliasing).
    Row ``t`` of ``src[:, pf_col:pf_col + pf_m]`` (the next tile) is prefetched
    with row ``t`` of this one (``pf_m == 0``: nothing).
    """
    b00, b01, b02, a01, a02 = co[s0, 0], co[s0, 1], co[s0, 2], co[s0, 3], co[s0, 4]
    b10, b11, b12, a11, a12 = co[s0 + 1, 0], co[s0 + 1, 1], co[s0 + 1, 2], co[s0 + 1, 3], co[s0 + 1, 4]
    b20, b21, b22, a21, a22 = co[s0 + 2, 0], co[s0 + 2, 1], co[s0 + 2, 2], co[s0 + 2, 3], co[s0 + 2, 4]
    b30, b31, b32, a31, a32 = co[s0 + 3, 0], co[s0 + 3, 1], co[s0 + 3, 2], co[s0 + 3, 3], co[s0 + 3, 4]
    z00, z01, z10, z11 = st[2 * s0], st[2 * s0 + 1], st[2 * s0 + 2], st[2 * s0 + 3]
    z20, z21, z30, z31 = st[2 * s0 + 4], st[2 * s0 + 5], st[2 * s0 + 6], st[2 * s0 + 7]
    for t in range(src.shape[0]):
        if pf_m:
            _prefetch_row(src, t, pf_col, pf_m)
        xr = src[t, c_src:c_src + m]
        orow = dst[t, c_dst:c_dst + m]
        for c in range(m):
            v = xr[c]
            y = fma(b00, v, z00[c])
            z00[c] = fma(b01, v, fma(a01, y, z01[c]))
            z01[c] = fma(a02, y, b02 * v)
            v = y
            y = fma(b10, v, z10[c])
            z10[c] = fma(b11, v, fma(a11, y, z11[c]))
            z11[c] = fma(a12, y, b12 * v)
            v = y
            y = fma(b20, v, z20[c])
            z20[c] = fma(b21, v, fma(a21, y, z21[c]))
            z21[c] = fma(a22, y, b22 * v)
            v = y
            y = fma(b30, v, z30[c])
            z30[c] = fma(b31, v, fma(a31, y, z31[c]))
            z31[c] = fma(a32, y, b32 * v)
            orow[c] = y


@jit
def _four_sections_monic(src, c_src, dst, c_dst, m, st, s0, co, pf_col, pf_m):
    """:func:`_four_sections` when sections ``s0 + 1 .. s0 + 3`` have ``b0 == b2 == 1``.

    scipy's Butterworth (and most zpk2sos) designs put the gain in the first
    section and leave the others with zeros at +-1 (``1, +-2, 1``). With
    ``b0 == b2 == 1``, ``fma(1, v, z0)`` is ``v + z0`` and ``b2 * v`` is ``v``,
    exactly: the same bits with 17 instead of 20 operations per sample.
    """
    k = (co[s0, 0], co[s0, 1], co[s0, 2], co[s0, 3], co[s0, 4], co[s0 + 1, 1], co[s0 + 1, 3], co[s0 + 1, 4],
         co[s0 + 2, 1], co[s0 + 2, 3], co[s0 + 2, 4], co[s0 + 3, 1], co[s0 + 3, 3], co[s0 + 3, 4])
    z00, z01, z10, z11 = st[2 * s0], st[2 * s0 + 1], st[2 * s0 + 2], st[2 * s0 + 3]
    z20, z21, z30, z31 = st[2 * s0 + 4], st[2 * s0 + 5], st[2 * s0 + 6], st[2 * s0 + 7]
    n = src.shape[0]
    t = np.int64(0)  # not a literal 0 (see the package's docstring)
    while t < n:
        two = t + 1 < n
        if pf_m:
            _prefetch_row(src, t, pf_col, pf_m)
            if two:
                _prefetch_row(src, t + 1, pf_col, pf_m)
        xr = src[t, c_src:c_src + m]
        orow = dst[t, c_dst:c_dst + m]
        if two:  # two samples per pass, the states in registers between them (as four_sections_monic_power)
            xr1 = src[t + 1, c_src:c_src + m]
            orow1 = dst[t + 1, c_dst:c_dst + m]
            for c in range(m):
                s = (z00[c], z01[c], z10[c], z11[c], z20[c], z21[c], z30[c], z31[c])
                y, s = _monic_sample(xr[c], k, s)
                orow[c] = y
                y, s = _monic_sample(xr1[c], k, s)
                orow1[c] = y
                z00[c], z01[c], z10[c], z11[c], z20[c], z21[c], z30[c], z31[c] = s
            t += 2
        else:
            for c in range(m):
                s = (z00[c], z01[c], z10[c], z11[c], z20[c], z21[c], z30[c], z31[c])
                y, s = _monic_sample(xr[c], k, s)
                orow[c] = y
                z00[c], z01[c], z10[c], z11[c], z20[c], z21[c], z30[c], z31[c] = s
            t += 1


@jit
def four_sections_monic_power(src, c_src, m, st, co, pf_col, pf_m, acc):
    """Sections 0..3 as :func:`_four_sections_monic`, keeping only ``acc[c] += y * y``.

    For a band whose output only feeds band power (the fused decoder): the
    filtered sample is squared and summed in registers instead of being
    stored and read again, in the same order and with the same operations as
    :func:`~.power.window_power`'s block sums, so the bits are the same.
    ``co`` is one band of :func:`coefficients` with exactly four sections,
    sections 1..3 monic (:func:`monic`).
    """
    k = (co[0, 0], co[0, 1], co[0, 2], co[0, 3], co[0, 4], co[1, 1], co[1, 3], co[1, 4],
         co[2, 1], co[2, 3], co[2, 4], co[3, 1], co[3, 3], co[3, 4])
    z00, z01, z10, z11 = st[0], st[1], st[2], st[3]
    z20, z21, z30, z31 = st[4], st[5], st[6], st[7]
    n = src.shape[0]
    t = np.int64(0)  # not a literal 0 (see the package's docstring)
    while t < n:
        two = t + 1 < n
        if pf_m:
            _prefetch_row(src, t, pf_col, pf_m)
            if two:
                _prefetch_row(src, t + 1, pf_col, pf_m)
        xr = src[t, c_src:c_src + m]
        if two:
            # two samples per pass: the states stay in registers between them
            # (half the state loads and stores; the same operations per sample)
            xr1 = src[t + 1, c_src:c_src + m]
            for c in range(m):
                s = (z00[c], z01[c], z10[c], z11[c], z20[c], z21[c], z30[c], z31[c])
                y, s = _monic_sample(xr[c], k, s)
                a = acc[c] + y * y
                y, s = _monic_sample(xr1[c], k, s)
                acc[c] = a + y * y
                z00[c], z01[c], z10[c], z11[c], z20[c], z21[c], z30[c], z31[c] = s
            t += 2
        else:
            for c in range(m):
                s = (z00[c], z01[c], z10[c], z11[c], z20[c], z21[c], z30[c], z31[c])
                y, s = _monic_sample(xr[c], k, s)
                acc[c] += y * y
                z00[c], z01[c], z10[c], z11[c], z20[c], z21[c], z30[c], z31[c] = s
            t += 1


@jit(inline="always")
def _monic_sample(v, k, s):
    """One sample through four sections, 1..3 monic (as :func:`_four_sections_monic`):
    ``k`` the 14 coefficients, ``s`` the 8 states; returns the output and the new states."""
    b00, b01, b02, a01, a02, b11, a11, a12, b21, a21, a22, b31, a31, a32 = k
    z00, z01, z10, z11, z20, z21, z30, z31 = s
    y = fma(b00, v, z00)
    n00 = fma(b01, v, fma(a01, y, z01))
    n01 = fma(a02, y, b02 * v)
    v = y
    y = v + z10
    n10 = fma(b11, v, fma(a11, y, z11))
    n11 = fma(a12, y, v)
    v = y
    y = v + z20
    n20 = fma(b21, v, fma(a21, y, z21))
    n21 = fma(a22, y, v)
    v = y
    y = v + z30
    n30 = fma(b31, v, fma(a31, y, z31))
    n31 = fma(a32, y, v)
    return y, (n00, n01, n10, n11, n20, n21, n30, n31)


@jit
def _four_sections_inplace(dst, c_dst, m, st, s0, co):
    """:func:`_four_sections` reading and writing the same columns of ``dst``.

    One view for reading and writing: with two views of the same memory,
    LLVM's run-time overlap check fails and it runs the scalar loop.
    """
    b00, b01, b02, a01, a02 = co[s0, 0], co[s0, 1], co[s0, 2], co[s0, 3], co[s0, 4]
    b10, b11, b12, a11, a12 = co[s0 + 1, 0], co[s0 + 1, 1], co[s0 + 1, 2], co[s0 + 1, 3], co[s0 + 1, 4]
    b20, b21, b22, a21, a22 = co[s0 + 2, 0], co[s0 + 2, 1], co[s0 + 2, 2], co[s0 + 2, 3], co[s0 + 2, 4]
    b30, b31, b32, a31, a32 = co[s0 + 3, 0], co[s0 + 3, 1], co[s0 + 3, 2], co[s0 + 3, 3], co[s0 + 3, 4]
    z00, z01, z10, z11 = st[2 * s0], st[2 * s0 + 1], st[2 * s0 + 2], st[2 * s0 + 3]
    z20, z21, z30, z31 = st[2 * s0 + 4], st[2 * s0 + 5], st[2 * s0 + 6], st[2 * s0 + 7]
    for t in range(dst.shape[0]):
        row = dst[t, c_dst:c_dst + m]
        for c in range(m):
            v = row[c]
            y = fma(b00, v, z00[c])
            z00[c] = fma(b01, v, fma(a01, y, z01[c]))
            z01[c] = fma(a02, y, b02 * v)
            v = y
            y = fma(b10, v, z10[c])
            z10[c] = fma(b11, v, fma(a11, y, z11[c]))
            z11[c] = fma(a12, y, b12 * v)
            v = y
            y = fma(b20, v, z20[c])
            z20[c] = fma(b21, v, fma(a21, y, z21[c]))
            z21[c] = fma(a22, y, b22 * v)
            v = y
            y = fma(b30, v, z30[c])
            z30[c] = fma(b31, v, fma(a31, y, z31[c]))
            z31[c] = fma(a32, y, b32 * v)
            row[c] = y


@jit
def _one_section(src, c_src, dst, c_dst, m, st, s, co, pf_col, pf_m):
    """Section ``s`` alone, the same arithmetic (``src`` and ``dst`` distinct)."""
    b0, b1, b2, a1, a2 = co[s, 0], co[s, 1], co[s, 2], co[s, 3], co[s, 4]
    z0, z1 = st[2 * s], st[2 * s + 1]
    for t in range(src.shape[0]):
        if pf_m:
            _prefetch_row(src, t, pf_col, pf_m)
        xr = src[t, c_src:c_src + m]
        orow = dst[t, c_dst:c_dst + m]
        for c in range(m):
            v = xr[c]
            y = fma(b0, v, z0[c])
            z0[c] = fma(b1, v, fma(a1, y, z1[c]))
            z1[c] = fma(a2, y, b2 * v)
            orow[c] = y


@jit
def _one_section_inplace(dst, c_dst, m, st, s, co):
    b0, b1, b2, a1, a2 = co[s, 0], co[s, 1], co[s, 2], co[s, 3], co[s, 4]
    z0, z1 = st[2 * s], st[2 * s + 1]
    for t in range(dst.shape[0]):
        row = dst[t, c_dst:c_dst + m]
        for c in range(m):
            v = row[c]
            y = fma(b0, v, z0[c])
            z0[c] = fma(b1, v, fma(a1, y, z1[c]))
            z1[c] = fma(a2, y, b2 * v)
            row[c] = y


@jit(inline="always")  # called with literal section numbers and computed ones: one copy per call site
def monic(co, s0, s1):
    """True when sections ``s0 .. s1 - 1`` all have ``b0 == b2 == 1``."""
    for s in range(s0, s1):
        if co[s, 0] != 1.0 or co[s, 2] != 1.0:
            return False
    return True


@jit
def cascade_tile(src, c_src, dst, c_dst, m, st, co, pf_col=0, pf_m=0):
    """All sections of one band on ``m`` channels for every sample row.

    ``src[:, c_src:c_src + m]`` -> ``dst[:, c_dst:c_dst + m]`` (distinct
    memory, the same number of rows). Sections go four at a time through
    registers, the rest one at a time in place in ``dst``; each section does
    the same arithmetic either way, so the grouping never changes a bit
    (tested). The tile's rows of ``dst`` stay in cache between groups.

    Parameters
    ----------
    st : ndarray, shape (2 * n_sections, >= m)
        The tile's states (updated in place; :func:`load_tile`).
    co : ndarray, shape (n_sections, 5)
        One band of :func:`coefficients`.
    pf_col, pf_m : int
        Columns of ``src`` to prefetch for the next tile (``pf_m == 0``: none).
    """
    n_sec = co.shape[0]
    # The first group reads src (section 0: a constant), the later ones run in place from section s, an
    # int64 from the start: numba types a loop variable that starts as a literal 0 as that literal at some
    # calls, and compiles those callees twice (see the package's docstring).
    s = np.int64(0)
    while s < n_sec:
        if s + 4 <= n_sec:
            if s == 0 and monic(co, 1, 4):  # inlined: its literals compile nothing twice
                _four_sections_monic(src, c_src, dst, c_dst, m, st, 0, co, pf_col, pf_m)
            elif s == 0:
                _four_sections(src, c_src, dst, c_dst, m, st, 0, co, pf_col, pf_m)
            else:
                _four_sections_inplace(dst, c_dst, m, st, s, co)
            s += 4
        else:
            if s == 0:
                _one_section(src, c_src, dst, c_dst, m, st, 0, co, pf_col, pf_m)
            else:
                _one_section_inplace(dst, c_dst, m, st, s, co)
            s += 1


@jit
def load_tile(zi_b, st, c0, m):
    """Copy the states of channels ``c0 .. c0 + m`` of one band into ``st``."""
    for s in range(zi_b.shape[0]):
        for k in range(2):
            src, dst = zi_b[s, k, c0:c0 + m], st[2 * s + k]
            for c in range(m):  # 1-D views: a vectorised copy (2D indexing here was 4x slower)
                dst[c] = src[c]


@jit
def store_tile(st, zi_b, c0, m):
    """Copy ``st`` back into the band's states of channels ``c0 .. c0 + m``."""
    for s in range(zi_b.shape[0]):
        for k in range(2):
            src, dst = st[2 * s + k], zi_b[s, k, c0:c0 + m]
            for c in range(m):
                dst[c] = src[c]


@jit
def sosfilt_bank(sos, x, zi, out):
    """Filter ``x`` through one or more SOS cascades, sample by sample.

    Loop order: blocks of :data:`TIME_BLOCK` samples, then tiles of
    :data:`TILE` channels, then bands (the tile's input is read from cache by
    the second), then sections (four at a time in registers,
    :func:`cascade_tile`), then samples, then the tile's channels.
    The channel loop vectorises (channels are contiguous in (n_times,
    n_channels) data), the tile's states stay in L1 cache for the whole chunk
    and the next tile's input is prefetched. Each output depends only on the samples and state before
    it, so neither tiling nor chunking can change results.

    Parameters
    ----------
    sos : ndarray, shape (n_bands, n_sections, 6)
        Each row ``b0 b1 b2 a0 a1 a2`` with ``a0 == 1``.
    x : ndarray, shape (n_times, n_channels)
    zi : ndarray, shape (n_bands, n_sections, 2, n_channels)
        Filter state, updated in place.
    out : ndarray, shape (n_times, n_bands * n_channels)
        Band ``b`` of channel ``c`` goes to column ``b * n_channels + c``.
    """
    n_times, n_ch = x.shape
    n_bands, n_sec = sos.shape[0], sos.shape[1]
    co = coefficients(sos)
    st = np.empty((2 * n_sec, min(TILE, n_ch)))
    for t0 in range(0, n_times, TIME_BLOCK):
        t1 = min(t0 + TIME_BLOCK, n_times)
        for c0 in range(0, n_ch, TILE):
            m = min(TILE, n_ch - c0)
            for b in range(n_bands):
                pf_m = min(TILE, n_ch - c0 - m) if b == 0 else 0
                load_tile(zi[b], st, c0, m)
                cascade_tile(x[t0:t1], c0, out[t0:t1], b * n_ch + c0, m, st, co[b], c0 + m, pf_m)
                store_tile(st, zi[b], c0, m)
    return out
