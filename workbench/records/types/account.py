"""User accounts: who may act, in which role, at which site."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from ...errors import Problem
from .base import CROSS_SITE_ROLES, ROLES, TableRecord
from .fields import CODE, spec

USER_NAME = r"[A-Za-z][A-Za-z0-9._\-]{1,63}"
#: Site staff who always belong to one site: they see only that site's participants.
SITE_BOUND_ROLES = frozenset({"assessor", "engineer"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserAccount(TableRecord):
    """A staff member's account: user name, role, site, active or not.

    Only active account holders act, and only in the role their account holds
    (21 CFR 11.10(d) "limiting system access to authorized individuals" and
    11.10(g) "authority checks"). Accounts are kept, not deleted, when someone
    leaves: set ``active=False``. The password is not part of the record: its
    argon2 hash lives in the ``credentials`` table (never in the audit trail).

    ``site_id``: assessors and engineers work at one site; an investigator at
    one site, or at none (the coordinating investigator, who sees every site);
    monitors, sponsors and data managers work across sites and have none.
    """

    TABLE: ClassVar[str] = "user_accounts"

    id: str = spec("str", label="user name", pattern=USER_NAME)
    role: str = spec("str", label="role", choices=ROLES)
    active: bool = spec("bool", default=True, label="may currently act")
    site_id: str | None = spec("str", required=False, label="site code", pattern=CODE)

    def _cross_check(self, bad: set[str]) -> list[Problem]:
        if "role" in bad or "site_id" in bad:
            return []
        if self.role in CROSS_SITE_ROLES and self.site_id is not None:
            return [Problem("site_id", self.site_id, f"none: a {self.role} works across every site")]
        return []

    def site_problems(self) -> list[Problem]:
        """Problems of a new or logging-in account: site staff must have their site.

        Not a construction rule, so accounts kept from before sites existed
        (schema 0003) stay readable; they cannot log in until given a site.
        """
        if self.role in SITE_BOUND_ROLES and self.site_id is None:
            return [Problem("site_id", None, f"the code of the site this {self.role} works at")]
        return []
