"""The pure pieces behind the surfaces: plausibility, plain-text echo, the group notice memory and
the token mask."""

from __future__ import annotations

import io
import logging
import math
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.content.render import plain_text, render
from bot.domain.levels import plausible_date, plausible_ng_ml
from bot.logs import setup_logging
from bot.telegram.notices import GroupNotices


@pytest.mark.parametrize(
    ("value", "plausible"),
    [(1.0, True), (250.0, True), (24.0, True), (0.999, False), (0.0, False), (-1.0, False),
     (250.001, False), (math.nan, False), (math.inf, False), (-math.inf, False)],
)
def test_plausible_values(value, plausible):
    assert plausible_ng_ml(value) is plausible


def test_plausible_dates():
    today = date(2027, 1, 4)
    assert plausible_date(date(1900, 1, 1), today) and plausible_date(today, today)
    assert not plausible_date(date(1899, 12, 31), today)
    assert not plausible_date(date(1, 1, 1))
    assert not plausible_date(today + timedelta(days=1), today)


@pytest.mark.parametrize(
    "typed",
    ["**bold**", "_it_", "[x](http://e.x)", "`code`", "# heading", "1. item", "- item", "> quote",
     "~~gone~~", "||spoiler||", "a\\b", "<b>x</b>", "x\n===", "---", "😀 ok!", "/level 24 ng/mL."],
)
def test_plain_text_shows_exactly_what_was_typed(typed):
    [piece] = render(f"Your note: {plain_text(typed)}")
    assert piece.text == "Your note: " + " ".join(typed.split())
    assert piece.entities == ()


def test_a_group_is_told_once_an_hour_and_memory_stays_bounded():
    notices, now = GroupNotices(size=3), datetime(2027, 1, 4, tzinfo=UTC)
    assert notices.due(-1, now) and not notices.due(-1, now + timedelta(minutes=59))
    assert notices.due(-1, now + timedelta(minutes=61))
    for chat in (-2, -3, -4):
        assert notices.due(chat, now)
    assert len(notices._told) == 3 and notices.due(-1, now + timedelta(minutes=62))  # -1 was forgotten


def test_a_token_inside_a_traceback_is_masked():
    token = "123456:AAH-secret-in-an-exception"
    stream = io.StringIO()
    for fmt in ("text", "json"):
        setup_logging(fmt, "INFO", token)
        logging.getLogger().handlers[0].setStream(stream)
        try:
            raise RuntimeError(f"The token `{token}` was rejected by the server.")
        except RuntimeError:
            logging.getLogger("somewhere").exception("start-up failed")
    logging.getLogger().handlers.clear()
    assert token not in stream.getvalue()
    assert stream.getvalue().count("<token>") == 2 and "RuntimeError" in stream.getvalue()
