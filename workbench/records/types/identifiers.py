"""Keeping direct identifiers in the store: code patterns at entry, a screen on the way out.

A pseudonymised store still holds whatever staff type, and a name, a birth
date or a phone number typed into a field meant for a code would otherwise
travel into every export and report (issue 24, item 7). Two rules keep them in:

1. **At entry**, fields that hold codes are checked against the study's
   patterns (:class:`IdentifierPolicy`): pseudonyms (``PREFIX-NNN`` by
   default, e.g. ``SCI-001``), site codes, consent form versions, record ids
   and staff user names, and none of them may contain a date, phone number or
   e-mail address. A refusal names the field. Stored rows are never checked
   again against these patterns when read back (:func:`stored_values`), so a
   study that tightens its patterns still opens its old database.
2. **On the way out** (exports and reports, :func:`screen_frame`):
   free-text fields are dropped (as before); staff names become stable
   pseudonymous staff codes (:func:`staff_code`); every other text value that
   could hold a name (its field accepts one, e.g. a device or montage label
   or the study title) leaves the store only as a single token without a
   date, phone number or e-mail shape, unless the study lists the field in
   ``shown_labels``, and then still only without those shapes. Anything else
   is replaced by :data:`WITHHELD_ID`. Fields written by the live session
   (trial cues, gate rules, decoder versions) are screened here and not at
   entry, so a recording is never stopped by a check on a machine value.

Whose policy applies: the study's. A study database stores its policy (the
``identifier_policy`` table, migration 0014, written through the keyed trail by
an investigator with ``Store.set_identifier_policy`` or ``workbench db policy
set``). Records check themselves when they are made, before any store sees
them, so logging in installs the study's stored policy for the process
(:func:`install_study_policy`), and the store checks every code it writes
against the stored policy again inside the write transaction (the check that
counts: it reads the row the transaction sees). A process-level policy
(:func:`set_policy`, :func:`use_policy`, or a JSON file named by
``$WORKBENCH_IDENTIFIER_POLICY``, see :func:`policy_from_file`) that differs from
the study's stored one is refused at login (:func:`policy_conflicts`), so two
users of one study never validate against different patterns. A study that has
stored no policy keeps the process-level one, else the defaults, as before.

Staff codes are keyed: HMAC-SHA-256 of the user name under the study's own
secret (the ``staff_code_key`` table, migration 0015), which never leaves the
study database. Without it, anyone holding an export who knows or guesses the
site's user names could recompute the codes and see who did what. The store
passes its key explicitly where it is at hand (``Store.staff_key``, exports,
ODM, report provenance); logging in also installs it for the process beside
the policy (:func:`install_staff_key`), for screens called without a store
(reports, NWB). With no key given and none installed, :func:`staff_code`
refuses: it never falls back to an unkeyed hash.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import hashlib
import hmac
import json
import os
import re
from pathlib import Path
from typing import Any, Iterator, Mapping

from ...errors import Problem, ValidationError, WorkbenchError

#: Environment variable naming a JSON file with the study's identifier policy.
POLICY_VAR = "WORKBENCH_IDENTIFIER_POLICY"
#: What replaces a value that may identify a person in exports and reports.
WITHHELD_ID = "[withheld: may identify a person]"

#: Default patterns of the code kinds a field can declare (``Spec.code``).
#: ``PREFIX-NNN``: 2-5 capitals, a hyphen, 3-4 digits; short enough that a name plus a birth date
#: (``JANEDOE-196104``, issue 24's probe) does not fit.
DEFAULT_PATTERNS: dict[str, str] = {
    "pseudonym": r"[A-Z]{2,5}-[0-9]{3,4}",
    "site": r"[A-Z][A-Z0-9]{1,7}",
    "consent_form": r"[A-Za-z]{0,12} ?v[0-9]{1,3}(\.[0-9]{1,3}){0,2}",
    "record_id": r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}",
    "staff": r"[A-Za-z][A-Za-z0-9._\-]{0,63}",
    # Labels written by the session from the amplifier's stream (device) or the protocol (montage,
    # task): free labels by default, screened on the way out; a study may make them codes.
    "device": r"[^\r\n\t]{1,120}",
    "montage": r"[^\r\n\t]{1,120}",
    "task": r"[^\r\n\t]{1,120}",
}
#: What each code kind is, for error messages.
KIND_LABELS = {
    "pseudonym": "a pseudonym", "site": "a site code", "consent_form": "a consent form version",
    "record_id": "a record code", "staff": "a staff user name", "device": "a device label",
    "montage": "a montage label", "task": "a task label",
}
#: Kinds whose values are screened for identifier shapes at entry (typed by people, never by a live run).
SCREENED_AT_ENTRY = frozenset({"pseudonym", "site", "consent_form", "record_id", "staff"})

#: Fields holding a staff member's user name: exported and reported as a staff code only.
STAFF_FIELDS: frozenset[tuple[str, str]] = frozenset({
    ("user_accounts", "id"), ("sessions", "operator"), ("outcome_assessments", "assessor"),
    ("locks", "locked_by"), ("locks", "unlocked_by"), ("signatures", "signer"),
    ("allocation_sequences", "generated_by"), ("allocations", "randomized_by"),
})
#: Audit-trail entities whose entity id is a user name.
STAFF_ENTITIES = frozenset({"user_accounts", "signing_keys", "credentials"})

# Shapes of direct identifiers (HIPAA 45 CFR 164.514(b)(2)(i): dates, telephone numbers, e-mail addresses).
_DATE = re.compile(r"(?<!\d)(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})(?!\d)")
#: Seven or more digits with only phone separators between them, not inside a longer word (a hash).
_PHONE = re.compile(r"(?<![\w+])\+?\d(?:[\s().\-/]*\d){6,}(?!\w)")
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+\.[\w.\-]+")
_SHAPES = (("a date", _DATE), ("a phone number", _PHONE), ("an e-mail address", _EMAIL))
#: Probes deciding whether a field's pattern can hold a name or an identifier shape at all.
_NAME_PROBE = "Jane Doe"
_PROBES = (_NAME_PROBE, "1961-04-12", "12.04.1961", "+44 20 7946 0958", "02079460958", "jane@example.org")


@dataclasses.dataclass(frozen=True)
class IdentifierPolicy:
    """The study's rules for codes and for what leaves the store.

    Parameters
    ----------
    patterns : mapping
        Regular expression per code kind (keys of :data:`DEFAULT_PATTERNS`);
        kinds not given keep the default.
    shown_labels : frozenset of str
        ``"table.field"`` labels the study vouches for (e.g.
        ``"studies.title"``): exported and reported even with spaces, still
        without dates, phone numbers or e-mail addresses.
    """

    patterns: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(DEFAULT_PATTERNS))
    shown_labels: frozenset = frozenset()

    def __post_init__(self) -> None:
        problems = []
        patterns = dict(DEFAULT_PATTERNS)
        if not isinstance(self.patterns, Mapping):
            problems.append(Problem("patterns", self.patterns, "a mapping of code kind to regular expression"))
        else:
            for kind, pattern in self.patterns.items():
                if kind not in DEFAULT_PATTERNS:
                    problems.append(Problem(f"patterns.{kind}", pattern,
                                            "a code kind: " + ", ".join(DEFAULT_PATTERNS)))
                    continue
                try:
                    re.compile(pattern)
                except (re.error, TypeError):
                    problems.append(Problem(f"patterns.{kind}", pattern, "a valid regular expression"))
                    continue
                patterns[kind] = pattern
        labels = self.shown_labels
        if isinstance(labels, str) or not all(isinstance(x, str) and re.fullmatch(r"[a-z_]+\.[a-z_0-9]+", x)
                                              for x in labels):
            problems.append(Problem("shown_labels", labels, "a list of 'table.field' names"))
        if problems:
            raise ValidationError(problems, what="identifier policy")
        object.__setattr__(self, "patterns", patterns)
        object.__setattr__(self, "shown_labels", frozenset(labels))

    def pattern(self, kind: str) -> str:
        return self.patterns[kind]

    def check(self, name: str, value: str, kind: str) -> Problem | None:
        """A Problem naming field ``name`` if ``value`` is not a valid code of ``kind``, else None."""
        pattern = self.patterns[kind]
        what = KIND_LABELS.get(kind, kind)
        if not re.fullmatch(pattern, value):
            return Problem(name, value, f"{what} matching {pattern} (the study's pattern: a code, never a name, "
                                        "date or phone number)")
        if kind in SCREENED_AT_ENTRY:
            shape = identifier_shape(value)
            if shape:
                return Problem(name, value, f"{what} without {shape} (codes never hold a birth date, phone "
                                            "number or e-mail address)")
        return None


_DEFAULT = IdentifierPolicy()
_policy: IdentifierPolicy | None = None
#: The stored policies of the studies logged into, by the id of the store that installed each, in order:
#: the last one applies (a store logging in again to confirm a password installs and releases its own).
_studies: dict[int, IdentifierPolicy | None] = {}
_trusting = contextvars.ContextVar("workbench_identifiers_trusting", default=False)
#: The staff code keys of the studies logged into, by the id of the store that installed each (the last applies).
_staff_keys: dict[int, bytes] = {}
#: Shortest staff code key accepted: the hash's length (RFC 2104 section 3 discourages shorter keys); migration
#: 0015 stores 32 random bytes.
MIN_KEY_BYTES = 32


def policy_from_mapping(mapping: Mapping[str, Any]) -> IdentifierPolicy:
    """A policy from ``{"patterns": {...}, "shown_labels": [...]}`` (unknown keys refused)."""
    if not isinstance(mapping, Mapping):
        raise ValidationError([Problem("policy", mapping, "a JSON object")], what="identifier policy")
    unknown = [k for k in mapping if k not in ("patterns", "shown_labels") and not str(k).startswith("_")]
    if unknown:
        raise ValidationError([Problem(k, mapping[k], "patterns or shown_labels") for k in unknown],
                              what="identifier policy")
    return IdentifierPolicy(patterns=mapping.get("patterns", {}),
                            shown_labels=frozenset(mapping.get("shown_labels", ())))


def policy_from_file(fname: str | os.PathLike) -> IdentifierPolicy:
    """Read a policy JSON file; a missing or unreadable file is an error naming it."""
    path = Path(fname)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValidationError([Problem(POLICY_VAR, str(path), f"a readable JSON policy file ({err})")],
                              what="identifier policy") from None
    return policy_from_mapping(data)


def active_policy() -> IdentifierPolicy:
    """The policy set with :func:`set_policy`, else the stored policy of the study logged into, else the file
    in ``$WORKBENCH_IDENTIFIER_POLICY``, else defaults."""
    if _policy is not None:
        return _policy
    if _studies:
        study = next(reversed(_studies.values()))
        if study is not None:
            return study
    fname = os.environ.get(POLICY_VAR)
    return policy_from_file(fname) if fname else _DEFAULT


def configured_policy() -> tuple[IdentifierPolicy, str] | None:
    """The process-level policy and where it came from (``set_policy()`` or the file), or None if none is set."""
    if _policy is not None:
        return _policy, "set_policy()"
    fname = os.environ.get(POLICY_VAR)
    return (policy_from_file(fname), fname) if fname else None


def policy_to_mapping(policy: IdentifierPolicy) -> dict[str, Any]:
    """``{"patterns": {...}, "shown_labels": [...]}``: what :func:`policy_from_mapping` reads back."""
    return {"patterns": dict(policy.patterns), "shown_labels": sorted(policy.shown_labels)}


def policy_conflicts(process: IdentifierPolicy, stored: IdentifierPolicy, source: str) -> list[Problem]:
    """Problems naming each pattern (or the shown labels) where ``process`` differs from the study's ``stored``."""
    problems = []
    for kind, pattern in stored.patterns.items():
        if process.patterns.get(kind) != pattern:
            problems.append(Problem(f"{source}: patterns.{kind}", process.patterns.get(kind),
                                    f"the study's stored pattern {pattern} (or no process-level policy: "
                                    f"unset ${POLICY_VAR})"))
    if process.shown_labels != stored.shown_labels:
        problems.append(Problem(f"{source}: shown_labels", sorted(process.shown_labels),
                                f"the study's stored labels {sorted(stored.shown_labels)} (or no process-level "
                                f"policy: unset ${POLICY_VAR})"))
    return problems


