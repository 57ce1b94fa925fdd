"""Keeping a long-running session's resident memory flat (glibc's allocator, Linux).

A trial day runs closed-loop blocks for hours in one process, and each block
starts and ends threads (the inlet, the player, the safety-event writer,
LabRecorder's monitors). glibc gives each new thread its own malloc arena (up
to 8 per core), and memory freed in an arena is kept there for reuse. Measured
on 28 s blocks of the soak benchmark (256 ch, 2 kHz): resident memory grew
25-80 MB per block with no Python object, thread or numba compile left over
(gc counts, tracemalloc and numba's compile and cache-load calls all flat), and
``malloc_trim`` alone did not stop it; with at most two arenas it stayed within
a few MB from the second block on. This is the setting the glibc manual
describes for programs with many threads (``M_ARENA_MAX``, "Memory Allocation
Tunables"), set here from the process rather than by ``MALLOC_ARENA_MAX`` in
the environment, so every way of starting a session gets it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

#: mallopt parameter number of M_ARENA_MAX (glibc malloc.h).
_M_ARENA_MAX = -8
#: Arenas for a session process: the main one and one shared by every other thread.
SESSION_ARENAS = 2


def _libc():
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def limit_malloc_arenas(n: int = SESSION_ARENAS) -> bool:
    """At most ``n`` malloc arenas from now on (threads made later share them); False where not glibc."""
    libc = _libc()
    return bool(libc is not None and libc.mallopt(_M_ARENA_MAX, int(n)) == 1)


def release_free_memory() -> bool:
    """Give memory freed in every arena back to the system (``malloc_trim(0)``); False where not glibc."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def settle_heap() -> int:
    """Collect once, then leave every object alive now out of later full garbage collections (``gc.freeze``).

    For a process that exists to be a device (the simulated rig, ``workbench simulate``): a full
    collection walks every object the process holds (numpy, scipy, pylsl, the workbench) with all its
    threads stopped. Measured in the simulated rig's process (2-core VM, 2026-11-26): two full
    collections of 31 and 51 ms in 110 s of streaming, during which neither the amplifier's chunks nor the
    glove's 20 ms heartbeats went out; with steal time on top that reaches the gate's 80 ms limits (a
    5-minute soak gave one heartbeat_lost and one signal_lost with the loop on time). Frozen objects are
    never walked again; objects made later are, and are few. Returns the objects frozen.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
