"""Live acquisition from Lab Streaming Layer (LSL) streams.

Live data arrays are ``(n_times, n_channels)`` everywhere in this package, as
LSL delivers them and as online decoders' ``update(chunk)`` take them.

Names are loaded on first use so ``import workbench.acquisition`` does not
load liblsl (the loopback configuration must be chosen before it loads).
"""

from __future__ import annotations

from ..utils._lazy import lazy_exports

_EXPORTS = {
    "find_streams": ".discovery",
    "find_stream": ".discovery",
    "StreamDescription": ".discovery",
    "Stream": ".stream",
    "MarkerStream": ".markers",
    "Marker": ".markers",
    "StreamReader": ".buffer",
    "RingBuffer": ".buffer",
    "BufferOverrunError": ".buffer",
    "AcquisitionEvent": ".events",
    "compute_quality": ".quality",
    "SignalQuality": ".quality",
    "check_counter": ".counter",
    "CounterCheck": ".counter",
    "CounterBreaks": ".counter",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
