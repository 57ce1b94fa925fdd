"""Package attributes imported on first use (PEP 562).

Keeps ``import workbench.<layer>`` cheap: liblsl, MNE or pyxdf load only when
a name that needs them is first touched (and liblsl must not load before the
loopback configuration is chosen).
"""

from __future__ import annotations

import importlib
from typing import Callable, Mapping


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable, Callable]:
    """Return a module's ``__getattr__`` and ``__dir__`` for ``{name: ".submodule"}``."""

    def __getattr__(name: str):
        try:
            submodule = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        return getattr(importlib.import_module(submodule, package), name)

    def __dir__():
        return sorted(exports)

    return __getattr__, __dir__
