"""A form of one data-defined instrument being filled in, scored live."""

from __future__ import annotations

from typing import Any

from ...errors import Problem, ValidationError
from ..instruments import Instrument, InstrumentScore, load_instrument, score_instrument
from ._base import Listeners, empty


class InstrumentEntry:
    """State of one instrument form (SCIM III, WISCI II, ARAT, ...).

    Parameters
    ----------
    instrument : Instrument | str
        The definition or its id (e.g. ``"SCIM-III"``).
    """

    def __init__(self, instrument: Instrument | str) -> None:
        self.instrument = load_instrument(instrument) if isinstance(instrument, str) else instrument
        self._items = {i.id: i for i in self.instrument.items}
        self._values: dict[str, Any] = {name: None for name in self._items}
        self.notes = ""
        self.listeners = Listeners()
        self._problems: dict[str, Problem] = {}
        self._score: InstrumentScore | None = None
        self._update()

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self._items)

    def set(self, item: str, value: Any) -> None:
        """Set one item; text from a box is parsed as the item's kind requires."""
        self._assign(item, value)
        self._update()

    def update(self, values: dict[str, Any]) -> None:
        for item, value in values.items():
            self._assign(item, value)
        self._update()

    def _assign(self, item: str, value: Any) -> None:
        if item not in self._items:
            raise KeyError(f"{self.instrument.id} has no item {item!r}")
        self._values[item] = None if empty(value) else value

    def value(self, item: str) -> Any:
        return self._values[item]

    def _parsed(self, item: str, value: Any) -> Any:
        kind = self._items[item].kind
        if isinstance(value, str) and kind != "choice":
            text = value.strip()
            try:
                number = float(text)
            except ValueError:
                return value  # left as text: validation names it
            return int(number) if kind in ("ordinal", "count") and number.is_integer() else number
        return value

    def _update(self) -> None:
        problems: dict[str, Problem] = {}
        good: dict[str, Any] = {}
        for item, raw in self._values.items():
            if raw is None:
                continue
            value = self._parsed(item, raw)
            if self._items[item].is_allowed(value):
                good[item] = value
            else:
                problems[item] = Problem(item, raw, self._items[item].allowed())
        try:
            self._score = score_instrument(self.instrument, good, partial=True)
        except ValidationError as err:  # a declared rule contradicted
            problems.update({p.field: p for p in err.problems})
            self._score = None
        self._problems = problems
        self.listeners.notify()

    @property
    def problems(self) -> dict[str, Problem]:
        return dict(self._problems)

    @property
    def score(self) -> InstrumentScore | None:
        return self._score

    @property
    def scores(self) -> dict[str, Any]:
        """Score name -> value so far (None where an item is still missing)."""
        return {} if self._score is None else dict(self._score.scores)

    @property
    def implied(self) -> tuple[str, ...]:
        """Items a declared scoring rule filled in (e.g. ARAT hierarchy)."""
        return () if self._score is None else self._score.implied

    @property
    def complete(self) -> bool:
        return self._score is not None and self._score.complete and not self._problems

    def item_values(self) -> dict[str, Any]:
        if not self.complete:
            self._raise_incomplete()
        return dict(self._score.item_values)

    def final_scores(self) -> dict[str, Any]:
        if not self.complete:
            self._raise_incomplete()
        return dict(self._score.scores)

    def _raise_incomplete(self) -> None:
        problems = list(self._problems.values())
        if self._score is not None:
            problems += [Problem(m, None, self._items[m].allowed()) for m in self._score.missing
                         if m not in self._problems]
        raise ValidationError(problems, what=f"{self.instrument.id} form (not complete)")
