"""Every ISNCSCI 2019 reference case (Praxis Spinal Cord Institute) exactly."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SHARED
from workbench.outcomes.isncsci import classify

CASES_FILE = SHARED / "isncsci" / "cases_2019.json"


def _cases():
    # A missing file fails collection loudly: these cases are the acceptance test.
    cases = json.loads(CASES_FILE.read_text())["cases"]
    return [pytest.param(case["input"], case["expected"], id=case["id"]) for case in cases]


@pytest.mark.parametrize(("exam", "expected"), _cases())
def test_reference_case(exam, expected):
    assert classify(exam) == expected


def test_every_reference_case_is_collected():
    # The spec holds 64 cases; losing some silently would weaken the check above.
    assert len(json.loads(CASES_FILE.read_text())["cases"]) >= 64
