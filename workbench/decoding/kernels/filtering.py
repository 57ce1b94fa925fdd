"""Streaming IIR filtering in second-order sections with explicit state."""

from __future__ import annotations

from ...utils._jit import jit


@jit
def _biquad_copy(src, dst, z0, z1, b0, b1, b2, a1, a2, t0, t1, base):
    """First section: read ``src`` rows, write ``dst[:, base:base + n]``."""
    n_ch = src.shape[1]
    for t in range(t0, t1):
        s_row = src[t]
        d_row = dst[t, base:base + n_ch]
        for c in range(n_ch):
            xi = s_row[c]
            yi = b0 * xi + z0[c]
            z0[c] = b1 * xi - a1 * yi + z1[c]
            z1[c] = b2 * xi - a2 * yi
            d_row[c] = yi


@jit
def _biquad_inplace(dst, z0, z1, b0, b1, b2, a1, a2, t0, t1, base, n_ch):
    """Later sections: filter ``dst[:, base:base + n_ch]`` in place.

    One view for reading and writing: with two views of the same row LLVM
    cannot rule out overlap and falls back to scalar code (measured 2.5-3x
    slower on 256 and 1024 channels).
    """
    for t in range(t0, t1):
        row = dst[t, base:base + n_ch]
        for c in range(n_ch):
            xi = row[c]
            yi = b0 * xi + z0[c]
            z0[c] = b1 * xi - a1 * yi + z1[c]
            z1[c] = b2 * xi - a2 * yi
            row[c] = yi


@jit
def _cascade4(x, out, zi_b, sos_b, base):
    """Four sections at once: each sample passes all four in registers.

    The common 4th-order Butterworth band-pass has exactly four sections. Per
    channel and sample this stores 8 states and 1 output instead of 8 states
    and 4 intermediate outputs (the section-by-section loop is bound by its
    loads and stores, not its arithmetic: contracting to FMA gained 7 %);
    measured 20-30 % faster at 64 and 256 channels, but slower at 1024, where
    the eight state rows and the strided input no longer stay in L1 cache.
    The arithmetic of each section is the same expression in the same order
    as :func:`_biquad_copy`, so results are identical to the last bit.
    """
    n_times, n_ch = x.shape
    b00, b01, b02, a01, a02 = sos_b[0, 0], sos_b[0, 1], sos_b[0, 2], sos_b[0, 4], sos_b[0, 5]
    b10, b11, b12, a11, a12 = sos_b[1, 0], sos_b[1, 1], sos_b[1, 2], sos_b[1, 4], sos_b[1, 5]
    b20, b21, b22, a21, a22 = sos_b[2, 0], sos_b[2, 1], sos_b[2, 2], sos_b[2, 4], sos_b[2, 5]
    b30, b31, b32, a31, a32 = sos_b[3, 0], sos_b[3, 1], sos_b[3, 2], sos_b[3, 4], sos_b[3, 5]
    z00, z01, z10, z11 = zi_b[0, 0], zi_b[0, 1], zi_b[1, 0], zi_b[1, 1]
    z20, z21, z30, z31 = zi_b[2, 0], zi_b[2, 1], zi_b[3, 0], zi_b[3, 1]
    for t in range(n_times):
        xr = x[t]
        orow = out[t, base:base + n_ch]
        for c in range(n_ch):
            v = xr[c]
            y = b00 * v + z00[c]
            z00[c] = b01 * v - a01 * y + z01[c]
            z01[c] = b02 * v - a02 * y
            v = y
            y = b10 * v + z10[c]
            z10[c] = b11 * v - a11 * y + z11[c]
            z11[c] = b12 * v - a12 * y
            v = y
            y = b20 * v + z20[c]
            z20[c] = b21 * v - a21 * y + z21[c]
            z21[c] = b22 * v - a22 * y
            v = y
            y = b30 * v + z30[c]
            z30[c] = b31 * v - a31 * y + z31[c]
            z31[c] = b32 * v - a32 * y
            orow[c] = y


@jit
def sosfilt_bank(sos, x, zi, out):
    """Filter ``x`` through one or more SOS cascades, sample by sample.

    Direct form II transposed per section, as in ``scipy.signal.sosfilt``
    (Oppenheim & Schafer, Discrete-Time Signal Processing, 3rd ed., sec. 6.5.2).
    Four sections on up to 512 channels go through :func:`_cascade4`.
    Otherwise, loop order: blocks of 16 samples, then sections, then samples, then
    channels. The channel loop vectorises (channels are contiguous in
    (n_times, n_channels) data), one section's state stays in L1 cache, and a
    16-sample block stays in L2 while every section passes over it (measured
    1.8x faster than sections over a whole 20 ms chunk of 1024 channels at
    30 kHz). Each output depends only on the samples and state before it, so
    blocking cannot change results.

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
    for b in range(n_bands):
        base = b * n_ch
        if n_sec == 4 and n_ch <= 512:
            _cascade4(x, out, zi[b], sos[b], base)
            continue
        for t0 in range(0, n_times, 16):
            t1 = min(t0 + 16, n_times)
            for s in range(n_sec):
                b0 = sos[b, s, 0]
                b1 = sos[b, s, 1]
                b2 = sos[b, s, 2]
                a1 = sos[b, s, 4]
                a2 = sos[b, s, 5]
                if s == 0:
                    _biquad_copy(x, out, zi[b, s, 0], zi[b, s, 1], b0, b1, b2, a1, a2, t0, t1, base)
                else:
                    _biquad_inplace(out, zi[b, s, 0], zi[b, s, 1], b0, b1, b2, a1, a2, t0, t1, base, n_ch)
    return out
