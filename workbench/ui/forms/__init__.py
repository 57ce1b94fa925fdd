"""Entry forms for outcome measures (ipywidgets views over workbench.outcomes.entry).

- :class:`IsncsciWorksheet`: the ISNCSCI 2019 worksheet, classified live;
- :class:`InstrumentForm`: any instrument defined as data (SCIM III, WISCI II,
  walk tests, ARAT, Box and Block, GRASSP).

Both save an ``OutcomeAssessment`` through the records store (or any
``save(assessment)`` callable) with the assessor and date.
"""

from ._style import INVALID_CLASS, is_marked
from .chooser import FormChooser, instrument_options, make_form
from .instrument_form import InstrumentForm
from .isncsci_worksheet import IsncsciWorksheet
from .save_panel import SavePanel

__all__ = ["INVALID_CLASS", "FormChooser", "InstrumentForm", "IsncsciWorksheet", "SavePanel", "instrument_options",
           "is_marked", "make_form"]
