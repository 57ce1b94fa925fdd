"""Small valid records for the tests (a study, a site, a participant, a visit...)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st

from workbench.records import Consent, OutcomeAssessment, Participant, Site, Study, Visit, VisitDefinition

ENROLMENT = date(2026, 1, 5)
#: The assessor :func:`assessment` names: the store checks it against the accounts, and the first
#: investigator's (tests.records.accounts.first_investigator) may record outcomes.
ASSESSOR = "dr.inv"


#: Characters every database stores: no NUL, no lone surrogate (records refuse them: fields.storable).
STORABLE_CHARS = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))


def study() -> Study:
    return Study(
        id="BCI-SCI-01", title="BCI for upper-limb function after SCI", arms=("BCI", "control"),
        visit_schedule=(
            VisitDefinition(name="baseline", target_day=0, window_before=0, window_after=7),
            VisitDefinition(name="week12", target_day=84, window_before=7, window_after=7),
        ),
    )


def site() -> Site:
    return Site(id="ZH", study_id="BCI-SCI-01", name="Spinal cord unit Z", country="CH")


def participant(pid: str = "SCI-001", **kw) -> Participant:
    values = dict(id=pid, study_id="BCI-SCI-01", site_id="ZH", arm="BCI", enrolment_date=ENROLMENT,
                  injury_date=date(2024, 6, 1), injury_level="C5", baseline_ais="B", age_years=34, sex="F")
    values.update(kw)
    return Participant(**values)


def visit(pid: str = "SCI-001", name: str = "week12", delay_days: int = 0, **kw) -> Visit:
    target = {"baseline": 0, "week12": 84}[name]
    window = {"baseline": (0, 7), "week12": (7, 7)}[name]
    scheduled = ENROLMENT + timedelta(days=target)
    values = dict(participant_id=pid, name=name, scheduled_date=scheduled, window_before=window[0],
                  window_after=window[1], status="done", actual_date=scheduled + timedelta(days=delay_days))
    values.update(kw)
    return Visit(**values)


def assessment(pid: str = "SCI-001", visit_id: str | None = None, total: int = 12, **kw) -> OutcomeAssessment:
    values = dict(participant_id=pid, visit_id=visit_id, instrument="WISCI-II", instrument_version="II",
                  assessor=ASSESSOR, assessed_on=ENROLMENT + timedelta(days=84),
                  item_values={"level": total}, scores={"total": total})
    values.update(kw)
    return OutcomeAssessment(**values)


def consent(pid: str = "SCI-001", **kw) -> Consent:
    """Written consent signed three days before enrolment (data need consent in force)."""
    values = dict(participant_id=pid, form_version="ICF v1", consent_date=ENROLMENT - timedelta(days=3),
                  data_sharing=True)
    values.update(kw)
    return Consent(**values)


def seeded(store, n_participants: int = 1):
    """Save the study, its site and participants SCI-001.. (each with consent); return the participants."""
    parts = [participant(f"SCI-{i:03d}") for i in range(1, n_participants + 1)]
    store.add(study(), site(), *parts, *[consent(p.id) for p in parts])
    return [store.get(Participant, p.id) for p in parts]
