"""``workbench db policy show|set``: the study's identifier policy from the command line (issue 24, item 7)."""

from __future__ import annotations

import json

import pytest

from tests.records import factories
from tests.records.accounts import as_user, first_investigator, password_of
from workbench.cli import main
from workbench.cli.db import CODE_KINDS
from workbench.records.types.identifiers import DEFAULT_PATTERNS, POLICY_VAR, IdentifierPolicy


def _wb(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture
def study(db_url, tmp_path, monkeypatch):
    """A seeded study, a monitor, and the investigator acting on the command line."""
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "ws"))
    monkeypatch.delenv(POLICY_VAR, raising=False)
    store = first_investigator(db_url)
    factories.seeded(store, n_participants=2)
    as_user(store, "mon", "monitor").close()
    store.close()
    monkeypatch.setenv("WORKBENCH_USER", "dr.inv")
    monkeypatch.setenv("WORKBENCH_PASSWORD", password_of("dr.inv"))
    return db_url


def test_the_code_kinds_listed_in_help_are_the_policy_kinds():
    assert CODE_KINDS == tuple(DEFAULT_PATTERNS)


def test_show_set_and_the_trail(study, capsys, monkeypatch):
    db = ["--db-url", study]
    code, text = _wb(capsys, "db", "policy", "show", *db)
    assert code == 0 and "no policy stored" in text
    assert json.loads(text[:text.index("(no policy")])["patterns"] == DEFAULT_PATTERNS
    code, text = _wb(capsys, "db", "policy", "set", "--pattern", "pseudonym=(SCI-[0-9]{3}|P[0-9]{4})",
                     "--reason", "P numbers from the screening log", *db)
    assert code == 0 and "stored by dr.inv (investigator)" in text, text
    code, text = _wb(capsys, "db", "policy", "set", "--pattern", "pseudonym=(SCI-[0-9]{3}|P[0-9]{4})",
                     "--reason", "again", *db)
    assert code == 0 and "nothing written" in text
    monkeypatch.setenv("WORKBENCH_USER", "mon")
    monkeypatch.setenv("WORKBENCH_PASSWORD", password_of("mon"))
    code, text = _wb(capsys, "db", "policy", "show", *db)
    assert code == 0 and json.loads(text)["patterns"]["pseudonym"] == "(SCI-[0-9]{3}|P[0-9]{4})"
    code, text = _wb(capsys, "audit", "log", "--entity", "identifier_policy", "--id", "study", *db)
    assert code == 0 and "P numbers from the screening log" in text and "dr.inv" in text
    code, text = _wb(capsys, "audit", "verify", *db)
    assert code == 0 and "intact" in text, text


def test_set_from_a_file_keeps_unlisted_kinds_at_the_default(study, capsys, tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"patterns": {"site": "[A-Z]{2}"}, "shown_labels": ["studies.title"]}))
    code, text = _wb(capsys, "db", "policy", "set", "--file", str(policy), "--reason", "two-letter sites",
                     "--db-url", study)
    assert code == 0, text
    code, text = _wb(capsys, "db", "policy", "show", "--db-url", study)
    shown = json.loads(text)
    assert shown["patterns"] == {**DEFAULT_PATTERNS, "site": "[A-Z]{2}"} and shown["shown_labels"] == ["studies.title"]


def test_a_stricter_policy_is_refused_naming_the_records(study, capsys):
    code, text = _wb(capsys, "db", "policy", "set", "--pattern", "pseudonym=P[0-9]{4}", "--reason", "tighten",
                     "--db-url", study)
    assert code == 1 and "Traceback" not in text
    assert "Participant[SCI-001].id: got 'SCI-001'" in text and "Participant[SCI-002].id" in text
    assert "P[0-9]{4}" in text and "nothing changed" in text
    code, text = _wb(capsys, "db", "policy", "show", "--db-url", study)
    assert "no policy stored" in text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("argv, option, code", [
    (["--reason", "x"], "--file/--pattern", 2),
    (["--pattern", "pseudonym", "--reason", "x"], "--pattern", 2),
    (["--pattern", "surname=[A-Z]+", "--reason", "x"], "--pattern", 2),
    (["--pattern", "pseudonym=[unclosed", "--reason", "x"], "--pattern patterns.pseudonym", 2),
    (["--file", "missing.json", "--reason", "x"], "--file", 2),
    (["--file", "{bad}", "--reason", "x"], "--file", 2),
    (["--file", "{unknown}", "--reason", "x"], "--file patterns.surname", 2),
    (["--pattern", "pseudonym=P[0-9]+|SCI-[0-9]{3}", "--reason", " "], "reason", 1),
])
def test_bad_options_are_clear_errors(study, capsys, tmp_path, argv, option, code):
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "unknown.json").write_text(json.dumps({"patterns": {"surname": "[A-Z]+"}}))
    argv = [a.replace("{bad}", str(tmp_path / "bad.json")).replace("{unknown}", str(tmp_path / "unknown.json"))
            for a in argv]
    got, text = _wb(capsys, "db", "policy", "set", *argv, "--db-url", study)
    assert got == code and f"{option}" in text and "Traceback" not in text, text


def test_only_an_investigator_sets_it(study, capsys, monkeypatch):
    monkeypatch.setenv("WORKBENCH_USER", "mon")
    monkeypatch.setenv("WORKBENCH_PASSWORD", password_of("mon"))
    code, text = _wb(capsys, "db", "policy", "set", "--pattern", "site=[A-Z]{2}", "--reason", "x", "--db-url", study)
    assert code == 1 and "may not change" in text and "investigator" in text and "Traceback" not in text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_different_process_policy_is_refused_by_every_command_but_policy(study, capsys, monkeypatch, tmp_path):
    assert _wb(capsys, "db", "policy", "set", "--pattern", "site=[A-Z]{2}", "--reason", "two letters",
               "--db-url", study)[0] == 0
    theirs = tmp_path / "theirs.json"
    theirs.write_text(json.dumps({"patterns": {"site": "[A-Z]{2,8}"}}))
    monkeypatch.setenv(POLICY_VAR, str(theirs))
    code, text = _wb(capsys, "audit", "verify", "--db-url", study)
    assert code == 1 and "Traceback" not in text
    assert f"{theirs}: patterns.site: got '[A-Z]{{2,8}}'" in text and "stored pattern [A-Z]{2}" in text
    # `db policy show` is how one finds out what the study stored: it reads past the process's file, and says so.
    code, text = _wb(capsys, "db", "policy", "show", "--db-url", study)
    assert code == 0 and json.loads(text[:text.index("note:")])["patterns"]["site"] == "[A-Z]{2}"
    assert f"{POLICY_VAR} ({theirs}) differs" in text
    theirs.write_text(json.dumps({"patterns": IdentifierPolicy(patterns={"site": "[A-Z]{2}"}).patterns}))
    assert _wb(capsys, "audit", "verify", "--db-url", study)[0] == 0
