"""Cohort re-analysis: every recorded session of a study re-decoded and re-analysed on Dask.

Layer: above decoding, recording, records and session; below the CLI and
notebooks. ``workspace_units`` / ``bids_units`` choose the recordings,
``AnalysisSpec`` says what to compute, ``reanalyze`` runs one task per
recording (serially, on a ``LocalCluster`` or on any Dask scheduler) and
writes each result once, with its provenance, through the store it is given.
``export_bids_study`` writes the chosen sessions as one BIDS dataset;
``compare_decoders`` re-decodes one recorded block with several decoders
(what adaptation changed) and ``decoder_comparison`` reads that back.
"""

from __future__ import annotations

from ..utils._lazy import lazy_exports

_EXPORTS = {
    "AnalysisSpec": ".spec",
    "WorkUnit": ".units",
    "Selection": ".units",
    "select_sessions": ".units",
    "workspace_units": ".units",
    "link_units": ".units",
    "site_units": ".units",
    "bids_units": ".bids_runs",
    "read_bids_dataset": ".bids_runs",
    "export_bids_study": ".bids_study",
    "UnitResult": ".compute",
    "analyse_unit": ".compute",
    "reanalyze": ".run",
    "ReanalysisReport": ".run",
    "local_client": ".cluster",
    "connect": ".cluster",
    "compare_decoders": ".compare",
    "decoder_comparison": ".compare",
    "simulate_sessions": ".simulated",
    "demo_decoder": ".simulated",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
