"""Run widget updates on the kernel's event loop, whatever thread asks for them.

ipywidgets are not thread-safe: a value set from a background thread can be
lost or sent out of order. A callback scheduled with ``call_soon_threadsafe``
runs on the kernel's loop instead; without a running loop (a plain script or
a test) it runs at once.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Callable


class KernelLoop:
    """Captures the loop running when made; :meth:`call` runs a function on it."""

    def __init__(self) -> None:
        try:
            self.loop = asyncio.get_event_loop()
        except RuntimeError:
            self.loop = None
        self.thread = threading.current_thread()

    def call(self, fn: Callable[[], None]) -> None:
        if self.loop is not None and self.loop.is_running() and threading.current_thread() is not self.thread:
            self.loop.call_soon_threadsafe(fn)
        else:
            fn()

    def create_task(self, coro):
        """A task on the loop when one runs (a kernel), else None (the coroutine is closed)."""
        if self.loop is not None and self.loop.is_running():
            return self.loop.create_task(coro)
        coro.close()
        return None
