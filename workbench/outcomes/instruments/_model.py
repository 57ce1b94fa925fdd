"""Instrument definitions as data: items, allowed values, subscales, thresholds.

An instrument is read from a JSON file in this folder and checked when it is
loaded, so a new instrument is a new file, not new code. The schema:

- ``id``, ``name``, ``version``, ``citation`` (the paper that defines the form);
- ``sides``: optional, e.g. ``["right", "left"]``; items, subscales and scores
  are then repeated per side with the side as prefix (``right.grasp_1``);
- ``items``: ``id``, ``label``, ``kind`` ("ordinal": ``values`` lists the
  allowed integers; "number"/"count": ``min``, ``max``, ``unit``; "choice":
  ``values`` lists allowed texts, not scored), ``required`` (default true);
- ``subscales``: ``id``, ``label``, ``items`` (summed), ``min``, ``max``;
- ``total``: ``id``, ``label``, ``subscales`` or ``items`` summed (per side
  when ``sides`` is set), ``min``, ``max``;
- ``derived``: ``id``, ``label``, ``unit``, ``numerator``/``denominator``,
  each an item id or a number (walk speed = distance / time);
- ``rules``: declared scoring rules: Lyle's hierarchy for ARAT
  (``"hierarchical"``: ``items``, ``top``), or a test the participant could not
  do (``"unable"``: ``item`` names a choice item holding the reason; when it is
  given, the ``items`` it lists stay empty and the scores needing them are None);
- ``thresholds``: ``score``, ``label``, ``change``, ``population``,
  ``citation``, ``confirmed`` (only a confirmed threshold in SCI flags change).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ...errors import Problem, ValidationError

ITEM_KINDS = ("ordinal", "number", "count", "choice")
RULE_KINDS = ("hierarchical", "unable")


@dataclass(frozen=True)
class Item:
    """One field of the form."""

    id: str
    label: str
    kind: str
    values: tuple = ()
    min: float | None = None
    max: float | None = None
    unit: str | None = None
    required: bool = True

    def allowed(self) -> str:
        """Human-readable allowed values (used in every error message)."""
        if self.kind in ("ordinal", "choice"):
            return "one of " + ", ".join(repr(v) for v in self.values)
        kind = "an integer" if self.kind == "count" else "a number"
        unit = f" {self.unit}" if self.unit else ""
        return f"{kind} from {self.min:g} to {self.max:g}{unit}"

    def is_allowed(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind in ("ordinal", "choice"):
            return value in self.values and type(value) is type(self.values[0])
        if self.kind == "count" and not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            return False
        if not isinstance(value, (int, float)) or value != value:
            return False
        return self.min <= value <= self.max

    @property
    def scored(self) -> bool:
        return self.kind != "choice"


@dataclass(frozen=True)
class Subscale:
    id: str
    label: str
    items: tuple[str, ...]
    min: float
    max: float


@dataclass(frozen=True)
class Derived:
    """A ratio score, e.g. walking speed = distance / time."""

    id: str
    label: str
    numerator: str | float
    denominator: str | float
    unit: str | None = None
    decimals: int = 3


@dataclass(frozen=True)
class Rule:
    """A declared scoring rule.

    ``hierarchical`` (Lyle 1981, ARAT): within ``items`` (hardest first, easiest
    second), a top score on the first scores every item top; a first item below
    top with the second at 0 scores every remaining item 0.

    ``unable``: the participant could not do the test (e.g. cannot walk 10 m);
    ``item`` holds the reason and, once given, the ``items`` listed must stay
    empty and are not missing. Nothing is imputed: the scores that need those
    items are None, so an analysis plan decides how to treat them.
    """

    kind: str
    items: tuple[str, ...]
    top: int | None
    citation: str
    item: str | None = None


@dataclass(frozen=True)
class Threshold:
    """A clinically important change of one score, with where it comes from."""

    score: str
    label: str
    change: float | None
    population: str
    citation: str
    confirmed: bool
    note: str = ""

    @property
    def usable(self) -> bool:
        """Only a number confirmed in its paper, for people with SCI, flags change."""
        return self.confirmed and self.change is not None and self.population == "SCI"


@dataclass(frozen=True)
class Instrument:
    id: str
    name: str
    version: str
    citation: str
    items: tuple[Item, ...]
    subscales: tuple[Subscale, ...] = ()
    totals: tuple[Subscale, ...] = ()
    derived: tuple[Derived, ...] = ()
    rules: tuple[Rule, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    higher_is_better: Mapping[str, bool] = field(default_factory=dict)
    sides: tuple[str, ...] = ()
    notes: str = ""

    def item(self, item_id: str) -> Item:
        return {i.id: i for i in self.items}[item_id]

    def label_of(self, name: str) -> str:
        """What the form shows for an item or score id (the id itself if unknown)."""
        for group in (self.items, self.subscales, self.totals, self.derived):
            for entry in group:
                if entry.id == name:
                    return entry.label
        return name

    @property
    def score_names(self) -> tuple[str, ...]:
        """Every score :func:`score_instrument` returns, in order."""
        groups = self.subscales + self.totals
        return tuple(g.id for g in groups) + tuple(d.id for d in self.derived)

    def thresholds_for(self, score: str) -> tuple[Threshold, ...]:
        """Thresholds of a score; a per-side score (``right.total``) uses those of ``total``."""
        base = self.base_score(score)
        return tuple(t for t in self.thresholds if t.score in (score, base))

    def base_score(self, score: str) -> str:
        """``right.total`` -> ``total`` for a sided instrument; any other name unchanged.

        A bare side (``right``, as older stores saved Box and Block scores) has
        no base score and is returned as it is, so it matches no threshold.
        """
        side, dot, rest = score.partition(".")
        return rest if dot and rest and side in self.sides else score


def _side_names(ids, side: str) -> tuple[str, ...]:
    return tuple(f"{side}.{i}" for i in ids)


def instrument_from_mapping(data: Mapping[str, Any], source: str = "instrument") -> Instrument:
    """Build and check an :class:`Instrument` from its JSON mapping.

    Raises
    ------
    ValidationError
        Listing every problem of the definition (unknown item in a subscale,
        empty value set, threshold without citation, ...).
    """
    problems: list[Problem] = []
    for key in ("id", "name", "version", "citation", "items"):
        if not data.get(key):
            problems.append(Problem(key, data.get(key), "a non-empty value"))
    if problems:
        raise ValidationError(problems, what=source)
    sides = tuple(data.get("sides", ()))

    base_items = []
    for k, raw in enumerate(data["items"]):
        kind = raw.get("kind")
        if kind not in ITEM_KINDS:
            problems.append(Problem(f"items[{k}].kind", kind, "one of " + ", ".join(ITEM_KINDS)))
            continue
        values = tuple(raw.get("values", ()))
        if kind in ("ordinal", "choice") and not values:
            problems.append(Problem(f"items[{k}].values", values, "a non-empty list of allowed values"))
        if kind in ("number", "count") and (raw.get("min") is None or raw.get("max") is None):
            problems.append(Problem(f"items[{k}].min/max", (raw.get("min"), raw.get("max")), "both bounds"))
        base_items.append(
            Item(raw["id"], raw.get("label", raw["id"]), kind, values, raw.get("min"), raw.get("max"),
                 raw.get("unit"), raw.get("required", True))
        )
    base_ids = {i.id for i in base_items}

    def expand(ids):
        return [_side_names(ids, s) for s in sides] if sides else [tuple(ids)]

    items = [
        Item(f"{s}.{i.id}", f"{i.label} ({s})", i.kind, i.values, i.min, i.max, i.unit, i.required)
        for s in sides for i in base_items
    ] if sides else base_items

    def groups(key):
        out = []
        for k, raw in enumerate(data.get(key, ())):
            for name in raw.get("items", ()):
                if name not in base_ids:
                    problems.append(Problem(f"{key}[{k}].items", name, "an item id of this instrument"))
            for name in raw.get("subscales", ()):
                if name not in {s["id"] for s in data.get("subscales", ())}:
                    problems.append(Problem(f"{key}[{k}].subscales", name, "a subscale id of this instrument"))
            member_items = list(raw.get("items", ()))
            for name in raw.get("subscales", ()):
                member_items += next(s["items"] for s in data["subscales"] if s["id"] == name)
            if not member_items:
                problems.append(Problem(f"{key}[{k}]", raw.get("id"), "items or subscales to sum"))
            for side, names in zip(sides or (None,), expand(member_items)):
                prefix = f"{side}." if side else ""
                out.append(Subscale(prefix + raw["id"], raw.get("label", raw["id"]) + (f" ({side})" if side else ""),
                                    names, raw.get("min", 0), raw["max"]))
        return out

    subscales, totals = groups("subscales"), groups("totals")

    derived = []
    for k, raw in enumerate(data.get("derived", ())):
        for part in ("numerator", "denominator"):
            ref = raw.get(part)
            if not isinstance(ref, (int, float)) and ref not in base_ids:
                problems.append(Problem(f"derived[{k}].{part}", ref, "a number or an item id"))
        for side in sides or (None,):
            prefix = f"{side}." if side else ""
            ref = lambda r: r if isinstance(r, (int, float)) else prefix + r  # noqa: E731
            derived.append(Derived(prefix + raw["id"], raw.get("label", raw["id"]), ref(raw["numerator"]),
                                   ref(raw["denominator"]), raw.get("unit"), raw.get("decimals", 3)))

    rules = []
    for k, raw in enumerate(data.get("rules", ())):
        if raw.get("kind") not in RULE_KINDS:
            problems.append(Problem(f"rules[{k}].kind", raw.get("kind"), "one of " + ", ".join(RULE_KINDS)))
            continue
        if not raw.get("citation"):
            problems.append(Problem(f"rules[{k}].citation", raw.get("citation"), "the paper defining the rule"))
        for name in raw.get("items", ()):
            if name not in base_ids:
                problems.append(Problem(f"rules[{k}].items", name, "an item id of this instrument"))
        reason = raw.get("item")
        if raw["kind"] == "unable":
            kinds = {i.id: i.kind for i in base_items}
            if kinds.get(reason) != "choice":
                problems.append(Problem(f"rules[{k}].item", reason, "a choice item of this instrument (the reason)"))
        elif not isinstance(raw.get("top"), int):
            problems.append(Problem(f"rules[{k}].top", raw.get("top"), "the top item score (an integer)"))
        reasons = [f"{s}.{reason}" if reason else None for s in sides] if sides else [reason]
        for names, why in zip(expand(raw.get("items", ())), reasons):
            rules.append(Rule(raw["kind"], names, raw.get("top"), raw.get("citation", ""), why))

    score_ids = {s["id"] for s in data.get("subscales", ())} | {t["id"] for t in data.get("totals", ())}
    score_ids |= {d["id"] for d in data.get("derived", ())}
    thresholds = []
    for k, raw in enumerate(data.get("thresholds", ())):
        if raw.get("score") not in score_ids:
            problems.append(Problem(f"thresholds[{k}].score", raw.get("score"), "a score id of this instrument"))
        if not raw.get("citation"):
            problems.append(Problem(f"thresholds[{k}].citation", raw.get("citation"), "the paper the number is from"))
        if not isinstance(raw.get("confirmed"), bool):
            problems.append(Problem(f"thresholds[{k}].confirmed", raw.get("confirmed"), "true or false"))
        thresholds.append(Threshold(raw.get("score"), raw.get("label", ""), raw.get("change"),
                                    raw.get("population", ""), raw.get("citation", ""),
                                    bool(raw.get("confirmed")), raw.get("note", "")))
    if problems:
        raise ValidationError(problems, what=source)
    return Instrument(
        id=data["id"], name=data["name"], version=str(data["version"]), citation=data["citation"],
        items=tuple(items), subscales=tuple(subscales), totals=tuple(totals), derived=tuple(derived),
        rules=tuple(rules), thresholds=tuple(thresholds),
        higher_is_better=dict(data.get("higher_is_better", {})), sides=sides, notes=data.get("notes", ""),
    )
