"""Sites: site staff see and change only their own site's participants and what hangs under them."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.records import factories as f
from tests.records.accounts import as_user
from workbench.errors import PermissionDeniedError, ValidationError
from workbench.records import (
    OutcomeAssessment, Participant, Run, Session, Site, Trial, UserAccount, Visit,
)
from workbench.records.access.sites import site_paths
from workbench.records.storage.tables import TABLES
from tests.budget import examples


def _two_sites(store):
    """SCI-001 at ZH and SCI-002 at BE, each with a visit, an assessment and a session/run/trial."""
    (p1,) = f.seeded(store)
    store.add(Site(id="BE", study_id="BCI-SCI-01", name="Spinal cord unit B", country="CH"))
    p2 = f.participant("SCI-002", site_id="BE")
    store.add(p2, f.consent("SCI-002"))
    made = {}
    for pid in ("SCI-001", "SCI-002"):
        v = f.visit(pid)
        s = Session(participant_id=pid, started_at="2026-03-30T09:00:00+00:00", device="amp", montage="C3 C4",
                    operator="eng")
        r = Run(session_id=s.id, number=1, task="cued")
        t = Trial(run_id=r.id, number=1, cue="rest", onset_s=1.0)
        store.add(v, f.assessment(pid, visit_id=v.id), s, r, t)
        made[pid] = (v, s, r, t)
    return made


def test_paths_are_read_from_the_references():
    assert site_paths("participants") == (("site_id", "sites"),)
    assert site_paths("trials") == (("run_id", "runs"),)
    assert site_paths("device_deficiencies") == (("participant_id", "participants"), ("session_id", "sessions"))
    assert site_paths("studies") == () and site_paths("user_accounts") == ()


def test_site_staff_read_only_their_site(store):
    made = _two_sites(store)
    with as_user(store, "a.zh", "assessor", "ZH") as zh:
        assert [p.id for p in zh.find(Participant)] == ["SCI-001"]
        assert {o.participant_id for o in zh.find(OutcomeAssessment)} == {"SCI-001"}
        assert [t.id for t in zh.find(Trial)] == [made["SCI-001"][3].id]  # trial -> run -> session -> participant
        assert list(zh.frame(Visit).participant_id) == ["SCI-001"]
        assert set(zh.outcomes("long").participant_id) == {"SCI-001"}
        with pytest.raises(ValidationError, match="SCI-002"):  # reported as missing: existence not revealed
            zh.get(Participant, "SCI-002")
        with pytest.raises(ValidationError):
            zh.timeline("SCI-002")
        assert not (zh.audit_trail().entity_id == "SCI-002").any()
        assert {s.id for s in zh.find(Site)} == {"ZH", "BE"}  # the study's sites are no secret
        with pytest.raises(PermissionDeniedError, match="study-wide"):
            zh.verify_audit()
    with as_user(store, "m.on", "monitor") as mon:
        assert len(mon.find(Participant)) == 2 and mon.verify_audit().ok


def test_site_staff_change_only_their_site(store):
    made = _two_sites(store)
    v_be = store.get(Visit, made["SCI-002"][0].id)
    # SQLite: the store refuses (and logs) it. PostgreSQL: row-level security hides the other
    # site's rows from the person's own database role, so their ids do not exist for them.
    other_site = ((ValidationError, "existing|stored") if store.postgres else (PermissionDeniedError, "site 'BE'"))
    with as_user(store, "a.zh", "assessor", "ZH") as zh:
        with pytest.raises(other_site[0], match=other_site[1]):
            zh.add(f.assessment("SCI-002", visit_id=v_be.id))
        with pytest.raises(other_site[0], match=other_site[1]):
            zh.update(dataclasses.replace(v_be, notes="not mine"), reason="x")
        zh.add(f.assessment("SCI-001", visit_id=made["SCI-001"][0].id, total=14))  # a new score, not a duplicate
    with as_user(store, "e.zh", "engineer", "ZH") as eng:
        s = Session(participant_id="SCI-002", started_at="2026-03-30T10:00:00+00:00", device="amp",
                    montage="C3", operator="eng")
        with pytest.raises(other_site[0]):
            eng.add(s)
    with as_user(store, "dr.zh", "investigator", "ZH") as inv_zh:
        p1 = inv_zh.get(Participant, "SCI-001")
        with pytest.raises(PermissionDeniedError, match="site 'BE'"):  # moving a participant away
            inv_zh.update(dataclasses.replace(p1, site_id="BE"), reason="transfer")
        with pytest.raises(PermissionDeniedError, match="whole study"):
            inv_zh.add_account(UserAccount(id="m.two", role="monitor"), "monitor-two-password")
        with pytest.raises(PermissionDeniedError):
            inv_zh.add_account(UserAccount(id="a.be", role="assessor", site_id="BE"), "assessor-be-password")
        inv_zh.add_account(UserAccount(id="a.zh2", role="assessor", site_id="ZH"), "assessor-zh-password")
    assert store.get(Visit, v_be.id).notes == v_be.notes
    assert store.get(Participant, "SCI-001").site_id == "ZH"
    refused = store.access_log().query("event == 'write_refused'")
    if store.postgres:
        assert list(refused.user_name) == ["dr.zh"] * 3
    else:
        assert set(refused.user_name) == {"a.zh", "e.zh", "dr.zh"} and len(refused) == 6
    assert store.verify_audit().ok


def test_sponsor_and_data_manager_read_every_site_and_the_sponsor_writes_nothing(store):
    _two_sites(store)
    with as_user(store, "s.pon", "sponsor") as sponsor:
        assert len(sponsor.find(Participant)) == 2
        with pytest.raises(PermissionDeniedError, match="sponsor"):
            sponsor.add(f.assessment("SCI-001"))
    with as_user(store, "d.man", "data_manager") as dm:
        assert len(dm.find(OutcomeAssessment)) == 2 and dm.verify_audit().ok


@settings(max_examples=examples(15), deadline=None)
@given(sites=st.lists(st.sampled_from(["ZH", "BE", "GE"]), min_size=1, max_size=6),
       sessions=st.lists(st.integers(0, 5), max_size=8), viewer=st.sampled_from(["ZH", "BE", "GE"]))
def test_visible_clause_matches_a_naive_walk_up_the_references(tmp_path_factory, sites, sessions, viewer):
    """For any participants spread over sites, with sessions, runs and trials under them: the SQL
    clause keeps exactly the rows whose chain of references ends at a participant of the viewer's site."""
    import sqlalchemy as sa

    from workbench.records.storage.engine import create_engine
    from workbench.records.storage.migrate import upgrade_database
    from workbench.records.access.sites import visible_clause

    engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('vis') / 'v.sqlite'}")
    upgrade_database(engine)
    pids = [f"P{i}" for i in range(len(sites))]
    owner = {}  # table -> {id: participant}
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO studies (id, title, arms, visit_schedule, version) "
                             "VALUES ('S', 't', '[\"a\"]', '[]', 1)")
        for code in ("ZH", "BE", "GE"):
            conn.exec_driver_sql(f"INSERT INTO sites (id, study_id, name, country, version) "
                                 f"VALUES ('{code}', 'S', 'n', 'CH', 1)")
        for pid, code in zip(pids, sites):
            conn.exec_driver_sql(
                "INSERT INTO participants (id, study_id, site_id, arm, enrolment_date, injury_date, injury_level, "
                f"baseline_ais, age_years, sex, version) VALUES ('{pid}', 'S', '{code}', 'a', '2026-01-05', "
                "'2025-01-01', 'C5', 'B', 30, 'F', 1)")
        for k, i in enumerate(sessions):
            pid = pids[i % len(pids)]
            conn.exec_driver_sql("INSERT INTO sessions (id, participant_id, started_at, device, montage, operator, "
                                 f"recording_files, version) VALUES ('SE{k}', '{pid}', '2026-01-06 09:00:00', 'd', "
                                 "'m', 'o', '[]', 1)")
            conn.exec_driver_sql(f"INSERT INTO runs (id, session_id, number, task, version) "
                                 f"VALUES ('R{k}', 'SE{k}', 1, 't', 1)")
            conn.exec_driver_sql(f"INSERT INTO trials (id, run_id, number, cue, onset_s, version) "
                                 f"VALUES ('T{k}', 'R{k}', 1, 'rest', 1.0, 1)")
            for table, rid in (("sessions", f"SE{k}"), ("runs", f"R{k}"), ("trials", f"T{k}")):
                owner.setdefault(table, {})[rid] = pid
        owner["participants"] = dict(zip(pids, pids))
        site_of_pid = dict(zip(pids, sites))
        for table, rows in owner.items():
            tbl = TABLES[table]
            got = set(conn.execute(sa.select(tbl.c.id).where(visible_clause(table, viewer))).scalars())
            assert got == {rid for rid, pid in rows.items() if site_of_pid[pid] == viewer}, table
    engine.dispose()
