"""``workbench db``, ``workbench audit verify`` and ``workbench export`` on a real database."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from tests.conftest import REPO
from tests.records import factories
from tests.records.accounts import as_user, first_investigator, login, password_of
from workbench.cli import main
from workbench.records import Participant, Visit
from workbench.records.demo import DEMO_STUDY, read_study_json
from workbench.records.migrate import head_revision


def _wb(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_upgrade_runs_from_any_directory(db_url, tmp_path):
    env = {**os.environ, "WORKBENCH_HOME": str(tmp_path / "ws")}
    proc = subprocess.run([sys.executable, "-m", "workbench", "db", "upgrade", "--db-url", db_url],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"schema revision {head_revision()}" in proc.stdout
    assert "workbench-test" not in proc.stdout  # the password is not printed
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert {"participants", "outcome_assessments", "audit_log", "audit_head", "alembic_version", "user_accounts"} <= tables


def _as(monkeypatch, name, password=None):
    """Act as ``name`` on the command line: WORKBENCH_USER and WORKBENCH_PASSWORD, as a script would."""
    monkeypatch.setenv("WORKBENCH_USER", name)
    monkeypatch.setenv("WORKBENCH_PASSWORD", password or password_of(name))


def test_user_add_list_deactivate(db_url, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "ws"))
    monkeypatch.delenv("WORKBENCH_PASSWORD", raising=False)
    assert _wb(capsys, "db", "upgrade", "--db-url", db_url)[0] == 0
    db = ["--db-url", db_url]
    monkeypatch.setattr("sys.stdin", io.StringIO(password_of("b.eng") + "\n"))
    code, text = _wb(capsys, "user", "add", "b.eng", "--role", "engineer", "--site", "ZH", "--password-stdin", *db)
    assert code == 1 and "--as" in text  # the first account must be an investigator
    monkeypatch.setattr("sys.stdin", io.StringIO(password_of("dr.a") + "\n"))
    code, text = _wb(capsys, "user", "add", "dr.a", "--role", "investigator", "--password-stdin", *db)
    assert code == 0 and "first account 'dr.a'" in text
    _as(monkeypatch, "dr.a")
    assert _wb(capsys, "db", "seed-demo", *db)[0] == 0
    # new password on stdin, the investigator's from WORKBENCH_PASSWORD
    monkeypatch.setattr("sys.stdin", io.StringIO(password_of("b.eng") + "\n"))
    code, text = _wb(capsys, "user", "add", "b.eng", "--role", "engineer", "--site", "ZH", "--as", "dr.a",
                     "--password-stdin", *db)
    assert code == 0 and "created by dr.a" in text
    # both passwords on stdin: the new one, then the investigator's
    monkeypatch.delenv("WORKBENCH_PASSWORD")
    monkeypatch.setattr("sys.stdin", io.StringIO(password_of("m.on") + "\n" + password_of("dr.a") + "\n"))
    code, text = _wb(capsys, "user", "add", "m.on", "--role", "monitor", "--as", "dr.a", "--password-stdin", *db)
    assert code == 0, text
    monkeypatch.setattr("sys.stdin", io.StringIO(password_of("x.y") + "\n" + password_of("b.eng") + "\n"))
    code, text = _wb(capsys, "user", "add", "x.y", "--role", "assessor", "--site", "ZH", "--as", "b.eng",
                     "--password-stdin", *db)
    assert code == 1 and "may not create UserAccount" in text and "Traceback" not in text
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong password for sure\n"))
    code, text = _wb(capsys, "user", "list", "--user", "m.on", "--password-stdin", *db)
    assert code == 1 and "login refused" in text
    _as(monkeypatch, "dr.a")
    assert _wb(capsys, "user", "deactivate", "b.eng", "--reason", "contract ended", *db)[0] == 0
    code, text = _wb(capsys, "user", "list", *db)
    assert code == 0
    assert [line.split() for line in text.splitlines()] == [
        ["b.eng", "engineer", "ZH", "inactive"], ["dr.a", "investigator", "(all", "sites)", "active"],
        ["m.on", "monitor", "(all", "sites)", "active"]]
    _as(monkeypatch, "b.eng")
    code, text = _wb(capsys, "user", "list", *db)
    assert code == 1 and "inactive" in text


def test_seed_verify_tamper_export(db_url, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "ws"))
    assert _wb(capsys, "db", "upgrade", "--db-url", db_url)[0] == 0
    first_investigator(db_url, "dr.demo").close()
    with login(db_url, "dr.demo") as inv:
        as_user(inv, "mon", "monitor").close()
    _as(monkeypatch, "mon")
    code, text = _wb(capsys, "db", "seed-demo", "--db-url", db_url)
    assert code == 1 and "may not create" in text and "Traceback" not in text
    _as(monkeypatch, "dr.demo", "not the password")
    code, text = _wb(capsys, "db", "seed-demo", "--db-url", db_url)
    assert code == 1 and "login refused" in text
    _as(monkeypatch, "dr.demo")
    code, text = _wb(capsys, "db", "seed-demo", "--db-url", db_url)
    assert code == 0 and f"loaded {len(read_study_json())} records" in text
    _as(monkeypatch, "mon")
    code, text = _wb(capsys, "audit", "verify", "--db-url", db_url)
    assert code == 0 and "intact" in text

    code, text = _wb(capsys, "export", "--format", "redcap", "--db-url", db_url)
    assert code == 0
    (folder,) = (tmp_path / "ws" / "exports").iterdir()
    assert {"redcap_records.csv", "redcap_data_dictionary.csv", "audit_trail.csv"} <= {p.name for p in folder.iterdir()}

    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE visits SET actual_date = '2026-05-01' WHERE id = 'V-SCI-003-week12'")
        seq = conn.exec_driver_sql("SELECT MAX(seq) FROM audit_log WHERE entity_id = 'V-SCI-003-week12' "
                                   "AND field = 'actual_date'").scalar_one()
    engine.dispose()
    code, text = _wb(capsys, "audit", "verify", "--db-url", db_url)
    assert code == 1 and f"first broken: entry #{seq}:" in text and "V-SCI-003-week12.actual_date" in text

    with pytest.raises(SystemExit) as exc:  # argparse refuses unknown formats, listing the allowed ones
        main(["export", "--format", "xlsx", "--out", str(tmp_path / "x")])
    assert exc.value.code == 2 and "choose from 'csv', 'parquet', 'redcap', 'bids'" in capsys.readouterr().err


def test_demo_study_content(store):
    from workbench.records.demo import seed_demo

    n = seed_demo(store)
    assert n == len(read_study_json(DEMO_STUDY)) and store.verify_audit().ok
    participants = store.find(Participant)
    assert [p.id for p in participants] == ["SCI-001", "SCI-002", "SCI-003", "SCI-004"]
    late = store.get(Visit, "V-SCI-003-week12")
    assert late.in_window is False  # saved together with its protocol deviation
    wide = store.outcomes("wide")
    assert {"WISCI-II.total", "BBT.right.blocks_per_minute", "BBT.left.blocks_per_minute"} <= set(wide.columns)
    tl = store.timeline("SCI-004")
    assert tl.event.iloc[-1] == "withdrawal"
    with pytest.raises(Exception, match="id not yet used"):
        seed_demo(store)  # a second load is refused whole
    with as_user(store, "m.on", "monitor") as mon:
        assert len(mon.find(Participant)) == 4


def test_package_ships_no_data_outside_data_samples():
    assert DEMO_STUDY.is_relative_to(REPO / "data_samples")


def test_audit_log_shows_one_record_history(store, capsys, monkeypatch):
    import dataclasses

    (p,) = factories.seeded(store)
    store.update(dataclasses.replace(p, age_years=35), reason="age misread")
    _as(monkeypatch, "dr.inv")
    code, text = _wb(capsys, "audit", "log", "--entity", "participants", "--id", "SCI-001", "--db-url", store.url)
    assert code == 0 and "age misread" in text and "studies" not in text
    assert len(store.audit_trail(p)) == len(list(Participant.specs())) - 1 + 1  # creates + the update
    code, text = _wb(capsys, "audit", "log", "--entity", "people", "--id", "SCI-001", "--db-url", store.url)
    assert code == 1 and "participants" in text
