"""Live acquisition from Lab Streaming Layer (LSL) streams.

Live data arrays are ``(n_times, n_channels)`` everywhere in this package, as
LSL delivers them and as online decoders' ``update(chunk)`` take them.

Names are loaded on first use so ``import workbench.acquisition`` does not
load liblsl (the loopback configuration must be chosen before it loads).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "find_streams": "discovery",
    "find_stream": "discovery",
    "StreamDescription": "discovery",
    "Stream": "stream",
    "MarkerStream": "markers",
    "Marker": "markers",
    "StreamReader": "buffer",
    "RingBuffer": "buffer",
    "BufferOverrunError": "buffer",
    "AcquisitionEvent": "events",
    "compute_quality": "quality",
    "SignalQuality": "quality",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'workbench.acquisition' has no attribute {name!r}") from None
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__():
    return __all__
