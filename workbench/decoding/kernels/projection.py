"""Spatial filtering (e.g. CSP projection) of a multichannel signal."""

from __future__ import annotations

from ...utils._jit import jit


@jit
def spatial_filter(x, filters, out):
    """``out[t, k] = sum_c filters[k, c] * x[t, c]``.

    Plain loops rather than BLAS: the result of each output then does not
    depend on how many rows a chunk has, which keeps online and offline
    outputs equal to the last bit.

    Parameters
    ----------
    x : ndarray, shape (n_times, n_channels)
    filters : ndarray, shape (n_components, n_channels)
    out : ndarray, shape (n_times, n_components)
    """
    n_times, n_ch = x.shape
    n_comp = filters.shape[0]
    for t in range(n_times):
        for k in range(n_comp):
            acc = 0.0
            for c in range(n_ch):
                acc += filters[k, c] * x[t, c]
            out[t, k] = acc
    return out
