"""``workbench db``, ``workbench audit verify`` and ``workbench export`` on a real database."""

from __future__ import annotations

from workbench.records import OutcomeAssessment

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
from workbench.records.storage.migrate import head_revision


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


@pytest.mark.slow
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
    listed = [line.split() for line in text.splitlines()]
    assert [row for row in listed if not row[0].startswith("demo.")] == [
        ["b.eng", "engineer", "ZH", "inactive"], ["dr.a", "investigator", "(all", "sites)", "active"],
        ["m.on", "monitor", "(all", "sites)", "active"]]
    # Loading the demo study made the demo's accounts: its assessments name demo.assessor.
    assert ["demo.assessor", "assessor", "ZH", "active"] in listed
    _as(monkeypatch, "b.eng")
    code, text = _wb(capsys, "user", "list", *db)
    assert code == 1 and "inactive" in text


@pytest.mark.slow
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
    assert code == 0 and f"loaded {len(read_study_json()) + 12} records" in text  # and its 12 ISNCSCI exams
    _as(monkeypatch, "mon")
    code, text = _wb(capsys, "audit", "verify", "--db-url", db_url)
    assert code == 0 and "intact" in text

    code, text = _wb(capsys, "export", "--format", "redcap", "--db-url", db_url)
    assert code == 0
    (folder,) = (tmp_path / "ws" / "exports").iterdir()
    assert {"redcap_records.csv", "redcap_data_dictionary.csv", "audit_trail.csv"} <= {p.name for p in folder.iterdir()}
    assert folder.stat().st_mode & 0o777 == 0o700 and {p.stat().st_mode & 0o777 for p in folder.iterdir()} == {0o600}

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


def test_demo_study_content(store, workspace):  # the demo accounts' passwords go to the workspace
    from workbench.records.demo import seed_demo

    n = seed_demo(store)
    exams = store.find(OutcomeAssessment, instrument="ISNCSCI")
    assert n == len(read_study_json(DEMO_STUDY)) + len(exams) and store.verify_audit().ok
    # ISNCSCI at every visit done (3 per participant), each classified, baseline grade as recorded.
    assert len(exams) == 12 and all(e.scores["ais"] in "ABCDE" for e in exams)
    assert {e.participant_id: e.scores["ais"] for e in exams if e.visit_id.endswith("-baseline")} == {
        p.id: p.baseline_ais for p in store.find(Participant)}
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
    assert code == 2 and "--entity/--id" in text and "participants" in text


# Bad options (issue 24, item 8): exit 2, the option, the value and what is allowed; no traceback; nothing written.

def _files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def seeded_cli(tmp_path, monkeypatch):
    """A SQLite study with the demo loaded, the workspace in tmp_path/ws, acting as its investigator."""
    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "ws"))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    with first_investigator(url, "dr.demo") as inv:
        from workbench.records.demo import seed_demo

        seed_demo(inv)
    _as(monkeypatch, "dr.demo")
    return url


def _refused(capsys, argv, option, value, allowed):
    code, text = _wb(capsys, *argv)
    assert code == 2, text
    assert f"{option}: got {value!r}" in text and allowed in text, text
    assert "Traceback" not in text


@pytest.mark.parametrize("url, allowed", [
    ("", "a database URL"),  # never "the default" in disguise
    ("mysql://db.example/trial", "a URL of sqlite or postgresql"),
    ("not a url at all", "a database URL, e.g. sqlite:"),
    ("sqlite:///{tmp}/no/such/folder/study.sqlite", "a SQLite file in an existing folder"),
    ("sqlite:///{tmp}", "a SQLite file (this is a folder)"),
])
def test_db_upgrade_refuses_a_bad_db_url(tmp_path, capsys, monkeypatch, url, allowed):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "ws"))
    (tmp_path / "ws").mkdir()
    url = url.format(tmp=tmp_path)
    before = _files(tmp_path)
    _refused(capsys, ["db", "upgrade", "--db-url", url], "--db-url", url, allowed)
    assert _files(tmp_path) == before


def test_an_empty_db_url_variable_is_refused_not_taken_for_the_default(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "ws"))
    monkeypatch.setenv("WORKBENCH_DB_URL", "")
    _refused(capsys, ["db", "upgrade"], "$WORKBENCH_DB_URL", "", "a database URL")
    assert not (tmp_path / "ws" / "workbench.sqlite").exists()


def _trail_length(url):
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.exec_driver_sql("SELECT COUNT(*) FROM audit_log").scalar_one()
        events = conn.exec_driver_sql("SELECT COUNT(*) FROM auth_events").scalar_one()
    engine.dispose()
    return n, events


