"""Electronic signatures: an investigator signs exactly the versions of a visit's assessments.

A signature is a record of its own, in the audit trail like every other: who
signed, when, with which meaning (21 CFR 11.50: printed name, date and time,
and the meaning such as review, approval, responsibility or authorship), and
the list of records signed, each with its version and the SHA-256 of its
canonical content, so the signature stays linked to exactly what was signed
(21 CFR 11.70). The signer gives the password again at signing (21 CFR
11.200(a)(1)(i): the first signing of a session uses both components, later
ones at least one).

A signed record may still be corrected (with a reason, as every change), but
the change breaks the signature: :func:`~workbench.records.trail.signatures.signature_status` derives "broken" by
comparing the signed versions and hashes with what is stored now, and the
visit shows as needing a new signature. Nothing is silently re-signed.
Signing and the derived state: ``trail/signatures.py``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import ClassVar

from ...errors import Problem
from .base import Record, TableRecord
from .fields import CODE, LABEL, canonical_json, id_field, spec

#: 21 CFR 11.50(a)(3): the meaning associated with the signature.
SIGNATURE_MEANINGS = ("authored", "reviewed", "approved")
SIGNATURE_STATES = ("valid", "broken")
SHA256 = r"[0-9a-f]{64}"


@dataclasses.dataclass(frozen=True, kw_only=True)
class SignedVersion(Record):
    """One record as it was signed: table, id, version and the SHA-256 of its canonical content."""

    table: str = spec("str", label="table of the signed record", pattern=CODE)
    record_id: str = spec("str", label="id of the signed record", pattern=CODE)
    version: int = spec("int", label="version signed", min=1)
    sha256: str = spec("str", label="SHA-256 of the signed content (canonical JSON)", pattern=SHA256)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Signature(TableRecord):
    """An investigator's electronic signature over a visit's outcome assessments."""

    TABLE: ClassVar[str] = "signatures"
    WRITERS: ClassVar[frozenset[str]] = frozenset({"investigator"})

    id: str = id_field()
    visit_id: str = spec("str", label="visit whose assessments are signed", ref="visits")
    signer: str = spec("str", label="signer (user name)", pattern=LABEL)
    meaning: str = spec("str", label="meaning of the signature (21 CFR 11.50)", choices=SIGNATURE_MEANINGS)
    signed_at: object = spec("datetime", label="date and time of signing (UTC)")
    signed: tuple = spec("nested", label="records signed, with version and content hash", item=SignedVersion)
    reason: str = spec("str", required=False, label="why signed again (after a change broke a signature)",
                       free_text=True)

    def _cross_check(self, bad: set[str]) -> list[Problem]:
        if "signed" not in bad and not self.signed:
            return [Problem("signed", [], "at least one record (a visit's outcome assessments)")]
        return []


def content_hash(record: TableRecord) -> str:
    """SHA-256 of a record's canonical content (its table, id and every declared field)."""
    body = canonical_json({"table": record.TABLE, "content": record.to_plain()})
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def signed_version(record: TableRecord) -> SignedVersion:
    return SignedVersion(table=record.TABLE, record_id=record.id, version=record.version, sha256=content_hash(record))
