"""Every packaged instrument definition is complete, consistent and cited."""

from __future__ import annotations

import pytest

from workbench.outcomes.instruments import list_instruments, load_instrument

EXPECTED = {"SCIM-III", "WISCI-II", "10MWT", "6MWT", "ARAT", "BBT", "GRASSP"}


def test_every_issue_instrument_is_packaged():
    assert EXPECTED <= set(list_instruments())


@pytest.mark.parametrize("instrument_id", sorted(EXPECTED))
def test_declared_ranges_match_the_items(instrument_id):
    inst = load_instrument(instrument_id)
    assert inst.citation and inst.version
    items = {i.id: i for i in inst.items}
    for group in inst.subscales + inst.totals:
        top = sum(max(items[name].values) if items[name].kind == "ordinal" else items[name].max
                  for name in group.items)
        assert top == group.max, group.id
    for t in inst.thresholds:
        assert t.citation
        # A number recalled rather than read, or from another population, never flags.
        if not t.confirmed or t.population != "SCI" or t.change is None:
            assert not t.usable


def test_published_structure():
    # Structure facts from outcomes/MEASURES.md (with the papers cited there).
    scim = load_instrument("SCIM-III")
    assert len(scim.items) == 19
    assert {s.id: (s.min, s.max) for s in scim.subscales} == {
        "self_care": (0, 20), "respiration_sphincter": (0, 40), "mobility": (0, 40)}
    assert scim.item("bladder").values == (0, 3, 6, 9, 11, 13, 15)
    arat = load_instrument("ARAT")
    assert len([i for i in arat.items if i.id.startswith("right.")]) == 19
    assert {t.id: t.max for t in arat.totals} == {"right.total": 57, "left.total": 57}
    grassp = load_instrument("GRASSP")
    assert {s.id: s.max for s in grassp.subscales if s.id.startswith("left.")} == {
        "left.strength": 50, "left.sensation_dorsal": 12, "left.sensation_palmar": 12,
        "left.prehension_ability": 12, "left.prehension_performance": 30}
    assert load_instrument("WISCI-II").item("level").values == tuple(range(21))


def test_only_confirmed_sci_thresholds_flag():
    usable = {(i, t.score, t.change) for i in EXPECTED for t in load_instrument(i).thresholds if t.usable}
    assert usable == {("SCIM-III", "total", 4), ("SCIM-III", "total", 10), ("WISCI-II", "total", 1)}
