"""Signals for demos and tests: synthetic amplifiers, their montages, and the LSL Player.

``SyntheticSource`` and ``MONTAGES`` load only numpy and scipy; ``Player``
(pylsl) and ``ArraySource`` are imported on first use.
"""

from __future__ import annotations

from .montages import MONTAGES, Montage, get_montage
from .synthetic import CUES, SyntheticSource

__all__ = ["MONTAGES", "Montage", "get_montage", "CUES", "SyntheticSource", "ArraySource", "Player", "generate_raw"]

_LAZY = {"Player": ".player", "ArraySource": ".array_source", "generate_raw": ".raw"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
