"""Personal signing keys: every trail transaction is signed by its author (issue 24, item 1).

Each account has an Ed25519 key pair (RFC 8032). The private half is never
stored: its 32-byte seed is derived at login from the account's password with
argon2id (RFC 9106) and a random per-key salt, and lives only in the memory of
the logged-in :class:`~workbench.records.store.Store`. The public half and the
salt are registered *in the trail itself* by an entry ``key signing_keys/NAME``
written in a transaction signed by the account's creator (an investigator),
or by the account itself when it changes its own password (then signed with
its previous key). Deriving instead of encrypting a stored private key keeps
nothing extra to steal: guessing the key means guessing the password, against
argon2id, exactly as for the password hash; a new password gives a new pair.

Someone who can write the database but does not know a person's password can
insert rows under that person's name, but cannot produce the Ed25519
signature over them with the key the trail registered for that person, so
``audit verify`` names every such entry.
"""

from __future__ import annotations

import json
import secrets

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

#: The trail's pseudo-entity under which public keys are registered.
KEY_ENTITY = "signing_keys"
KEY_ACTION = "key"
SALT_BYTES = 16
# argon2id at OWASP's minimum (19 MiB, 2 passes; ~0.06 s on this machine) once per login and
# per key registration: the password hash already costs an attacker more per guess.
_ARGON = dict(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, type=Type.ID)


def new_salt() -> str:
    return secrets.token_hex(SALT_BYTES)


def derive_key(password: str, salt_hex: str) -> Ed25519PrivateKey:
    """The Ed25519 private key of ``password`` under ``salt_hex`` (argon2id seed)."""
    seed = hash_secret_raw(password.encode("utf-8"), bytes.fromhex(salt_hex), **_ARGON)
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def registration(key: Ed25519PrivateKey, salt_hex: str, credential: str | None = None) -> dict:
    """What a key entry records: the public key, the salt its private half is derived with, and
    (SQLite) the digest of the credentials row stored with it (``access_chain.credential_digest``)."""
    value = {"public_key": public_hex(key), "salt": salt_hex}
    if credential is not None:
        value["credential"] = credential
    return value


def parse_registration(new_value: str | None) -> dict | None:
    """The ``{"public_key", "salt"}`` of a key entry's value, or None if malformed."""
    try:
        value = json.loads(new_value) if new_value is not None else None
        bytes.fromhex(value["public_key"]), bytes.fromhex(value["salt"])
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(value["public_key"]))
        return value
    except (ValueError, TypeError, KeyError):
        return None


def sign(key: Ed25519PrivateKey, chain_hash: str) -> str:
    """Signature (hex) over a chain hash: it covers that entry and, through the chain, all before it."""
    return key.sign(bytes.fromhex(chain_hash)).hex()


def signature_holds(public_key_hex: str, chain_hash: str, signature_hex: str | None) -> bool:
    if not signature_hex:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex)).verify(
            bytes.fromhex(signature_hex), bytes.fromhex(chain_hash))
        return True
    except (InvalidSignature, ValueError):
        return False


def current_registration(conn, name: str) -> dict | None:
    """The public key and salt the trail last registered for ``name`` (None if none)."""
    import sqlalchemy as sa

    from ..storage.tables import audit_head, audit_log

    # Only keys in the signed part of the trail count (verify trusts no other).
    signed_from = sa.select(audit_head.c.signed_from).where(audit_head.c.id == 1).scalar_subquery()
    value = conn.execute(sa.select(audit_log.c.new_value)
                         .where(audit_log.c.entity == KEY_ENTITY, audit_log.c.entity_id == name,
                                audit_log.c.action == KEY_ACTION, audit_log.c.seq >= signed_from)
                         .order_by(audit_log.c.seq.desc()).limit(1)).scalar()
    return parse_registration(value)
