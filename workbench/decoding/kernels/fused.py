"""The band-power + LDA decoder's whole chunk in one kernel call.

The workbench's own decoder (calibration, training, demo) is a filter bank,
band power and LDA. Run stage by stage, one 20 ms chunk of 64 channels at
2 kHz cost 28 us, of which the filtering was 9 us; the rest was Python
between six kernel calls, numba's argument checks and allocations (profiled
per call on benchmarks/decoder.py's chunks). This kernel chains the *same*
kernels (so results are identical to the stage-by-stage path to the last
bit) and also computes the validity flags, leaving one call per chunk.
"""

from __future__ import annotations

from ...utils._jit import jit
from .filtering import sosfilt_bank
from .models import class_probabilities, linear_predict
from .power import window_power
from .sanitize import all_bounded, count_nonfinite_rows, hold_last_valid


@jit
def bandpower_lda_chunk(x, scratch, last_valid, bad_rows, sos, zi, filt, step, acc, blocks, counter, take_log,
                        coef, intercept, feats, decision, probs, valid, sample_index, window, last_bad, valid_from,
                        invalid_span, limit):
    """Repair, filter, band power, LDA posteriors and validity for one chunk.

    Parameters
    ----------
    x : ndarray, shape (n, n_channels)
        The chunk (read only).
    scratch : ndarray, shape (>= n, n_channels)
        Where a chunk with NaN/Inf is repaired (hold last valid value).
    last_valid : ndarray, shape (n_channels,)
        Last finite value per channel (state).
    bad_rows : ndarray of bool, shape (>= n,)
        Written: rows that held a non-finite value.
    sos, zi, filt
        As :func:`sosfilt_bank` (``filt``: (>= n, n_bands * n_channels)).
    step, acc, blocks, counter, take_log
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
        Bound of the filter state (:func:`all_bounded`).

    Returns
    -------
    n_out : int
        Outputs written.
    n_bad : int
        Rows with a non-finite value.
    state_ok : bool
        False if the filter state overflowed (the caller resets it).
    """
    n = x.shape[0]
    n0 = counter[0]
    n_bad = count_nonfinite_rows(x)
    last_bad_here = last_bad[0]
    if n_bad:
        src = scratch[:n]
        src[:, :] = x
        hold_last_valid(src, last_valid, bad_rows[:n])
        for t in range(n):
            if bad_rows[t]:
                last_bad_here = n0 + t
    else:
        src = x
        if n:
            last_valid[:] = x[n - 1]
    out = filt[:n]
    sosfilt_bank(sos, src, zi, out)
    n_out = window_power(out, step, acc, blocks, counter, take_log, feats)
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
    state_ok = all_bounded(zi.reshape(-1), limit)
    return n_out, n_bad, state_ok
