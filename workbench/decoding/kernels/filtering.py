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
def sosfilt_bank(sos, x, zi, out):
    """Filter ``x`` through one or more SOS cascades, sample by sample.

    Direct form II transposed per section, as in ``scipy.signal.sosfilt``
    (Oppenheim & Schafer, Discrete-Time Signal Processing, 3rd ed., sec. 6.5.2).
    Loop order: blocks of 16 samples, then sections, then samples, then
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
