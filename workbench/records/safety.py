"""Safety and quality records: adverse events, device deficiencies, protocol deviations.

Definitions follow ISO 14155:2020 (clinical investigation of medical devices
for human subjects): adverse event 3.2, device deficiency 3.19, serious adverse
event 3.45, deviation 3.17; causality categories follow MDCG 2020-10/1 Rev 1
(safety reporting in clinical investigations), section 9.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from ..errors import Problem
from ._base import TableRecord, date_order
from ._fields import LABEL, id_field, spec

#: Intensity, kept apart from seriousness (ICH E2A, II.B).
SEVERITY = ("mild", "moderate", "severe")
#: MDCG 2020-10/1 Rev 1, section 9: relationship to the device or the procedure.
RELATEDNESS = ("not related", "possible", "probable", "causal relationship")
ACTION_TAKEN = ("none", "settings changed", "session interrupted", "device removed", "participant withdrawn",
                "treatment given", "other")
#: CDISC SDTM AEOUT codelist (C66768), lower-cased.
AE_OUTCOME = ("recovered/resolved", "recovering/resolving", "not recovered/not resolved",
              "recovered/resolved with sequelae", "fatal", "unknown")
#: ISO 14155:2020 3.19: inadequacy in identity, quality, durability, reliability,
#: usability, safety or performance, including malfunctions, use errors and
#: inadequate labelling.
DEFICIENCY_TYPES = ("identity", "quality", "durability", "reliability", "usability", "safety", "performance",
                    "malfunction", "use error", "inadequate labelling")
DEVIATION_CATEGORIES = ("visit out of window", "eligibility", "informed consent", "procedure",
                        "assessment", "safety reporting", "device use", "other")


@dataclasses.dataclass(frozen=True, kw_only=True)
class AdverseEvent(TableRecord):
    """An adverse event (ISO 14155:2020 3.2) with seriousness and relatedness.

    ``term`` is the verbatim term as typed (free text, never exported);
    ``meddra_code`` carries the coded term that exports use.
    """

    TABLE: ClassVar[str] = "adverse_events"

    id: str = id_field()
    participant_id: str = spec("str", label="pseudonym", ref="participants")
    session_id: str = spec("str", required=False, label="session during which it began", ref="sessions")
    term: str = spec("str", label="verbatim term", free_text=True)
    meddra_code: str = spec("str", required=False, label="MedDRA lowest level term code", pattern=r"[0-9]{8}")
    onset_date: object = spec("date", label="onset date")
    resolution_date: object = spec("date", required=False, label="resolution date")
    severity: str = spec("str", label="severity", choices=SEVERITY)
    serious: bool = spec("bool", label="serious (ISO 14155:2020 3.45)")
    related_device: str = spec("str", label="relatedness to the device", choices=RELATEDNESS)
    related_procedure: str = spec("str", label="relatedness to the procedure", choices=RELATEDNESS)
    action_taken: str = spec("str", label="action taken", choices=ACTION_TAKEN)
    outcome: str = spec("str", label="outcome", choices=AE_OUTCOME)
    description: str = spec("str", required=False, label="narrative", free_text=True)

    def _cross_check(self, bad: set[str]) -> list[Problem]:
        problems = date_order(self, bad, "onset_date", "resolution_date")
        if "outcome" not in bad and "resolution_date" not in bad:
            resolved = self.outcome in ("recovered/resolved", "recovered/resolved with sequelae", "fatal")
            if resolved and self.resolution_date is None:
                problems.append(Problem("resolution_date", None, f"a date when outcome is {self.outcome!r}"))
        # Death is always serious (ISO 14155:2020 3.45 a).
        if "outcome" not in bad and "serious" not in bad and self.outcome == "fatal" and self.serious is False:
            problems.append(Problem("serious", False, "True when outcome is 'fatal'"))
        return problems


@dataclasses.dataclass(frozen=True, kw_only=True)
class DeviceDeficiency(TableRecord):
    """A device deficiency (ISO 14155:2020 3.19), with or without a participant involved."""

    TABLE: ClassVar[str] = "device_deficiencies"
    WRITERS: ClassVar[frozenset[str]] = frozenset({"investigator", "engineer"})

    id: str = id_field()
    participant_id: str = spec("str", required=False, label="pseudonym", ref="participants")
    session_id: str = spec("str", required=False, label="session identifier", ref="sessions")
    device: str = spec("str", label="device", pattern=LABEL)
    observed_on: object = spec("date", label="date observed")
    deficiency_type: str = spec("str", label="type of deficiency", choices=DEFICIENCY_TYPES)
    # MDCG 2020-10/1: a deficiency that might have led to an SAE is reportable.
    could_have_led_to_sae: bool = spec("bool", label="might have led to a serious adverse event")
    description: str = spec("str", required=False, label="description", free_text=True)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProtocolDeviation(TableRecord):
    """A deviation from the clinical investigation plan (ISO 14155:2020 3.17)."""

    TABLE: ClassVar[str] = "protocol_deviations"

    id: str = id_field()
    participant_id: str = spec("str", label="pseudonym", ref="participants")
    visit_id: str = spec("str", required=False, label="visit concerned", ref="visits")
    category: str = spec("str", label="category", choices=DEVIATION_CATEGORIES)
    occurred_on: object = spec("date", label="date of the deviation")
    description: str = spec("str", required=False, label="description", free_text=True)
