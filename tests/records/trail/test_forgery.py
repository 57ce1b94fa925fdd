"""Nobody writes as someone else through the Python API, and the trail key cannot be swapped silently.

Issue 24: a sponsor set ``store.user`` to an investigator and wrote as them;
a missing ``keys/audit.key`` was silently replaced by a new key; the SQLite
file was readable by every account of the machine. Real SQLite files, real
key files.
"""

from __future__ import annotations

import dataclasses
import json
import os
import warnings

import pytest
import sqlalchemy as sa

from tests.records import factories as f
from tests.records.accounts import as_user, first_investigator, from_older_schema, login, password_of
from workbench.errors import PermissionDeniedError, ValidationError, WorkbenchError
from workbench.records import Participant, Store, User
from workbench.records import AuthenticationError
from workbench.records.storage.tables import audit_head, audit_log
from workbench.records.trail.audit import HASHED, AuditEntry
from workbench.records.trail.signing import derive_key, new_salt, sign
from workbench.records.types.fields import canonical_json


@pytest.fixture
def sqlite_store(tmp_path):
    s = first_investigator(f"sqlite:///{tmp_path / 'study.sqlite'}")
    f.seeded(s, 1)
    yield s
    s.close()


def test_user_cannot_be_reassigned(store):
    sponsor = as_user(store, "sp.one", "sponsor")
    with pytest.raises(AttributeError):
        sponsor.user = User("dr.inv", "investigator")
    with pytest.raises(AttributeError):
        sponsor.user = store.user
    assert sponsor.user.name == "sp.one" and sponsor.user.role == "sponsor"
    sponsor.close()


def test_a_store_without_a_password_cannot_even_open(store):
    for password in (None, ""):
        with pytest.raises(ValidationError) as err:
            Store(store.url, user="dr.inv", password=password)
        assert err.value.fields == ("password",)


def test_missing_key_stops_writes_and_names_the_path(sqlite_store, audit_key_file):
    audit_key_file.unlink()
    store = login(sqlite_store.url, "dr.inv")  # a new session: the key is read afresh
    p = store.get(Participant, "SCI-001")
    with pytest.raises(WorkbenchError, match=str(audit_key_file)):
        store.update(dataclasses.replace(p, age_years=50), reason="typo")
    assert not audit_key_file.exists(), "no new key may be made once a trail exists"
    with pytest.raises(WorkbenchError, match="no audit key"):
        store.verify_audit()
    assert store.get(Participant, "SCI-001").age_years == p.age_years
    store.close()


def test_changed_key_stops_writes(sqlite_store, audit_key_file):
    audit_key_file.write_text("11" * 32 + "\n")
    store = login(sqlite_store.url, "dr.inv")
    p = store.get(Participant, "SCI-001")
    with pytest.raises(WorkbenchError, match="not the key this trail was written with"):
        store.update(dataclasses.replace(p, age_years=50), reason="typo")
    assert store.get(Participant, "SCI-001").age_years == p.age_years
    store.close()


def test_first_key_is_made_only_for_an_empty_trail(tmp_path, audit_key_file):
    s = first_investigator(f"sqlite:///{tmp_path / 'new.sqlite'}")
    assert audit_key_file.exists()
    assert audit_key_file.stat().st_mode & 0o777 == 0o600
    assert audit_key_file.parent.stat().st_mode & 0o777 == 0o700
    s.close()


def test_database_file_is_private(sqlite_store):
    path = sqlite_store.url.removeprefix("sqlite:///")
    os.chmod(path, 0o644)
    login(sqlite_store.url, "dr.inv").close()
    assert os.stat(path).st_mode & 0o777 == 0o600


@pytest.mark.skipif(os.getuid() != 0, reason="giving the file to another account takes root")
def test_opening_another_accounts_sqlite_store_warns(sqlite_store):
    path = sqlite_store.url.removeprefix("sqlite:///")
    os.chown(path, 4321, -1)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            login(sqlite_store.url, "dr.inv").close()
        assert any("another operating-system account" in str(w.message) for w in caught)
    finally:
        os.chown(path, 0, -1)


# -- the forgery scenario: a writer holding keys/audit.key writes as the investigator ------------

