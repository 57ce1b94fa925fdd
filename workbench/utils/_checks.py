"""Parameter checks for public functions (kernels stay unchecked for speed).

Each check names the parameter, what is allowed and the value received, in the
style of MNE-Python's ``_check_option`` / ``_validate_type``. One style for the
whole package: a bad value raises :class:`~workbench.errors.ValidationError`
with one :class:`~workbench.errors.Problem` per broken rule (all of them at
once); only a value of the wrong *type* raises :class:`TypeError`.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..errors import Problem, ValidationError


def _check_option(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise ValidationError."""
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
    """Return ``value`` if it is a finite number > 0 (>= 0 with ``allow_zero``)."""
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
    Raises TypeError for non-numeric data, else one ValidationError listing
    every broken rule (dimensions, channels, non-finite values).
    """
    try:
        out = np.ascontiguousarray(arr, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a numeric array, got {type(arr).__name__}: {err}") from None
    problems = []
    if ndim is not None and out.ndim != ndim:
        problems.append(Problem(f"{name}.shape", out.shape, f"an array with {ndim} dimensions"))
    if n_channels is not None and (out.ndim == 0 or out.shape[-1] != n_channels):
        got = out.shape[-1] if out.ndim else None
        problems.append(Problem(f"{name}.shape[-1] (n_channels)", got, f"{n_channels} channels (last axis)"))
    if finite and not np.all(np.isfinite(out)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
        problems.append(Problem(f"{name}{list(bad)}", float(out[bad]), "finite values (no NaN or Inf)"))
    if problems:
        raise ValidationError(problems, what=name)
    return out
