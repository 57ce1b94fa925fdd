"""Generated record ids are always screen-clean codes (a UUID4 of 32 decimal digits looks like a phone number)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from workbench.errors import ValidationError
from workbench.records import SafetyEvent
from workbench.records.types import fields

MET = "17944009300749528743831099440326"
NOW = datetime(2026, 11, 25, tzinfo=timezone.utc)


def test_an_all_digit_uuid_is_drawn_again(monkeypatch):
    met = uuid.UUID(hex=MET)  # the id a benchmark run met
    draws = iter([met, uuid.UUID("0123456789abcdef0123456789abcdef")])
    monkeypatch.setattr(fields.uuid, "uuid4", lambda: next(draws))
    event = SafetyEvent(session_id="s1", run_id="r1", occurred_at=NOW, decision="passed", rule="all_limits")
    assert event.id == "0123456789abcdef0123456789abcdef"


def test_an_all_digit_id_given_by_hand_is_still_refused():
    with pytest.raises(ValidationError, match="phone number"):
        SafetyEvent(id=MET, session_id="s1", run_id="r1", occurred_at=NOW, decision="passed", rule="all_limits")


def test_generated_ids_are_32_hex_digits_with_a_letter():
    for _ in range(1000):
        rid = fields.new_record_id()
        assert len(rid) == 32 and int(rid, 16) >= 0 and not rid.isdigit()
