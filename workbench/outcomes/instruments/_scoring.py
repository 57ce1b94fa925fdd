"""One scoring engine for every instrument defined as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ...errors import Problem, ValidationError
from ._model import Instrument, Rule


@dataclass(frozen=True)
class InstrumentScore:
    """The result of scoring one administration.

    ``item_values`` holds the entered values plus those a declared rule set
    (listed in ``implied``); a score is None when an item it needs is missing
    (only with ``partial=True``).
    """

    instrument: str
    version: str
    item_values: Mapping[str, Any]
    scores: Mapping[str, float | int | None]
    implied: tuple[str, ...] = ()
    missing: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        return not self.missing


def _apply_hierarchy(rule: Rule, values: dict, implied: dict, problems: list[Problem]) -> None:
    """Lyle 1981: ARAT subtests ordered hardest item first, easiest second."""
    first, second, rest = rule.items[0], rule.items[1], rule.items[2:]
    if values.get(first) == rule.top:
        fill, targets = rule.top, rule.items[1:]
        why = f"{rule.top} (first item scored {rule.top}: hierarchical rule, {rule.citation})"
    elif first in values and values.get(second) == 0:
        fill, targets = 0, rest
        why = f"0 (first item below {rule.top} and second item 0: hierarchical rule, {rule.citation})"
    else:
        return
    for name in targets:
        if name in values and values[name] != fill:
            problems.append(Problem(name, values[name], why))
        elif name not in values:
            implied[name] = fill


def _apply_unable(rule: Rule, instrument: Instrument, values: dict, skipped: set,
                  problems: list[Problem]) -> None:
    """A reason given for not doing the test: its items stay empty and are not missing."""
    if rule.item not in values:
        return
    skipped.update(rule.items)
    reason = instrument.label_of(rule.item)
    for name in rule.items:
        if name in values:
            problems.append(Problem(name, values[name], f"empty when {reason!r} is given ({values[rule.item]!r})"))


def score_instrument(instrument: Instrument, values: Mapping[str, Any], *, partial: bool = False) -> InstrumentScore:
    """Validate item values and compute subscales, totals and derived scores.

    Parameters
    ----------
    instrument : Instrument
        The definition (see :func:`load_instrument`).
    values : mapping
        Item id -> value. Items a declared rule implies may be left out.
    partial : bool
        Allow missing items; the scores that need them are None.

    Raises
    ------
    ValidationError
        Every unknown item, value outside the allowed set, missing item (unless
        ``partial``) and contradiction of a declared rule, all at once.
    """
    problems: list[Problem] = []
    by_id = {i.id: i for i in instrument.items}
    entered = {}
    for name, value in values.items():
        if name not in by_id:
            problems.append(Problem(name, value, "an item of " + instrument.id + ": " + ", ".join(by_id)))
        elif value is None:
            continue
        elif not by_id[name].is_allowed(value):
            problems.append(Problem(name, value, by_id[name].allowed()))
        else:
            entered[name] = value
    implied: dict[str, Any] = {}
    skipped: set[str] = set()
    for rule in instrument.rules:
        if rule.kind == "unable":
            _apply_unable(rule, instrument, entered, skipped, problems)
        else:
            _apply_hierarchy(rule, entered, implied, problems)
    full = {**entered, **implied}
    for name in skipped:
        full.pop(name, None)
    reported = {p.field for p in problems}
    missing = tuple(i.id for i in instrument.items
                    if i.required and i.id not in full and i.id not in reported and i.id not in skipped)
    if missing and not partial:
        problems += [Problem(name, "<missing>", _missing_allowed(instrument, name)) for name in missing]
    if problems:
        raise ValidationError(problems, what=f"{instrument.id} {instrument.version} form")

    scores: dict[str, float | int | None] = {}
    for group in instrument.subscales + instrument.totals:
        parts = [full.get(name) for name in group.items]
        scores[group.id] = None if any(p is None for p in parts) else sum(parts)
    for d in instrument.derived:
        num = d.numerator if isinstance(d.numerator, (int, float)) else full.get(d.numerator)
        den = d.denominator if isinstance(d.denominator, (int, float)) else full.get(d.denominator)
        scores[d.id] = None if num is None or den is None or den == 0 else round(num / den, d.decimals)
    ordered = {i.id: full[i.id] for i in instrument.items if i.id in full}
    return InstrumentScore(instrument.id, instrument.version, ordered, scores, tuple(sorted(implied)), missing)


def _missing_allowed(instrument: Instrument, name: str) -> str:
    allowed = instrument.item(name).allowed()
    for rule in instrument.rules:
        if rule.kind == "unable" and name in rule.items:
            allowed += f", or a reason in {instrument.label_of(rule.item)!r}"
    return allowed

