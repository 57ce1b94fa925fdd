"""Signing a visit's assessments and judging a signature still valid (the Signature record: ``types/signature.py``).

21 CFR 11.50, 11.70 and 11.200: the signer gives the password again, the
signature lists each signed record with its version and content hash, and a
later change to a signed record breaks the signature (derived here by
comparing with what is stored now; nothing is silently re-signed). The store
is passed in: signing uses its public methods (``get``, ``find``, ``add``,
``confirm_password``), never imports it.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Callable

from ...errors import PermissionDeniedError, Problem, ValidationError
from ..storage.tables import BY_TABLE
from ..types.outcome import OutcomeAssessment
from ..types.signature import SIGNATURE_MEANINGS, Signature, content_hash, signed_version
from ..types.visit import Visit


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
        store.confirm_password(password)  # the store's own login again (a refusal is logged)
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
    statuses = visit_signatures(store, visit_id)
    if not statuses:
        return "unsigned"
    latest = statuses[-1]
    if latest.state == "broken":
        return "signature broken"
    covered = {item.record_id for item in latest.signature.signed}
    current = {a.id for a in store.find(OutcomeAssessment, visit_id=visit_id)}
    return "signed" if current <= covered else "partly signed"
