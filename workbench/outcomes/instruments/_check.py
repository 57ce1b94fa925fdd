"""Check a stored administration against its instrument: id, version, items, scores.

A stored score is trusted only if the scoring engine gives the same number
from the stored items: a total typed by hand, or computed by an older form,
is refused (21 CFR 11.10(a): records must be accurate; ICH E6(R2) 4.9.0:
data attributable, accurate, consistent). Problems name the fields as the
form labels them, so the assessor sees which box is wrong.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from ...errors import Problem, ValidationError
from ._registry import list_instruments, load_instrument
from ._scoring import score_instrument

#: ISNCSCI is classified by code (workbench.outcomes.isncsci), not defined as data.
ISNCSCI = ("ISNCSCI", "2019")


def known_instruments() -> dict[str, str]:
    """Instrument id -> the version this workbench scores."""
    out = {i: load_instrument(i).version for i in list_instruments()}
    out[ISNCSCI[0]] = ISNCSCI[1]
    return out


def check_assessment(instrument: str, version: str, item_values: Mapping[str, Any],
                     scores: Mapping[str, Any]) -> list[Problem]:
    """Every problem of one administration; an empty list when it is consistent.

    Parameters
    ----------
    instrument, version : str
        Instrument id and form version, as stored.
    item_values : mapping
        Item id -> value, as stored (complete: a partial form is not saved).
    scores : mapping
        Score id -> value, as stored; must equal the scores recomputed from
        ``item_values`` with :func:`score_instrument` (or the ISNCSCI
        classification), key for key.
    """
    known = known_instruments()
    if instrument not in known:
        return [Problem("Instrument", instrument, "one of " + ", ".join(sorted(known)))]
    if version != known[instrument]:
        return [Problem("Instrument version", version,
                        f"{known[instrument]!r} (the {instrument} form this workbench scores)")]
    if instrument == ISNCSCI[0]:
        recomputed, problems, label = _isncsci(item_values)
    else:
        inst = load_instrument(instrument)
        label = inst.label_of
        try:
            recomputed, problems = dict(score_instrument(inst, item_values).scores), []
        except ValidationError as err:
            recomputed = None
            problems = [Problem(label(p.field), p.value, p.allowed) for p in err.problems]
    if recomputed is None:
        return problems
    return _compare(scores, recomputed, label)


def _compare(stored: Mapping[str, Any], recomputed: Mapping[str, Any], label) -> list[Problem]:
    problems = []
    for name, want in recomputed.items():
        have = stored.get(name, "<missing>")
        if not _same(have, want):
            problems.append(Problem(label(name), have, f"{want!r}, the score recomputed from the items "
                                                       "(workbench.outcomes); correct the items, not the score"))
    for name in stored:
        if name not in recomputed:
            problems.append(Problem(name, stored[name], "a score of this instrument: " + ", ".join(recomputed)))
    return problems


def _same(have: Any, want: Any) -> bool:
    if have is None or want is None:
        return have is want
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (have, want))
    if numbers:
        # Derived ratios are stored rounded to their declared decimals; allow only float noise.
        return math.isclose(float(have), float(want), rel_tol=0, abs_tol=1e-9)
    return have == want


def _isncsci(item_values: Mapping[str, Any]):
    from ..entry.isncsci import IsncsciEntry  # the worksheet's own flattening of the classification

    entry = IsncsciEntry()
    unknown = [Problem(k, v, "an ISNCSCI 2019 worksheet field (e.g. right.motor.C5, vac)")
               for k, v in item_values.items() if not _is_field(entry, k)]
    if unknown:
        return None, unknown, str
    entry.update(dict(item_values))
    try:
        return entry.scores(), [], str
    except ValidationError as err:
        return None, list(err.problems), str


def _is_field(entry, name: str) -> bool:
    try:
        entry.value(name)
    except KeyError:
        return False
    return True
