"""Checks at the public layer of the decoder (kernels trust their input)."""

from __future__ import annotations

import numpy as np

from ..errors import Problem, ValidationError


def check_continuous(name, x, n_channels=None, *, allow_nonfinite=False, copy=True):
    """Return ``x`` as C-contiguous float64 of shape (n_times, n_channels).

    With ``copy=False`` a float64 C-contiguous input is returned as is (the
    online path copies only when it must repair non-finite samples).

    Raises a :class:`TypeError` for non-numeric data and a
    :class:`~workbench.errors.ValidationError` naming the shape, the channel
    count or the first non-finite value otherwise.
    """
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must hold real numbers (float or integer dtype); got dtype {arr.dtype}"
        )
    if arr.ndim != 2:
        raise ValidationError(
            [Problem(f"{name}.shape", arr.shape, "a 2-D array (n_times, n_channels)")], what=name
        )
    if n_channels is not None and arr.shape[1] != n_channels:
        raise ValidationError(
            [Problem(f"{name}.shape[1] (n_channels)", arr.shape[1], f"{n_channels} channels, as fitted")],
            what=name,
        )
    out = np.array(arr, dtype=np.float64, order="C", copy=True if copy else None)
    if not allow_nonfinite and not np.all(np.isfinite(out)):
        t, c = np.argwhere(~np.isfinite(out))[0]
        raise ValidationError(
            [Problem(f"{name}[{t}, {c}]", float(out[t, c]), "finite values (no NaN or Inf)")], what=name
        )
    return out


def check_epochs(name, x, n_channels=None):
    """Return epochs as float64 of shape (n_epochs, n_channels, n_times), finite."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers; got dtype {arr.dtype}")
    if arr.ndim != 3:
        raise ValidationError(
            [Problem(f"{name}.shape", arr.shape, "a 3-D array (n_epochs, n_channels, n_times)")], what=name
        )
    if n_channels is not None and arr.shape[1] != n_channels:
        raise ValidationError(
            [Problem(f"{name}.shape[1] (n_channels)", arr.shape[1], f"{n_channels} channels, as fitted")],
            what=name,
        )
    out = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        raise ValidationError([Problem(name, "NaN or Inf", "finite values")], what=name)
    return out


def check_fitted(est, attr):
    """Raise sklearn's NotFittedError (a ValueError) naming the estimator."""
    if not hasattr(est, attr):
        from sklearn.exceptions import NotFittedError  # only here: loading sklearn costs ~1 s

        raise NotFittedError(
            f"This {type(est).__name__} instance is not fitted yet: call fit(...) before using it."
        )


def validate_continuous(est, X, *, reset):
    """scikit-learn's input validation for a continuous stage's fit/transform.

    Rejects sparse, complex, object, empty and 1-D input with scikit-learn's
    messages and checks the channel count against ``n_features_in_``; the
    result is C-contiguous float64 (n_times, n_channels), finite.
    """
    from sklearn.utils.validation import validate_data

    X = validate_data(est, X, reset=reset, dtype=np.float64, ensure_all_finite=True)
    return np.ascontiguousarray(X)


def configuration_problems(stages, features, sfreq):
    """Every problem of a decoder's configuration, found before any data or stream.

    Filter stages are designed here (band edges at or above Nyquist, an
    impossible order, an unknown type: each stage's own checks) and their
    sampling rate must be the decoder's; a spike feature's threshold
    multiplier must be finite and > 0 (thresholds are ``-k`` times each
    channel's RMS). Fields are named as the user wrote them
    (``stages[0] IIRFilter.h_freq``).
    """
    problems = []
    for i, st in enumerate(stages):
        design = getattr(st, "_design", None)
        if design is None:
            continue
        name = f"stages[{i}]"
        s = getattr(st, "sfreq", None)
        if sfreq and s is not None and np.isfinite(sfreq) and s != sfreq:
            problems.append(Problem(f"{name} {type(st).__name__}.sfreq", s, f"the decoder's sampling rate ({sfreq} Hz)"))
        try:
            design()
        except ValidationError as err:
            problems.extend(Problem(f"{name} {p.field}", p.value, p.allowed) for p in err.problems)
        except (ValueError, ArithmeticError) as err:  # scipy's own refusal of a design
            problems.append(Problem(name, type(st).__name__, f"a filter scipy can design ({err})"))
    k = getattr(features, "k", None)
    if type(features).__name__ == "SpikeFeatures" and not (isinstance(k, (int, float, np.number))
                                                           and np.isfinite(k) and k > 0):
        problems.append(Problem("SpikeFeatures.k", k, "a finite multiplier > 0 (threshold = -k x the channel's RMS)"))
    return problems


def threshold_problems(thresholds, k):
    """Spike thresholds must be finite and negative (``-k`` x RMS, RMS > 0): one problem listing the bad channels."""
    t = np.asarray(thresholds, dtype=float)
    bad = np.flatnonzero(~(np.isfinite(t) & (t < 0)))
    if not len(bad):
        return []
    shown = ", ".join(f"{int(c)}: {float(t[c])!r}" for c in bad[:5]) + (" ..." if len(bad) > 5 else "")
    return [Problem("SpikeFeatures.thresholds_", f"{len(bad)} channel(s) {{{shown}}}",
                    f"finite negative thresholds, -{k} x each channel's RMS (a flat or non-finite calibration "
                    "channel has none: exclude it)")]
