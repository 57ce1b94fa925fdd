"""Select the loopback-only liblsl configuration before pylsl is first used."""

from __future__ import annotations

import os
from importlib.resources import files

LOOPBACK_CFG = str(files("workbench.acquisition") / "lsl_loopback.cfg")


def use_loopback(force: bool = False) -> str:
    """Point liblsl at the loopback configuration unless the user chose their own.

    liblsl reads ``LSLAPICFG`` once, when the library first resolves or opens
    an outlet, so call this before any stream is created. Returns the path in use.
    """
    if force or "LSLAPICFG" not in os.environ:
        os.environ["LSLAPICFG"] = LOOPBACK_CFG
    return os.environ["LSLAPICFG"]