def _forge(conn, key: bytes, n: int, *, as_name="dr.inv", as_role="investigator", signer=None,
           definer=False) -> list[int]:
    """Append ``n`` chained entries under another person's name, HMAC'd with the shared key; move the head.

    The entries restate a participant's current age (the replay still matches the table), so only the
    authorship check can tell them from real ones. ``definer``: through PostgreSQL's ``wb_append_trail``,
    called with plain SQL as psql would (the one way in from migration 0012).
    """
    head = conn.execute(sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one()
    age = conn.execute(sa.text("SELECT age_years FROM participants WHERE id = 'SCI-001'")).scalar_one()
    seq, prev, seqs, rows = head.seq, head.hash, [], []
    for _ in range(n):
        seq += 1
        e = AuditEntry(seq=seq, ts="2026-11-22T10:00:00.000000+00:00", user_name=as_name, role=as_role,
                       action="update", entity="participants", entity_id="SCI-001", field="age_years",
                       old_value=canonical_json(age), new_value=canonical_json(age), reason="correction",
                       prev_hash=prev)
        row = {k: getattr(e, k) for k in HASHED}
        row["hash"] = prev = e.compute_hash(key)
        row["signature"] = sign(signer, prev) if signer is not None and _ == n - 1 else None
        rows.append(row)
        seqs.append(seq)
    if definer:
        conn.execute(sa.text("SELECT wb_append_trail(CAST(:e AS json))"), {"e": json.dumps(rows)})
        return seqs
    conn.execute(audit_log.insert(), rows)
    conn.execute(audit_head.update().where(audit_head.c.id == 1).values(seq=seq, hash=prev))
    return seqs


def _named(report, seqs) -> bool:
    return all(any(x.seq == s and "not signed by its user" in x.message for x in report.findings) for s in seqs)


def test_a_writer_with_the_shared_key_cannot_write_as_the_investigator(store, audit_key_file):
    """The issue's psql scenario (on PostgreSQL the engineer's own database role), and raw SQL on SQLite."""
    f.seeded(store)
    engineer = as_user(store, "eng.one", "engineer", f.site().id)
    key = bytes.fromhex(audit_key_file.read_text().strip())  # every writer could read it
    with engineer.engine.connect() as conn:  # connected as the engineer, as with psql
        with conn.begin():
            if store.postgres:
                # No direct INSERT into the trail, not even under one's own name (migration 0012) ...
                for name, role in (("dr.inv", "investigator"), ("eng.one", "engineer")):
                    with pytest.raises(sa.exc.DBAPIError, match="permission denied for table audit_log"):
                        with conn.begin_nested():
                            _forge(conn, key, 5, as_name=name, as_role=role)
                # ... the store's definer function refuses an entry under another person's name or role ...
                for name, role in (("dr.inv", "investigator"), ("eng.one", "investigator")):
                    with pytest.raises(sa.exc.DBAPIError, match="an entry is its author's own"):
                        with conn.begin_nested():
                            _forge(conn, key, 5, as_name=name, as_role=role, definer=True)
                # ... and an own-name entry still needs the engineer's signature (signed below: none)
                seqs = _forge(conn, key, 2, as_name="eng.one", as_role="engineer", definer=True)
            else:
                seqs = _forge(conn, key, 5)
    report = store.verify_audit()
    assert not report.ok and _named(report, seqs), report.summary()
    engineer.close()


def test_signing_with_your_own_key_under_another_name_is_named(sqlite_store, audit_key_file):
    store = sqlite_store
    mallory = derive_key("mallory-guess-1", new_salt())
    key = bytes.fromhex(audit_key_file.read_text().strip())
    with store.engine.begin() as conn:
        seqs = _forge(conn, key, 3, signer=mallory)
    report = store.verify_audit()
    (finding,) = [x for x in report.findings if x.seq == seqs[-1]]
    assert f"entries #{seqs[0]}-#{seqs[-1]}" in finding.message and "not signed by its user" in finding.message


def test_the_sponsor_cannot_write_as_the_investigator_through_the_api(sqlite_store):
    sponsor = as_user(sqlite_store, "sp.one", "sponsor")
    p = sponsor.get(Participant, "SCI-001")
    with pytest.raises(AttributeError):
        sponsor.user = User("dr.inv", "investigator")
    with pytest.raises(PermissionDeniedError):
        sponsor.update(dataclasses.replace(p, age_years=61), reason="typo")
    assert sqlite_store.verify_audit().ok
    sponsor.close()


def test_a_swapped_password_hash_cannot_log_in_and_verify_names_it(sqlite_store):
    """Item 4 of the issue: the investigator's hash replaced with the monitor's via sqlite3."""
    store = sqlite_store
    as_user(store, "mon.one", "monitor").close()
    with store.engine.begin() as conn:
        monitors = conn.execute(sa.text("SELECT password_hash FROM credentials WHERE user_name = 'mon.one'")).scalar()
        conn.execute(sa.text("UPDATE credentials SET password_hash = :h WHERE user_name = 'dr.inv'"), {"h": monitors})
    with pytest.raises(AuthenticationError, match="signing key"):
        Store(store.url, user="dr.inv", password=password_of("mon.one"))
    assert any(x.message.startswith("credentials/dr.inv: the password hash is not the one")
               for x in store.verify_audit().findings)


def test_signed_entries_verify_and_a_password_change_keeps_them_verifying(sqlite_store):
    store = sqlite_store
    assert store.verify_audit().ok
    store.change_password(password_of("dr.inv"), "a-Brand-new-Passphrase-9")
    p = store.get(Participant, "SCI-001")
    store.update(dataclasses.replace(p, age_years=p.age_years + 1), reason="typo")
    again = Store(store.url, user="dr.inv", password="a-Brand-new-Passphrase-9")
    again.update(dataclasses.replace(again.get(Participant, "SCI-001"), age_years=p.age_years), reason="typo")
    report = again.verify_audit()
    assert report.ok, report.summary()
    again.close()


def test_entries_before_signatures_are_legacy_not_forgeries(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    s = first_investigator(url)
    f.seeded(s, 1)
    with s.engine.connect() as conn:
        n = conn.execute(sa.text("SELECT MAX(seq) FROM audit_log")).scalar()
    s.close()
    from_older_schema(url, "0010")  # a store from before 0011
    s = login(url, "dr.inv")
    s.update(dataclasses.replace(s.get(Participant, "SCI-001"), age_years=40), reason="typo")
    report = s.verify_audit()
    assert report.ok and report.n_legacy == n, report.summary()
    assert "unsigned legacy" in report.summary()
    with s.engine.begin() as conn:  # moving the boundary over signed entries is named
        conn.execute(sa.text("UPDATE audit_head SET signed_from = 10000"))
    assert any("legacy boundary was moved" in x.message for x in s.verify_audit().findings)
    s.close()
