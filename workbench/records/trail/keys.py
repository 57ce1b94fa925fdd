"""The audit key: a secret kept outside the database that keys the audit chain.

Whoever can write the database but not read this file cannot recompute a
valid chain after rewriting history (the weakness of an unkeyed hash chain).
Where it is: ``$WORKBENCH_AUDIT_KEY_FILE`` if set, else ``keys/audit.key`` in
the workspace; created with 32 random bytes and mode 0600 (folder 0700) only
while the trail is empty. Once a trail exists a missing key stops every write
with the path where it was expected, and a key that does not reproduce the
last entry's hash stops every write too (``audit.AuditWriter``): a silently
made new key would have turned every later verification into noise in which
real tampering hides (issue 24, item 5).
Back it up with the trial master file: without it the trail cannot be verified.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_FILE_VAR = "WORKBENCH_AUDIT_KEY_FILE"
KEY_BYTES = 32  # HMAC-SHA-256 key as long as the hash (RFC 2104 section 3)


def audit_key_path(workspace=None) -> Path:
    """Where the audit key lives: ``$WORKBENCH_AUDIT_KEY_FILE`` or ``WORKSPACE/keys/audit.key``."""
    named = os.environ.get(KEY_FILE_VAR)
    if named:
        return Path(named).expanduser().resolve()
    from ...config import get_workspace

    return get_workspace(workspace).root / "keys" / "audit.key"


def load_audit_key(workspace=None, *, create: bool = True) -> bytes:
    """The audit key's bytes, creating the key file (0600) when missing and ``create``.

    Callers pass ``create=True`` only while the trail is empty (``trail_is_empty``).
    """
    path = audit_key_path(workspace)
    if not path.exists():
        if not create:
            from ...errors import WorkbenchError

            raise WorkbenchError(f"no audit key at {path}: the trail exists, so nothing is written or verified "
                                 "without the key it was written with and no new key is made (restore the "
                                 f"file from the trial master file backup, or name it with {KEY_FILE_VAR})")
        write_secret(path, secrets.token_hex(KEY_BYTES) + "\n")
    text = path.read_text(encoding="ascii").strip()
    return bytes.fromhex(text)


def keys_dir(workspace=None) -> Path:
    """The folder of the workspace's secrets: the audit key's folder (``keys/`` by default)."""
    return audit_key_path(workspace).parent


def replace_secret(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (0600), replacing what was there: written beside, then moved over."""
    tmp = path.with_name(path.name + ".new")
    tmp.unlink(missing_ok=True)
    write_secret(tmp, text)
    os.replace(tmp, path)


def write_secret(path: Path, text: str) -> None:
    """Write ``text`` to a new file readable by its owner only (0600 from the start, no window)."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def trail_is_empty(conn) -> bool:
    """Whether the database's audit trail has no entry yet (the only time a new key may be made)."""
    import sqlalchemy as sa

    from ..storage.tables import audit_head

    head = conn.execute(sa.select(audit_head.c.seq).where(audit_head.c.id == 1)).scalar_one_or_none()
    return not head

