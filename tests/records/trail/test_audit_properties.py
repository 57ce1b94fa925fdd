"""Property test: any sequence of audited changes verifies; any one SQL change behind its back is named."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.records import factories as f
from tests.records.accounts import first_investigator
from workbench.records import Participant
from tests.budget import examples

CHANGES = st.lists(
    st.tuples(st.sampled_from(["SCI-001", "SCI-002"]),
              st.sampled_from(["age_years", "sex", "arm"]),
              st.integers(0, 90)),
    min_size=1, max_size=6,
)


def _value(field, n):
    return {"age_years": n, "sex": "FMX"[n % 3], "arm": ("BCI", "control")[n % 2]}[field]


@pytest.mark.slow
@settings(max_examples=examples(12), deadline=None)
@given(changes=CHANGES, target=st.sampled_from(["SCI-001", "SCI-002"]),
       field=st.sampled_from(["age_years", "injury_level"]))
def test_replay_matches_and_tampering_is_named(changes, target, field):
    with tempfile.TemporaryDirectory() as tmp:
        store = first_investigator(f"sqlite:///{Path(tmp) / 's.sqlite'}")
        try:
            f.seeded(store, 2)
            for pid, name, n in changes:
                current = store.get(Participant, pid)
                store.update(dataclasses.replace(current, **{name: _value(name, n)}), reason="correction")
            assert store.verify_audit().ok
            trail = store.audit_trail()
            rows = trail[(trail.entity_id == target) & (trail.field == field)]
            expected_seq = int(rows.seq.max())
            stored = json.loads(rows.new_value.iloc[-1])
            new = 91 if field == "age_years" else ("T4" if stored != "T4" else "T5")
            with store.engine.begin() as conn:
                conn.exec_driver_sql(f"UPDATE participants SET {field} = ? WHERE id = ?", (new, target))
            report = store.verify_audit()
            assert not report.ok and report.first_broken.seq == expected_seq
            assert f"participants/{target}.{field}" in str(report.first_broken)
        finally:
            store.close()
