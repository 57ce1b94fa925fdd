"""Safety and quality records: adverse events, device deficiencies, protocol deviations.

Definitions follow ISO 14155:2020 (clinical investigation of medical devices
for human subjects): adverse event 3.2, device deficiency 3.19, serious adverse
event 3.45, deviation 3.17; causality categories follow MDCG 2020-10/1 Rev 1
(safety reporting in clinical investigations), section 9.

What is reportable and by when (MDCG 2020-10/1 Rev 1, sections 2 and 10, after
MDR article 80(2); the wording below is as recalled, check it against the
guidance text before a regulatory submission):

- reportable: a serious adverse event with a causal relationship to the
  investigational device, the comparator or the investigation procedure, or
  where such a relationship is reasonably possible; a device deficiency that
  might have led to a serious adverse event had suitable action not been taken,
  intervention not occurred or circumstances been less fortunate;
- an event that indicates an imminent risk of death, serious injury or serious
  illness and requires prompt remedial action for other patients, users or
  other persons: immediately, but not later than 2 calendar days after the
  sponsor's awareness;
- any other reportable event: immediately, but not later than 7 calendar days
  after awareness.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta
from typing import ClassVar

from ...errors import Problem
from .base import TableRecord, date_order
from .fields import LABEL, id_field, spec

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
#: ISO 14155:2020 3.45 seriousness criteria: death; serious deterioration of health
#: (life-threatening illness or injury, permanent impairment of a body structure or
#: function, in-patient or prolonged hospitalisation, medical or surgical
#: intervention to prevent one of these); foetal distress, death or anomaly.
SERIOUSNESS_CRITERIA = ("death", "life-threatening illness or injury", "permanent impairment",
                        "hospitalisation or prolonged hospitalisation", "intervention to prevent permanent impairment",
                        "foetal distress, death or congenital anomaly")
#: Relatedness categories that count as "reasonably possible" for reporting
#: (MDCG 2020-10/1 Rev 1 section 9: only "not related" excludes a causal relationship).
RELATED = ("possible", "probable", "causal relationship")
#: Reporting deadlines in calendar days after awareness (MDCG 2020-10/1 Rev 1 section 10).
DEADLINE_IMMINENT_RISK_DAYS = 2
DEADLINE_OTHER_DAYS = 7
FOLLOW_UP = ("ongoing", "completed", "lost to follow-up")
UNRESOLVED = ("recovering/resolving", "not recovered/not resolved", "unknown")
#: Protocol deviations graded as ICH E3 10.2 "important" (major) or not (minor).
DEVIATION_GRADES = ("major", "minor")
DEVIATION_CATEGORIES = ("visit out of window", "eligibility", "informed consent", "procedure",
                        "assessment", "safety reporting", "device use", "other")
#: A deviation stays open until its follow-up is done and documented (ICH E6(R2) 4.5.3: the investigator
#: documents and explains any deviation; ISO 14155:2020, deviations from the CIP: recorded, assessed and
#: followed up); closing records when and how it was resolved.
DEVIATION_STATUS = ("open", "closed")


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
    seriousness_criteria: tuple = spec("strs", required=False, label="seriousness criteria met (ISO 14155:2020 3.45)",
                                       pattern="|".join(map(re.escape, SERIOUSNESS_CRITERIA)))
    related_device: str = spec("str", label="relatedness to the device", choices=RELATEDNESS)
    related_procedure: str = spec("str", label="relatedness to the procedure", choices=RELATEDNESS)
    anticipated: bool = spec("bool", required=False,
                             label="identified in the risk assessment (anticipated; needed for a serious device effect)")
    usade: bool = spec("bool", default=False,
                       label="unanticipated serious adverse device effect (ISO 14155:2020 definitions), derived and checked")
    imminent_risk: bool = spec("bool", default=False, label="indicates an imminent risk of death, serious injury or "
                                                            "illness needing prompt remedial action for others")
    awareness_date: object = spec("date", required=False, label="date the sponsor became aware (starts the reporting clock)")
    reported_on: object = spec("date", required=False, label="date reported to the authorities / ethics committee")
    action_taken: str = spec("str", label="action taken", choices=ACTION_TAKEN)
    outcome: str = spec("str", label="outcome", choices=AE_OUTCOME)
    follow_up: str = spec("str", required=False, label="follow-up status", choices=FOLLOW_UP)
    description: str = spec("str", required=False, label="narrative", free_text=True)

    # -- derived (never stored on their own) ------------------------------------------------
    @property
    def device_effect(self) -> bool:
        """An adverse device effect (ISO 14155:2020 3.1): device relatedness reasonably possible."""
        return self.related_device in RELATED

    @property
    def reportable(self) -> bool:
        """Serious and reasonably possibly related to the device or the procedure (MDCG 2020-10/1 s. 2)."""
        return bool(self.serious) and (self.related_device in RELATED or self.related_procedure in RELATED)

    @property
    def reporting_deadline(self) -> date | None:
        """Last day to report (2 or 7 calendar days after awareness); None if not reportable."""
        return reporting_deadline(self.reportable, self.awareness_date, self.imminent_risk)

    def reporting_overdue(self, on: date) -> bool:
        """True once ``on`` is past the deadline and the event has not been reported."""
        return _overdue(self.reporting_deadline, self.reported_on, on)

    def _cross_check(self, bad: set[str]) -> list[Problem]:
        problems = date_order(self, bad, "onset_date", "resolution_date")
        problems += date_order(self, bad, "onset_date", "awareness_date")
        problems += date_order(self, bad, "awareness_date", "reported_on")
        problems += self._check_seriousness(bad)
        if "outcome" not in bad and "resolution_date" not in bad:
            resolved = self.outcome in ("recovered/resolved", "recovered/resolved with sequelae", "fatal")
            if resolved and self.resolution_date is None:
                problems.append(Problem("resolution_date", None, f"a date when outcome is {self.outcome!r}"))
        # Death is always serious (ISO 14155:2020 3.45 a).
        if "outcome" not in bad and "serious" not in bad and self.outcome == "fatal" and self.serious is False:
            problems.append(Problem("serious", False, "True when outcome is 'fatal'"))
        return problems

    def _check_seriousness(self, bad: set[str]) -> list[Problem]:
        if bad & {"serious", "seriousness_criteria", "related_device", "related_procedure", "anticipated", "usade",
                  "awareness_date", "outcome", "follow_up", "imminent_risk"}:
            return []
        problems = []
        criteria = self.seriousness_criteria or ()
        if self.serious and not criteria:
            problems.append(Problem("seriousness_criteria", None, "at least one criterion when serious: "
                                    + "; ".join(SERIOUSNESS_CRITERIA)))
        if not self.serious and criteria:
            problems.append(Problem("seriousness_criteria", list(criteria), "None when not serious "
                                    "(a criterion met makes the event serious: ISO 14155:2020 3.45)"))
        if self.outcome == "fatal" and criteria and "death" not in criteria:
            problems.append(Problem("seriousness_criteria", list(criteria), "to include 'death' when fatal"))
        serious_effect = bool(self.serious) and self.device_effect
        if serious_effect and self.anticipated is None:
            problems.append(Problem("anticipated", None, "True or False for a serious adverse device effect "
                                    "(is it identified in the current risk assessment?)"))
        # USADE: a serious adverse device effect whose nature, incidence, severity or outcome the current
        # risk assessment has not identified (ISO 14155:2020 definitions; MDCG 2020-10/1 Rev 1).
        derived = serious_effect and self.anticipated is False
        if self.usade != derived:
            problems.append(Problem("usade", self.usade, f"{derived} (serious {self.serious}, device relatedness "
                                    f"{self.related_device!r}, anticipated {self.anticipated})"))
        if self.reportable and self.awareness_date is None:
            problems.append(Problem("awareness_date", None, "the date of awareness: a reportable event must be "
                                    "reported within 2 or 7 calendar days of it (MDCG 2020-10/1 Rev 1 s. 10)"))
        if self.imminent_risk and not self.reportable:
            problems.append(Problem("imminent_risk", True, "False unless the event is serious and related "
                                    "(only a reportable event carries the 2-day deadline)"))
        if self.serious and self.outcome in UNRESOLVED and self.follow_up is None:
            problems.append(Problem("follow_up", None, "a follow-up status while a serious event is "
                                    f"unresolved ({self.outcome!r}): " + ", ".join(FOLLOW_UP)))
        return problems


@dataclasses.dataclass(frozen=True, kw_only=True)
class DeviceDeficiency(TableRecord):
    """A device deficiency (ISO 14155:2020 3.19), with or without a participant involved."""

    TABLE: ClassVar[str] = "device_deficiencies"
    WRITERS: ClassVar[frozenset[str]] = frozenset({"investigator", "engineer"})

    id: str = id_field()
    participant_id: str = spec("str", required=False, label="pseudonym", ref="participants")
    session_id: str = spec("str", required=False, label="session identifier", ref="sessions")
    device: str = spec("str", label="device", pattern=LABEL, code="device")
    observed_on: object = spec("date", label="date observed")
    deficiency_type: str = spec("str", label="type of deficiency", choices=DEFICIENCY_TYPES)
    # MDCG 2020-10/1: a deficiency that might have led to an SAE is reportable.
    could_have_led_to_sae: bool = spec("bool", label="might have led to a serious adverse event")
    imminent_risk: bool = spec("bool", default=False, label="indicates an imminent risk of death, serious injury or "
                                                            "illness needing prompt remedial action for others")
    awareness_date: object = spec("date", required=False, label="date the sponsor became aware (starts the reporting clock)")
    reported_on: object = spec("date", required=False, label="date reported to the authorities / ethics committee")
    description: str = spec("str", required=False, label="description", free_text=True)

    @property
    def reportable(self) -> bool:
        """Might have led to a serious adverse event (MDCG 2020-10/1 Rev 1 s. 2)."""
        return bool(self.could_have_led_to_sae)

    @property
    def reporting_deadline(self) -> date | None:
        return reporting_deadline(self.reportable, self.awareness_date, self.imminent_risk)

    def reporting_overdue(self, on: date) -> bool:
        return _overdue(self.reporting_deadline, self.reported_on, on)

    def _cross_check(self, bad: set[str]) -> list[Problem]:
        problems = date_order(self, bad, "observed_on", "awareness_date")
        problems += date_order(self, bad, "awareness_date", "reported_on")
        if bad & {"could_have_led_to_sae", "awareness_date", "imminent_risk"}:
            return problems
        if self.reportable and self.awareness_date is None:
            problems.append(Problem("awareness_date", None, "the date of awareness: a deficiency that might have "
                                    "led to a serious adverse event is reportable (MDCG 2020-10/1 Rev 1 s. 2, 10)"))
        if self.imminent_risk and not self.reportable:
            problems.append(Problem("imminent_risk", True, "False unless it might have led to a serious event"))
        return problems


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProtocolDeviation(TableRecord):
    """A deviation from the clinical investigation plan (ISO 14155:2020 3.17)."""

    TABLE: ClassVar[str] = "protocol_deviations"

    id: str = id_field()
    participant_id: str = spec("str", label="pseudonym", ref="participants")
    visit_id: str = spec("str", required=False, label="visit concerned", ref="visits")
    category: str = spec("str", label="category", choices=DEVIATION_CATEGORIES)
    occurred_on: object = spec("date", label="date of the deviation")
    grade: str = spec("str", label="grade: major (may affect safety, rights or data reliability) or minor",
                      choices=DEVIATION_GRADES)
    corrective_action: str = spec("str", required=False, label="corrective and preventive action", free_text=True)
    description: str = spec("str", required=False, label="description", free_text=True)
    status: str = spec("str", default="open", label="status", choices=DEVIATION_STATUS)
    closed_on: object = spec("date", required=False, label="date closed")
    resolution: str = spec("str", required=False, label="resolution", free_text=True)

    def _cross_check(self, bad: set[str]) -> list[Problem]:
        problems = []
        # A major deviation needs its corrective action on record (ICH E6(R2) 4.5.3 and 5.20.1; ISO 14155:2020 deviations).
        if not {"grade", "corrective_action"} & bad and self.grade == "major" and not (self.corrective_action or "").strip():
            problems.append(Problem("corrective_action", self.corrective_action,
                                    "the corrective and preventive action taken, for a major deviation"))
        if "status" not in bad:
            problems += self._closing_check(bad)
        return problems

    def _closing_check(self, bad: set[str]) -> list[Problem]:
        """Closed: a date and the resolution; open: neither (named by the labels the user sees)."""
        if self.status == "open":
            return [Problem(self.spec_of(f).label, getattr(self, f), "empty while the deviation is open")
                    for f in ("closed_on", "resolution") if f not in bad and getattr(self, f) not in (None, "")]
        problems = []
        if "closed_on" not in bad and self.closed_on is None:
            problems.append(Problem("date closed", None, "the date the deviation was closed"))
        if "resolution" not in bad and not (self.resolution or "").strip():
            problems.append(Problem("resolution", self.resolution, "how the deviation was resolved (needed to close it)"))
        if not {"closed_on", "occurred_on"} & bad and self.closed_on is not None and self.occurred_on is not None \
                and self.closed_on < self.occurred_on:
            problems.append(Problem("date closed", self.closed_on.isoformat(),
                                    f"on or after the date of the deviation ({self.occurred_on.isoformat()})"))
        return problems


def reporting_deadline(reportable: bool, awareness: date | None, imminent_risk: bool) -> date | None:
    """Awareness + 2 calendar days (imminent risk) or + 7 (any other reportable event); MDCG 2020-10/1 s. 10."""
    if not reportable or awareness is None:
        return None
    return awareness + timedelta(days=DEADLINE_IMMINENT_RISK_DAYS if imminent_risk else DEADLINE_OTHER_DAYS)


def _overdue(deadline: date | None, reported_on: date | None, on: date) -> bool:
    if deadline is None:
        return False
    return (reported_on is None and on > deadline) or (reported_on is not None and reported_on > deadline)



def reporting_overview(store, *, on: date):
    """Every reportable adverse event and device deficiency with its deadline, as a DataFrame.

    One row each: ``kind``, ``id``, ``participant_id``, ``awareness_date``,
    ``deadline`` (2 or 7 calendar days after awareness, MDCG 2020-10/1 s. 10),
    ``reported_on``, ``overdue`` on ``on``, and for adverse events ``usade``.
    Verbatim terms are free text and not shown.
    """
    import pandas as pd

    rows = []
    for kind, rt in (("adverse event", AdverseEvent), ("device deficiency", DeviceDeficiency)):
        for rec in store.find(rt):
            if rec.reportable:
                rows.append({"kind": kind, "id": rec.id, "participant_id": rec.participant_id,
                             "awareness_date": rec.awareness_date, "deadline": rec.reporting_deadline,
                             "imminent_risk": rec.imminent_risk, "reported_on": rec.reported_on,
                             "overdue": rec.reporting_overdue(on), "usade": getattr(rec, "usade", None)})
    cols = ["kind", "id", "participant_id", "awareness_date", "deadline", "imminent_risk", "reported_on", "overdue",
            "usade"]
    return pd.DataFrame(rows, columns=cols).sort_values(["deadline", "id"], ignore_index=True)
