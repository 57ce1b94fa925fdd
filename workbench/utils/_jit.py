"""The one numba entry point, with the house defaults.

``nogil`` lets the acquisition thread and the decoder run side by side;
``cache`` writes compiled kernels to disk so a second process starts in well
under a second instead of recompiling (measured in benchmarks/decoder.py,
``warm_start_s`` vs ``cold_start_s``). Configuration is always passed as
arguments: numba freezes module globals at compile time.
"""

from __future__ import annotations

import numba

_DEFAULTS = dict(nogil=True, cache=True, fastmath=False, error_model="numpy")


def jit(*args, **kwargs):
    """``numba.njit`` with the workbench defaults (overridable per kernel)."""
    opts = {**_DEFAULTS, **kwargs}
    if args and callable(args[0]):
        return numba.njit(**opts)(args[0])
    return numba.njit(*args, **opts)
