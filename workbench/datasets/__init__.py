"""Signals for demos and tests: synthetic amplifiers, their montages, and the LSL Player.

``SyntheticSource`` and ``MONTAGES`` load only numpy and scipy; ``Player``
(pylsl), ``ArraySource`` and ``SimulatedAmplifier`` (a Player in a process of its
own) are imported on first use.
"""

from __future__ import annotations

from ..utils._lazy import lazy_exports
from .montages import MONTAGES, Montage, get_montage
from .synthetic import CUES, SyntheticSource

__all__ = ["MONTAGES", "Montage", "get_montage", "CUES", "SyntheticSource", "ArraySource", "Player", "generate_raw",
           "BrainFlowBridge", "SimulatedAmplifier"]

_LAZY = {"Player": ".player", "ArraySource": ".array_source", "generate_raw": ".raw",
         "BrainFlowBridge": ".brainflow_bridge", "SimulatedAmplifier": ".amplifier_process"}

__getattr__ = lazy_exports(__name__, _LAZY)[0]  # eager names stay in dir() as usual
