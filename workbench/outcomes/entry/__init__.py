"""Entry state of outcome forms: pure Python models the widgets bind to.

Each model holds the values typed so far, validates them in place (a problem
per field, with its allowed values) and scores live; the ipywidgets views in
:mod:`workbench.ui.forms` only display the model and pass edits to it.
"""

from ._base import Listeners, SaveDetails
from .instrument import InstrumentEntry
from .isncsci import IsncsciEntry

__all__ = ["InstrumentEntry", "IsncsciEntry", "Listeners", "SaveDetails"]
