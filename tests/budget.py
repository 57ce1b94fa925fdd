"""How many examples a property test draws, by test tier.

``make test`` (and CI) draws each test's full budget. ``make check``, the fast
tier for a developer's iterations, sets ``WORKBENCH_TEST_TIER=check`` and
draws a quarter of it (at least 5): every property still runs on generated
input, with a smaller search. Hypothesis profiles cannot do this alone,
because an explicit ``@settings(max_examples=...)`` overrides the profile.
"""

from __future__ import annotations

import os

#: The share of each budget the fast tier draws.
CHECK_SHARE = 0.25


def examples(budget: int) -> int:
    """The number of examples to draw for a test whose full budget is ``budget``."""
    if os.environ.get("WORKBENCH_TEST_TIER") == "check":
        return max(min(budget, 5), int(budget * CHECK_SHARE))
    return budget
