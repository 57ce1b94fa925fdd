"""Accounts for the tests: the first investigator, then anyone an investigator adds."""

from __future__ import annotations

from workbench.records import Store, UserAccount
from workbench.records.storage.engine import create_engine
from workbench.records.storage.migrate import upgrade_database

#: One password per test account: the name and a suffix (long enough for the rule).
SUFFIX = "-Secret-Pass-1"


def password_of(name: str) -> str:
    return name + SUFFIX


def first_investigator(url: str, name: str = "dr.inv") -> Store:
    """Upgrade the database and create its first account (a coordinating investigator), logged in."""
    engine = create_engine(url)
    try:
        upgrade_database(engine)
    finally:
        engine.dispose()
    return Store.create_first_account(url, user=name, password=password_of(name))


def login(url: str, name: str) -> Store:
    return Store(url, user=name, password=password_of(name))


def as_user(investigator: Store, name: str, role: str, site_id: str | None = None) -> Store:
    """Add the account ``name`` (if new) through ``investigator`` and log in as it."""
    if not investigator.find(UserAccount, id=name):
        investigator.add_account(UserAccount(id=name, role=role, site_id=site_id), password_of(name))
    return login(investigator.url, name)


def from_older_schema(url: str, revision: str) -> None:
    """Take the database back to ``revision`` and up again: a store made before the later migrations."""
    engine = create_engine(url)
    try:
        upgrade_database(engine, revision)
        upgrade_database(engine)
    finally:
        engine.dispose()
