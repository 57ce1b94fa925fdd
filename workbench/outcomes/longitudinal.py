"""Change from baseline per participant and visit, judged against cited thresholds.

Input is the long DataFrame of the records store
(``workbench.records.storage.queries.outcomes_long``: participant_id, visit,
assessed_on, instrument, score, value, ...). Only a threshold confirmed in its
paper and established in SCI decides "important"; otherwise the decision is
left empty (NA) and the reason is given.
"""

from __future__ import annotations

import pandas as pd

from ..errors import Problem, ValidationError
from .instruments import load_instrument, list_instruments

REQUIRED_COLUMNS = ("participant_id", "visit", "assessed_on", "instrument", "score", "value")


def _why_not_usable(t) -> str:
    # A stroke MCID can be confirmed in its paper and still not apply to SCI.
    reasons = []
    if t.population != "SCI":
        reasons.append(f"established in {t.population}, not SCI")
    if not t.confirmed:
        reasons.append("number not confirmed in its paper")
    if t.change is None:
        reasons.append("no number published")
    return "; ".join(reasons) or "not usable"


def _threshold_columns(instrument: str, score: str) -> dict:
    if instrument not in list_instruments():
        return {"threshold": None, "threshold_label": None, "threshold_citation": None,
                "threshold_note": f"no instrument definition for {instrument}", "higher_is_better": None}
    inst = load_instrument(instrument)
    base = inst.base_score(score)
    usable = [t for t in inst.thresholds_for(score) if t.usable]
    if usable:
        # The smallest confirmed important change decides (e.g. SCIM 'small').
        t = min(usable, key=lambda t: t.change)
        return {"threshold": t.change, "threshold_label": t.label, "threshold_citation": t.citation,
                "threshold_note": "", "higher_is_better": inst.higher_is_better.get(base)}
    known = inst.thresholds_for(score)
    note = ("; ".join(f"{t.label} {t.change} ({_why_not_usable(t)}): {t.citation}" for t in known)
            if known else "no threshold published for this score")
    return {"threshold": None, "threshold_label": None, "threshold_citation": None,
            "threshold_note": "not flagged: " + note, "higher_is_better": inst.higher_is_better.get(base)}


def change_from_baseline(outcomes: pd.DataFrame, baseline_visit: str | None = None) -> pd.DataFrame:
    """Change of every numeric score from the participant's baseline.

    Parameters
    ----------
    outcomes : DataFrame
        Long format, one row per score (see module docstring).
    baseline_visit : str | None
        Visit name used as baseline; None takes each participant's earliest
        assessment of that instrument and score.

    Returns
    -------
    DataFrame
        One row per participant, instrument, score and later visit:
        ``baseline_value``, ``value``, ``change``, ``threshold`` and its
        ``threshold_citation``, ``important`` (True/False, NA when no confirmed
        threshold) and ``direction`` ('improved', 'worsened', 'unchanged').
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in outcomes.columns]
    if missing:
        raise ValidationError([Problem("outcomes", f"columns {list(outcomes.columns)}",
                                       "a long DataFrame with columns " + ", ".join(REQUIRED_COLUMNS))],
                              what="outcomes table")
    frame = outcomes.loc[:, list(REQUIRED_COLUMNS)].copy()
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")  # ISNCSCI levels are not numeric
    frame = frame.dropna(subset=["value"]).sort_values(["participant_id", "instrument", "score", "assessed_on"])
    keys = ["participant_id", "instrument", "score"]
    if baseline_visit is None:
        base = frame.groupby(keys, as_index=False).first()
    else:
        base = frame[frame["visit"] == baseline_visit].groupby(keys, as_index=False).first()
    base = base.rename(columns={"value": "baseline_value", "visit": "baseline_visit", "assessed_on": "baseline_date"})
    out = frame.merge(base, on=keys, how="inner")
    out = out[out["assessed_on"] > out["baseline_date"]].copy()
    out["change"] = out["value"] - out["baseline_value"]
    info = pd.DataFrame([{"instrument": i, "score": s, **_threshold_columns(i, s)}
                         for i, s in out[["instrument", "score"]].drop_duplicates().itertuples(index=False)],
                        columns=["instrument", "score", "threshold", "threshold_label", "threshold_citation",
                                 "threshold_note", "higher_is_better"])
    out = out.merge(info, on=["instrument", "score"], how="left")
    has = out["threshold"].notna()
    important = pd.Series(pd.NA, index=out.index, dtype="boolean")
    important[has] = out.loc[has, "change"].abs() >= out.loc[has, "threshold"].astype(float) - 1e-9
    out["important"] = important
    sign = out["change"].where(out["higher_is_better"].fillna(True).astype(bool), -out["change"])
    out["direction"] = ["improved" if s > 0 else "worsened" if s < 0 else "unchanged" for s in sign]
    cols = ["participant_id", "instrument", "score", "baseline_visit", "baseline_date", "baseline_value", "visit",
            "assessed_on", "value", "change", "direction", "important", "threshold", "threshold_label",
            "threshold_citation", "threshold_note"]
    return out[cols].sort_values(["participant_id", "instrument", "score", "assessed_on"], ignore_index=True)
