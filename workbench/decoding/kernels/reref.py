"""Spatial re-referencing: common average and surface Laplacian."""

from __future__ import annotations

from ...utils._jit import jit


@jit
def common_average(x, out):
    """Subtract the mean over channels from every sample (CAR).

    McFarland et al. 1997, Electroencephalogr Clin Neurophysiol 103:386,
    eq. 2. ``x`` and ``out`` have shape (n_times, n_channels).
    """
    n_times, n_ch = x.shape
    for t in range(n_times):
        m = 0.0
        for c in range(n_ch):
            m += x[t, c]
        m /= n_ch
        for c in range(n_ch):
            out[t, c] = x[t, c] - m
    return out


@jit
def laplacian(x, neighbors, weights, out):
    """Surface Laplacian: each channel minus a weighted sum of its neighbours.

    Hjorth 1975, Electroencephalogr Clin Neurophysiol 39:526; McFarland et al.
    1997, eq. 3 (weights 1/n_neighbours for the small Laplacian).

    Parameters
    ----------
    x : ndarray, shape (n_times, n_channels)
    neighbors : ndarray of int64, shape (n_channels, max_neighbors)
        Neighbour indices, padded with -1.
    weights : ndarray, shape (n_channels, max_neighbors)
    out : ndarray, shape (n_times, n_channels)
    """
    n_times, n_ch = x.shape
    n_nb = neighbors.shape[1]
    for t in range(n_times):
        for c in range(n_ch):
            acc = x[t, c]
            for k in range(n_nb):
                j = neighbors[c, k]
                if j >= 0:
                    acc -= weights[c, k] * x[t, j]
            out[t, c] = acc
    return out
