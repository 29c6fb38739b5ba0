"""Keyboards go to Telegram as JSON made once per keyboard (bot/telegram/messenger.py): the same
JSON PTB would send, for every kind of keyboard a reply carries."""

from __future__ import annotations

import json

from telegram import ForceReply

from bot.telegram.handlers.enrolment import NO_REPLY_KEYBOARD, SHARE_LOCATION
from bot.telegram.messenger import _reply_markup_json, inline_keyboard


def test_each_kind_of_keyboard_is_sent_as_ptb_would_send_it():
    pain = inline_keyboard([[("0", "pain:0"), ("1", "pain:1")]])
    for markup in (pain, SHARE_LOCATION, NO_REPLY_KEYBOARD, ForceReply()):
        assert json.loads(_reply_markup_json(markup)) == markup.to_dict()
    assert _reply_markup_json(None) is None
    assert json.loads(_reply_markup_json(SHARE_LOCATION))["keyboard"][0][0]["request_location"] is True
    assert json.loads(_reply_markup_json(NO_REPLY_KEYBOARD)) == {"remove_keyboard": True}


def test_a_keyboard_that_cannot_be_a_cache_key_is_still_sent():
    class Unhashable:
        __hash__ = None  # type: ignore[assignment]

        def to_json(self) -> str:
            return '{"inline_keyboard": []}'

    assert _reply_markup_json(Unhashable()) == '{"inline_keyboard": []}'
