"""SCI BCI trial workbench.

Importing the top-level package is cheap on purpose: numba, mne, pylsl and
SQLAlchemy load only when the layer that needs them is imported.
"""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("sci-bci-workbench")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
