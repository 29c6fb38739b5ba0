"""Ledger item keys: the stored strings read back as the same typed value and are written the same."""

from __future__ import annotations

import pytest

from bot.domain.items import COMPLETION, RETEST, Item, Kind


@pytest.mark.parametrize(
    ("key", "item"),
    [("day:1", Item.day(1)), ("day:30", Item.day(30)), ("completion", COMPLETION), ("retest", RETEST),
     ("broadcast:17", Item.broadcast(17))],
)
def test_stored_keys_round_trip(key, item):
    assert Item.parse(key) == item
    assert str(item) == key


def test_only_a_day_has_a_program_day():
    assert Item.day(7).program_day == 7
    assert Item.broadcast(7).program_day is None
    assert COMPLETION.program_day is None


@pytest.mark.parametrize("key", ["", "day", "day:", "day:x", "day:-1", "completion:1", "week:2", "broadcast"])
def test_anything_else_is_refused(key):
    with pytest.raises(ValueError):
        Item.parse(key)


def test_numbers_go_with_their_kinds():
    with pytest.raises(ValueError):
        Item(Kind.DAY)
    with pytest.raises(ValueError):
        Item(Kind.RETEST, 3)
