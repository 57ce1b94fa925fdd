"""Trial reports: one self-contained HTML file and its PDF, for the study or one participant.

Sections: enrolment flow (CONSORT style), baseline characteristics, outcome
tables with change from baseline and threshold flags, BCI metrics, adverse
events and device deficiencies, protocol deviations, provenance (recording and
decoder hashes, software versions, audit-trail check). Free-text fields never
enter a report (see :mod:`workbench.report.trial_data`).

The dashboard shows the same tables (:mod:`workbench.report.summaries`) and
figures (:mod:`workbench.report.figures`).
"""

from .trial_data import EmptyStudyError, TrialData, load_trial
from .write import ReportFiles, write_participant_report, write_study_report

__all__ = ["EmptyStudyError", "ReportFiles", "TrialData", "load_trial", "write_participant_report",
           "write_study_report"]