def install_study_policy(policy: IdentifierPolicy | None, owner: object) -> None:
    """Make ``policy`` (a study's stored one; None: the study has none) the one records are made under.

    Called by a store at login and whenever it reads a changed policy; ``owner``
    is that store, so :func:`release_study_policy` undoes only its own.
    """
    _studies.pop(id(owner), None)
    _studies[id(owner)] = policy


def release_study_policy(owner: object) -> None:
    """Undo ``owner``'s :func:`install_study_policy` and :func:`install_staff_key` (a store closing; ``owner``
    may be its ``id()``)."""
    _studies.pop(owner if isinstance(owner, int) else id(owner), None)
    _staff_keys.pop(owner if isinstance(owner, int) else id(owner), None)


def install_staff_key(key: bytes | None, owner: object) -> None:
    """Make ``key`` (a study's staff code key; None: the database has none) the one :func:`staff_code` uses
    when no key is passed. Called by a store at login; :func:`release_study_policy` undoes it."""
    _staff_keys.pop(id(owner), None)
    if key is not None:
        _staff_keys[id(owner)] = _checked_key(key)


def code_problems(record, policy: IdentifierPolicy, fields=None, prefix: str = "") -> list[Problem]:
    """Problems of ``record``'s code fields (``Spec.code``) under ``policy``; only ``fields`` if given.

    Duck-typed on ``record.specs()``, so this module stays below the record types.
    Nested records are checked item by item (``visit_schedule[0].name``).
    """
    problems = []
    for name, sp in record.specs():
        if fields is not None and name not in fields:
            continue
        value = getattr(record, name)
        if sp.kind == "str" and sp.code and isinstance(value, str):
            problem = policy.check(prefix + name, value, sp.code)
            if problem is not None:
                problems.append(problem)
        elif sp.kind == "nested" and value:
            for i, item in enumerate(value):
                problems += code_problems(item, policy, prefix=f"{prefix}{name}[{i}].")
    return problems


