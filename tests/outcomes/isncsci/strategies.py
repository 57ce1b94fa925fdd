"""Hypothesis strategies for ISNCSCI exams (worksheet-string dicts)."""

from __future__ import annotations

from hypothesis import strategies as st

from workbench.outcomes.isncsci import DERMATOMES, KEY_MUSCLES, NON_KEY_MUSCLE_LEVELS


def exam_dicts(sensory=("0", "1", "2"), motor=("0", "1", "2", "3", "4", "5"), anal=("Yes", "No")):
    """Exams whose scores come from the given value sets.

    Values are drawn per side from a 'profile' so realistic injuries (normal
    above, impaired below) are common, not only noise.
    """

    def side():
        return st.fixed_dictionaries(
            {
                "motor": st.fixed_dictionaries({m: st.sampled_from(motor) for m in KEY_MUSCLES}),
                "light_touch": st.fixed_dictionaries({d: st.sampled_from(sensory) for d in DERMATOMES}),
                "pin_prick": st.fixed_dictionaries({d: st.sampled_from(sensory) for d in DERMATOMES}),
                "lowest_non_key_muscle_with_motor_function": st.none() | st.sampled_from(NON_KEY_MUSCLE_LEVELS),
            }
        )

    return st.fixed_dictionaries(
        {"vac": st.sampled_from(anal), "dap": st.sampled_from(anal), "right": side(), "left": side()}
    )


def _flagged(draw, value: str, kind: str) -> str:
    """The score with a non-SCI flag: 'x*' (not normal) or 'x**' (normal), as allowed."""
    top = 4 if kind == "motor" else 1
    base = "NT" if value == "NT" else str(min(int(value), top))
    return base + draw(st.sampled_from(("*", "**")))


@st.composite
def injured_exam_dicts(draw, nt_rate=0.0, anal=("Yes", "No"), flag_rate=0.0):
    """Exams normal above a drawn level and impaired below, with some NT scores
    and (``flag_rate``) some scores flagged as impaired by a non-SCI condition."""
    cut = draw(st.integers(0, len(DERMATOMES)))
    exam = {"vac": draw(st.sampled_from(anal)), "dap": draw(st.sampled_from(anal))}
    for side in ("right", "left"):
        shift = draw(st.integers(-2, 2))
        lt, pp, motor = {}, {}, {}
        for i, d in enumerate(DERMATOMES):
            normal = i < cut + shift
            lt[d] = "2" if normal else draw(st.sampled_from("012"))
            pp[d] = "2" if normal else draw(st.sampled_from("012"))
            if d in KEY_MUSCLES:
                motor[d] = "5" if normal else draw(st.sampled_from("012345"))
        for scores in (lt, pp, motor):
            for key in scores:
                if nt_rate and draw(st.floats(0, 1)) < nt_rate:
                    scores[key] = "NT"
                if flag_rate and draw(st.floats(0, 1)) < flag_rate:
                    scores[key] = _flagged(draw, scores[key], "motor" if scores is motor else "sensory")
        exam[side] = {
            "motor": motor,
            "light_touch": lt,
            "pin_prick": pp,
            "lowest_non_key_muscle_with_motor_function": draw(st.none() | st.sampled_from(NON_KEY_MUSCLE_LEVELS)),
        }
    return exam


def injured_exam(level: str, *, vac: str = "No", dap: str = "No") -> dict:
    """A plain exam: normal (2 / 5) rostral to ``level``'s next segment, absent (0) from there down."""
    from workbench.outcomes.isncsci import LEVELS

    cut = LEVELS.index(level)

    def side():
        return {
            "motor": {m: "5" if LEVELS.index(m) <= cut else "0" for m in KEY_MUSCLES},
            "light_touch": {d: "2" if LEVELS.index(d) <= cut else "0" for d in DERMATOMES},
            "pin_prick": {d: "2" if LEVELS.index(d) <= cut else "0" for d in DERMATOMES},
            "lowest_non_key_muscle_with_motor_function": None,
        }

    return {"vac": vac, "dap": dap, "right": side(), "left": side()}
