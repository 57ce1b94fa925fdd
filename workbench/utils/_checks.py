"""Parameter checks for public functions (kernels stay unchecked for speed).

Each check names the parameter, what is allowed and the value received, in the
style of MNE-Python's ``_check_option`` / ``_validate_type``.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..errors import Problem, ValidationError


def _check_option(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise ValueError."""
    allowed = list(allowed)
    if value not in allowed:
        raise ValidationError(
            [Problem(name, value, "one of " + ", ".join(repr(a) for a in allowed))], what="parameter"
        )
    return value


def _validate_type(name: str, value: Any, types: type | tuple[type, ...], type_name: str) -> Any:
    if not isinstance(value, types):
        raise TypeError(f"{name} must be {type_name}, got {type(value).__name__} ({value!r})")
    return value


def _check_positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    ok = value >= 0 if allow_zero else value > 0
    if not np.isfinite(value) or not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValidationError([Problem(name, value, f"a finite number {bound}")], what="parameter")
    return value


def _check_array(
    name: str,
    arr: Any,
    *,
    ndim: int | None = None,
    n_channels: int | None = None,
    finite: bool = True,
    dtype=np.float64,
) -> np.ndarray:
    """Validate and convert an array at the public layer; kernels then trust it.

    ``n_channels`` checks the last axis (arrays are (n_times, n_channels)).
    """
    try:
        out = np.ascontiguousarray(arr, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a numeric array, got {type(arr).__name__}: {err}") from None
    if ndim is not None and out.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {out.shape}")
    if n_channels is not None and out.shape[-1] != n_channels:
        raise ValueError(
            f"{name} has {out.shape[-1]} channels (last axis of shape {out.shape}); expected {n_channels}"
        )
    if finite and not np.all(np.isfinite(out)):
        bad = np.argwhere(~np.isfinite(out))[0]
        raise ValueError(f"{name} contains NaN or Inf (first at index {tuple(int(i) for i in bad)})")
    return out