def set_policy(policy: IdentifierPolicy | None) -> None:
    """Make ``policy`` the process's policy (None: back to the environment or the defaults)."""
    global _policy
    if policy is not None and not isinstance(policy, IdentifierPolicy):
        raise ValidationError([Problem("policy", policy, "an IdentifierPolicy or None")], what="identifier policy")
    _policy = policy


@contextlib.contextmanager
def use_policy(policy: IdentifierPolicy) -> Iterator[IdentifierPolicy]:
    """Apply ``policy`` within a ``with`` block (tests, one-off imports)."""
    global _policy
    before = _policy
    set_policy(policy)
    try:
        yield policy
    finally:
        _policy = before


@contextlib.contextmanager
def stored_values() -> Iterator[None]:
    """Within this block records are rebuilt from stored rows: code patterns are not applied again.

    A row was checked when it was written; a study that tightens a pattern
    later must still be able to open, correct and export its old data.
    """
    token = _trusting.set(True)
    try:
        yield
    finally:
        _trusting.reset(token)


def checking_policy() -> IdentifierPolicy | None:
    """The policy a record made now has its codes checked against (None while reading stored rows)."""
    return None if _trusting.get() else active_policy()


def check_code(name: str, value: str, kind: str) -> Problem | None:
    """The entry check of a code field (``Spec.code``); None while reading stored rows."""
    if _trusting.get():
        return None
    return active_policy().check(name, value, kind)


