"""Anchors and the keyed chain: an older copy restored, or a chain rewritten, is caught.

Real file copies of a real SQLite database; the key lives outside it.
"""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.records import factories as f
from tests.records.accounts import first_investigator, login
from workbench.cli import main
from workbench.errors import ValidationError
from workbench.records import Participant
from workbench.records.trail.anchors import read_anchor, write_anchor
from workbench.records.trail.audit import AuditEntry, read_entries
from tests.budget import examples


@pytest.fixture
def sqlite_store(tmp_path):
    s = first_investigator(f"sqlite:///{tmp_path / 'study.sqlite'}")
    f.seeded(s, 2)
    yield s
    s.close()


def _db_file(store):
    return store.engine.url.database


def _copy_closed(store, dest):
    """Copy the database file with no connection open (WAL checkpointed into the file)."""
    store.close()
    shutil.copyfile(_db_file(store), dest)


def _restore(src, store):
    store.close()
    for suffix in ("-wal", "-shm"):
        shutil.os.remove(_db_file(store) + suffix) if shutil.os.path.exists(_db_file(store) + suffix) else None
    shutil.copyfile(src, _db_file(store))


def test_an_older_copy_restored_over_the_current_one_is_caught(sqlite_store, tmp_path):
    store = sqlite_store
    first = write_anchor(store.anchor(), tmp_path / "anchor-1.json")
    _copy_closed(store, tmp_path / "backup.sqlite")
    store = login(store.url, "dr.inv")
    p = store.get(Participant, "SCI-001")
    store.update(dataclasses.replace(p, age_years=60), reason="age corrected at week 12")
    second = write_anchor(store.anchor(), tmp_path / "anchor-2.json")
    assert store.verify_audit([first, second]).ok
    _restore(tmp_path / "backup.sqlite", store)  # the older file, put back by hand
    store = login(store.url, "dr.inv")
    assert store.get(Participant, "SCI-001").age_years == 34
    assert store.verify_audit().ok  # on its own the older copy is a valid, keyed chain ...
    assert store.verify_audit([first]).ok  # ... and agrees with the anchor taken before it
    report = store.verify_audit([first, second])  # ... but not with the later anchor
    assert not report.ok
    # The later anchor names the trail's missing entries, and the access log it saw: the copy's log has
    # other events (the logins since the restore) where the anchor saw its last one.
    finding, access = report.findings
    assert access.seq is None and "differs from the anchor" in access.message and "older copy" in access.message
    assert finding.seq == read_anchor(second).seq and "older copy" in finding.message
    assert "anchor-2.json" in finding.message
    store.close()


