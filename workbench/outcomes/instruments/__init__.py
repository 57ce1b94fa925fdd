"""Outcome instruments defined as data (JSON in this folder) and one scoring engine.

GRASSP v1.0, SCIM III, WISCI II, 10-metre and 6-minute walk tests, ARAT (with
Lyle's hierarchical rule) and Box and Block. Adding an instrument means adding
a JSON file; see :mod:`workbench.outcomes.instruments._model` for the schema.
"""

from ._check import check_assessment, known_instruments
from ._model import Derived, Instrument, Item, Rule, Subscale, Threshold, instrument_from_mapping
from ._registry import list_instruments, load_instrument, read_instrument
from ._scoring import InstrumentScore, score_instrument

__all__ = [
    "Derived", "Instrument", "check_assessment", "known_instruments", "InstrumentScore", "Item", "Rule", "Subscale", "Threshold",
    "instrument_from_mapping", "list_instruments", "load_instrument", "read_instrument", "score_instrument",
]