# -- screening on the way out --------------------------------------------------------
def identifier_shape(text: str) -> str | None:
    """What identifier shape ``text`` holds ("a date", "a phone number", "an e-mail address"), or None."""
    for what, rx in _SHAPES:
        if rx.search(text):
            return what
    return None


def staff_code(name: Any, key: bytes | None = None) -> Any:
    """A stable pseudonymous code for a staff user name (``staff-`` and 10 hex digits).

    HMAC-SHA-256 of the name under the study's staff code key ``key`` (None:
    the key a logged-in store installed, :func:`install_staff_key`). The same
    name gives the same code in every export and report of one study, so a
    monitor can still see that one person did a set of things; without the
    key, which never leaves the study database, the code cannot be recomputed
    from a list of user names, and another study's code of the same name
    differs. A code is returned as it is (screening twice changes nothing).

    Raises
    ------
    WorkbenchError
        No key given and none installed: staff codes are never made unkeyed.
    """
    if not isinstance(name, str) or not name:
        return name
    if re.fullmatch(r"staff-[0-9a-f]{10}", name):
        return name
    key = _installed_staff_key() if key is None else _checked_key(key)
    return "staff-" + hmac.new(key, ("workbench staff:" + name).encode(), hashlib.sha256).hexdigest()[:10]


def _checked_key(key: Any) -> bytes:
    if not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES:
        shown = f"{len(key)} bytes" if isinstance(key, bytes) else type(key).__name__  # never the key itself
        raise ValidationError([Problem("staff code key", shown, f"bytes, at least {MIN_KEY_BYTES} (the study's "
                                                                "key: Store.staff_key)")], what="staff code")
    return key


def _installed_staff_key() -> bytes:
    if _staff_keys:
        return next(reversed(_staff_keys.values()))
    raise WorkbenchError("staff codes need the study's staff code key: log in to the study (Store) or pass "
                         "key=store.staff_key; a database below migration 0015 has none (`workbench db upgrade`)")


def _can_hold_identifier(sp, kind_pattern: str | None) -> tuple[bool, bool]:
    """(can hold an identifier shape, can hold a name with a space) under the field's pattern."""
    pattern = kind_pattern or sp.pattern
    if pattern is None:
        return True, True
    return (any(re.fullmatch(pattern, p) for p in _PROBES[1:]), bool(re.fullmatch(pattern, _NAME_PROBE)))


