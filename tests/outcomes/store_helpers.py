"""A real SQLite study store with one study, site and participants (for save tests)."""

from __future__ import annotations

from datetime import date, timedelta

ENROLMENT = date(2026, 1, 5)
#: The throwaway investigator these stores log in as (a test-only password).
INVESTIGATOR, PASSWORD = "a.investigator", "outcome-tests-password"


def make_store(tmp_path, participants=("SCI-001",)):
    """An upgraded SQLite store holding a study, a site and the given participants.

    Logged in as the database's first account (a coordinating investigator);
    ``tmp_path`` is the workspace, so the audit key is ``tmp_path/keys/audit.key``
    (unless WORKBENCH_AUDIT_KEY_FILE names one).
    """
    from workbench.records import Participant, Site, Store, Study, VisitDefinition
    from workbench.records.storage.engine import create_engine
    from workbench.records.storage.migrate import upgrade_database

    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    engine = create_engine(url)
    upgrade_database(engine)
    engine.dispose()
    store = Store.create_first_account(url, user=INVESTIGATOR, password=PASSWORD, workspace=tmp_path)
    study = Study(id="BCI-SCI-01", title="BCI for upper-limb function after SCI", arms=("BCI", "control"),
                  visit_schedule=(VisitDefinition(name="baseline", target_day=0, window_before=0, window_after=7),
                                  VisitDefinition(name="week12", target_day=84, window_before=7, window_after=7)))
    site = Site(id="ZH", study_id="BCI-SCI-01", name="Spinal cord unit Z", country="CH")
    people = [Participant(id=pid, study_id="BCI-SCI-01", site_id="ZH", arm="BCI", enrolment_date=ENROLMENT,
                          injury_date=date(2024, 6, 1), injury_level="C5", baseline_ais="B", age_years=34, sex="F")
              for pid in participants]
    from workbench.records import Consent  # data need consent in force (workbench.records.types.consent)

    consents = [Consent(participant_id=pid, form_version="ICF v1", consent_date=ENROLMENT - timedelta(days=3),
                        data_sharing=True) for pid in participants]
    store.add(study, site, *people, *consents)
    return store


def add_visit(store, pid: str, name: str):
    from workbench.records import Visit

    target = {"baseline": 0, "week12": 84}[name]
    window = {"baseline": (0, 7), "week12": (7, 7)}[name]
    when = ENROLMENT + timedelta(days=target)
    (visit,) = store.add(Visit(participant_id=pid, name=name, scheduled_date=when, window_before=window[0],
                               window_after=window[1], status="done", actual_date=when))
    return visit