@pytest.mark.parametrize("content", ["name,age\nSCI-9,40\n", "", "\xff\xfe binary", "[1, 2]"])
def test_seed_demo_refuses_a_file_that_is_not_a_study_json(seeded_cli, tmp_path, capsys, content):
    bad = tmp_path / "study.csv"
    bad.write_bytes(content.encode("latin-1"))
    before = _trail_length(seeded_cli)
    code, text = _wb(capsys, "db", "seed-demo", "--file", str(bad), "--db-url", seeded_cli)
    assert code == 2 and f"--file: got {str(bad)!r}" in text and "JSON" in text and "Traceback" not in text
    assert _trail_length(seeded_cli) == before  # refused before the login: not even an access-log line
    _refused(capsys, ["db", "seed-demo", "--file", str(tmp_path / "none.json"), "--db-url", seeded_cli],
             "--file", str(tmp_path / "none.json"), "an existing JSON file")


def test_audit_anchor_refuses_an_out_it_cannot_write(seeded_cli, tmp_path, capsys):
    missing = str(tmp_path / "tmf" / "anchor.json")
    _refused(capsys, ["audit", "anchor", "--out", missing, "--db-url", seeded_cli], "--out", missing,
             "a new file in an existing folder")
    existing = tmp_path / "old-anchor.json"
    existing.write_text("kept")
    _refused(capsys, ["audit", "anchor", "--out", str(existing), "--db-url", seeded_cli], "--out", str(existing),
             "a new file")
    assert existing.read_text() == "kept" and not (tmp_path / "tmf").exists()
    code, text = _wb(capsys, "audit", "anchor", "--out", str(tmp_path / "anchor.json"), "--db-url", seeded_cli)
    assert code == 0 and (tmp_path / "anchor.json").is_file()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "redcap"])
def test_export_refuses_a_selection_its_format_cannot_honour(seeded_cli, tmp_path, capsys, fmt):
    out = tmp_path / "out"
    _refused(capsys, ["export", "--format", fmt, "--participant", "SCI-001", "--out", str(out), "--db-url",
                      seeded_cli], "--participant", "SCI-001", "only with --format bids")
    code, text = _wb(capsys, "export", "--format", fmt, "--participant", "NOPE", "--visit", "baseline",
                     "--out", str(out), "--db-url", seeded_cli)
    assert code == 2 and "--participant: got 'NOPE'" in text and "--visit: got 'baseline'" in text
    assert not out.exists() and not any((tmp_path / "ws" / "exports").glob("*"))


def test_export_refuses_an_out_that_is_not_a_new_or_empty_folder(seeded_cli, tmp_path, capsys):
    afile = tmp_path / "notes.txt"
    afile.write_text("kept")
    full = tmp_path / "full"
    full.mkdir()
    (full / "old.csv").write_text("kept")
    for out in (afile, full):
        _refused(capsys, ["export", "--format", "csv", "--out", str(out), "--db-url", seeded_cli], "--out", str(out),
                 "a new or empty folder")
    assert afile.read_text() == "kept" and [p.name for p in full.iterdir()] == ["old.csv"]


def test_bids_export_refuses_an_unknown_participant(seeded_cli, tmp_path, capsys):
    out = tmp_path / "bids"
    _refused(capsys, ["export", "--format", "bids", "--participant", "NOPE", "--out", str(out), "--db-url",
                      seeded_cli], "--participant", "NOPE", "a pseudonym of the study")
    _refused(capsys, ["export", "--format", "bids", "--from", "2026-13-01", "--out", str(out), "--db-url",
                      seeded_cli], "--from", "2026-13-01", "a date YYYY-MM-DD")
    assert not out.exists()


def test_commands_that_only_read_leave_run_manifests_alone(seeded_cli, tmp_path, capsys):
    """A run left 'recording' by a dead process stays as it is until the next recording marks it."""
    from tests.recording.test_runs import _dead_process, _manifest
    from workbench.recording.runs import list_runs, save_manifest

    recordings = tmp_path / "ws" / "recordings"
    path = save_manifest(recordings, _manifest(tmp_path / "gone.xdf", *_dead_process()))
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    for argv in (["user", "list"], ["audit", "verify"], ["export", "--format", "csv"], ["record", "--list"]):
        code, text = _wb(capsys, *argv, *(["--db-url", seeded_cli] if argv[0] != "record" else []))
        assert code == 0, text
    assert "recorder gone" in text  # record --list says so, without writing
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert [m.status for m in list_runs(recordings)] == ["recording"]
