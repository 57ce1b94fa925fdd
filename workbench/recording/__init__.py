"""Recordings on disk: reading any supported file into MNE ``Raw``.

Kept small: only :func:`read_recording` is exported here, and it imports MNE
and pyxdf when called.
"""

from __future__ import annotations

from .read import read_recording

__all__ = ["read_recording"]
