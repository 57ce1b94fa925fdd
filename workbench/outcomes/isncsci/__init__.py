"""ISNCSCI 2019 classification of a spinal cord injury exam.

Clinical source: Rupp R et al., International Standards for Neurological
Classification of Spinal Cord Injury: Revised 2019, Top Spinal Cord Inj Rehabil
2021;27(2):1-22; ZPP revision: Schuld C et al., Spinal Cord 2024;62:79-87.
Output conventions follow the ISNCSCI Algorithm, Praxis Spinal Cord Institute.
"""

from ._classify import Classification, classify, classify_exam
from ._explain import Explanation, rule_for
from ._exam import SIDES, Exam, ExamSide, parse_exam
from ._levels import DERMATOMES, KEY_MUSCLES, LEVELS, NON_KEY_MUSCLE_LEVELS
from ._values import ANAL_ALLOWED, MOTOR_ALLOWED, SENSORY_ALLOWED

__all__ = [
    "ANAL_ALLOWED", "DERMATOMES", "KEY_MUSCLES", "LEVELS", "MOTOR_ALLOWED", "NON_KEY_MUSCLE_LEVELS",
    "SENSORY_ALLOWED", "SIDES", "Classification", "Exam", "ExamSide", "Explanation", "classify", "classify_exam",
    "parse_exam", "rule_for",
]
