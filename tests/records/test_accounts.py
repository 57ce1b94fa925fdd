"""Accounts: once any exists, only active holders write, and only in their own role."""

from __future__ import annotations

import dataclasses

import pytest

from tests.records import factories as f
from workbench.cli import main
from workbench.errors import PermissionDeniedError
from workbench.records import Participant, Store, User, UserAccount


def test_registered_roles_are_enforced(store):
    (p,) = f.seeded(store)  # set-up mode: no accounts yet
    store.add(UserAccount(id="dr.inv", role="investigator"), UserAccount(id="a.sess", role="assessor"))

    def as_(name, role):
        return Store(store.url, user=User(name, role))

    with as_("mallory", "investigator") as s, pytest.raises(PermissionDeniedError, match="no account"):
        s.add(f.participant("SCI-002"))
    with as_("a.sess", "investigator") as s, pytest.raises(PermissionDeniedError, match="'assessor' account"):
        s.update(dataclasses.replace(p, age_years=50), reason="claiming a role not held")
    with as_("a.sess", "assessor") as s:
        s.add(f.assessment())  # the role the account holds
    store.update(dataclasses.replace(store.get(UserAccount, "a.sess"), active=False), reason="left the team")
    with as_("a.sess", "assessor") as s, pytest.raises(PermissionDeniedError, match="inactive"):
        s.add(f.assessment())
    assert store.get(Participant, "SCI-001").age_years == 34
    trail = store.audit_trail()
    assert trail[(trail.entity == "user_accounts") & (trail.action == "update")].reason.tolist() == ["left the team"]
    assert store.verify_audit().ok


def test_cli_accounts(db_url, capsys):
    assert main(["db", "upgrade", "--db-url", db_url]) == 0
    base = ["--db-url", db_url, "--user", "dr.a", "--role", "investigator"]
    assert main(["db", "add-user", "dr.a", "investigator", *base]) == 0
    assert main(["db", "add-user", "b.eng", "engineer", *base]) == 0
    assert main(["db", "add-user", "x.y", "assessor", "--db-url", db_url, "--user", "b.eng", "--role", "engineer"]) == 1
    assert main(["db", "deactivate-user", "b.eng", "--reason", "contract ended", *base]) == 0
    out = capsys.readouterr()
    assert "may not create UserAccount" in out.err and "deactivated" in out.out
    with Store(db_url, user=User("m", "monitor")) as s:
        assert [(a.id, a.role, a.active) for a in s.find(UserAccount)] == [
            ("b.eng", "engineer", False), ("dr.a", "investigator", True)]