def screen_text(value: Any, *, spaces_allowed: bool = False) -> Any:
    """``value`` if it may leave the store, else :data:`WITHHELD_ID` (non-text values pass)."""
    if not isinstance(value, str):
        return value
    if identifier_shape(value) or (not spaces_allowed and re.search(r"\s", value.strip())):
        return WITHHELD_ID
    return value


def _screen_nested(value: Any, spaces_allowed: bool = False) -> Any:
    """Every text leaf of a JSON value screened (worksheet values, recording paths)."""
    if isinstance(value, str):
        return screen_text(value, spaces_allowed=spaces_allowed)
    if isinstance(value, Mapping):
        return {k: _screen_nested(v, spaces_allowed) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_screen_nested(v, spaces_allowed) for v in value)
    return value


#: The study's own patterns (types/policy.py): regular expressions, which may hold a space (the default
#: consent form pattern does); exported with it, still never with a date, phone or e-mail shape.
_POLICY_FIELDS = frozenset({("identifier_policy", "patterns")})


def field_screen(table: str, name: str, sp, policy: IdentifierPolicy | None = None, staff_key: bytes | None = None):
    """The function a value of ``table.name`` passes through on its way out, or None to keep it as is.

    ``staff_key``: the study's staff code key for staff fields (None: the installed one, looked up when a
    value is screened, so describing a field needs no key)."""
    policy = policy or active_policy()
    if sp.free_text:
        return lambda v: None if v is None else WITHHELD_ID
    if (table, name) in STAFF_FIELDS:
        return functools.partial(staff_code, key=staff_key)
    if (table, name) in _POLICY_FIELDS:
        return lambda v: _screen_nested(v, spaces_allowed=True)
    if sp.kind in ("json", "strs", "nested"):
        return _screen_nested
    if sp.kind != "str" or sp.choices or sp.ref or name == "id":
        return None  # coded, numeric, a reference or a key checked at entry
    kind_pattern = policy.patterns.get(sp.code) if getattr(sp, "code", None) else None
    shape, spaced = _can_hold_identifier(sp, kind_pattern)
    if not shape and not spaced:
        return None  # e.g. a MedDRA code or a SHA-256: nothing but the code fits
    if not spaced:
        return screen_text
    shown = f"{table}.{name}" in policy.shown_labels
    return lambda v: screen_text(v, spaces_allowed=shown)


def screen_frame(frame, rt, policy: IdentifierPolicy | None = None, staff_key: bytes | None = None):
    """A copy of a record type's table with every column screened for export or report (``staff_key``: see
    :func:`field_screen`)."""
    policy = policy or active_policy()
    frame = frame.copy()
    for name, sp in rt.specs():
        if name not in frame.columns:
            continue
        fn = field_screen(rt.TABLE, name, sp, policy, staff_key)
        if fn is not None:
            frame[name] = frame[name].map(lambda v, fn=fn: v if v is None or (isinstance(v, float) and v != v)
                                          else fn(v))
    return frame


def screen_record(record, policy: IdentifierPolicy | None = None, staff_key: bytes | None = None):
    """The same record with every field screened (for reports that take records, not frames)."""
    policy = policy or active_policy()
    changes = {}
    for name, sp in record.specs():
        value = getattr(record, name)
        fn = field_screen(record.TABLE, name, sp, policy, staff_key)
        if fn is None or value is None:
            continue
        if sp.kind == "nested":
            continue  # nested records are rebuilt from plain values below only when needed
        new = fn(value)
        if new != value:
            changes[name] = None if sp.free_text else new
    if not changes:
        return record
    with stored_values():
        return dataclasses.replace(record, **changes)


def describe_screen(table: str, name: str, sp, policy: IdentifierPolicy | None = None) -> str:
    """How a field is exported, for the data dictionary."""
    if sp.free_text:
        return "no (free text may identify a person)"
    if (table, name) in STAFF_FIELDS:
        return "as a staff code (staff-...), never the user name"
    fn = field_screen(table, name, sp, policy)
    if fn is None:
        return "yes"
    return f"yes, unless it may identify a person (then {WITHHELD_ID})"


__all__ = [
    "DEFAULT_PATTERNS", "IdentifierPolicy", "POLICY_VAR", "STAFF_FIELDS", "WITHHELD_ID", "active_policy",
    "check_code", "checking_policy", "code_problems", "configured_policy", "describe_screen", "field_screen", "identifier_shape",
    "install_staff_key", "install_study_policy", "policy_conflicts", "policy_from_file", "policy_from_mapping",
    "policy_to_mapping", "release_study_policy", "screen_frame", "screen_record", "screen_text", "set_policy", "staff_code",
    "stored_values", "use_policy",
]
