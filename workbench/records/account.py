"""User accounts: who may write, and in which role."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from ._base import ROLES, TableRecord
from ._fields import spec

USER_NAME = r"[A-Za-z][A-Za-z0-9._\-]{1,63}"


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserAccount(TableRecord):
    """A staff member's account: user name, role, active or not.

    Once any account exists, the store lets only active account holders write,
    and only in the role their account holds (21 CFR 11.10(d) "limiting system
    access to authorized individuals" and 11.10(g) "authority checks").
    Accounts are kept, not deleted, when someone leaves: set ``active=False``.
    """

    TABLE: ClassVar[str] = "user_accounts"

    id: str = spec("str", label="user name", pattern=USER_NAME)
    role: str = spec("str", label="role", choices=ROLES)
    active: bool = spec("bool", default=True, label="may currently write")