def _rewrite_entry(store, seq, key):
    """What someone with write access does: change an entry, recompute every later hash, move the head."""
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        entries = read_entries(conn)
        prev = entries[seq - 2].hash if seq > 1 else "0" * 64
        for e in entries[seq - 1:]:
            changed = dataclasses.replace(e, prev_hash=prev,
                                          new_value='"nothing to see"' if e.seq == seq else e.new_value)
            prev = changed.compute_hash(key)
            conn.execute(sa.text("UPDATE audit_log SET new_value = :v, prev_hash = :p, hash = :h WHERE seq = :s"),
                         {"v": changed.new_value, "p": changed.prev_hash, "h": prev, "s": e.seq})
        conn.execute(sa.text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": prev})


def test_a_chain_recomputed_without_the_key_is_caught(sqlite_store):
    store = sqlite_store
    _rewrite_entry(store, 3, key=b"a key the forger guessed")
    report = store.verify_audit()
    assert not report.ok and report.first_broken.seq == 3 and "keyed hash" in report.first_broken.message


def test_a_chain_recomputed_with_the_stolen_key_is_caught_by_the_anchor(sqlite_store, tmp_path):
    store = sqlite_store
    anchor = write_anchor(store.anchor(), tmp_path / "anchor.json")
    _rewrite_entry(store, 3, key=store.audit_key)
    # with the key, the forged chain itself checks out (only the replay sees entry 3's value) ...
    assert not any("keyed hash" in x.message or "link" in x.message for x in store.verify_audit().findings)
    # ... but not the author's signature over the rewritten transaction (issue 24)
    assert any("not signed by its user" in x.message for x in store.verify_audit().findings)
    # ... but the anchor filed before the forgery holds another hash for its entry
    report = store.verify_audit([anchor])
    assert any(x.seq == read_anchor(anchor).seq and "rewritten" in x.message for x in report.findings)


def test_wrong_key_file_fails_every_entry(sqlite_store, audit_key_file):
    store = sqlite_store
    audit_key_file.write_text("00" * 32 + "\n")
    store._key = None  # the store reads the key file again, as a new session would
    report = store.verify_audit()
    assert not report.ok and report.first_broken.seq == 1


def test_key_file_is_private(sqlite_store, audit_key_file):
    assert audit_key_file.stat().st_mode & 0o777 == 0o600
    assert len(bytes.fromhex(audit_key_file.read_text().strip())) == 32


def test_cli_anchor_then_verify_after_a_restore(sqlite_store, tmp_path, capsys, monkeypatch):
    store = sqlite_store
    monkeypatch.setenv("WORKBENCH_USER", "dr.inv")
    monkeypatch.setenv("WORKBENCH_PASSWORD", "dr.inv-Secret-Pass-1")
    db = ["--db-url", store.url]
    _copy_closed(store, tmp_path / "backup.sqlite")
    store = login(store.url, "dr.inv")
    store.add(f.participant("SCI-003"), f.consent("SCI-003"))
    assert main(["audit", "anchor", "--out", str(tmp_path / "a.json"), *db]) == 0
    out = capsys.readouterr().out
    anchor = json.loads((tmp_path / "a.json").read_text())
    assert f"anchored entry #{anchor['seq']}" in out and len(anchor["hash"]) == 64 and anchor["time"]
    before = (tmp_path / "a.json").read_text()
    assert main(["audit", "anchor", "--out", str(tmp_path / "a.json"), *db]) != 0  # never overwritten
    assert (tmp_path / "a.json").read_text() == before
    assert main(["audit", "verify", "--anchor", str(tmp_path / "a.json"), *db]) == 0
    _restore(tmp_path / "backup.sqlite", store)
    capsys.readouterr()
    assert main(["audit", "verify", "--anchor", str(tmp_path / "a.json"), *db]) == 1
    assert "older copy of the database was restored" in capsys.readouterr().out


def test_a_bad_anchor_file_names_its_fields(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "workbench-audit-anchor/1", "seq": -1, "hash": "xyz", "time": 5}))
    with pytest.raises(ValidationError) as err:
        read_anchor(bad)
    assert err.value.fields == ("seq", "hash", "time")

    bad.write_text(json.dumps({"format": "workbench-audit-anchor/1", "seq": 1, "hash": "a" * 64, "time": "t",
                               "access_seq": 0, "access_hash": "A" * 64}))
    with pytest.raises(ValidationError) as err:
        read_anchor(bad)
    assert err.value.fields == ("access_seq", "access_hash")


def test_an_anchor_holds_the_access_logs_head_and_one_from_before_still_reads(sqlite_store, tmp_path):
    store = sqlite_store
    path = write_anchor(store.anchor(), tmp_path / "anchor.json")
    data = json.loads(path.read_text())
    log = store.access_log()
    assert data["access_seq"] == log.id.max() and data["access_hash"] == log.hash.iloc[-1]
    assert store.verify_audit([path]).ok
    older = tmp_path / "older.json"  # written before the access log was chained: no access head
    older.write_text(json.dumps({k: data[k] for k in ("format", "seq", "hash", "time", "database")}))
    assert read_anchor(older).access_seq == 0 and store.verify_audit([older]).ok


@settings(max_examples=examples(60), deadline=None)
@given(n=st.integers(0, 30), anchored=st.integers(0, 30), kept=st.integers(0, 30), forged=st.booleans())
def test_an_anchor_agrees_exactly_with_the_trails_that_contain_it(n, anchored, kept, forged):
    """For any trail and any anchor of it: a copy holding the anchored entry unchanged agrees;
    a shorter copy, or one whose anchored entry differs, is reported."""
    from hypothesis import assume

    from workbench.records import Anchor

    assume(anchored <= n)
    key = b"k" * 32
    entries, prev = [], "0" * 64
    for seq in range(1, n + 1):
        e = AuditEntry(seq=seq, ts="2026-01-01T00:00:00+00:00", user_name="u", role="investigator",
                       action="create", entity="studies", entity_id=f"S{seq}", field="title", old_value=None,
                       new_value=f'"t{seq}"', reason=None, prev_hash=prev)
        prev = e.compute_hash(key)
        entries.append(dataclasses.replace(e, hash=prev))
    anchor = Anchor(seq=anchored, hash=entries[anchored - 1].hash if anchored else "0" * 64, time="t")
    copy = entries[:kept]
    if forged and anchored and kept >= anchored:
        copy[anchored - 1] = dataclasses.replace(copy[anchored - 1], hash="f" * 64)
    problem = anchor.disagreement(copy)
    should_fail = anchored > 0 and (kept < anchored or forged)
    assert (problem is not None) == should_fail, problem
