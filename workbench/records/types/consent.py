"""Informed consent in force on a date: the gate of every new data record, and the query to show it.

No session, run, outcome assessment or completed visit is stored for a
participant whose written informed consent is not in force on that record's
date: consent comes before any trial procedure (ICH E6(R2) 4.8.8; ISO
14155:2020 5.8), and a participant may withdraw at any time, after which no
new data are collected (ICH E6(R2) 4.8.10(m); ISO 14155:2020 5.8.1). Data
dated before the withdrawal stay and can still be corrected.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Iterable

from ...errors import Problem, ValidationError
from .participant import Consent, Participant

#: What :attr:`ConsentStatus.state` can say.
CONSENT_STATES = ("in force", "withdrawn", "not yet given", "none")
#: Why the gate exists, quoted in every refusal.
CONSENT_RULE = ("informed consent in force on that date (ICH E6(R2) 4.8.8: consent before participation; "
                "ISO 14155:2020 5.8; a withdrawal stops new data)")


@dataclasses.dataclass(frozen=True)
class ConsentStatus:
    """A participant's consent as it stood on one date.

    ``state`` is one of :data:`CONSENT_STATES`; ``consent`` the Consent record
    that decides it (the latest one signed on or before ``on``, else the
    earliest), None when there is none.
    """

    participant_id: str
    on: date
    state: str
    consent: Consent | None = None

    @property
    def in_force(self) -> bool:
        return self.state == "in force"

    def describe(self) -> str:
        """One line for a dashboard or an error message."""
        c = self.consent
        if self.state == "none":
            return f"{self.participant_id}: no informed consent recorded"
        if self.state == "not yet given":
            return f"{self.participant_id}: consent not yet given on {self.on} (signed {c.consent_date})"
        if self.state == "withdrawn":
            return f"{self.participant_id}: consent withdrawn on {c.withdrawn_date} (form {c.form_version})"
        return f"{self.participant_id}: consent in force since {c.consent_date} (form {c.form_version})"


def status_from(consents: Iterable[Consent], participant_id: str, on: date) -> ConsentStatus:
    """The status on ``on`` from a participant's Consent records (pure; no database)."""
    mine = sorted((c for c in consents if c.participant_id == participant_id), key=lambda c: c.consent_date)
    if not mine:
        return ConsentStatus(participant_id, on, "none")
    signed = [c for c in mine if c.consent_date <= on]
    if not signed:
        return ConsentStatus(participant_id, on, "not yet given", mine[0])
    latest = signed[-1]  # a re-consent (new form version) supersedes the earlier one
    if latest.withdrawn_date is not None and latest.withdrawn_date <= on:
        return ConsentStatus(participant_id, on, "withdrawn", latest)
    return ConsentStatus(participant_id, on, "in force", latest)


def consent_status(store, participant: Participant | str, *, on: date | None = None) -> ConsentStatus:
    """Whether ``participant``'s consent is in force on ``on`` (today when None).

    Examples
    --------
    >>> consent_status(store, "SCI-004", on=date(2026, 7, 1)).state   # doctest: +SKIP
    'withdrawn'
    """
    pid = participant.id if isinstance(participant, Participant) else participant
    on = date.today() if on is None else on
    if not isinstance(on, date):
        raise ValidationError([Problem("on", on, "a date")], what="consent query")
    store.get(Participant, pid)  # an unknown pseudonym is an error, not "no consent"
    return status_from(store.find(Consent, participant_id=pid), pid, on)


def consent_overview(store, *, on: date | None = None):
    """Every participant's consent status on ``on`` as a DataFrame (for dashboards)."""
    import pandas as pd

    on = date.today() if on is None else on
    consents = store.find(Consent)
    rows = []
    for p in store.find(Participant):
        s = status_from(consents, p.id, on)
        rows.append({"participant_id": p.id, "site_id": p.site_id, "on": on, "state": s.state,
                     "in_force": s.in_force, "form_version": s.consent.form_version if s.consent else None,
                     "consent_date": s.consent.consent_date if s.consent else None,
                     "withdrawn_date": s.consent.withdrawn_date if s.consent else None,
                     "summary": s.describe()})
    return pd.DataFrame(rows, columns=["participant_id", "site_id", "on", "state", "in_force", "form_version",
                                       "consent_date", "withdrawn_date", "summary"])
