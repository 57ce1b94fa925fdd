"""Threshold crossings and spike-band power of broadband intracortical data."""

from __future__ import annotations

from ...utils._jit import jit


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
