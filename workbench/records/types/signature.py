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
the change breaks the signature: :func:`signature_status` derives "broken" by
comparing the signed versions and hashes with what is stored now, and the
visit shows as needing a new signature. Nothing is silently re-signed.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime, timezone
from typing import Callable, ClassVar

from ...errors import PermissionDeniedError, Problem, ValidationError
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


def sign_visit(store, visit_id: str, *, meaning: str, password: str,
               verify_password: Callable[[str, str], object] | None = None, reason: str | None = None) -> Signature:
    """Sign every outcome assessment of one visit as the store's user; return the saved Signature.

    Parameters
    ----------
    store : workbench.records.Store
        Already authenticated; its user signs (investigators only).
    meaning : str
        One of :data:`SIGNATURE_MEANINGS`.
    password : str
        The signer's password, checked again now.
    verify_password : callable, optional
        ``verify_password(user_name, password)``; raises or returns False when
        wrong. By default the signer logs in again with ``password`` (the
        store's own login: argon2 on SQLite, the person's database role on
        PostgreSQL; a refusal is logged).
    reason : str, optional
        Why a visit is signed again (required when an earlier signature broke).
    """
    from .outcome import OutcomeAssessment
    from .visit import Visit

    problems = []
    if meaning not in SIGNATURE_MEANINGS:
        problems.append(Problem("meaning", meaning, "one of " + ", ".join(SIGNATURE_MEANINGS)))
    if not isinstance(password, str) or not password:
        problems.append(Problem("password", "<withheld>", "the signer's password, given again to sign"))
    if problems:
        raise ValidationError(problems, what="signature")
    _check_password(store, password, verify_password)
    store.get(Visit, visit_id)  # an unknown visit is named in a clear error
    assessments = store.find(OutcomeAssessment, visit_id=visit_id)
    if not assessments:
        raise ValidationError([Problem("visit_id", visit_id, "a visit with outcome assessments to sign")],
                              what="signature")
    earlier = visit_signatures(store, visit_id)
    if any(s.state == "broken" for s in earlier) and not (reason or "").strip():
        raise ValidationError([Problem("reason", reason, "why the visit is signed again: a change broke its "
                                                         "earlier signature")], what="signature")
    signature = Signature(visit_id=visit_id, signer=store.user.name, meaning=meaning,
                          signed_at=datetime.now(timezone.utc),
                          signed=tuple(signed_version(a) for a in assessments), reason=reason)
    (saved,) = store.add(signature)
    return saved


def _check_password(store, password: str, verify_password) -> None:
    if verify_password is None:
        # Log in again as the signer: on SQLite the argon2 check (a refusal is logged), on
        # PostgreSQL the server itself checks the person's own database role.
        from ..store import Store

        again = Store(store.url, user=store.user.name, password=password, workspace=getattr(store, "workspace", None))
        again.close()
        return
    try:
        ok = verify_password(store.user.name, password)
    except Exception as err:  # the verifier's refusal, whatever its type
        raise PermissionDeniedError(f"signature refused for {store.user.name!r}: {err}") from None
    if ok is False:
        raise PermissionDeniedError(f"signature refused for {store.user.name!r}: wrong password")


@dataclasses.dataclass(frozen=True)
class SignatureStatus:
    """A signature and whether what it signed is still stored unchanged."""

    signature: Signature
    state: str
    changed: tuple[str, ...] = ()  # "table/id: version 1 signed, version 2 stored" ...


def signature_status(store, signature: Signature) -> SignatureStatus:
    """'valid' while every signed record is stored at the signed version with the signed content; else 'broken'."""
    from ..storage.tables import BY_TABLE

    changed = []
    for item in signature.signed:
        found = store.find(BY_TABLE[item.table], id=item.record_id)
        if not found:
            changed.append(f"{item.table}/{item.record_id}: deleted after signing")
            continue
        now = found[0]
        if now.version != item.version:
            changed.append(f"{item.table}/{item.record_id}: version {item.version} signed, {now.version} stored")
        elif content_hash(now) != item.sha256:
            changed.append(f"{item.table}/{item.record_id}: content differs from what was signed")
    return SignatureStatus(signature, "broken" if changed else "valid", tuple(changed))


def visit_signatures(store, visit_id: str) -> list[SignatureStatus]:
    """Every signature of a visit with its derived state, oldest first."""
    sigs = sorted(store.find(Signature, visit_id=visit_id), key=lambda s: s.signed_at)
    return [signature_status(store, s) for s in sigs]


#: What :func:`visit_signature_state` can say about a visit.
VISIT_SIGNATURE_STATES = ("unsigned", "signed", "partly signed", "signature broken")


def visit_signature_state(store, visit_id: str) -> str:
    """One of :data:`VISIT_SIGNATURE_STATES`, judged by the visit's latest signature.

    "partly signed": an assessment was added after the latest signature;
    "signature broken": a signed assessment changed (or was deleted) since.
    """
    from .outcome import OutcomeAssessment

    statuses = visit_signatures(store, visit_id)
    if not statuses:
        return "unsigned"
    latest = statuses[-1]
    if latest.state == "broken":
        return "signature broken"
    covered = {item.record_id for item in latest.signature.signed}
    current = {a.id for a in store.find(OutcomeAssessment, visit_id=visit_id)}
    return "signed" if current <= covered else "partly signed"
